//! The reconnect flow over real HTTP: GraphQL mutation → the sandbox's sign-in (POST) → the OAuth
//! callback (GET), for every rule of the article and every bad input (R3–R8, R18, R20, B2, B8).

use chrono::Duration;
use entity::{enums::Health, social_accounts, social_logins};
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, callback, event_count, first_code, health, reconnect_as, sign_in, start,
    state_and_code,
};

#[tokio::test]
async fn r7_one_sign_in_reconnects_every_account_of_the_login() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    assert_eq!(started["userErrors"], json!([]), "{started}");
    let url = started["authorizeUrl"].as_str().expect("url");
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("prompt=select_account"),
        "{url}"
    );
    let back = sign_in(&app, url, "fb-nora", &[], "allow").await;
    let done = callback(&app, &back).await;
    assert!(
        done.contains(
            "result=reconnected&released=2&needs_reschedule=0&reconnected=3&still_disconnected=0"
        ),
        "{done}"
    );
    for page in ["fb-page-northwind", "fb-page-roastery", "fb-group-lovers"] {
        assert_eq!(health(&app, page).await, Health::Connected, "{page}");
    }
    // R4 and the banner: dev sees no disconnected account and who reconnected.
    let status = app
        .graphql("dev@northwind.example", "{ reconnectStatus { bannerVisible badgeCount } socialAccounts { nodes { name lastReconnectedBy { name } } } }", json!({}))
        .await;
    assert_eq!(
        status["data"]["reconnectStatus"]["badgeCount"], 0,
        "{status}"
    );
    assert_eq!(
        status["data"]["socialAccounts"]["nodes"][0]["lastReconnectedBy"]["name"],
        "Ada Lovelace"
    );
    // One event per account, R18: @northwindcoffee, limited by the page, follows it back, and
    // R19: the roastery's rule assigned to Dev (who cannot see it) is flagged.
    assert_eq!(
        event_count(&app).await,
        5,
        "one per account, the profile's and the flagged rule's"
    );
    assert_eq!(health(&app, "ig-biz-northwind").await, Health::Connected);
}

#[tokio::test]
async fn r8_the_cascade_covers_accounts_the_user_has_no_permission_for() {
    let app = TestApp::spawn_demo().await;
    // Cleo holds ADVANCED on the roastery page only.
    reconnect_as(
        &app,
        "cleo@northwind.example",
        "fb-page-roastery",
        "fb-nora",
    )
    .await;
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
    assert_eq!(health(&app, "fb-group-lovers").await, Health::Connected);
}

#[tokio::test]
async fn r3_an_editor_may_not_start_a_reconnect() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "dev@northwind.example", "fb-page-northwind").await;
    assert_eq!(started["authorizeUrl"], Value::Null);
    assert_eq!(started["userErrors"][0]["code"], "RECONNECT_NOT_ALLOWED");
}

#[tokio::test]
async fn b2_the_wrong_identity_changes_nothing_and_says_who_is_needed() {
    let app = TestApp::spawn_demo().await;
    let before = social_logins::Entity::find()
        .all(&app.db)
        .await
        .expect("logins");
    let started = start(&app, "ada@northwind.example", "x-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "x-other",
        &[],
        "allow",
    )
    .await;
    let done = callback(&app, &back).await;
    assert!(
        done.ends_with("result=refused&code=WRONG_IDENTITY"),
        "{done}"
    );
    assert_eq!(
        social_logins::Entity::find()
            .all(&app.db)
            .await
            .expect("logins"),
        before,
        "nothing changed"
    );
    assert_eq!(event_count(&app).await, 0);
    // The wrong sign-in's tokens were given back to the network.
    let other = entity::sandbox_identities::Entity::find()
        .filter(entity::sandbox_identities::Column::ExternalId.eq("x-other"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("identity");
    let tokens = entity::sandbox_tokens::Entity::find()
        .filter(entity::sandbox_tokens::Column::IdentityId.eq(other.id))
        .all(&app.db)
        .await
        .expect("tokens");
    assert!(!tokens.is_empty() && tokens.iter().all(|token| token.revoked_at.is_some()));
}

#[tokio::test]
async fn wrong_identity_through_complete_reconnect_names_both_identities() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "ada@northwind.example", "x-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "x-other",
        &[],
        "allow",
    )
    .await;
    let get = |name: &str| crate::helpers::query_param(&back, name);
    let body = app
        .graphql(
            "ada@northwind.example",
            "mutation($state: String!, $code: String!) { completeReconnect(input: { state: $state, code: $code }) { reconnectedAccounts { name } userErrors { code message } } }",
            json!({ "state": get("state"), "code": get("code") }),
        )
        .await;
    let error = &body["data"]["completeReconnect"]["userErrors"][0];
    assert_eq!(error["code"], "WRONG_IDENTITY", "{body}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("x-other") && message.contains("x-northwind"),
        "{message}"
    );
}

#[tokio::test]
async fn r5_a_group_needs_the_login_that_added_it() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "ada@northwind.example", "fb-group-lovers").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-omar",
        &[],
        "allow",
    )
    .await;
    assert!(
        callback(&app, &back)
            .await
            .ends_with("code=ORIGINAL_LOGIN_REQUIRED")
    );
    assert_eq!(health(&app, "fb-group-lovers").await, Health::Disconnected);
}

#[tokio::test]
async fn r6_a_page_needs_an_identity_with_admin_rights_on_it() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-omar",
        &[],
        "allow",
    )
    .await;
    assert!(
        callback(&app, &back)
            .await
            .ends_with("code=PAGE_ADMIN_REQUIRED")
    );
    assert_eq!(
        health(&app, "fb-page-northwind").await,
        Health::Disconnected
    );

    // Priya is an admin of the page: it comes back, through her login.
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-priya",
        &[],
        "allow",
    )
    .await;
    assert!(callback(&app, &back).await.contains("&reconnected=1&"));
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
    assert_eq!(
        health(&app, "fb-page-roastery").await,
        Health::Disconnected,
        "still on Nora's login"
    );
}

#[tokio::test]
async fn an_unticked_page_stays_disconnected_with_its_reason() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &["fb-page-roastery"],
        "allow",
    )
    .await;
    assert!(
        callback(&app, &back)
            .await
            .contains("reconnected=2&still_disconnected=1&")
    );
    let roastery = social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq("fb-page-roastery"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(roastery.health, Health::Disconnected);
    assert_eq!(
        roastery.disconnect_reason,
        Some(entity::enums::DisconnectReason::ScopeMissing)
    );
}

#[tokio::test]
async fn a_replayed_callback_reconnects_nothing_twice() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &[],
        "allow",
    )
    .await;
    callback(&app, &back).await;
    let events = event_count(&app).await;
    let again = callback(&app, &back).await;
    assert!(again.ends_with("code=STATE_INVALID"), "{again}");
    assert_eq!(event_count(&app).await, events);
}

#[tokio::test]
async fn an_expired_denied_foreign_or_unknown_state_changes_nothing() {
    let app = TestApp::spawn_demo().await;
    // Expired: the sign-in took eleven minutes.
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &[],
        "allow",
    )
    .await;
    app.clock.advance(Duration::minutes(11));
    assert!(callback(&app, &back).await.ends_with("code=STATE_EXPIRED"));

    // Denied at the network.
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &[],
        "deny",
    )
    .await;
    assert!(back.contains("error=access_denied"), "{back}");
    assert!(callback(&app, &back).await.ends_with("code=ACCESS_DENIED"));

    // Another network's callback path: refused, and the state is not spent.
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &[],
        "allow",
    )
    .await;
    let elsewhere = back.replace("/oauth/callback/facebook", "/oauth/callback/linkedin");
    assert!(
        callback(&app, &elsewhere)
            .await
            .ends_with("code=STATE_INVALID")
    );

    // Another user's state through completeReconnect.
    let get = |name: &str| crate::helpers::query_param(&back, name);
    let complete = "mutation($state: String!, $code: String!) { completeReconnect(input: { state: $state, code: $code }) { userErrors { code } } }";
    let body = app
        .graphql(
            "ben@northwind.example",
            complete,
            json!({ "state": get("state"), "code": get("code") }),
        )
        .await;
    assert_eq!(
        body["data"]["completeReconnect"]["userErrors"][0]["code"],
        "STATE_INVALID"
    );
    // Unknown state; a code the network refuses.
    let body = app
        .graphql(
            "ada@northwind.example",
            complete,
            json!({ "state": "forged", "code": get("code") }),
        )
        .await;
    assert_eq!(
        body["data"]["completeReconnect"]["userErrors"][0]["code"],
        "STATE_INVALID"
    );
    let body = app
        .graphql(
            "ada@northwind.example",
            complete,
            json!({ "state": get("state"), "code": "not-a-code" }),
        )
        .await;
    assert_eq!(
        body["data"]["completeReconnect"]["userErrors"][0]["code"], "NETWORK_REFUSED",
        "{body}"
    );

    assert_eq!(
        health(&app, "fb-page-northwind").await,
        Health::Disconnected
    );
    assert_eq!(event_count(&app).await, 0);
}

#[tokio::test]
async fn a_user_who_lost_permission_before_the_callback_changes_nothing() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "cleo@northwind.example", "fb-page-roastery").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &[],
        "allow",
    )
    .await;
    entity::account_grants::Entity::delete_many()
        .exec(&app.db)
        .await
        .expect("revoke grants");
    assert!(
        callback(&app, &back)
            .await
            .ends_with("code=RECONNECT_NOT_ALLOWED")
    );
    assert_eq!(health(&app, "fb-page-roastery").await, Health::Disconnected);
}

#[tokio::test]
async fn tokens_are_encrypted_at_rest_and_bound_to_their_row() {
    let app = TestApp::spawn_demo().await;
    reconnect_as(
        &app,
        "ada@northwind.example",
        "fb-page-northwind",
        "fb-nora",
    )
    .await;
    let login = social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("fb-nora"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("login");
    let sealed = login.access_token_enc.clone().expect("stored token");
    let key = login.key_id.clone().expect("key id");
    let slot = relink::crypto::Slot {
        table: "social_logins",
        row_id: login.id,
        column: "access_token_enc",
    };
    let token = app
        .cipher
        .open(&key, &sealed, &slot)
        .expect("decrypts with its own slot");
    assert!(!token.expose().is_empty());
    // The raw row holds no token text.
    let needle = token.expose().as_bytes();
    assert!(!sealed.windows(needle.len()).any(|window| window == needle));
    // Moved to another row, it no longer decrypts.
    let other = relink::crypto::Slot {
        table: "social_logins",
        row_id: login.id + 1,
        column: "access_token_enc",
    };
    assert!(app.cipher.open(&key, &sealed, &other).is_err());
    assert!(first_code(&json!({})) == "<none>");
}

#[tokio::test]
async fn b6_rules_that_no_longer_work_are_listed_and_flagged() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    // Nora unticks the group: its rule cannot run; Dev cannot see the roastery page.
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &["fb-group-lovers"],
        "allow",
    )
    .await;
    let (state, code) = state_and_code(&back);
    let body = app
        .graphql(
            "ada@northwind.example",
            "mutation($state: String!, $code: String!) { completeReconnect(input: { state: $state, code: $code }) {
                reconnectedAccounts { name } stillDisconnected { name disconnect { reason } }
                rulesToReview { name kind needsReview reviewReason socialAccount { name } } userErrors { code } } }",
            json!({ "state": state, "code": code }),
        )
        .await;
    let payload = &body["data"]["completeReconnect"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    assert_eq!(
        payload["stillDisconnected"][0]["disconnect"]["reason"],
        "SCOPE_MISSING"
    );
    let mut flagged: Vec<(String, String)> = payload["rulesToReview"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|rule| {
            (
                rule["name"].as_str().unwrap_or_default().to_owned(),
                rule["reviewReason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    flagged.sort();
    assert_eq!(
        flagged,
        vec![
            (
                "Assign roastery messages to Dev".to_owned(),
                "ASSIGNEE_LOST_ACCESS".to_owned()
            ),
            (
                "Tag event questions".to_owned(),
                "ACCOUNT_DISCONNECTED".to_owned()
            ),
        ],
        "{body}"
    );
    let stored = entity::automation_rules::Entity::find()
        .all(&app.db)
        .await
        .expect("rules");
    assert_eq!(stored.iter().filter(|rule| rule.needs_review).count(), 2);
    assert!(stored.iter().all(|rule| rule.last_checked_at.is_some()));
}

#[tokio::test]
async fn r18_instagram_comes_back_limited_until_its_page_is_authorized() {
    let app = TestApp::spawn_demo().await;
    let instagram = || async {
        social_accounts::Entity::find()
            .filter(social_accounts::Column::ExternalId.eq("ig-biz-northwind"))
            .one(&app.db)
            .await
            .expect("query")
            .expect("row")
    };
    // The profile's own sign-in is revoked at the network too: it is disconnected.
    app.revoke_at_network("ig-nora").await;
    assert_eq!(instagram().await.health, Health::Disconnected);

    // The Facebook page is disconnected: the Instagram profile comes back limited, and says why.
    let started = start(&app, "ada@northwind.example", "ig-biz-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "ig-nora",
        &[],
        "allow",
    )
    .await;
    assert!(
        callback(&app, &back)
            .await
            .contains("reconnected=1&still_disconnected=0&")
    );
    let limited = instagram().await;
    assert_eq!(limited.health, Health::Limited);
    assert_eq!(
        limited.limited_reason,
        Some(entity::enums::LimitedReason::LinkedPageNotAuthorized)
    );

    // Log in with Facebook: the page back, the profile has its full function with it.
    reconnect_as(
        &app,
        "ada@northwind.example",
        "fb-page-northwind",
        "fb-nora",
    )
    .await;
    let full = instagram().await;
    assert_eq!(full.health, Health::Connected);
    assert_eq!(full.limited_reason, None);
}

#[tokio::test]
async fn a_network_that_times_out_changes_nothing() {
    // A "network" that accepts connections and never answers: the sandbox's token endpoint is
    // reached through the public URL, so pointing that URL at it makes the code exchange hang.
    let (hole, held) = crate::helpers::black_hole().await;
    let app = TestApp::spawn_with(|config| {
        config.public_url = Some(hole.clone());
        config.network_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    // The browser talks to the real server; only the server's own calls go to the black hole.
    let url = started["authorizeUrl"]
        .as_str()
        .expect("url")
        .replace(&hole, &app.address);
    let back = sign_in(&app, &url, "fb-nora", &[], "allow")
        .await
        .replace(&hole, &app.address);
    let response = app.browser_get(&back).await;
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.ends_with("result=refused&code=NETWORK_UNAVAILABLE"),
        "{location}"
    );
    assert_eq!(
        health(&app, "fb-page-northwind").await,
        Health::Disconnected
    );
    assert_eq!(event_count(&app).await, 0);
    held.abort();
}

#[tokio::test]
async fn the_callback_redirects_only_to_the_configured_dashboard_whatever_the_request_says() {
    let app = TestApp::spawn_demo().await;
    let started = start(&app, "ada@northwind.example", "x-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "x-northwind",
        &[],
        "allow",
    )
    .await;
    // Whatever a link adds (return_to, redirect_uri, next), the target is our own reauth path.
    let tampered = format!(
        "{back}&return_to=https://evil.example/&redirect_uri=https://evil.example/&next=//evil.example"
    );
    let location = callback(&app, &tampered).await;
    assert!(
        location.starts_with(&format!(
            "{}/dashboard#/social-networks/reauth?",
            app.address
        )),
        "{location}"
    );
    assert!(!location.contains("evil.example"), "{location}");
}

#[tokio::test]
async fn r20_the_start_says_which_identity_to_sign_in_as_before_the_sign_in() {
    let app = TestApp::spawn_demo().await;
    let query = "mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) { authorizeUrl signInAs { network name externalId advice } userErrors { code } } }";
    let signs_in_as = |external: &'static str| {
        let app = &app;
        async move {
            let id = app.account_id(external).await;
            app.graphql("ada@northwind.example", query, json!({ "id": id }))
                .await["data"]["startReconnect"]["signInAs"]
                .clone()
        }
    };

    // A page: its login, or another of its admins (R6); sign out of others first (R20).
    let page = signs_in_as("fb-page-northwind").await;
    assert_eq!(page["network"], "FACEBOOK");
    assert_eq!(page["name"], "Nora Fields");
    assert_eq!(page["externalId"], "fb-nora");
    let advice = page["advice"].as_str().expect("advice");
    assert!(advice.contains("as Nora Fields"), "{advice}");
    assert!(
        advice.contains("another admin of the page Northwind Coffee"),
        "{advice}"
    );
    assert!(advice.contains("sign out at Facebook first"), "{advice}");

    // A group: only the identity that added it (R5).
    let group = signs_in_as("fb-group-lovers").await;
    assert!(
        group["advice"]
            .as_str()
            .expect("advice")
            .contains("only with the identity that added it"),
        "{group}"
    );

    // Someone who may not reconnect is told nothing about the identity.
    let id = app.account_id("fb-page-northwind").await;
    let refused = app
        .graphql("dev@northwind.example", query, json!({ "id": id }))
        .await["data"]["startReconnect"]
        .clone();
    assert_eq!(refused["signInAs"], Value::Null);
    assert_eq!(refused["userErrors"][0]["code"], "RECONNECT_NOT_ALLOWED");
}

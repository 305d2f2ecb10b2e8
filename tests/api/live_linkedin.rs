//! The live LinkedIn adapter against a fake of LinkedIn that checks what LinkedIn checks: the
//! authorize URL, the sign-in (secret in the form, single-use code, no PKCE), a page for its
//! admins only (R6) and the member's own identity (B2), LinkedIn's 65601 right after consent asked
//! once more, 60-day tokens warned about without programmatic refresh and renewed with it (the
//! same refresh token, its end read from each answer), and the API version on every call;
//! publishing in `publishing`.

mod publishing;

use chrono::Duration;
use entity::{
    enums::{DisconnectReason, Health},
    social_logins,
};
use relink::keeper::Refresh;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::{
    fakes::{self, linkedin::FakeLinkedin, query},
    helpers::{TestApp, health, start},
};

const ADA: &str = "ada@northwind.example";
const PAGE: &str = "li-company-northwind";

async fn live_linkedin(refresh: bool, extra: &str) -> (FakeLinkedin, TestApp) {
    let fake = FakeLinkedin::start().await;
    let file = format!("{}{extra}", fake.networks_file());
    let app = fakes::spawn_live(&file, &[("LI_TEST_SECRET", fakes::linkedin::SECRET)]).await;
    {
        let mut state = fake.state();
        state.redirect_uri = format!("{}/oauth/callback/linkedin", app.address);
        state.programmatic_refresh = refresh;
        state.refresh_left = 31_536_000;
        state.acls = vec![
            ("li-ada".to_owned(), PAGE.to_owned(), "ADMINISTRATOR"),
            ("li-ada".to_owned(), PAGE.to_owned(), "ANALYST"),
            (
                "li-ben".to_owned(),
                PAGE.to_owned(),
                "CONTENT_ADMINISTRATOR",
            ),
        ];
        state
            .names
            .insert(PAGE.to_owned(), "Northwind Coffee".to_owned());
    }
    (fake, app)
}

async fn login(app: &TestApp) -> social_logins::Model {
    crate::fakes::rows::login(app, "li-ada").await
}

async fn reason(app: &TestApp, external: &str) -> Option<DisconnectReason> {
    crate::fakes::rows::reason(app, external).await
}

/// Reconnects the demo's `target` through the fake as `identity`; answers `completeReconnect`.
async fn reconnect(app: &TestApp, fake: &FakeLinkedin, target: &str, identity: &str) -> Value {
    fake.state().next_user = identity.to_owned();
    let started = start(app, ADA, target).await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    fakes::complete(app, ADA, url).await
}

/// The global id of Northwind Coffee.
async fn northwind(app: &TestApp) -> String {
    let org = entity::organizations::Entity::find()
        .filter(entity::organizations::Column::Name.eq("Northwind Coffee"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Northwind Coffee");
    relink::graphql::ids::encode(relink::graphql::ids::Kind::Organization, org.id).0
}

fn externals(done: &Value) -> Vec<&str> {
    let mut ids: Vec<&str> = done["reconnectedAccounts"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|a| a["externalId"].as_str())
                .collect()
        })
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn linkedin_signs_in_without_pkce_and_gives_a_page_back_to_its_admin_only() {
    let (fake, app) = live_linkedin(false, "").await;
    let started = start(&app, ADA, PAGE).await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    assert!(url.starts_with(&format!("{}/oauth/v2/authorization?", fake.served.address)));
    let params = query(url);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], fakes::linkedin::CLIENT_ID);
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/callback/linkedin", app.address)
    );
    assert_eq!(
        params["scope"],
        "openid profile w_member_social r_organization_admin w_organization_social"
    );
    assert!(
        !params.contains_key("code_challenge"),
        "no PKCE for web apps: {url}"
    );

    // R6: Ben only content-administers the page; B2: the profile is Ada's alone.
    let editor = reconnect(&app, &fake, PAGE, "li-ben").await;
    assert_eq!(
        editor["userErrors"][0]["code"], "PAGE_ADMIN_REQUIRED",
        "{editor}"
    );
    let wrong = reconnect(&app, &fake, "li-ada", "li-ben").await;
    assert_eq!(wrong["userErrors"][0]["code"], "WRONG_IDENTITY", "{wrong}");
    assert_eq!(
        health(&app, PAGE).await,
        Health::Expiring,
        "nothing changed"
    );

    let done = reconnect(&app, &fake, PAGE, "li-ada").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(externals(&done), ["li-ada", PAGE]);
    assert_eq!(health(&app, PAGE).await, Health::Connected);
    assert_eq!(health(&app, "li-ada").await, Health::Connected);
    let stored = login(&app).await;
    assert_eq!(
        stored.token_expires_at,
        Some(app.clock.now() + Duration::days(60))
    );
    assert!(
        stored.refresh_token_enc.is_none(),
        "no programmatic refresh, no refresh token"
    );
    assert_eq!(fake.state().ledger.exchanges, 3, "each code redeemed once");
}

#[tokio::test]
async fn a_connect_reads_every_page_of_roles_and_names_the_pages_in_batches() {
    let (fake, app) = live_linkedin(false, "").await;
    {
        let mut state = fake.state();
        for n in 0..130 {
            let org = format!("{}", 2_414_000 + n);
            let role = if n % 2 == 0 {
                "ADMINISTRATOR"
            } else {
                "ANALYST"
            };
            state.acls.push(("li-cleo".to_owned(), org.clone(), role));
            state.names.insert(org, format!("Roastery {n}"));
        }
        state.next_user = "li-cleo".to_owned();
    }
    let org = northwind(&app).await;
    let body = app
        .graphql(
            ADA,
            "mutation($org: ID) { startConnect(input: { network: LINKEDIN, organizationId: $org }) { authorizeUrl } }",
            json!({ "org": org }),
        )
        .await;
    let url = body["data"]["startConnect"]["authorizeUrl"]
        .as_str()
        .expect("url");
    let done = fakes::complete(&app, ADA, url).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    // The profile and the 65 pages Cleo administers; the pages she only analyses are not added.
    assert_eq!(externals(&done).len(), 66, "{done}");
    assert_eq!(health(&app, "2414128").await, Health::Connected);
    let calls = fake.state().calls.clone();
    let count = |path: &str| calls.iter().filter(|call| *call == path).count();
    assert_eq!(count("/rest/organizationAcls"), 2, "two pages of 100");
    assert_eq!(
        count("/rest/organizationsLookup"),
        3,
        "130 names, 50 at a time"
    );
}

#[tokio::test]
async fn a_page_whose_admin_role_went_or_that_linkedin_no_longer_lists_stays_out() {
    let (fake, app) = live_linkedin(false, "").await;
    // Ada is now only an analyst of the page: the role is lost (R6).
    fake.state()
        .acls
        .retain(|(member, _, role)| member != "li-ada" || *role != "ADMINISTRATOR");
    let done = reconnect(&app, &fake, "li-ada", "li-ada").await;
    assert_eq!(externals(&done), ["li-ada"], "{done}");
    assert_eq!(health(&app, PAGE).await, Health::Disconnected);
    assert_eq!(
        reason(&app, PAGE).await,
        Some(DisconnectReason::PageRoleLost)
    );
    // No role at all: LinkedIn does not list the page, which was not granted.
    fake.state()
        .acls
        .retain(|(member, _, _)| member != "li-ada");
    reconnect(&app, &fake, "li-ada", "li-ada").await;
    assert_eq!(
        reason(&app, PAGE).await,
        Some(DisconnectReason::ScopeMissing)
    );
    assert_eq!(health(&app, "li-ada").await, Health::Connected);
}

#[tokio::test]
async fn a_revoked_answer_right_after_consent_is_asked_once_more_and_twice_refuses() {
    let (fake, app) = live_linkedin(false, "").await;
    fake.state().revoked_after_consent = 1;
    let done = reconnect(&app, &fake, PAGE, "li-ada").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(health(&app, PAGE).await, Health::Connected);

    let before = login(&app).await;
    fake.state().revoked_after_consent = 2;
    let refused = reconnect(&app, &fake, PAGE, "li-ada").await;
    assert_eq!(
        refused["userErrors"][0]["code"], "NETWORK_REFUSED",
        "{refused}"
    );
    let after = login(&app).await;
    assert_eq!(after.version, before.version, "nothing changed");
    assert_eq!(after.access_token_enc, before.access_token_enc);
    assert_eq!(health(&app, PAGE).await, Health::Connected);
}

#[tokio::test]
async fn without_programmatic_refresh_the_sixty_days_are_warned_about_then_end() {
    let (fake, app) = live_linkedin(false, "").await;
    reconnect(&app, &fake, PAGE, "li-ada").await;
    app.clock.advance(Duration::days(54));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(health(&app, PAGE).await, Health::Expiring);
    app.clock.advance(Duration::days(6) - Duration::minutes(5));
    let id = login(&app).await.id;
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::NotRefreshable
    );
    app.clock.advance(Duration::minutes(10));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(health(&app, PAGE).await, Health::Disconnected);
    assert_eq!(
        reason(&app, PAGE).await,
        Some(DisconnectReason::TokenExpired)
    );
    assert_eq!(fake.state().refreshes, 0);
}

#[tokio::test]
async fn programmatic_refresh_reuses_its_token_and_reads_its_end_from_each_answer() {
    let (fake, app) = live_linkedin(true, "").await;
    reconnect(&app, &fake, PAGE, "li-ada").await;
    let stored = login(&app).await;
    assert_eq!(
        stored.refresh_expires_at,
        Some(app.clock.now() + Duration::days(365))
    );
    for (round, left) in [(1, 305), (2, 245)] {
        app.clock.advance(Duration::days(60) - Duration::minutes(5));
        fake.state().refresh_left = left * 86_400;
        assert_eq!(
            app.keeper.refresh_login(stored.id).await.expect("refresh"),
            Refresh::Refreshed
        );
        let now = app.clock.now();
        let renewed = login(&app).await;
        assert_eq!(renewed.refresh_expires_at, Some(now + Duration::days(left)));
        assert_eq!(renewed.token_expires_at, Some(now + Duration::days(60)));
        assert_eq!(
            fake.state().refreshes,
            round,
            "the same refresh token, not rotated"
        );
    }
    assert_eq!(health(&app, PAGE).await, Health::Connected);
    // The member removed Relink at LinkedIn: the refresh token dies with it, once.
    fake.state().ledger.revoke_user("li-ada");
    app.clock.advance(Duration::days(60) - Duration::minutes(5));
    assert_eq!(
        app.keeper.refresh_login(stored.id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(
        reason(&app, PAGE).await,
        Some(DisconnectReason::TokenRevoked)
    );
}

#[tokio::test]
async fn an_ended_refresh_token_or_an_outage_at_the_token_endpoint_are_told_apart() {
    let (fake, app) = live_linkedin(true, "").await;
    reconnect(&app, &fake, PAGE, "li-ada").await;
    let id = login(&app).await.id;
    app.clock.advance(Duration::days(60) - Duration::minutes(5));
    for (status, name) in [(500, "server_error"), (429, "throttled")] {
        fake.state().token_failure = Some((status, name));
        assert_eq!(
            app.keeper.refresh_login(id).await.expect("refresh"),
            Refresh::Deferred
        );
        assert_eq!(health(&app, PAGE).await, Health::Connected, "{name}");
        app.clock.advance(Duration::minutes(2));
    }
    fake.state().token_failure = Some((400, "refresh_expired"));
    app.clock.advance(Duration::minutes(3));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(
        reason(&app, PAGE).await,
        Some(DisconnectReason::TokenExpired)
    );
}

#[tokio::test]
async fn the_api_version_goes_with_every_call_and_a_sunset_one_is_linkedins_refusal() {
    let (fake, app) = live_linkedin(false, "api_version = \"202401\"\n").await;
    let refused = reconnect(&app, &fake, PAGE, "li-ada").await;
    assert_eq!(
        refused["userErrors"][0]["code"], "NETWORK_REFUSED",
        "{refused}"
    );
    assert!(
        fake.state()
            .calls
            .contains(&"/rest/organizationAcls".to_owned())
    );
    assert_eq!(
        health(&app, PAGE).await,
        Health::Expiring,
        "nothing changed"
    );
}

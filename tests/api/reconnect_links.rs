//! Reconnect links (issue 15) over real HTTP: made through GraphQL, opened with no dashboard
//! token, signed in at the sandbox, spent once at the callback; and every bad input.

use chrono::Duration;
use entity::{
    audit_log,
    enums::{Health, PostState},
    oauth_attempts, reconnect_links, scheduled_posts, social_accounts, social_logins,
};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, IntoActiveModel as _,
    PaginatorTrait as _, QueryFilter as _, Set,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, health, sign_in};

const ADA: &str = "ada@northwind.example";
const DEV: &str = "dev@northwind.example";

const CREATE: &str = "mutation($input: CreateReconnectLinkInput!) { createReconnectLink(input: $input) { url emailed reconnectLink { id state recipientEmail note expiresAt createdBy { name } } userErrors { code field message } } }";
const LIST: &str = "query($id: ID!) { reconnectLinks(socialAccountId: $id) { id state recipientEmail usedAt usedBy { externalId name } revokedAt } }";
const REVOKE: &str = "mutation($id: ID!) { revokeReconnectLink(input: { id: $id }) { reconnectLink { state } userErrors { code } } }";

/// Makes a link as `email` for the account `external_id`; returns the payload.
async fn create(app: &TestApp, email: &str, external_id: &str, extra: Value) -> Value {
    let mut input = json!({ "socialAccountId": app.account_id(external_id).await });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    let body = app.graphql(email, CREATE, json!({ "input": input })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["createReconnectLink"].clone()
}

/// Makes a link and returns its URL and global id.
async fn made(app: &TestApp, external_id: &str, extra: Value) -> (String, String) {
    let created = create(app, ADA, external_id, extra).await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    (
        created["url"].as_str().expect("url").to_owned(),
        created["reconnectLink"]["id"]
            .as_str()
            .expect("id")
            .to_owned(),
    )
}

async fn links_of(app: &TestApp, external_id: &str) -> Value {
    let id = app.account_id(external_id).await;
    let body = app.graphql(ADA, LIST, json!({ "id": id })).await;
    body["data"]["reconnectLinks"].clone()
}

/// A browser with no dashboard token opens the link.
async fn open(app: &TestApp, url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = app.client.get(url).send().await.expect("page");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("html"))
}

/// The page's button: a same-origin POST to the link, keeping the flow cookie it sets.
async fn press(app: &TestApp, url: &str) -> reqwest::Response {
    let response = app
        .client
        .post(url)
        .header("origin", &app.address)
        .send()
        .await
        .expect("post");
    app.keep_flow_cookie(response.headers());
    response
}

/// Opens the link, presses its button, signs in at the sandbox as `identity` and follows the
/// callback; returns the callback's status and page.
async fn use_link(app: &TestApp, url: &str, identity: &str) -> (u16, String) {
    let (status, _, _) = open(app, url).await;
    assert_eq!(status, 200);
    let pressed = press(app, url).await;
    assert_eq!(pressed.status(), 303);
    let authorize = pressed.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        authorize.starts_with(&format!("{}/sandbox/", app.address)),
        "{authorize}"
    );
    let back = sign_in(app, &authorize, identity, &[], "allow").await;
    let done = app.browser_get(&back).await;
    let status = done.status().as_u16();
    (status, done.text().await.expect("result page"))
}

async fn held_posts(app: &TestApp) -> u64 {
    scheduled_posts::Entity::find()
        .filter(scheduled_posts::Column::State.eq(PostState::Held))
        .count(&app.db)
        .await
        .expect("count")
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("reconnect_link."))
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| entry.action)
        .collect()
}

#[tokio::test]
async fn a_link_reconnects_the_login_without_a_dashboard_seat_once() {
    let app = TestApp::spawn_demo().await;
    assert!(held_posts(&app).await > 0);
    let created = create(
        &app,
        ADA,
        "fb-page-northwind",
        json!({ "email": "nora@shop.example", "note": "The launch post is waiting" }),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    assert_eq!(created["emailed"], true);
    assert_eq!(created["reconnectLink"]["state"], "OPEN");
    assert_eq!(
        created["reconnectLink"]["createdBy"]["name"],
        "Ada Lovelace"
    );
    let url = created["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with(&format!("{}/connect/", app.address)),
        "{url}"
    );
    let mail = app.outbox().concat();
    assert!(
        mail.contains("nora@shop.example") && mail.contains(&url),
        "{mail}"
    );
    assert!(mail.contains("> The launch post is waiting"), "{mail}");

    // The page, with no dashboard token: whose accounts, whom to sign in as, strict headers.
    let (status, headers, html) = open(&app, &url).await;
    assert_eq!(status, 200);
    for (name, value) in [
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    let policy = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        policy.starts_with("default-src 'none'; style-src 'sha256-")
            && policy.contains("form-action 'self'")
            && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    for expected in [
        "Northwind Coffee",
        "Ada Lovelace",
        "Nora Fields",
        "Northwind Roastery",
        "The launch post is waiting",
        "<form method=\"post\">",
    ] {
        assert!(html.contains(expected), "{expected} in {html}");
    }

    let (status, html) = use_link(&app, &url, "fb-nora").await;
    assert_eq!(status, 200);
    assert!(html.contains("connected again"), "{html}");
    for page in ["fb-page-northwind", "fb-page-roastery", "fb-group-lovers"] {
        assert_eq!(health(&app, page).await, Health::Connected, "{page}");
    }
    assert_eq!(held_posts(&app).await, 0, "B4: held posts released");
    let listed = links_of(&app, "fb-page-northwind").await;
    assert_eq!(listed[0]["state"], "USED", "{listed}");
    assert_eq!(listed[0]["usedBy"]["externalId"], "fb-nora");
    assert!(listed[0]["usedAt"].is_string());
    let mail = app.outbox().concat();
    assert!(
        mail.contains("ada@northwind.example") && mail.contains("Your reconnect link was used"),
        "{mail}"
    );
    assert_eq!(
        audit_actions(&app).await,
        [
            "reconnect_link.created",
            "reconnect_link.emailed",
            "reconnect_link.used"
        ]
    );
    // The sign-in ran on Ada's authority: she is the last reconnector (R4).
    let login = social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("fb-nora"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("login");
    assert!(login.last_reconnected_by.is_some());

    // Single use: the link is gone now, for the page and for the button.
    assert_eq!(open(&app, &url).await.0, 410);
    assert_eq!(press(&app, &url).await.status(), 410);
}

#[tokio::test]
async fn the_wrong_identity_changes_nothing_and_leaves_the_link_open() {
    let app = TestApp::spawn_demo().await;
    let (url, _) = made(&app, "x-northwind", json!({})).await;
    let before = social_logins::Entity::find()
        .all(&app.db)
        .await
        .expect("logins");
    let (status, html) = use_link(&app, &url, "x-other").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Not reconnected") && html.contains("this link needs @northwind"),
        "{html}"
    );
    assert_eq!(
        social_logins::Entity::find()
            .all(&app.db)
            .await
            .expect("logins"),
        before,
        "nothing changed"
    );
    assert_eq!(links_of(&app, "x-northwind").await[0]["state"], "OPEN");
    assert_eq!(open(&app, &url).await.0, 200, "the link still works");
    // The right identity then goes through.
    let (_, html) = use_link(&app, &url, "x-northwind").await;
    assert!(html.contains("connected again"), "{html}");
    assert_eq!(links_of(&app, "x-northwind").await[0]["state"], "USED");
}

#[tokio::test]
async fn an_editor_may_not_make_a_link() {
    let app = TestApp::spawn_demo().await;
    let created = create(&app, DEV, "fb-page-northwind", json!({})).await;
    assert_eq!(created["url"], Value::Null);
    assert_eq!(created["userErrors"][0]["code"], "RECONNECT_NOT_ALLOWED");
    assert_eq!(
        reconnect_links::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        0
    );
    let id = app.account_id("fb-page-northwind").await;
    let listed = app.graphql(DEV, LIST, json!({ "id": id })).await;
    assert_eq!(crate::helpers::first_code(&listed), "FORBIDDEN", "{listed}");
}

#[tokio::test]
async fn a_revoked_link_answers_410_and_cannot_be_revoked_twice() {
    let app = TestApp::spawn_demo().await;
    let (url, id) = made(&app, "fb-page-northwind", json!({})).await;
    let body = app.graphql(ADA, REVOKE, json!({ "id": id })).await;
    assert_eq!(
        body["data"]["revokeReconnectLink"]["reconnectLink"]["state"],
        "REVOKED"
    );
    assert_eq!(open(&app, &url).await.0, 410);
    assert_eq!(press(&app, &url).await.status(), 410);
    let again = app.graphql(ADA, REVOKE, json!({ "id": id })).await;
    assert_eq!(
        again["data"]["revokeReconnectLink"]["userErrors"][0]["code"],
        "LINK_NOT_OPEN"
    );
    // An editor cannot revoke one either, and another's id reads as unknown.
    let (_, other) = made(&app, "fb-page-northwind", json!({})).await;
    let refused = app.graphql(DEV, REVOKE, json!({ "id": other })).await;
    assert_eq!(
        refused["data"]["revokeReconnectLink"]["userErrors"][0]["code"], "RECONNECT_NOT_ALLOWED",
        "{refused}"
    );
    assert!(
        audit_actions(&app)
            .await
            .contains(&"reconnect_link.revoked".to_owned())
    );
}

#[tokio::test]
async fn a_link_expires_with_the_clock_and_is_pruned_later() {
    let app = TestApp::spawn_demo().await;
    let (url, _) = made(&app, "fb-page-northwind", json!({ "expiresIn": 3600 })).await;
    app.clock.advance(Duration::minutes(59));
    assert_eq!(open(&app, &url).await.0, 200);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(open(&app, &url).await.0, 410);
    assert_eq!(
        links_of(&app, "fb-page-northwind").await[0]["state"],
        "EXPIRED"
    );
    // The default is 72 hours.
    let (default, _) = made(&app, "fb-page-northwind", json!({})).await;
    app.clock
        .advance(Duration::hours(72) - Duration::seconds(1));
    assert_eq!(open(&app, &default).await.0, 200);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(open(&app, &default).await.0, 410);
    // The pruner removes links a month after they expired.
    let now = app.clock.now();
    assert_eq!(
        relink::reconnect::links::prune(&app.db, now)
            .await
            .expect("prune"),
        0
    );
    let later = now + Duration::days(31);
    assert_eq!(
        relink::reconnect::links::prune(&app.db, later)
            .await
            .expect("prune"),
        2
    );
}

#[tokio::test]
async fn every_wrong_token_reads_alike_and_guessing_is_rate_limited() {
    let app = TestApp::spawn_demo().await;
    let (revoked, id) = made(&app, "fb-page-northwind", json!({})).await;
    app.graphql(ADA, REVOKE, json!({ "id": id })).await;
    let unknown = format!("{}/connect/{}", app.address, "A".repeat(43));
    let misshapen = format!("{}/connect/not-a-token", app.address);
    let huge = format!("{}/connect/{}", app.address, "x".repeat(4_000));
    let (_, _, first) = open(&app, &revoked).await;
    for url in [&unknown, &misshapen, &huge] {
        let (status, headers, html) = open(&app, url).await;
        assert_eq!(status, 410, "{url}");
        assert_eq!(html, first, "the same page for every case");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(!html.contains("Northwind"), "no account data");
    }
    // Four requests so far; the rest of the burst, then 429 until time passes.
    let burst = relink::reconnect::links::GUESS_BURST as usize;
    for _ in 4..burst {
        assert_eq!(open(&app, &unknown).await.0, 410);
    }
    let (status, headers, _) = open(&app, &unknown).await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("retry-after"));
    assert_eq!(press(&app, &unknown).await.status(), 429);
    app.clock.advance(Duration::seconds(5));
    assert_eq!(open(&app, &unknown).await.0, 410);
}

#[tokio::test]
async fn the_note_is_escaped_on_the_page() {
    let app = TestApp::spawn_demo().await;
    let note = "<script>alert('x')</script> & \"quotes\"";
    let (url, _) = made(&app, "fb-page-northwind", json!({ "note": note })).await;
    let (status, _, html) = open(&app, &url).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"),
        "{html}"
    );
}

#[tokio::test]
async fn a_moved_or_deleted_account_voids_its_links() {
    let app = TestApp::spawn_demo().await;
    let (moved, _) = made(&app, "fb-page-northwind", json!({})).await;
    let (deleted, _) = made(&app, "x-northwind", json!({})).await;
    let elsewhere = entity::organizations::ActiveModel {
        name: Set("Globex".to_owned()),
        created_at: Set(app.clock.now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("org");
    let account = social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq("fb-page-northwind"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("account");
    let mut row = account.into_active_model();
    row.owner_organization_id = Set(Some(elsewhere.id));
    row.update(&app.db).await.expect("move");
    assert_eq!(open(&app, &moved).await.0, 410);
    assert_eq!(press(&app, &moved).await.status(), 410);
    social_accounts::Entity::delete_many()
        .filter(social_accounts::Column::ExternalId.eq("x-northwind"))
        .exec(&app.db)
        .await
        .expect("delete");
    assert_eq!(open(&app, &deleted).await.0, 410);
}

#[tokio::test]
async fn bad_input_is_refused_with_typed_errors_and_changes_nothing() {
    let app = TestApp::spawn_demo().await;
    let long_note = "n".repeat(1_001);
    let long_email = format!("{}@example.com", "a".repeat(250));
    for (extra, code, field) in [
        (
            json!({ "email": "not an address" }),
            "INVALID_EMAIL",
            "email",
        ),
        (json!({ "email": long_email }), "INVALID_EMAIL", "email"),
        (json!({ "note": long_note }), "NOTE_INVALID", "note"),
        (json!({ "note": "bell\u{7}" }), "NOTE_INVALID", "note"),
        (
            json!({ "expiresIn": 3599 }),
            "EXPIRES_IN_OUT_OF_RANGE",
            "expiresIn",
        ),
        (
            json!({ "expiresIn": 604_801 }),
            "EXPIRES_IN_OUT_OF_RANGE",
            "expiresIn",
        ),
    ] {
        let created = create(&app, ADA, "fb-page-northwind", extra.clone()).await;
        assert_eq!(created["url"], Value::Null, "{extra}");
        assert_eq!(created["userErrors"][0]["code"], code, "{extra}");
        assert_eq!(created["userErrors"][0]["field"], json!(["input", field]));
    }
    assert_eq!(
        reconnect_links::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        0
    );
    assert!(app.outbox().is_empty(), "nothing sent");
    assert!(audit_actions(&app).await.is_empty());
}

#[tokio::test]
async fn a_cross_site_post_starts_nothing() {
    let app = TestApp::spawn_demo().await;
    let (url, _) = made(&app, "fb-page-northwind", json!({})).await;
    for (origin, site) in [
        (Some("https://evil.example"), None),
        (Some("https://evil.example"), Some("same-origin")),
        (Some("null"), None),
        (Some("null"), Some("cross-site")),
        (None, None),
    ] {
        let mut request = app.client.post(&url);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        let response = request.send().await.expect("post");
        assert_eq!(response.status(), 403, "{origin:?}");
    }
    assert_eq!(
        oauth_attempts::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn the_token_is_stored_only_as_a_hash_and_shown_only_once() {
    let app = TestApp::spawn_demo().await;
    let (url, _) = made(
        &app,
        "fb-page-northwind",
        json!({ "email": "nora@shop.example" }),
    )
    .await;
    let token = url.rsplit('/').next().expect("token").to_owned();
    assert_eq!(token.len(), 43, "256 bits, base64url");
    let row = reconnect_links::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("link");
    assert_ne!(row.token_hash, token);
    assert!(!format!("{row:?}").contains(&row.token_hash));
    let listed = links_of(&app, "fb-page-northwind").await.to_string();
    assert!(!listed.contains(&token) && !listed.contains(&row.token_hash));
    for entry in audit_log::Entity::find().all(&app.db).await.expect("audit") {
        assert!(!entry.detail.to_string().contains(&token));
    }
    let (_, _, html) = open(&app, &url).await;
    assert!(
        !html.contains(&token),
        "the page posts to itself without naming it"
    );
}

#[tokio::test]
async fn two_sign_ins_started_from_one_link_spend_it_once() {
    let app = TestApp::spawn_demo().await;
    let (url, _) = made(&app, "x-northwind", json!({})).await;
    // Two tabs press the button before either finishes: each gets its own attempt.
    let first = press(&app, &url).await;
    let first_authorize = first.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let first_cookie = app.flow_cookie.lock().expect("jar").clone();
    let second = press(&app, &url).await;
    let second_authorize = second.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let back = sign_in(&app, &second_authorize, "x-northwind", &[], "allow").await;
    let done = app.browser_get(&back).await;
    assert!(
        done.headers().get("set-cookie").is_none(),
        "a link grants no session"
    );
    assert!(done.text().await.expect("page").contains("connected again"));
    let events = crate::helpers::event_count(&app).await;
    let audit = audit_log::Entity::find()
        .count(&app.db)
        .await
        .expect("audit");
    // The first tab finishes later: the link is spent, nothing changes again.
    *app.flow_cookie.lock().expect("jar") = first_cookie;
    let back = sign_in(&app, &first_authorize, "x-northwind", &[], "allow").await;
    let late = app.browser_get(&back).await;
    let html = late.text().await.expect("page");
    assert!(html.contains("Not reconnected"), "{html}");
    assert_eq!(crate::helpers::event_count(&app).await, events);
    assert_eq!(
        audit_log::Entity::find()
            .count(&app.db)
            .await
            .expect("audit"),
        audit
    );
    let used = links_of(&app, "x-northwind").await;
    assert_eq!(used.as_array().map(Vec::len), Some(1));
    assert_eq!(used[0]["state"], "USED");
}

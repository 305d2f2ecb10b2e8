//! What Facebook pushes or decides without a sign-in: the deauthorize callback of the live app,
//! the data deletion callback (the person's tokens and identity data really deleted, a status page
//! that names no one, redeliveries answered alike, forgeries and stale requests refused), and the
//! groups Facebook discontinued, marked once at start by every replica and never brought back.

use chrono::Duration;
use entity::{
    audit_log, data_deletions,
    enums::{DisconnectReason, Health},
    social_accounts,
};
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use serde_json::{Value, json};

use super::{account, live_meta, login, reason, reconnect};
use crate::{
    fakes::facebook as graph,
    helpers::{TestApp, event_count, health},
};

/// A `signed_request` for `user_id`, signed with `secret`, issued `age` ago.
fn signed(app: &TestApp, user_id: &str, secret: &str, age: Duration) -> String {
    let payload = json!({
        "algorithm": "HMAC-SHA256",
        "user_id": user_id,
        "issued_at": (app.clock.now() - age).timestamp(),
    });
    relink_sandbox::sign_request(&payload.to_string(), secret)
}

async fn deliver(app: &TestApp, path: &str, signed_request: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/webhooks/facebook/{path}", app.address))
        .form(&[("signed_request", signed_request)])
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_live_apps_deauthorize_callback_disconnects_at_once() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let forged = signed(&app, "fb-nora", "not-the-secret", Duration::zero());
    assert_eq!(deliver(&app, "deauthorize", &forged).await.0, 401);
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
    let callback = signed(&app, "fb-nora", graph::SECRET, Duration::zero());
    let (status, body) = deliver(&app, "deauthorize", &callback).await;
    assert_eq!(
        (status, body["disconnected"].clone()),
        (200, json!(2)),
        "{body}"
    );
    for page in ["fb-page-northwind", "fb-page-roastery"] {
        assert_eq!(
            reason(&app, page).await,
            Some(DisconnectReason::AppDeauthorized)
        );
    }
}

#[tokio::test]
async fn a_data_deletion_request_deletes_the_persons_tokens_and_identity_and_says_so() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let nora = login(&app, "fb-nora").await;
    let request = signed(&app, "fb-nora", graph::SECRET, Duration::seconds(30));
    let (status, body) = deliver(&app, "data-deletion", &request).await;
    assert_eq!(status, 200, "{body}");
    let code = body["confirmation_code"].as_str().expect("code").to_owned();
    assert_eq!(body["url"], format!("{}/data-deletion/{code}", app.address));

    let scrubbed = entity::social_logins::Entity::find_by_id(nora.id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("login");
    assert!(scrubbed.access_token_enc.is_none() && scrubbed.refresh_token_enc.is_none());
    assert!(scrubbed.token_expires_at.is_none() && scrubbed.scopes.is_empty());
    assert_eq!(scrubbed.external_user_id, format!("deleted-{}", nora.id));
    assert_eq!(scrubbed.display_name, "Deleted Facebook user");
    assert_eq!(
        scrubbed.disconnect_reason,
        Some(DisconnectReason::AppDeauthorized)
    );
    for page in ["fb-page-northwind", "fb-page-roastery"] {
        let kept = account(&app, page).await;
        assert_eq!(
            kept.health,
            Health::Disconnected,
            "the organization's page stays"
        );
        assert_ne!(kept.original_login_external_id, "fb-nora");
    }
    let left = audit_log::Entity::find().all(&app.db).await.expect("audit");
    assert!(
        left.iter()
            .all(|entry| !entry.detail.to_string().contains("fb-nora")),
        "no audit entry names the person"
    );
    let left = social_accounts::Entity::find()
        .all(&app.db)
        .await
        .expect("accounts");
    assert!(
        left.iter()
            .all(|a| a.original_login_external_id != "fb-nora")
    );

    // The status page says what happened, and to no one in particular.
    let page = app
        .client
        .get(format!("{}/data-deletion/{code}", app.address))
        .send()
        .await
        .expect("status page");
    assert_eq!(page.status(), 200);
    let text = page.text().await.expect("html");
    assert!(text.contains(&code) && text.contains("Completed"), "{text}");
    assert!(
        !text.contains("fb-nora") && !text.contains("Nora"),
        "{text}"
    );
    let json = app
        .client
        .get(format!("{}/data-deletion/{code}", app.address))
        .header("accept", "application/json")
        .send()
        .await
        .expect("status")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(json["status"], "COMPLETED", "{json}");

    // Delivered again: the same answer, nothing done twice.
    let events = event_count(&app).await;
    let (status, again) = deliver(&app, "data-deletion", &request).await;
    assert_eq!(
        (status, again["confirmation_code"].clone()),
        (200, json!(code))
    );
    assert_eq!(event_count(&app).await, events);
    assert_eq!(
        data_deletions::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        1
    );
}

#[tokio::test]
async fn a_forged_or_stale_data_deletion_request_changes_nothing_and_unknown_codes_are_not_found() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let events = event_count(&app).await;
    let forged = signed(&app, "fb-nora", "not-the-secret", Duration::zero());
    assert_eq!(deliver(&app, "data-deletion", &forged).await.0, 401);
    let stale = signed(&app, "fb-nora", graph::SECRET, Duration::hours(1));
    assert_eq!(deliver(&app, "data-deletion", &stale).await.0, 400);
    assert_eq!(event_count(&app).await, events);
    assert_eq!(
        data_deletions::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        0
    );
    let nora = login(&app, "fb-nora").await;
    assert!(
        nora.access_token_enc.is_some(),
        "the tokens are still there"
    );
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
    for code in ["0123456789abcdef0123", "not-a-code", "..%2F..%2Fetc"] {
        let page = app
            .client
            .get(format!("{}/data-deletion/{code}", app.address))
            .send()
            .await
            .expect("status page");
        assert_eq!(page.status(), 404, "{code}");
    }
}

#[tokio::test]
async fn facebook_groups_are_discontinued_once_at_start_and_no_sign_in_brings_them_back() {
    let (fake, app) = live_meta().await;
    // The demo was loaded after this server started: the next start (a replica) marks the group.
    let before = event_count(&app).await;
    let replica = app.spawn_replica().await;
    assert_eq!(
        reason(&app, "fb-group-lovers").await,
        Some(DisconnectReason::NetworkDiscontinued)
    );
    assert_eq!(
        reason(&app, "fb-page-northwind").await,
        Some(DisconnectReason::PasswordChanged),
        "pages are untouched"
    );
    assert_eq!(
        event_count(&app).await,
        before + 1,
        "one event for the group"
    );
    let again = replica.spawn_replica().await;
    assert_eq!(
        event_count(&app).await,
        before + 1,
        "nothing twice, whoever starts"
    );
    drop(again);

    let body = app
        .graphql(
            "ada@northwind.example",
            "query($id: ID!) { node(id: $id) { ... on SocialAccount { disconnect { reason fix } } } }",
            json!({ "id": app.account_id("fb-group-lovers").await }),
        )
        .await;
    let fix = body["data"]["node"]["disconnect"]["fix"]
        .as_str()
        .unwrap_or_default();
    assert!(fix.contains("no longer lets apps reach"), "{body}");

    // The login comes back through the live Facebook; its group does not, and keeps its reason.
    let done = reconnect(&app, &fake, "fb-group-lovers", "fb-nora").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
    assert_eq!(health(&app, "fb-group-lovers").await, Health::Disconnected);
    assert_eq!(
        reason(&app, "fb-group-lovers").await,
        Some(DisconnectReason::NetworkDiscontinued)
    );
}

//! TikTok's `authorization.removed` webhook (issue item 4) through Relink's public route: signed
//! with the app's client secret over `t.body`, fresh by Relink's clock, for our client key, it
//! disconnects that open_id's logins once; a redelivery, a forgery, a stale or foreign delivery,
//! a late one about a login signed in since, and other events change nothing.

use chrono::Duration;
use entity::enums::{DisconnectReason, Health};
use serde_json::{Value, json};

use crate::{
    fakes::tiktok::{CLIENT_KEY, SECRET, removal, signature},
    helpers::{TestApp, event_count, health},
    live_tiktok::{connect, live_tiktok, reason, reconnect},
};

async fn deliver(app: &TestApp, body: &str, header: Option<&str>) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/webhooks/tiktok/events", app.address))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(header) = header {
        request = request.header("TikTok-Signature", header);
    }
    let response = request.send().await.expect("post");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A removal of `tt-northwind`'s authorization (reason `reason`) happening now, signed now.
fn removed_now(app: &TestApp, reason: i64) -> (String, String) {
    let now = app.clock.now().timestamp();
    let body = removal(CLIENT_KEY, "tt-northwind", reason, now);
    let header = signature(now, &body, SECRET);
    (body, header)
}

#[tokio::test]
async fn a_signed_removal_disconnects_the_identity_once_and_a_redelivery_changes_nothing() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    let before = event_count(&app).await;
    let (body, header) = removed_now(&app, 1);
    let (status, answer) = deliver(&app, &body, Some(&header)).await;
    assert_eq!(
        (status, answer["disconnected"].clone()),
        (200, json!(1)),
        "{answer}"
    );
    assert_eq!(health(&app, "tt-northwind").await, Health::Disconnected);
    assert_eq!(reason(&app).await, Some(DisconnectReason::AppDeauthorized));
    let after = event_count(&app).await;
    assert!(after > before, "the disconnect was told");

    // TikTok delivers at least once: the same delivery, and the same event signed anew.
    app.clock.advance(Duration::seconds(30));
    let (status, answer) = deliver(&app, &body, Some(&header)).await;
    assert_eq!(
        (status, answer["replayed"].clone()),
        (200, json!(true)),
        "{answer}"
    );
    let resigned = signature(app.clock.now().timestamp(), &body, SECRET);
    let (status, answer) = deliver(&app, &body, Some(&resigned)).await;
    assert_eq!(
        (status, answer["replayed"].clone()),
        (200, json!(true)),
        "{answer}"
    );
    assert_eq!(event_count(&app).await, after, "nothing more happened");
}

#[tokio::test]
async fn a_removal_for_a_deleted_or_banned_account_asks_the_person_to_act_at_tiktok() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    let (body, header) = removed_now(&app, 4);
    let (status, _) = deliver(&app, &body, Some(&header)).await;
    assert_eq!(status, 200);
    assert_eq!(reason(&app).await, Some(DisconnectReason::ActionAtNetwork));
    let shown = app
        .graphql(
            "ada@northwind.example",
            "query($id: ID!) { socialAccount(id: $id) { disconnect { reason fix } } }",
            json!({ "id": app.account_id("tt-northwind").await }),
        )
        .await;
    let fix = shown["data"]["socialAccount"]["disconnect"]["fix"]
        .as_str()
        .unwrap_or_default();
    assert!(fix.contains("sign in at TikTok itself"), "{shown}");
}

#[tokio::test]
async fn forged_stale_or_foreign_removals_change_nothing() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    let events = event_count(&app).await;
    let now = app.clock.now().timestamp();
    let body = removal(CLIENT_KEY, "tt-northwind", 1, now);
    let tampered = removal(CLIENT_KEY, "tt-northwind", 2, now);
    let foreign = removal("someone-elses-key", "tt-northwind", 1, now);
    let huge = format!("{{\"padding\": \"{}\"}}", "x".repeat(70 * 1024));
    let cases = [
        (
            "another secret",
            body.clone(),
            Some(signature(now, &body, "not-the-secret")),
            401,
        ),
        (
            "a changed body",
            tampered,
            Some(signature(now, &body, SECRET)),
            401,
        ),
        ("no signature", body.clone(), None, 400),
        (
            "not hex",
            body.clone(),
            Some(format!("t={now},s=not-hex")),
            400,
        ),
        (
            "six minutes old",
            body.clone(),
            Some(signature(now - 360, &body, SECRET)),
            400,
        ),
        (
            "from the future",
            body.clone(),
            Some(signature(now + 120, &body, SECRET)),
            400,
        ),
        (
            "another app",
            foreign.clone(),
            Some(signature(now, &foreign, SECRET)),
            403,
        ),
        (
            "not JSON",
            "nope".to_owned(),
            Some(signature(now, "nope", SECRET)),
            400,
        ),
        (
            "too large",
            huge.clone(),
            Some(signature(now, &huge, SECRET)),
            413,
        ),
    ];
    for (what, body, header, expected) in cases {
        let (status, answer) = deliver(&app, &body, header.as_deref()).await;
        assert_eq!(status, expected, "{what}: {answer}");
        assert_eq!(
            health(&app, "tt-northwind").await,
            Health::Connected,
            "{what}"
        );
    }
    assert_eq!(event_count(&app).await, events, "nothing happened");
    // Networks that send no event webhooks have no such route.
    let (status, _) = deliver(&app, &body, Some(&signature(now, &body, SECRET))).await;
    assert_eq!(status, 200, "the genuine one still applies");
    let x = app
        .client
        .post(format!("{}/webhooks/x/events", app.address))
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(x.status(), 404);
}

#[tokio::test]
async fn a_late_removal_leaves_a_login_signed_in_since_alone() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    // The removal happened five minutes in; Ada signed in again at ten; TikTok retried at eleven.
    app.clock.advance(Duration::minutes(5));
    let happened = app.clock.now().timestamp();
    app.clock.advance(Duration::minutes(5));
    let done = reconnect(&app, &fake, "tt-northwind").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    app.clock.advance(Duration::minutes(1));
    let body = removal(CLIENT_KEY, "tt-northwind", 1, happened);
    let header = signature(app.clock.now().timestamp(), &body, SECRET);
    let (status, answer) = deliver(&app, &body, Some(&header)).await;
    assert_eq!(
        (status, answer["disconnected"].clone()),
        (200, json!(0)),
        "{answer}"
    );
    assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
}

#[tokio::test]
async fn other_tiktok_events_are_acknowledged_and_ignored() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    let events = event_count(&app).await;
    let now = app.clock.now().timestamp();
    let mut body: Value =
        serde_json::from_str(&removal(CLIENT_KEY, "tt-northwind", 1, now)).expect("json");
    body["event"] = json!("video.publish.completed");
    body["content"] = json!("{\"publish_id\": \"v_pub_url~v2.123456789\"}");
    let body = body.to_string();
    let (status, answer) = deliver(&app, &body, Some(&signature(now, &body, SECRET))).await;
    assert_eq!(
        (status, answer["ignored"].clone()),
        (200, json!("video.publish.completed")),
        "{answer}"
    );
    assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
    assert_eq!(event_count(&app).await, events);
}

//! Signed deauthorize callbacks are applied once and only while fresh: a captured callback
//! replayed later cannot disconnect a login that was reconnected since.

use chrono::Duration;
use entity::enums::{Health, Network};
use serde_json::{Value, json};

use crate::helpers::{TestApp, event_count, health, reconnect_as};

/// A deauthorize callback for the X identity `x-northwind`, signed with the sandbox X app's
/// secret, issued `issued_at` (Unix seconds; none when `None`).
async fn signed(app: &TestApp, issued_at: Option<i64>) -> String {
    let (_, secret) = relink_sandbox::client_credentials(&app.db, Network::X)
        .await
        .expect("query")
        .expect("sandbox X app");
    let mut payload = json!({ "algorithm": "HMAC-SHA256", "user_id": "x-northwind" });
    if let Some(at) = issued_at {
        payload["issued_at"] = json!(at);
    }
    relink_sandbox::sign_request(&payload.to_string(), secret.expose())
}

async fn deliver(app: &TestApp, signed_request: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/webhooks/x/deauthorize", app.address))
        .form(&[("signed_request", signed_request)])
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn a_replayed_callback_does_nothing_even_after_a_reconnect() {
    let app = TestApp::spawn_demo().await;
    let captured = signed(&app, Some(app.clock.now().timestamp())).await;
    let (status, body) = deliver(&app, &captured).await;
    assert_eq!(
        (status, body["disconnected"].clone()),
        (200, json!(1)),
        "{body}"
    );
    assert_eq!(health(&app, "x-northwind").await, Health::Disconnected);
    // The owner reconnects a minute later; the captured callback arrives again.
    app.clock.advance(Duration::minutes(1));
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let events = event_count(&app).await;
    let (status, body) = deliver(&app, &captured).await;
    assert_eq!(
        status, 200,
        "a network's duplicate delivery is acknowledged"
    );
    assert_eq!(body["replayed"], true, "{body}");
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
    assert_eq!(event_count(&app).await, events, "nothing happened");
    // Ten minutes on, the same callback is simply too old.
    app.clock.advance(Duration::minutes(10));
    let (status, body) = deliver(&app, &captured).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("stale_request"))
    );
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
}

#[tokio::test]
async fn a_callback_older_than_five_minutes_or_from_the_future_changes_nothing() {
    let app = TestApp::spawn_demo().await;
    let now = app.clock.now().timestamp();
    for issued_at in [
        None,
        Some(now - 6 * 60),
        Some(now + 2 * 60),
        Some(i64::MAX),
        Some(i64::MIN),
    ] {
        let (status, body) = deliver(&app, &signed(&app, issued_at).await).await;
        assert_eq!(
            (status, body["error"].clone()),
            (400, json!("stale_request")),
            "{issued_at:?}"
        );
    }
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
    assert_eq!(event_count(&app).await, 0);
    // Within the window (and a little clock skew) it applies.
    let (status, _) = deliver(&app, &signed(&app, Some(now + 30)).await).await;
    assert_eq!(status, 200);
    assert_eq!(health(&app, "x-northwind").await, Health::Disconnected);
}

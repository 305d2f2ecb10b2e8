//! Streams (R15) and analytics gaps (B5): a disconnected account's stream offers the reconnect
//! instead of content; each disconnect records the window without analytics.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{TestApp, reconnect_as};

const STREAMS: &str = "{ streams { title kind state reconnectRequired viewerCanReconnect items { author text } socialAccount { name } } }";

async fn streams(app: &TestApp, email: &str) -> Vec<Value> {
    let body = app.graphql(email, STREAMS, json!({})).await;
    body["data"]["streams"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

fn titled<'a>(streams: &'a [Value], title: &str) -> &'a Value {
    streams
        .iter()
        .find(|stream| stream["title"] == title)
        .unwrap_or_else(|| panic!("no stream {title}: {streams:?}"))
}

#[tokio::test]
async fn r15_a_disconnected_accounts_stream_offers_the_reconnect_instead_of_content() {
    let app = TestApp::spawn_with(|config| config.no_demo = false).await;
    let ada = streams(&app, "ada@northwind.example").await;
    let page = titled(&ada, "Northwind Coffee: posts");
    assert_eq!(page["state"], "RECONNECT_REQUIRED", "{page}");
    assert_eq!(page["reconnectRequired"], true);
    assert_eq!(page["viewerCanReconnect"], true);
    assert_eq!(page["items"], Value::Null);
    // A connected account's stream shows what the network serves.
    let mentions = titled(&ada, "@northwind: mentions");
    assert_eq!(mentions["state"], "LIVE", "{mentions}");
    assert_eq!(mentions["reconnectRequired"], false);
    assert!(
        mentions["items"]
            .as_array()
            .is_some_and(|items| !items.is_empty()),
        "{mentions}"
    );
    // Dev sees the same broken stream, without the right to reconnect it.
    let dev = streams(&app, "dev@northwind.example").await;
    assert_eq!(dev.len(), 1, "only his own streams");
    assert_eq!(dev[0]["state"], "RECONNECT_REQUIRED");
    assert_eq!(dev[0]["viewerCanReconnect"], false);

    // One sign-in later the stream has content again, including what was just published.
    reconnect_as(
        &app,
        "ada@northwind.example",
        "fb-page-northwind",
        "fb-nora",
    )
    .await;
    let page = streams(&app, "dev@northwind.example").await[0].clone();
    assert_eq!(page["state"], "LIVE", "{page}");
    assert!(
        page["items"][0]["text"]
            .as_str()
            .is_some_and(|text| text.contains("Welcome"))
    );
}

#[tokio::test]
async fn b5_each_disconnect_records_the_window_without_analytics() {
    let app = TestApp::spawn_demo().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let started = app.clock.now();
    app.client
        .post(format!(
            "{}/sandbox/admin/identities/x-northwind/revoke",
            app.address
        ))
        .send()
        .await
        .expect("revoke");
    let gaps = || async {
        let body = app
            .graphql(
                "ada@northwind.example",
                "query($id: ID!) { socialAccount(id: $id) { analyticsGaps { from to } } }",
                json!({ "id": app.account_id("x-northwind").await }),
            )
            .await;
        body["data"]["socialAccount"]["analyticsGaps"].clone()
    };
    let open = gaps().await;
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    assert_eq!(open[0]["to"], Value::Null, "still open");
    app.clock.advance(Duration::hours(3));
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let closed = gaps().await;
    let from: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(closed[0]["from"].clone()).expect("from");
    let to: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(closed[0]["to"].clone()).expect("to");
    assert_eq!(from, started);
    assert_eq!(to - from, Duration::hours(3));
}

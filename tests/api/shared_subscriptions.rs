//! Sockets of one sign-in that ask for the same live subscription share one execution (each value
//! resolved and serialized once), over real WebSocket clients: every socket still gets every
//! value it may see, and nothing it may not; a late socket gets the current status first; a
//! completed or closed socket lets go of it.

use futures_util::SinkExt as _;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    helpers::TestApp,
    live::{DISCONNECT, data, subscribe},
    subscriptions::{Socket, next},
};

const EVENTS: &str = "subscription($after: ID) { socialAccountEvents(after: $after) { id kind socialAccount { name } } }";

const STATUS: &str = "subscription { reconnectStatus { bannerVisible badgeCount } }";

/// Waits (bounded) until the shared subscriptions running are `count`: a closed socket is noticed
/// by the server a moment after the client closes it.
async fn running_becomes(app: &TestApp, count: f64) {
    let wait = async {
        while app.metric("relink_subscriptions_shared").await != count {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("shared subscriptions never became {count}"));
}

fn name(event: &Value) -> String {
    event["socialAccountEvents"]["socialAccount"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn sockets_of_one_sign_in_share_one_subscription_and_each_gets_what_it_may_see() {
    let app = TestApp::spawn_demo().await;
    // Three tabs of Ada (the dashboard subscribes with `after: null`), one of Dev.
    let mut ada = Vec::new();
    for _ in 0..3 {
        ada.push(
            subscribe(
                &app,
                "ada@northwind.example",
                EVENTS,
                json!({ "after": null }),
            )
            .await,
        );
    }
    let mut dev = subscribe(&app, "dev@northwind.example", EVENTS, json!({})).await;
    running_becomes(&app, 2.0).await;

    // Dev cannot see the LinkedIn company page; he sees the X profile.
    let company = app.account_id("li-company-northwind").await;
    let x = app.account_id("x-northwind").await;
    app.graphql(
        "ben@northwind.example",
        DISCONNECT,
        json!({ "id": company }),
    )
    .await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    for socket in &mut ada {
        let first = data(socket).await;
        let second = data(socket).await;
        assert_eq!(name(&first), "Northwind Coffee", "{first}");
        assert_eq!(name(&second), "@northwind", "{second}");
        assert_ne!(
            first["socialAccountEvents"]["id"],
            second["socialAccountEvents"]["id"]
        );
    }
    // The company page's event never reached Dev: his first is the X profile's.
    let first = data(&mut dev).await;
    assert_eq!(name(&first), "@northwind", "{first}");

    // Two tabs close: the subscription runs on for the third, which still gets every event.
    for mut socket in ada.drain(..2) {
        socket.close(None).await.expect("close");
    }
    let answer = app
        .graphql(
            "ada@northwind.example",
            DISCONNECT,
            json!({ "id": app.account_id("li-ada").await }),
        )
        .await;
    assert_eq!(
        answer["data"]["disconnectSocialAccount"]["userErrors"],
        json!([]),
        "{answer}"
    );
    let third = data(&mut ada[0]).await;
    assert_eq!(
        third["socialAccountEvents"]["kind"], "DISCONNECTED",
        "{third}"
    );
    running_becomes(&app, 2.0).await;
    // The last of Ada's tabs closes: hers stops; Dev's runs on.
    let mut last = ada.remove(0);
    last.close(None).await.expect("close");
    running_becomes(&app, 1.0).await;
    drop(dev);
    running_becomes(&app, 0.0).await;
}

#[tokio::test]
async fn a_socket_joining_a_running_status_gets_the_current_value_first() {
    let app = TestApp::spawn_demo().await;
    let mut first = subscribe(&app, "dev@northwind.example", STATUS, json!({})).await;
    assert_eq!(
        data(&mut first).await["reconnectStatus"],
        json!({ "bannerVisible": true, "badgeCount": 2 })
    );
    let x = app.account_id("x-northwind").await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    assert_eq!(
        data(&mut first).await["reconnectStatus"],
        json!({ "bannerVisible": true, "badgeCount": 3 })
    );
    // A second tab joins the running subscription: its first value is the current one.
    let mut second = subscribe(&app, "dev@northwind.example", STATUS, json!({})).await;
    assert_eq!(
        data(&mut second).await["reconnectStatus"],
        json!({ "bannerVisible": true, "badgeCount": 3 })
    );
    running_becomes(&app, 1.0).await;
    // Another person's status is their own, never shared with Dev's.
    let mut ada = subscribe(&app, "ada@northwind.example", STATUS, json!({})).await;
    let hers = data(&mut ada).await["reconnectStatus"].clone();
    running_becomes(&app, 2.0).await;
    assert_eq!(hers["bannerVisible"], true, "{hers}");
}

#[tokio::test]
async fn completing_a_shared_subscription_answers_complete_and_stops_it() {
    let app = TestApp::spawn_demo().await;
    let mut socket: Socket = subscribe(&app, "ada@northwind.example", EVENTS, json!({})).await;
    running_becomes(&app, 1.0).await;
    socket
        .send(Message::Text(
            json!({ "id": "1", "type": "complete" }).to_string().into(),
        ))
        .await
        .expect("complete");
    let answer = next(&mut socket).await.expect("an answer");
    assert_eq!(answer, json!({ "type": "complete", "id": "1" }));
    running_becomes(&app, 0.0).await;
    // The id is free again: the same id subscribes anew and gets events.
    let start = json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS } });
    socket
        .send(Message::Text(start.to_string().into()))
        .await
        .expect("subscribe");
    running_becomes(&app, 1.0).await;
    let x = app.account_id("x-northwind").await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    assert_eq!(name(&data(&mut socket).await), "@northwind");
}

#[tokio::test]
async fn a_resume_runs_alone_and_replays_its_own_history() {
    let app = TestApp::spawn_demo().await;
    let mut live = subscribe(&app, "ada@northwind.example", EVENTS, json!({})).await;
    running_becomes(&app, 1.0).await;
    let x = app.account_id("x-northwind").await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    let event = data(&mut live).await;
    // The same document resuming from the start is not shared: it gets the history.
    let mut resumed = subscribe(
        &app,
        "ada@northwind.example",
        EVENTS,
        json!({ "after": "0" }),
    )
    .await;
    // Its history holds the event the live socket saw (after what the demo's seed wrote).
    let id = event["socialAccountEvents"]["id"].clone();
    let mut replayed = Vec::new();
    while !replayed.contains(&id) {
        assert!(replayed.len() < 100, "the event never came: {replayed:?}");
        replayed.push(data(&mut resumed).await["socialAccountEvents"]["id"].clone());
    }
    assert_eq!(app.metric("relink_subscriptions_shared").await, 1.0);
}

//! Sockets of one sign-in that ask for the same live subscription share one execution (each value
//! resolved and serialized once), over real WebSocket clients: every socket still gets every
//! value it may see, and nothing it may not; a late socket gets the current status first; a
//! completed or closed socket lets go of it.

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use relink::{
    graphql::ids::{self, Kind},
    http::socket::{Item, SharedSubscriptions, shareable},
};

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
async fn every_viewer_shares_one_subscription_and_each_gets_only_what_it_may_see() {
    let app = TestApp::spawn_demo().await;
    // Three tabs of Ada (the dashboard subscribes with `after: null`), one of Dev: one execution.
    let from_now = json!({ "after": null });
    let mut ada = Vec::new();
    for _ in 0..3 {
        ada.push(subscribe(&app, "ada@northwind.example", EVENTS, from_now.clone()).await);
    }
    let mut dev = subscribe(&app, "dev@northwind.example", EVENTS, from_now.clone()).await;
    running_becomes(&app, 1.0).await;

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

    // Two tabs close: the subscription runs on, and the third still gets every event.
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
    // Ada's last tab closes: it runs on for Dev alone, then stops with him.
    let mut last = ada.remove(0);
    last.close(None).await.expect("close");
    running_becomes(&app, 1.0).await;
    drop(dev);
    running_becomes(&app, 0.0).await;
}

#[tokio::test]
async fn a_selection_that_depends_on_the_viewer_is_shared_by_one_sign_in_only() {
    let app = TestApp::spawn_demo().await;
    let query =
        "subscription { socialAccountEvents { kind socialAccount { name viewerCanReconnect } } }";
    let mut ada = subscribe(&app, "ada@northwind.example", query, json!({})).await;
    let mut dev = subscribe(&app, "dev@northwind.example", query, json!({})).await;
    running_becomes(&app, 2.0).await;
    let x = app.account_id("x-northwind").await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    // Each sees what they themselves may do.
    let hers = data(&mut ada).await["socialAccountEvents"]["socialAccount"].clone();
    let his = data(&mut dev).await["socialAccountEvents"]["socialAccount"].clone();
    assert_eq!(
        hers,
        json!({ "name": "@northwind", "viewerCanReconnect": true })
    );
    assert_eq!(
        his,
        json!({ "name": "@northwind", "viewerCanReconnect": false })
    );
}

#[tokio::test]
async fn a_socket_the_field_refuses_gets_its_error_and_joins_nothing() {
    let app = TestApp::spawn_demo().await;
    let other = crate::access::globex(&app).await;
    let (_, globex) = other
        .ids
        .iter()
        .find(|(kind, _)| *kind == Kind::Organization)
        .copied()
        .expect("globex");
    let org = ids::encode(Kind::Organization, globex).0;
    let query = "subscription($org: ID) { socialAccountEvents(organizationId: $org) { id } }";
    let mut dev = subscribe(&app, "dev@northwind.example", query, json!({ "org": org })).await;
    let answer = next(&mut dev).await.expect("an answer");
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(answer["payload"]["data"], Value::Null, "{answer}");
    assert!(
        answer["payload"]["errors"][0]["extensions"]["code"].is_string(),
        "{answer}"
    );
    assert_eq!(
        next(&mut dev).await.expect("the end"),
        json!({ "type": "complete", "id": "1" })
    );
    assert_eq!(app.metric("relink_subscriptions_shared").await, 0.0);
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

#[tokio::test]
async fn a_subscription_shared_by_every_viewer_catches_up_with_each_events_own_audience() {
    let app = TestApp::spawn_demo().await;
    let newest = relink::events::repo::newest_id(&app.db)
        .await
        .expect("newest");
    let company = app.account_id("li-company-northwind").await;
    let x = app.account_id("x-northwind").await;
    for id in [&company, &x] {
        app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": id }))
            .await;
    }
    let user = |email: &'static str| {
        let db = app.db.clone();
        async move {
            relink::people::repo::user_by_email(&db, email)
                .await
                .expect("query")
                .expect("user")
                .id
        }
    };
    let (ada, dev) = (
        user("ada@northwind.example").await,
        user("dev@northwind.example").await,
    );
    // What a shared subscription reads after falling behind the relay: every event, each with
    // who may see it now, for its sockets to check.
    let page = relink::events::catch_up_all(&app.db, None, newest)
        .await
        .expect("page");
    let audience_of = |id: &str| {
        let id = ids::decode_as(Kind::SocialAccount, id).expect("id");
        page.iter()
            .find(|published| published.event.social_account_id == Some(id))
            .map(|published| published.audience.clone())
            .expect("its event")
    };
    let (of_company, of_x) = (audience_of(&company), audience_of(&x));
    assert!(of_company.contains(&ada) && !of_company.contains(&dev));
    assert!(of_x.contains(&ada) && of_x.contains(&dev));
}

#[tokio::test]
async fn joining_a_running_subscription_still_pays_for_its_subscribe() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit = 40;
        config.rate_limit_refill = 1;
        config.ws_max_subscriptions = 100;
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    // One tab runs the status; a second socket subscribes to the same again and again.
    let mut first = subscribe(&app, "dev@northwind.example", STATUS, json!({})).await;
    data(&mut first).await;
    let mut second = subscribe(&app, "dev@northwind.example", STATUS, json!({})).await;
    data(&mut second).await;
    let mut refused = None;
    for id in 2..100 {
        let start =
            json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": STATUS } });
        second
            .send(Message::Text(start.to_string().into()))
            .await
            .expect("subscribe");
        let answer = next(&mut second).await.expect("an answer");
        let code = answer["payload"]["errors"][0]["extensions"]["code"].clone();
        if code == "RATE_LIMITED" {
            refused = Some(answer);
            break;
        }
        assert_eq!(
            answer["payload"]["data"]["reconnectStatus"]["bannerVisible"], true,
            "{answer}"
        );
    }
    let refused = refused.expect("the bucket ran out: every subscribe is charged");
    let id = refused["id"].clone();
    assert_eq!(
        next(&mut second).await.expect("the end"),
        json!({ "type": "complete", "id": id })
    );
    // The running subscription is untouched: still one, serving both sockets.
    assert_eq!(app.metric("relink_subscriptions_shared").await, 1.0);
}

/// The data of a shared subscription's next value.
async fn value(stream: &mut futures_util::stream::BoxStream<'static, Item>) -> Value {
    let next = tokio::time::timeout(std::time::Duration::from_secs(30), stream.next())
        .await
        .expect("a value within 30 s");
    match next {
        Some(Item::Next(frame)) => {
            serde_json::from_str::<Value>(&frame.payload).expect("json")["data"].clone()
        }
        _ => panic!("the subscription ended"),
    }
}

/// A subscription from now takes every event after the newest one when its subscribe arrived,
/// however long its checks take before it starts: joining a shared subscription that sent an
/// event in the meantime, it gets that event (kept for it); asked before the shared one started,
/// it runs on its own from its own start; run alone, it reads the event from the table.
#[tokio::test]
async fn a_subscription_from_now_gets_every_event_after_its_subscribe_arrived_however_late_it_starts()
 {
    let app = TestApp::spawn_demo().await;
    let schema = relink::graphql::build_schema(app.context.clone());
    let shared = SharedSubscriptions::default();
    let meters = &app.context.meters;
    let token = app.token_for("ada@northwind.example").await;
    let claims = app.keys.verify(&token, app.clock.now()).expect("claims");
    let request = || async_graphql::Request::new(EVENTS);
    let sharing = shareable(&request()).expect("shared");
    let newest = || app.context.bus.newest(&app.db);
    let disconnect = async |external_id: &str| {
        let id = app.account_id(external_id).await;
        app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": id }))
            .await;
    };

    // An early subscribe arrives; the company page goes down; then the first socket starts the
    // shared subscription.
    let early = newest().await;
    disconnect("li-company-northwind").await;
    let mut first = shared
        .join(
            &schema,
            meters,
            &claims,
            &request(),
            sharing,
            Some(newest().await),
        )
        .await
        .expect("joined");
    // A late subscribe arrives; the X profile goes down and the shared one sends it.
    let late = newest().await;
    disconnect("x-northwind").await;
    assert_eq!(name(&value(&mut first).await), "@northwind");

    // The late socket, its checks done only now, still gets the X profile's event.
    let mut joined = shared
        .join(&schema, meters, &claims, &request(), sharing, Some(late))
        .await
        .expect("joined");
    assert_eq!(name(&value(&mut joined).await), "@northwind");
    // The early one asked before the shared one started: its own run, from its own start.
    let mut own = shared
        .join(&schema, meters, &claims, &request(), sharing, Some(early))
        .await
        .expect("joined");
    assert_eq!(name(&value(&mut own).await), "Northwind Coffee");
    assert_eq!(name(&value(&mut own).await), "@northwind");
    assert_eq!(shared.running(), 1, "the own run is not shared");

    // Run alone (as the GraphQL session runs what is not shared), from the early start too.
    let auth = relink::graphql::context::RequestAuth::signed_in(claims.clone());
    let mut alone = schema.execute_stream(
        request()
            .data(auth)
            .data(relink::graphql::live::EventsAfter(early)),
    );
    for expected in ["Northwind Coffee", "@northwind"] {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(30), alone.next())
            .await
            .expect("an answer within 30 s")
            .expect("an answer");
        let data = answer.data.into_json().expect("json");
        assert_eq!(name(&data), expected, "{:?}", answer.errors);
    }
}

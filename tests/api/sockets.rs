//! The subscription transport around GraphQL (the README's Security section): protocol close codes,
//! the token's expiry, caps, keep-alive and the drain on shutdown — with real WebSocket clients.

use chrono::Duration;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    helpers::TestApp,
    live::{DISCONNECT, data, subscribe},
    subscriptions::{Socket, connect, next},
};

const BANNER: &str = "subscription { reconnectStatus { badgeCount } }";

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

async fn init(socket: &mut Socket, token: &str) -> Result<Value, Option<u16>> {
    send(
        socket,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }),
    )
    .await;
    next(socket).await
}

async fn start(socket: &mut Socket, id: &str) {
    send(
        socket,
        json!({ "id": id, "type": "subscribe", "payload": { "query": BANNER } }),
    )
    .await;
}

/// The next text message or close code, skipping pings and pongs of the GraphQL protocol.
async fn next_text(socket: &mut Socket) -> Result<Value, Option<u16>> {
    loop {
        let message = next(socket).await?;
        if !matches!(message["type"].as_str(), Some("ping" | "pong")) {
            return Ok(message);
        }
    }
}

#[tokio::test]
async fn protocol_violations_close_with_the_graphql_transport_ws_codes() {
    let app = TestApp::spawn_demo().await;
    // A refused token: 4403.
    let mut socket = connect(&app).await;
    assert_eq!(
        init(&mut socket, "forged.token.here").await,
        Err(Some(4403))
    );

    // Subscribe before connection_init: 4401.
    let mut socket = connect(&app).await;
    start(&mut socket, "1").await;
    assert_eq!(next(&mut socket).await, Err(Some(4401)));

    // A second subscribe with an id that is running: 4409.
    let token = app.token_for("ada@northwind.example").await;
    let mut socket = connect(&app).await;
    assert_eq!(
        init(&mut socket, &token).await.expect("ack")["type"],
        "connection_ack"
    );
    start(&mut socket, "1").await;
    assert_eq!(
        next_text(&mut socket).await.expect("first value")["type"],
        "next"
    );
    start(&mut socket, "1").await;
    assert_eq!(next_text(&mut socket).await, Err(Some(4409)));

    // Not a protocol message: 4400.
    let mut socket = connect(&app).await;
    send(&mut socket, json!({ "type": "nonsense" })).await;
    assert_eq!(next(&mut socket).await, Err(Some(4400)));
}

#[tokio::test]
async fn the_socket_closes_when_the_dashboard_token_expires() {
    let app = TestApp::spawn_demo().await;
    let token = app
        .keys
        .issue(
            &relink::people::repo::user_by_email(&app.db, "dev@northwind.example")
                .await
                .expect("query")
                .expect("dev")
                .external_subject,
            app.clock.now(),
            Duration::minutes(5),
        )
        .expect("token");
    let mut socket = connect(&app).await;
    assert_eq!(
        init(&mut socket, &token).await.expect("ack")["type"],
        "connection_ack"
    );
    start(&mut socket, "1").await;
    assert_eq!(next_text(&mut socket).await.expect("value")["type"], "next");

    // The token runs out; the next change is not delivered: the socket closes with 4403 instead.
    app.clock.advance(Duration::minutes(6));
    let x = app.account_id("x-northwind").await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    assert_eq!(next_text(&mut socket).await, Err(Some(4403)));
}

#[tokio::test]
async fn an_idle_socket_closes_when_its_token_expires_at_the_next_keepalive() {
    let app = TestApp::spawn_with(|config| {
        config.ws_keepalive = std::time::Duration::from_millis(200);
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let mut socket = subscribe(&app, "dev@northwind.example", BANNER, json!({})).await;
    data(&mut socket).await;
    app.clock.advance(Duration::hours(13)); // token_for issues 12 h
    assert_eq!(next_text(&mut socket).await, Err(Some(4403)));
}

#[tokio::test]
async fn a_socket_runs_at_most_the_configured_number_of_subscriptions() {
    let app = TestApp::spawn_with(|config| config.ws_max_subscriptions = 2).await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let token = app.token_for("ada@northwind.example").await;
    let mut socket = connect(&app).await;
    init(&mut socket, &token).await.expect("ack");
    for id in ["1", "2"] {
        start(&mut socket, id).await;
        assert_eq!(next_text(&mut socket).await.expect("value")["id"], id);
    }
    start(&mut socket, "3").await;
    let refused = next_text(&mut socket).await.expect("error");
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["id"], "3");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );
    // Completing one frees its place.
    send(&mut socket, json!({ "id": "1", "type": "complete" })).await;
    start(&mut socket, "3").await;
    // "complete" for 1 may come first; then the new subscription's first value.
    let mut message = next_text(&mut socket).await.expect("message");
    while message["type"] != "next" {
        message = next_text(&mut socket).await.expect("message");
    }
    assert_eq!(message["id"], "3");
}

#[tokio::test]
async fn a_user_holds_at_most_the_configured_number_of_sockets() {
    let app = TestApp::spawn_with(|config| config.ws_max_sockets_per_user = 2).await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let token = app.token_for("ada@northwind.example").await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut socket = connect(&app).await;
        init(&mut socket, &token).await.expect("ack");
        open.push(socket);
    }
    let mut third = connect(&app).await;
    assert_eq!(init(&mut third, &token).await, Err(Some(4429)));
    // Another user is not affected.
    let other = app.token_for("ben@northwind.example").await;
    let mut socket = connect(&app).await;
    assert_eq!(
        init(&mut socket, &other).await.expect("ack")["type"],
        "connection_ack"
    );
    // Closing one of ada's sockets gives its place back once the server has seen the close.
    let mut closed = open.pop().expect("socket");
    closed.close(None).await.expect("close");
    while closed.next().await.is_some() {}
    let mut again = connect(&app).await;
    let mut answer = init(&mut again, &token).await;
    for _ in 0..100 {
        if answer.is_ok() {
            break;
        }
        tokio::task::yield_now().await;
        again = connect(&app).await;
        answer = init(&mut again, &token).await;
    }
    assert_eq!(answer.expect("ack")["type"], "connection_ack");
}

#[tokio::test]
async fn the_server_pings_and_drops_a_client_that_stops_answering() {
    let app = TestApp::spawn_with(|config| {
        config.ws_keepalive = std::time::Duration::from_millis(200);
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    // A client that reads answers the pings (tungstenite does, as browsers do) and stays.
    let mut reading = subscribe(&app, "ada@northwind.example", BANNER, json!({})).await;
    let before = data(&mut reading).await["reconnectStatus"]["badgeCount"]
        .as_i64()
        .expect("count");
    let mut pings = 0;
    while pings < 5 {
        match reading.next().await.expect("frame").expect("ok") {
            Message::Ping(_) => pings += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    // A client that never reads never answers: the server drops it; the reading one stays.
    let silent = subscribe(&app, "dev@northwind.example", BANNER, json!({})).await;
    let sockets = || async { app.metric("relink_subscription_sockets").await as i64 };
    assert_eq!(sockets().await, 2);
    while sockets().await > 1 {
        // Keep answering on the reading socket while the silent one times out.
        let _ = reading.next().await;
    }
    drop(silent);
    let x = app.account_id("x-northwind").await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    assert_eq!(
        data(&mut reading).await["reconnectStatus"]["badgeCount"],
        before + 1
    );
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_going_away() {
    let mut app = TestApp::spawn_demo().await;
    let mut socket = subscribe(&app, "ada@northwind.example", BANNER, json!({})).await;
    data(&mut socket).await;
    app.stop();
    assert_eq!(next_text(&mut socket).await, Err(Some(1001)));
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_instead_of_buffered_for() {
    let app = TestApp::spawn_with(|config| {
        // Long enough that a loaded machine's slow loop below never looks like a silent peer
        // (that drop is another path), short enough that a blocked write is dropped quickly.
        config.ws_keepalive = std::time::Duration::from_secs(1);
        config.ws_max_subscriptions = 100;
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    // A client with a tiny receive window that subscribes a hundred times and never reads again.
    let address: std::net::SocketAddr = app
        .address
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small window");
    let stream = socket.connect(address).await.expect("connect");
    let request = crate::subscriptions::upgrade_request(&app);
    let (reader, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .expect("upgrade");
    let mut reader = Socket::from(reader);
    // A token for a year: the loop below moves the clock an hour per event.
    let dev = relink::people::repo::user_by_email(&app.db, "dev@northwind.example")
        .await
        .expect("query")
        .expect("dev");
    let token = app
        .keys
        .issue(
            &dev.external_subject,
            app.clock.now(),
            chrono::Duration::days(365),
        )
        .expect("token");
    init(&mut reader, &token).await.expect("ack");
    for id in 0..100 {
        send(
            &mut reader,
            json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": "subscription { socialAccountEvents { id kind socialAccount { id name network kind health disconnect { reason since fix } lastReconnectedBy { name email } } } }" } }),
        )
        .await;
    }
    let dropped = || async {
        app.metric("relink_subscription_slow_readers_dropped_total")
            .await as u64
    };
    // Events pile up for it (each asks the people who may reconnect, and tells every subscriber).
    let page = app.account_id("fb-page-northwind").await;
    let mut events = 0;
    while dropped().await == 0 {
        // It keeps talking (so it is not a silent, dead peer), it just never reads.
        let _ = reader
            .send(Message::Text(json!({ "type": "ping" }).to_string().into()))
            .await;
        // One request per person and account an hour.
        app.clock.advance(chrono::Duration::minutes(61));
        app.graphql(
            "dev@northwind.example",
            "mutation($id: ID!) { requestReconnect(input: { socialAccountId: $id }) { asked { name } } }",
            json!({ "id": page }),
        )
        .await;
        events += 1;
        if events == 2_000 {
            // A starved machine may still be writing the backlog: the drop must come within
            // its two keep-alive intervals once the writes block, well inside ten seconds.
            let drop = async {
                while dropped().await == 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            };
            assert!(
                tokio::time::timeout(std::time::Duration::from_secs(10), drop)
                    .await
                    .is_ok(),
                "the server kept buffering for a client that does not read"
            );
        }
    }
    // The socket is gone; the server holds nothing for it.
    assert_eq!(app.metric("relink_subscription_sockets").await, 0.0);
}

#[tokio::test]
async fn messages_up_to_64_kib_are_read_and_larger_ones_close_the_socket() {
    let app = TestApp::spawn_demo().await;
    let token = app.token_for("ada@northwind.example").await;
    // 40 KiB passes through the 4 KiB read buffer: a query padded with a long comment.
    let mut socket = connect(&app).await;
    init(&mut socket, &token).await.expect("ack");
    let padded = format!("#{}\n{BANNER}", "x".repeat(40 * 1024));
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": padded } }),
    )
    .await;
    assert_eq!(next_text(&mut socket).await.expect("value")["type"], "next");
    // Over 64 KiB: refused at the transport (1009, message too big).
    let mut socket = connect(&app).await;
    init(&mut socket, &token).await.expect("ack");
    let huge = format!("#{}\n{BANNER}", "x".repeat(70 * 1024));
    let _ = socket
        .send(Message::Text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": huge } })
                .to_string()
                .into(),
        ))
        .await;
    let answer = next_text(&mut socket).await;
    assert_eq!(answer, Err(Some(1009)));
}

//! Anonymous traffic has limits too: its requests draw on a bucket per client IP (behind trusted
//! proxies only, `X-Forwarded-For` names the client), sockets that have not signed in are capped
//! per IP, and `connection_init` has a timer of its own.

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    helpers::TestApp,
    subscriptions::{connect, next},
};

async fn anonymous(app: &TestApp, body: Value, forwarded_for: Option<&str>) -> u16 {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body);
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.expect("request").status().as_u16()
}

fn typename() -> Value {
    json!({ "query": "{ __typename }" })
}

#[tokio::test]
async fn anonymous_requests_draw_on_a_bucket_per_client_ip() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit = 20;
        config.rate_limit_refill = 1;
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let mut served = 0;
    while anonymous(&app, typename(), None).await == 200 {
        served += 1;
        assert!(served <= 20, "the bucket never ran dry");
    }
    assert_eq!(served, 20);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&typename())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    // A client that is not a trusted proxy cannot pick another bucket with a header.
    assert_eq!(anonymous(&app, typename(), Some("203.0.113.7")).await, 429);
    // Garbage costs a point as well: an empty bucket refuses it too.
    assert_eq!(anonymous(&app, json!({ "query": "{" }), None).await, 429);
    // A signed-in user has a bucket of their own.
    let body = app
        .graphql("ada@northwind.example", "{ __typename }", json!({}))
        .await;
    assert_eq!(body["data"]["__typename"], "Query");
    // A second later one point is back.
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(anonymous(&app, typename(), None).await, 200);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit = 5;
        config.rate_limit_refill = 1;
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await;
    for _ in 0..5 {
        assert_eq!(anonymous(&app, typename(), Some("203.0.113.1")).await, 200);
    }
    assert_eq!(anonymous(&app, typename(), Some("203.0.113.1")).await, 429);
    // A client that adds its own fake hop still lands on the address the proxy saw.
    assert_eq!(
        anonymous(&app, typename(), Some("198.51.100.9, 203.0.113.1")).await,
        429
    );
    assert_eq!(anonymous(&app, typename(), Some("203.0.113.2")).await, 200);
}

#[tokio::test]
async fn sockets_that_have_not_signed_in_are_capped_per_client() {
    let app = TestApp::spawn_with(|config| {
        config.ws_max_anonymous_sockets = 3;
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let mut waiting = Vec::new();
    for _ in 0..3 {
        waiting.push(connect(&app).await);
    }
    let refused = upgrade(&app).await;
    assert_eq!(refused, Err(429), "a fourth silent socket from one client");
    // One signs in: its slot among the silent ones is free again.
    let token = app.token_for("ada@northwind.example").await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    use futures_util::SinkExt as _;
    waiting[0]
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("init");
    assert_eq!(
        next(&mut waiting[0]).await.expect("ack")["type"],
        "connection_ack"
    );
    assert_eq!(upgrade(&app).await, Ok(()));
}

/// Opens a socket; the HTTP status when the upgrade is refused.
async fn upgrade(app: &TestApp) -> Result<(), u16> {
    match tokio_tungstenite::connect_async(crate::subscriptions::upgrade_request(app)).await {
        Ok((socket, _)) => {
            drop(socket);
            Ok(())
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(error) => panic!("{error}"),
    }
}

#[tokio::test]
async fn connection_init_has_its_own_timer_whatever_the_keep_alive() {
    let app = TestApp::spawn_with(|config| {
        config.ws_keepalive = std::time::Duration::from_secs(600);
        config.ws_init_timeout = std::time::Duration::from_millis(200);
    })
    .await;
    let mut socket = connect(&app).await;
    // No connection_init: the socket is closed with 4408, long before any keep-alive tick.
    assert_eq!(next(&mut socket).await, Err(Some(4408)));
}

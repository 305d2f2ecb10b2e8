//! The WebSocket endpoint is wired for subscriptions: the `connection_init` payload must carry a
//! valid dashboard token (graphql-transport-ws), never the URL.

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest as _};

use crate::helpers::TestApp;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A client socket, with the messages that came while it waited for a `pong` (see
/// [`Socket::synced`]) kept for [`next`].
pub(crate) struct Socket {
    stream: Stream,
    early: std::collections::VecDeque<Value>,
}

impl std::ops::Deref for Socket {
    type Target = Stream;

    fn deref(&self) -> &Stream {
        &self.stream
    }
}

impl std::ops::DerefMut for Socket {
    fn deref_mut(&mut self) -> &mut Stream {
        &mut self.stream
    }
}

impl From<Stream> for Socket {
    fn from(stream: Stream) -> Self {
        Self {
            stream,
            early: Default::default(),
        }
    }
}

impl Socket {
    /// Sends a `ping` and waits for its `pong`: the server has then read every message sent
    /// before, so a subscription from now takes every event that happens after this returns.
    /// Messages that come first are kept for [`next`].
    pub(crate) async fn synced(&mut self) {
        let ping = json!({ "type": "ping" }).to_string();
        self.stream
            .send(Message::Text(ping.into()))
            .await
            .expect("ping");
        let wait = async {
            loop {
                let message = read(&mut self.stream).await.expect("pong");
                if message["type"] == "pong" {
                    return;
                }
                self.early.push_back(message);
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), wait)
            .await
            .expect("a `pong` within 30 s");
    }
}

/// The upgrade request of a `graphql-transport-ws` socket to `app`.
pub(crate) fn upgrade_request(
    app: &TestApp,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let url = app.address.replace("http://", "ws://") + "/graphql";
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    request
}

pub(crate) async fn connect(app: &TestApp) -> Socket {
    let (socket, response) = tokio_tungstenite::connect_async(upgrade_request(app))
        .await
        .expect("upgrade");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws")
    );
    socket.into()
}

/// The next text message, or the close code.
pub(crate) async fn next(socket: &mut Socket) -> Result<Value, Option<u16>> {
    match socket.early.pop_front() {
        Some(message) => Ok(message),
        None => read(&mut socket.stream).await,
    }
}

/// The next text message on the wire, or the close code.
async fn read(socket: &mut Stream) -> Result<Value, Option<u16>> {
    while let Some(message) = socket.next().await {
        match message {
            Ok(Message::Text(text)) => return Ok(serde_json::from_str(&text).expect("json")),
            Ok(Message::Close(frame)) => return Err(frame.map(|f| u16::from(f.code))),
            Ok(_) => {}
            Err(_) => return Err(None),
        }
    }
    Err(None)
}

#[tokio::test]
async fn connection_init_with_a_valid_token_is_acknowledged() {
    let app = TestApp::spawn_demo().await;
    let token = app.token_for("dev@northwind.example").await;
    let mut socket = connect(&app).await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("send");
    assert_eq!(
        next(&mut socket).await.expect("ack")["type"],
        "connection_ack"
    );
}

#[tokio::test]
async fn connection_init_without_or_with_a_bad_token_closes_the_socket() {
    let app = TestApp::spawn_demo().await;
    for payload in [
        json!({}),
        json!({ "Authorization": "Bearer forged.token.here" }),
    ] {
        let mut socket = connect(&app).await;
        let init = json!({ "type": "connection_init", "payload": payload });
        socket
            .send(Message::Text(init.to_string().into()))
            .await
            .expect("send");
        let answer = next(&mut socket).await;
        // graphql-transport-ws: a refused connection_init closes with 4403 Forbidden.
        assert_eq!(answer, Err(Some(4403)), "payload {payload}");
    }
}

#[tokio::test]
async fn an_upgrade_without_a_graphql_subprotocol_is_refused() {
    let app = TestApp::spawn().await;
    let url = app.address.replace("http://", "ws://") + "/graphql";
    let result = tokio_tungstenite::connect_async(url).await;
    assert!(result.is_err(), "no subprotocol, no socket");
}

#[tokio::test]
async fn a_socket_from_a_foreign_origin_is_refused_with_403() {
    let app = TestApp::spawn_with(|config| {
        config.allowed_origins = vec!["https://dashboard.example".to_owned()]
    })
    .await;
    let open = |origin: String| {
        let url = app.address.replace("http://", "ws://") + "/graphql";
        async move {
            let mut request = url.into_client_request().expect("request");
            request.headers_mut().insert(
                "sec-websocket-protocol",
                "graphql-transport-ws".parse().expect("header"),
            );
            request
                .headers_mut()
                .insert("origin", origin.parse().expect("origin"));
            tokio_tungstenite::connect_async(request).await
        }
    };
    match open("https://evil.example".to_owned()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {other:?}"),
    }
    assert!(
        open("https://dashboard.example".to_owned()).await.is_ok(),
        "an allowed origin"
    );
    assert!(
        open(app.address.clone()).await.is_ok(),
        "the server's own origin (GraphiQL)"
    );
}

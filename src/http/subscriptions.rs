//! `GET /graphql` with `Upgrade: websocket`: subscriptions over `graphql-transport-ws` (and the
//! legacy `graphql-ws`), authenticated by the `connection_init` payload, never by the URL.

use async_graphql::{Data, http::ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{FromRequestParts as _, Request, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use std::time::Duration;

use super::AppState;
use crate::graphql::errors::code;

/// Largest accepted WebSocket message (CHECKLIST: subscriptions).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Whether the request asks to switch to WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Whether a browser page of `origin` may open a socket: the public URL's origin or one listed in
/// `RELINK_ALLOWED_ORIGINS` (a page elsewhere must not ride on a user's session, CSWSH).
pub fn origin_allowed(state: &AppState, origin: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    let origin = origin.trim_end_matches('/');
    let public = state.public_url.as_ref();
    // The origin of the public URL: scheme, host and port, without a path.
    let public_origin = public.split_once("://").map_or(public, |(scheme, rest)| {
        &public[..scheme.len() + 3 + rest.find('/').unwrap_or(rest.len())]
    });
    public_origin == origin
        || state
            .config
            .allowed_origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/') == origin)
}

/// Upgrades to a GraphQL WebSocket whose `connection_init` must carry a valid dashboard token.
pub async fn upgrade(state: AppState, request: Request) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .map(|value| value.to_str().unwrap_or("invalid"));
    if !origin_allowed(&state, origin) {
        tracing::warn!(
            origin = origin.unwrap_or_default(),
            "subscription socket refused: origin not allowed"
        );
        return super::graphql::error_response(
            StatusCode::FORBIDDEN,
            code::FORBIDDEN,
            "This origin may not open subscription sockets; add it to RELINK_ALLOWED_ORIGINS.",
        );
    }
    let (mut parts, _body) = request.into_parts();
    let Ok(protocol) = GraphQLProtocol::from_request_parts(&mut parts, &state).await else {
        return super::graphql::error_response(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            "Ask for the `graphql-transport-ws` (or legacy `graphql-ws`) subprotocol.",
        );
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let schema = state.schema.clone();
    let meters = state.meters.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(8 * 1024)
        .on_upgrade(move |stream| async move {
            let _open = meters.socket_opened();
            GraphQLWebSocket::new(stream, schema, protocol)
                .keepalive_timeout(Duration::from_secs(30))
                .on_connection_init(move |payload| async move {
                    let headers = payload_headers(&payload);
                    let auth = super::graphql::authenticate(&state, &headers).map_err(|error| {
                        tracing::debug!(reason = %error, "subscription connection refused");
                        async_graphql::Error::new("The dashboard token is missing or not valid.")
                    })?;
                    let mut data = Data::default();
                    data.insert(auth);
                    Ok(data)
                })
                .serve()
                .await;
        })
}

/// `{"Authorization": "Bearer …"}` as a header map, so HTTP and WebSocket share one check. A
/// missing token is refused here: a socket is only for signed-in users.
fn payload_headers(payload: &serde_json::Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("Bearer ");
    if let Ok(value) = value.parse() {
        headers.insert(header::AUTHORIZATION, value);
    }
    headers
}

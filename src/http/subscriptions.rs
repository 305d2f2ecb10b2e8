//! `GET /graphql` with `Upgrade: websocket`: subscriptions over `graphql-transport-ws` (and the
//! legacy `graphql-ws`), authenticated by the `connection_init` payload, never by the URL.

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols};
use axum::{
    extract::{FromRequestParts as _, Request, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse as _, Response},
};

use super::{HttpState, answer::error_response};
use crate::graphql::errors::code;

/// Whether the request asks to switch to WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Whether a browser page of `origin` may open a socket: the public URL's origin or one listed in
/// `RELINK_ALLOWED_ORIGINS` (a page elsewhere must not ride on a user's session, CSWSH).
pub fn origin_allowed(state: &HttpState, origin: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    let origin = origin.trim_end_matches('/');
    let public = state.app.public_url.as_ref();
    // The origin of the public URL: scheme, host and port, without a path.
    let public_origin = public.split_once("://").map_or(public, |(scheme, rest)| {
        &public[..scheme.len() + 3 + rest.find('/').unwrap_or(rest.len())]
    });
    public_origin == origin
        || state
            .app
            .config
            .allowed_origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/') == origin)
}

/// Upgrades to a GraphQL WebSocket whose `connection_init` must carry a valid dashboard token.
pub async fn upgrade(state: HttpState, request: Request) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .map(|value| value.to_str().unwrap_or("invalid"));
    if !origin_allowed(&state, origin) {
        tracing::warn!(
            origin = origin.unwrap_or_default(),
            "subscription socket refused: origin not allowed"
        );
        return error_response(
            StatusCode::FORBIDDEN,
            code::FORBIDDEN,
            "This origin may not open subscription sockets; add it to RELINK_ALLOWED_ORIGINS.",
        );
    }
    if *state.stopping.borrow() {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            code::UNAVAILABLE,
            "Relink is shutting down; connect again in a moment.",
        );
    }
    // Sockets that have not signed in yet are capped per client: they cost memory and a task
    // before anyone is known.
    let client = super::client_ip::of_request(&request, &state.app.config.trusted_proxies);
    let Some(unidentified) = state.sockets.acquire(
        &format!("ip:{client}"),
        state.app.config.ws_max_anonymous_sockets,
    ) else {
        tracing::warn!(%client, "subscription socket refused: too many not signed in from one client");
        return error_response(
            StatusCode::TOO_MANY_REQUESTS,
            code::RATE_LIMITED,
            "Too many subscription sockets that have not signed in from this address; send connection_init on the open ones first.",
        );
    };
    let (mut parts, _body) = request.into_parts();
    let Some(protocol) = subprotocol(&parts.headers) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            "Ask for the `graphql-transport-ws` (or legacy `graphql-ws`) subprotocol.",
        );
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(super::socket::MAX_MESSAGE_BYTES)
        .max_frame_size(super::socket::MAX_MESSAGE_BYTES)
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| super::socket::serve(socket, state, protocol, unidentified))
}

/// The first GraphQL subprotocol the client offers.
fn subprotocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|offered| offered.trim().parse().ok())
}

//! `GET /graphql` with `Upgrade: websocket`: subscriptions over `graphql-transport-ws` (and the
//! legacy `graphql-ws`), authenticated by the `connection_init` payload, never by the URL.

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols};
use axum::{
    extract::{FromRequestParts as _, Request, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse as _, Response},
};

use super::AppState;
use crate::graphql::errors::code;

/// Largest accepted WebSocket message (the README's Security section: subscriptions).
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
    if *state.stopping.borrow() {
        return super::graphql::error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            code::UNAVAILABLE,
            "Relink is shutting down; connect again in a moment.",
        );
    }
    // Sockets that have not signed in yet are capped per client: they cost memory and a task
    // before anyone is known.
    let client = super::client_ip::of_request(&request, &state.config.trusted_proxies);
    let Some(unidentified) = state.sockets.acquire(
        &format!("ip:{client}"),
        state.config.ws_max_anonymous_sockets,
    ) else {
        tracing::warn!(%client, "subscription socket refused: too many not signed in from one client");
        return super::graphql::error_response(
            StatusCode::TOO_MANY_REQUESTS,
            code::RATE_LIMITED,
            "Too many subscription sockets that have not signed in from this address; send connection_init on the open ones first.",
        );
    };
    let (mut parts, _body) = request.into_parts();
    let Some(protocol) = subprotocol(&parts.headers) else {
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
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
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

/// Checks a `connection_init` payload's token the way HTTP checks the header.
pub(super) fn authenticate_init(
    state: &AppState,
    payload: &serde_json::Value,
) -> Result<crate::graphql::context::RequestAuth, crate::auth::AuthError> {
    let auth = super::graphql::authenticate(state, &payload_headers(payload))?;
    if auth.expires_at().is_none() {
        return Err(crate::auth::AuthError::Invalid(
            "no token in the connection_init payload".to_owned(),
        ));
    }
    Ok(auth)
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

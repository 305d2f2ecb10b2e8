//! The answers every HTTP entry point shares: who the bearer of a token is, and a coded JSON
//! error without `data`.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use serde_json::json;

use crate::app::App;
use crate::{
    auth::AuthError,
    graphql::{context::RequestAuth, errors::code},
};

/// A JSON error response with one coded error and no `data`.
pub fn error_response(status: StatusCode, error_code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": error_code } }] });
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Reads `Authorization: Bearer …`: no header is an anonymous request; a bad token is refused.
pub fn authenticate(app: &App, headers: &HeaderMap) -> Result<RequestAuth, AuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(RequestAuth::anonymous());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|text| {
            text.strip_prefix("Bearer ")
                .or_else(|| text.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(AuthError::Invalid("not a bearer token".to_owned()))?;
    app.keys
        .verify(token, app.clock.now())
        .map(RequestAuth::signed_in)
}

/// The 401 answer to a refused token.
pub fn unauthenticated(error: &AuthError) -> Response {
    tracing::debug!(reason = %error, "dashboard token refused");
    let message = match error {
        AuthError::Expired => "The dashboard token has expired; sign in again.",
        _ => "The dashboard token is not valid; sign in again.",
    };
    let mut response = error_response(StatusCode::UNAUTHORIZED, code::UNAUTHENTICATED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

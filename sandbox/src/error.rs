//! The sandbox's errors and how each becomes an HTTP answer (HTML page, redirect or JSON).

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use sea_orm::DbErr;
use serde_json::json;

use super::page;

/// Everything a sandbox handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A database failure; logged once, answered with a bare 500.
    #[error("sandbox database error")]
    Db(#[from] DbErr),
    /// The network in the path is not one the sandbox simulates.
    #[error("unknown sandbox network")]
    UnknownNetwork,
    /// The authorize request cannot be trusted to redirect (unknown client, foreign
    /// redirect_uri, unknown identity): RFC 6749 §4.1.2.1 says show an error page, never redirect.
    #[error("bad authorize request: {0}")]
    AuthorizePage(String),
    /// An authorize error reported back to the client at its (validated) redirect_uri.
    #[error("authorize error {error}")]
    AuthorizeRedirect {
        /// The validated redirect_uri.
        redirect_uri: String,
        /// The RFC 6749 §4.1.2.1 error code.
        error: &'static str,
        /// A human-readable description.
        description: String,
        /// The client's state, echoed back.
        state: Option<String>,
    },
    /// A token-endpoint error (RFC 6749 §5.2).
    #[error("oauth error {error}: {description}")]
    OAuth {
        /// 400, or 401 for invalid_client.
        status: StatusCode,
        /// The RFC 6749 §5.2 error code.
        error: &'static str,
        /// A human-readable description.
        description: String,
    },
    /// A missing, unknown, expired or revoked bearer token (RFC 6750 §3.1).
    #[error("invalid token")]
    InvalidToken,
    /// An admin route named something that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
}

impl SandboxError {
    /// A 400 token-endpoint error.
    pub fn grant(error: &'static str, description: impl Into<String>) -> Self {
        Self::OAuth {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    /// The 401 invalid_client error.
    pub fn invalid_client() -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "client authentication failed".to_owned(),
        }
    }
}

impl IntoResponse for SandboxError {
    fn into_response(self) -> Response {
        match self {
            Self::Db(error) => {
                tracing::error!(error = %error, "sandbox database error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({ "error": "server_error" })),
                )
                    .into_response()
            }
            Self::UnknownNetwork => (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": "not_found", "error_description": "unknown network" })),
            )
                .into_response(),
            Self::AuthorizePage(message) => {
                (StatusCode::BAD_REQUEST, Html(page::error_page(&message))).into_response()
            }
            Self::AuthorizeRedirect {
                redirect_uri,
                error,
                description,
                state,
            } => {
                let mut pairs = vec![("error", error), ("error_description", &description)];
                if let Some(state) = &state {
                    pairs.push(("state", state));
                }
                found(&with_query(&redirect_uri, &pairs))
            }
            Self::OAuth {
                status,
                error,
                description,
            } => {
                let mut response = (
                    status,
                    Json(json!({ "error": error, "error_description": description })),
                )
                    .into_response();
                if status == StatusCode::UNAUTHORIZED {
                    // RFC 6749 §5.2: a 401 carries the scheme the client should authenticate with.
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"sandbox\""),
                    );
                }
                response
            }
            Self::InvalidToken => {
                let mut response = (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({ "error": "invalid_token" })),
                )
                    .into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
                response
            }
            Self::NotFound(what) => (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": "not_found", "error_description": what })),
            )
                .into_response(),
        }
    }
}

/// `base` with the pairs appended to its query string (a validated absolute URL; a base that
/// does not parse is returned with the pairs appended by hand).
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    match reqwest::Url::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        Err(_) => base.to_owned(),
    }
}

/// A `302 Found` to `location`, the status real networks answer the authorize POST with
/// (axum's `Redirect::to` would say 303).
pub fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

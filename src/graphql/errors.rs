//! One API error with a stable `extensions.code`; internal causes are logged once, never sent.

use async_graphql::ErrorExtensions as _;

/// The error codes clients can rely on.
pub mod code {
    /// No valid dashboard token.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// Signed in, but not allowed.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// Unknown id, or an id the viewer may not see (the two are indistinguishable).
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// An argument is out of range or malformed.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// Over a depth, complexity or directive limit; no resolver ran.
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    /// The document does not parse.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document does not validate against the schema.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The request was not a valid GraphQL-over-HTTP request.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The request took longer than the configured timeout.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// Something failed on our side; details are in the server log.
    pub const INTERNAL: &str = "INTERNAL";
    /// The server is shutting down; try again (another replica will answer).
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    /// The user's rate limit is spent; `extensions.retryAfter` says in how many seconds.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// A bad-input error: the `after` cursor of a subscription names an event older than the
    /// retention window; reload and subscribe again without it.
    pub const CURSOR_EXPIRED: &str = "CURSOR_EXPIRED";
}

/// An error of the API layer. It has no `Display` on purpose: the only way out is
/// [`async_graphql::Error`] through `From`, which logs internal causes and sends a fixed message.
#[derive(Debug)]
pub enum ApiError {
    /// No valid token; the reason is for the log.
    Unauthenticated(&'static str),
    /// Signed in but not allowed.
    Forbidden,
    /// Unknown or invisible id.
    NotFound,
    /// Bad argument, with a message for the client.
    BadUserInput(String),
    /// Too many of this request; `retry_after` seconds until it may be sent again.
    RateLimited {
        /// What to tell the client.
        message: String,
        /// Seconds to wait, at least 1.
        retry_after: i64,
    },
    /// A failure of ours; the cause is logged once.
    Internal(anyhow::Error),
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Internal(anyhow::Error::new(error))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let (message, code) = match error {
            ApiError::Unauthenticated(reason) => {
                tracing::debug!(reason, "request refused: not authenticated");
                (
                    "Sign in first: send a valid dashboard token as `Authorization: Bearer …`."
                        .to_owned(),
                    code::UNAUTHENTICATED,
                )
            }
            ApiError::Forbidden => (
                "You are not allowed to do this.".to_owned(),
                code::FORBIDDEN,
            ),
            ApiError::NotFound => ("Not found.".to_owned(), code::NOT_FOUND),
            ApiError::BadUserInput(message) => (message, code::BAD_USER_INPUT),
            ApiError::RateLimited {
                message,
                retry_after,
            } => {
                return async_graphql::Error::new(message).extend_with(|_, ext| {
                    ext.set("code", code::RATE_LIMITED);
                    ext.set("retryAfter", retry_after.max(1));
                });
            }
            ApiError::Internal(cause) => {
                tracing::error!(
                    error = format!("{cause:#}"),
                    "internal error in a GraphQL resolver"
                );
                ("Internal error.".to_owned(), code::INTERNAL)
            }
        };
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
    }
}

/// Result of a resolver that maps every failure to a coded error.
pub type ApiResult<T> = Result<T, ApiError>;

/// Turns an [`ApiResult`] into what resolvers return.
pub fn gql<T>(result: ApiResult<T>) -> async_graphql::Result<T> {
    result.map_err(Into::into)
}

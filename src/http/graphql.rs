//! `/graphql` done by the GraphQL-over-HTTP rules: POST JSON, GET for queries only, no batching,
//! body limit, timeout, a stable code on every error, and content negotiation: a client that
//! accepts `application/graphql-response+json` gets that media type and 400 without `data` when
//! nothing ran (parse, validation, variables, limits); a client that accepts only
//! `application/json` (or says nothing) gets `application/json` and 200 for those, as the spec
//! asks for legacy clients.

use async_graphql::{
    Request as GqlRequest,
    parser::types::{DocumentOperations, OperationType},
};
use axum::{
    body::Bytes,
    extract::{FromRequestParts as _, Query, Request, State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{
    HttpState,
    answer::{authenticate, error_response, unauthenticated},
    client_ip::ClientIp,
};
use crate::graphql::{errors::code, limits::RejectedBeforeExecution, loaders};

/// The media type of a GraphQL response, chosen from the request's `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: HTTP status codes tell what happened.
    GraphqlResponse,
    /// `application/json`: the legacy type; request errors still answer 200.
    Json,
}

impl Media {
    /// `application/graphql-response+json` when the client accepts it (a `q=0` refuses it),
    /// else `application/json` — also for no `Accept` or one that names neither (the spec lets a
    /// server disregard such a header rather than answer 406).
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let accepts_graphql_response = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|entry| {
                let mut parts = entry.split(';').map(str::trim);
                let kind = parts.next().unwrap_or_default();
                let refused = parts.any(|parameter| {
                    parameter
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                kind.eq_ignore_ascii_case(GRAPHQL_RESPONSE) && !refused
            });
        if accepts_graphql_response {
            Self::GraphqlResponse
        } else {
            Self::Json
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => GRAPHQL_RESPONSE,
            Self::Json => "application/json",
        })
    }

    /// The status of a request that failed before execution: the spec's 400 for the new media
    /// type, 200 for legacy `application/json` clients.
    fn rejected(self) -> StatusCode {
        match self {
            Self::GraphqlResponse => StatusCode::BAD_REQUEST,
            Self::Json => StatusCode::OK,
        }
    }
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Sets the negotiated media type on a JSON response.
fn with_media(media: Media, mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .is_some_and(|mime| {
            mime == "application/json" || mime == "application/graphql-response+json"
        })
}

/// `POST /graphql`.
pub async fn post(
    State(state): State<HttpState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let media = Media::negotiate(&headers);
    with_media(media, post_as(&state, client, &headers, body, media).await)
}

async fn post_as(
    state: &HttpState,
    client: std::net::IpAddr,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    media: Media,
) -> Response {
    if !is_json(headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::BAD_REQUEST,
            "Send the request as `Content-Type: application/json`.",
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::BAD_REQUEST,
                &format!(
                    "The request body is larger than {} bytes.",
                    state.app.config.body_limit_bytes
                ),
            );
        }
        Err(rejection) => {
            return error_response(
                rejection.status(),
                code::BAD_REQUEST,
                "The request body could not be read.",
            );
        }
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                code::BAD_REQUEST,
                "The body is not valid JSON.",
            );
        }
    };
    if value.is_array() {
        return error_response(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            "Batched requests are not supported: send one operation per request.",
        );
    }
    // A request without a `query` string is not a GraphQL request at all: 400 whatever the
    // media type (the document errors that follow are the ones legacy clients get with 200).
    if !value.get("query").is_some_and(serde_json::Value::is_string) {
        return error_response(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            "The body must hold the operation as a `query` string.",
        );
    }
    let request: GqlRequest = match serde_json::from_value(value) {
        Ok(request) => request,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                code::BAD_REQUEST,
                "The body must be an object with `query` and optional `variables` and `operationName`.",
            );
        }
    };
    execute(state, headers, client, request, media).await
}

/// The parameters of a GET request (GraphQL over HTTP: `query`, `operationName`, `variables`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetParams {
    query: String,
    #[serde(alias = "operation_name")]
    operation_name: Option<String>,
    variables: Option<String>,
}

/// `GET /graphql?query=…` (queries only; the router sends WebSocket upgrades elsewhere).
pub async fn get(State(state): State<HttpState>, request: Request) -> Response {
    let client = super::client_ip::of_request(&request, &state.app.config.trusted_proxies);
    let (mut parts, _body) = request.into_parts();
    let headers = parts.headers.clone();
    let media = Media::negotiate(&headers);
    with_media(
        media,
        get_as(&state, client, &mut parts, &headers, media).await,
    )
}

async fn get_as(
    state: &HttpState,
    client: std::net::IpAddr,
    parts: &mut axum::http::request::Parts,
    headers: &HeaderMap,
    media: Media,
) -> Response {
    let params = Query::<GetParams>::from_request_parts(parts, state).await;
    let usage = "Pass `query` (and optional `variables` as JSON and `operationName`) in the URL.";
    let Ok(Query(params)) = params else {
        return error_response(StatusCode::BAD_REQUEST, code::BAD_REQUEST, usage);
    };
    let variables = match params
        .variables
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
    {
        None => async_graphql::Variables::default(),
        Some(Ok(value)) => async_graphql::Variables::from_json(value),
        Some(Err(_)) => return error_response(StatusCode::BAD_REQUEST, code::BAD_REQUEST, usage),
    };
    let mut request = GqlRequest::new(params.query).variables(variables);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if operation_kind(&request).is_some_and(|kind| kind != OperationType::Query) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            code::BAD_REQUEST,
            "Only queries may be sent with GET; send mutations with POST and subscriptions over WebSocket.",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(state, headers, client, request, media).await
}

/// The kind of the operation that would run, when the document parses.
fn operation_kind(request: &GqlRequest) -> Option<OperationType> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    match &document.operations {
        DocumentOperations::Single(operation) => Some(operation.node.ty),
        DocumentOperations::Multiple(operations) => match &request.operation_name {
            Some(name) => operations
                .get(name.as_str())
                .map(|operation| operation.node.ty),
            // Without a name the request fails validation later; refuse mutations here anyway.
            None => operations
                .values()
                .map(|operation| operation.node.ty)
                .find(|kind| *kind != OperationType::Query)
                .or(Some(OperationType::Query)),
        },
    }
}

/// The `retryAfter` seconds of a `RATE_LIMITED` refusal.
fn rate_limited(response: &async_graphql::Response) -> Option<u64> {
    response.errors.iter().find_map(|error| {
        let values = error.extensions.as_ref()?;
        match (values.get("code"), values.get("retryAfter")) {
            (
                Some(async_graphql::Value::String(found)),
                Some(async_graphql::Value::Number(seconds)),
            ) if found == code::RATE_LIMITED => seconds.as_u64(),
            _ => None,
        }
    })
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    client: std::net::IpAddr,
    request: GqlRequest,
    media: Media,
) -> Response {
    let auth = match authenticate(&state.app, headers) {
        Ok(auth) => auth.from_client(client),
        Err(error) => return unauthenticated(&error),
    };
    let rejected = RejectedBeforeExecution::default();
    let request = request
        .data(auth)
        .data(loaders::for_request(state.app.db.clone()))
        .data(crate::graphql::streams::FeedCache::default())
        .data(rejected.clone());
    let operation = request.operation_name.clone();
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(
        state.app.config.request_timeout,
        state.schema.execute(request),
    )
    .await;
    state
        .app
        .meters
        .graphql_operation(operation.as_deref(), started.elapsed().as_secs_f64());
    let Ok(response) = outcome else {
        tracing::warn!(timeout = ?state.app.config.request_timeout, "GraphQL request timed out");
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            code::TIMEOUT,
            "The request took too long and was stopped.",
        );
    };
    let retry_after = rejected.get().then(|| rate_limited(&response)).flatten();
    let (status, body) = if let Some(seconds) = retry_after {
        let mut limited = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({ "errors": response.errors })),
        )
            .into_response();
        limited
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return limited;
    } else if rejected.get() {
        // Nothing ran: the body carries no `data`; 400 for graphql-response+json clients.
        (media.rejected(), json!({ "errors": response.errors }))
    } else {
        match serde_json::to_value(&response) {
            Ok(body) => (StatusCode::OK, body),
            Err(error) => {
                tracing::error!(%error, "could not serialize a GraphQL response");
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code::INTERNAL,
                    "Internal error.",
                );
            }
        }
    };
    let mut answer = (status, axum::Json(body)).into_response();
    // Headers a resolver set (the `relink_flow` cookie of a started sign-in).
    for (name, value) in &response.http_headers {
        answer.headers_mut().append(name, value.clone());
    }
    answer
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    answer
}

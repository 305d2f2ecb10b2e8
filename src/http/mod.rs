//! The HTTP surface: router, shared state, request tracing, GraphiQL and health routes.

pub mod answer;
pub mod client_ip;
pub mod connect;
pub mod connect_page;
pub mod dashboard;
pub mod data_deletion;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod oauth;
pub mod playground;
pub mod socket;
pub mod subscriptions;
pub mod webhooks;

use std::time::Instant;

use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRef, MatchedPath, Request},
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use tracing::Instrument as _;

use crate::{app::App, graphql::RelinkSchema};

/// What the HTTP edge holds: the application context, and the pieces only a transport has
/// (the schema, the socket slots, the shutdown signal). Handlers that need the context alone
/// extract `State<App>` (axum's `FromRef`).
#[derive(Clone)]
pub struct HttpState {
    /// The application context.
    pub app: App,
    /// The GraphQL schema, with the context and limits.
    pub schema: RelinkSchema,
    /// Open subscription sockets per user (the cap).
    pub sockets: socket::SocketSlots,
    /// Subscriptions that sockets of the same sign-in share (each value resolved and serialized
    /// once).
    pub shared: socket::SharedSubscriptions,
    /// Turns true when the server begins to shut down: sockets close with 1001.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

impl FromRef<HttpState> for App {
    fn from_ref(state: &HttpState) -> Self {
        state.app.clone()
    }
}

/// All routes; `sandbox`, the built-in sandbox network's routes when it is on, is mounted at
/// `/sandbox` (it has state of its own).
pub fn router(state: HttpState, sandbox: Option<Router>) -> Router {
    let mut router = Router::new()
        .route("/graphql", get(graphql_or_socket).post(graphql::post))
        .route("/oauth/callback/{network}", get(oauth::callback))
        .route("/connect/{token}", get(connect::show).post(connect::start))
        .route("/dashboard", get(dashboard::page))
        .route("/dashboard/demo-users", get(dashboard::demo_users))
        .route(
            "/dashboard/demo-token",
            axum::routing::post(dashboard::demo_token),
        )
        .route(
            "/dashboard/demo-token/refresh",
            axum::routing::post(dashboard::refresh_demo_token),
        )
        .route("/dashboard/{*path}", get(dashboard::file))
        .route(
            "/webhooks/{network}/deauthorize",
            axum::routing::post(webhooks::deauthorize),
        )
        .route(
            "/webhooks/{network}/events",
            axum::routing::post(webhooks::events)
                .layer(DefaultBodyLimit::max(webhooks::EVENT_BODY_LIMIT)),
        )
        .route(
            "/webhooks/{network}/data-deletion",
            axum::routing::post(data_deletion::request),
        )
        .route("/data-deletion/{code}", get(data_deletion::status))
        .route("/health_check", get(health::health_check))
        .route("/ready", get(health::ready));
    if !state.app.config.no_playground {
        router = router
            .route("/", get(playground::page))
            .route("/graphiql/{file}", get(playground::file));
    }
    if let Some(sandbox) = sandbox {
        router = router.nest_service("/sandbox", sandbox);
    }
    router
        .layer(DefaultBodyLimit::max(state.app.config.body_limit_bytes))
        .layer(middleware::from_fn_with_state(
            state.app.meters.clone(),
            trace_request,
        ))
        .with_state(state)
}

/// `GET /graphql`: a query, or the WebSocket upgrade of a subscription socket.
async fn graphql_or_socket(
    axum::extract::State(state): axum::extract::State<HttpState>,
    request: Request,
) -> Response {
    if subscriptions::is_upgrade(request.headers()) {
        subscriptions::upgrade(state, request).await
    } else {
        graphql::get(axum::extract::State(state), request).await
    }
}

/// A file of a page served from the binary, with the headers every such file carries: its type,
/// no sniffing, no referrer, and the page's Content Security Policy.
pub fn static_file(
    content_type: &'static str,
    body: &'static str,
    policy: &'static str,
    cache: &'static str,
) -> Response {
    use axum::{
        http::{HeaderValue, header},
        response::IntoResponse as _,
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    response
}

/// One span per request with the matched route (never the query string: it may carry a query
/// with personal data); a line with status and latency when it ends.
async fn trace_request(
    axum::extract::State(meters): axum::extract::State<crate::metrics::Meters>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!("http.request", http.method = %method, http.route = %route);
    let started = Instant::now();
    async move {
        let response = next.run(request).await;
        let seconds = started.elapsed().as_secs_f64();
        let status = response.status().as_u16();
        meters.http_request(method.as_str(), &route, status, seconds);
        tracing::info!(
            http.status = status,
            latency_ms = seconds * 1000.0,
            "request finished"
        );
        response
    }
    .instrument(span)
    .await
}

//! A fake of Instagram Login (Business Login for Instagram): the authorization window of
//! `instagram.com` signs in `next_user` and redirects with a single-use code bound to the redirect
//! URI; `api.instagram.com/oauth/access_token` wants the app secret in the form and answers a
//! short-lived token in Business Login's `{"data": [...]}` shape; `graph.instagram.com` exchanges
//! only a live short-lived token for a 60-day one (`ig_exchange_token`, with the secret) and
//! refreshes only a live long-lived token at least 24 hours old (`ig_refresh_token`) — an earlier
//! refresh is counted as a violation the tests forbid. Times come from the test's clock.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json, Router,
    extract::{Path, Query, State as Axum},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{
    Grant, Ledger, answer,
    ig_media::{self, Publishing},
};

/// The Instagram app's id.
pub const CLIENT_ID: &str = "ig-app-id";
/// Its secret.
pub const SECRET: &str = "ig-app-secret-value";
/// Seconds a long-lived token lives (60 days).
pub const LONG_LIVED: i64 = 5_184_000;

/// A token the fake issued.
#[derive(Clone, Debug)]
pub struct Issued {
    pub user: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub long_lived: bool,
}

/// What the fake knows and was asked.
#[derive(Debug, Default)]
pub struct State {
    pub ledger: Ledger,
    pub redirect_uri: String,
    /// The app-scoped id of the next sign-in.
    pub next_user: String,
    /// Each app-scoped id's professional account: (IG user id, username).
    pub accounts: HashMap<String, (String, String)>,
    pub clock: Option<relink::clock::ManualClock>,
    pub tokens: HashMap<String, Issued>,
    /// The token endpoints answer this until cleared.
    pub token_failure: Option<(u16, &'static str)>,
    /// API calls answer this until cleared.
    pub failure: Option<(u16, &'static str)>,
    pub exchanges: u32,
    pub refreshes: u32,
    /// Refreshes asked for a token under 24 hours old (Instagram refuses them).
    pub early_refreshes: u32,
    /// The containers and media published on `graph.instagram.com`.
    pub publishing: super::ig_media::Publishing,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        self.clock
            .as_ref()
            .map_or_else(Utc::now, relink::clock::ManualClock::now)
    }

    fn issue(&mut self, user: &str, lifetime: i64, long_lived: bool) -> String {
        let (token, _) = self.ledger.issue(user, false);
        let now = self.now();
        self.tokens.insert(
            token.clone(),
            Issued {
                user: user.to_owned(),
                issued_at: now,
                expires_at: now + Duration::seconds(lifetime),
                long_lived,
            },
        );
        token
    }

    /// Whether a token is a long-lived one.
    pub fn is_long_lived(&self, token: &str) -> bool {
        self.tokens
            .get(token)
            .is_some_and(|issued| issued.long_lived)
    }

    fn live(&self, token: &str) -> Result<Issued, Box<Response>> {
        match (self.tokens.get(token), self.ledger.user_of(token)) {
            (Some(issued), Some(_)) if issued.expires_at > self.now() => Ok(issued.clone()),
            (Some(_), Some(_)) => Err(Box::new(answer("instagram", 400, "session_expired"))),
            _ => Err(Box::new(answer("instagram", 400, "session_invalidated"))),
        }
    }
}

/// The fake, served.
pub type FakeInstagram = super::Fake<State>;

impl FakeInstagram {
    /// Starts the fake: `ig-nora` signs in to @northwindcoffee.
    pub async fn start() -> Self {
        let mut state = State::default();
        state.accounts.insert(
            "ig-nora".to_owned(),
            ("ig-biz-northwind".to_owned(), "northwindcoffee".to_owned()),
        );
        state.accounts.insert(
            "ig-other".to_owned(),
            ("ig-biz-other".to_owned(), "other".to_owned()),
        );
        let state = Arc::new(Mutex::new(state));
        let router = Router::new()
            .route("/oauth/authorize", get(authorize))
            .route("/oauth/access_token", post(code_exchange))
            .route("/access_token", get(exchange))
            .route("/refresh_access_token", get(refresh))
            .route("/me", get(me))
            .route("/{node}/media", get(media).post(create_media))
            .route("/{node}/media_publish", post(publish_media))
            .with_state(state.clone());
        Self::serve(router, state).await
    }

    /// The networks-file table pointing Relink's Instagram (through Instagram Login) here.
    pub fn networks_file(&self) -> String {
        let at = &self.served.address;
        format!(
            "[instagram]\nmode = \"live\"\nlogin = \"instagram\"\nclient_id = \"{CLIENT_ID}\"\n\
             client_secret_env = \"INSTAGRAM_TEST_SECRET\"\nauthorize_url = \"{at}/oauth/authorize\"\n\
             token_url = \"{at}/oauth/access_token\"\napi_url = \"{at}\"\n"
        )
    }
}

type Shared = Axum<Arc<Mutex<State>>>;
type Params = Query<HashMap<String, String>>;

async fn authorize(Axum(state): Shared, Query(params): Params) -> Response {
    let mut state = state.lock().expect("state");
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    if param("client_id") != CLIENT_ID
        || param("redirect_uri") != state.redirect_uri
        || param("response_type") != "code"
        || param("state").is_empty()
        || !param("scope")
            .split(',')
            .any(|s| s == "instagram_business_basic")
        || param("enable_fb_login") != "0"
    {
        return (StatusCode::BAD_REQUEST, "Invalid request").into_response();
    }
    let user = state.next_user.clone();
    let code = state.ledger.grant(Grant {
        user,
        redirect_uri: param("redirect_uri"),
        challenge: None,
        scopes: param("scope"),
    });
    let mut back = reqwest::Url::parse(&param("redirect_uri")).expect("redirect");
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &param("state"));
    Redirect::to(back.as_str()).into_response()
}

async fn code_exchange(Axum(state): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut state = state.lock().expect("state");
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_id") != Some(CLIENT_ID)
        || field("client_secret") != Some(SECRET)
        || field("grant_type") != Some("authorization_code")
    {
        return answer("instagram", 400, "oauth_code_invalid");
    }
    let Ok(grant) = state.ledger.redeem(
        field("code").unwrap_or_default(),
        field("redirect_uri"),
        None,
    ) else {
        return answer("instagram", 400, "oauth_code_invalid");
    };
    let Some((account, _)) = state.accounts.get(&grant.user).cloned() else {
        return answer("instagram", 400, "oauth_code_invalid");
    };
    let token = state.issue(&grant.user, 3600, false);
    Json(json!({ "data": [{ "access_token": token, "user_id": account, "permissions": grant.scopes }] }))
        .into_response()
}

async fn exchange(Axum(state): Shared, Query(params): Params) -> Response {
    let mut state = state.lock().expect("state");
    if let Some((status, name)) = state.token_failure {
        return answer("instagram", status, name);
    }
    if params.get("grant_type").map(String::as_str) != Some("ig_exchange_token")
        || params.get("client_secret").map(String::as_str) != Some(SECRET)
    {
        return answer("instagram", 400, "permission");
    }
    let given = match state.live(params.get("access_token").map_or("", String::as_str)) {
        Ok(given) if !given.long_lived => given,
        Ok(_) => return answer("instagram", 400, "permission"),
        Err(response) => return *response,
    };
    state.exchanges += 1;
    let token = state.issue(&given.user, LONG_LIVED, true);
    Json(json!({ "access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED }))
        .into_response()
}

async fn refresh(Axum(state): Shared, Query(params): Params) -> Response {
    let mut state = state.lock().expect("state");
    if let Some((status, name)) = state.token_failure {
        return answer("instagram", status, name);
    }
    if params.get("grant_type").map(String::as_str) != Some("ig_refresh_token") {
        return answer("instagram", 400, "permission");
    }
    let given = match state.live(params.get("access_token").map_or("", String::as_str)) {
        Ok(given) if given.long_lived => given,
        Ok(_) => return answer("instagram", 400, "permission"),
        Err(response) => return *response,
    };
    if state.now() - given.issued_at < Duration::hours(24) {
        state.early_refreshes += 1;
        return (StatusCode::BAD_REQUEST, "refresh too early").into_response();
    }
    state.refreshes += 1;
    let token = state.issue(&given.user, LONG_LIVED, true);
    Json(json!({ "access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED }))
        .into_response()
}

fn caller(state: &State, params: &HashMap<String, String>) -> Result<Issued, Box<Response>> {
    if let Some((status, name)) = state.failure {
        return Err(Box::new(answer("instagram", status, name)));
    }
    state.live(params.get("access_token").map_or("", String::as_str))
}

async fn me(Axum(state): Shared, Query(params): Params) -> Response {
    let state = state.lock().expect("state");
    let issued = match caller(&state, &params) {
        Ok(issued) => issued,
        Err(response) => return *response,
    };
    if params.get("fields").map(String::as_str) != Some("user_id,username") {
        return answer("instagram", 400, "permission");
    }
    let Some((account, username)) = state.accounts.get(&issued.user) else {
        return answer("instagram", 400, "session_invalidated");
    };
    Json(json!({ "data": [{ "user_id": account, "username": username, "id": issued.user }] }))
        .into_response()
}

async fn media(Axum(state): Shared, Path(node): Path<String>, Query(params): Params) -> Response {
    let state = state.lock().expect("state");
    if let Err(response) = caller(&state, &params) {
        return *response;
    }
    Json(json!({ "data": [
        { "id": format!("{node}_m1"), "caption": "Cold brew", "username": "northwindcoffee", "timestamp": "2026-11-02T09:00:00+0000" }
    ]}))
    .into_response()
}

/// `POST /{ig-user-id}/media` on `graph.instagram.com`: the token's own professional account only.
async fn create_media(
    state: Shared,
    node: Path<String>,
    form: Form<HashMap<String, String>>,
) -> Response {
    media_step(state, node, form, Publishing::create)
}

/// `POST /{ig-user-id}/media_publish`: a container of that account, once.
async fn publish_media(
    state: Shared,
    node: Path<String>,
    form: Form<HashMap<String, String>>,
) -> Response {
    media_step(state, node, form, Publishing::publish)
}

fn media_step(
    Axum(state): Shared,
    Path(node): Path<String>,
    Form(form): Form<HashMap<String, String>>,
    step: ig_media::Step,
) -> Response {
    let mut state = state.lock().expect("state");
    let issued = match caller(&state, &form) {
        Ok(issued) => issued,
        Err(response) => return *response,
    };
    if state.accounts.get(&issued.user).map(|(account, _)| account) != Some(&node) {
        return answer("instagram", 400, "permission");
    }
    ig_media::answer(step(&mut state.publishing, &node, &form))
}

//! A fake of X's API v2 and OAuth 2.0: the consent screen signs in `next_user` and redirects with a
//! single-use code bound to the redirect URI and PKCE challenge; the token endpoint wants HTTP Basic
//! with the app's secret and rotates refresh tokens (a spent one is refused as X refuses it);
//! `/2/users/me`, `/2/tweets` (duplicate text refused) and the timeline answer as documented.

use std::sync::{Arc, Mutex};

use axum::{
    Form, Json, Router,
    extract::{Path, Query, State as Axum},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::{Grant, Ledger, answer, basic, bearer};

/// The fake's app registration.
pub const CLIENT_ID: &str = "x-client-id";
/// Its secret (handed to Relink through `network_secrets`).
pub const SECRET: &str = "x-client-secret-value";

/// What the fake knows and was asked.
#[derive(Debug, Default)]
pub struct State {
    /// Codes and tokens.
    pub ledger: Ledger,
    /// The redirect URI registered for the app (Relink's callback).
    pub redirect_uri: String,
    /// Who the next sign-in is.
    pub next_user: String,
    /// The tweets posted: (author, text, id).
    pub tweets: Vec<(String, String, String)>,
    /// Every API call answers this (status, fixture) until cleared.
    pub failure: Option<(u16, &'static str)>,
    /// The token endpoint answers this (status, fixture) until cleared.
    pub token_failure: Option<(u16, &'static str)>,
    /// API calls answered.
    pub calls: u32,
}

/// The fake, served.
pub type FakeX = super::Fake<State>;

impl FakeX {
    /// Starts the fake.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let router = Router::new()
            .route("/i/oauth2/authorize", get(authorize))
            .route("/2/oauth2/token", post(token))
            .route("/2/oauth2/revoke", post(revoke))
            .route("/2/users/me", get(me))
            .route("/2/tweets", post(tweet))
            .route("/2/users/{id}/tweets", get(timeline))
            .with_state(state.clone());
        Self::serve(router, state).await
    }

    /// The networks-file table pointing Relink's live X adapter here.
    pub fn networks_file(&self) -> String {
        let at = &self.served.address;
        format!(
            "[x]\nmode = \"live\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"X_TEST_SECRET\"\n\
             authorize_url = \"{at}/i/oauth2/authorize\"\ntoken_url = \"{at}/2/oauth2/token\"\n\
             revoke_url = \"{at}/2/oauth2/revoke\"\napi_url = \"{at}/2\"\n"
        )
    }
}

type Shared = Axum<Arc<Mutex<State>>>;

fn oauth_error(description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "invalid_request", "error_description": description })),
    )
        .into_response()
}

async fn authorize(Axum(state): Shared, Query(params): Query<HashMap<String, String>>) -> Response {
    let mut state = state.lock().expect("state");
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    if param("response_type") != "code"
        || param("client_id") != CLIENT_ID
        || param("redirect_uri") != state.redirect_uri
        || param("code_challenge_method") != "S256"
        || param("code_challenge").len() < 43
        || param("state").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "Something went wrong").into_response();
    }
    let user = state.next_user.clone();
    let code = state.ledger.grant(Grant {
        user,
        redirect_uri: param("redirect_uri"),
        challenge: Some(param("code_challenge")),
        scopes: param("scope"),
    });
    let mut back = reqwest::Url::parse(&param("redirect_uri")).expect("redirect");
    back.query_pairs_mut()
        .append_pair("state", &param("state"))
        .append_pair("code", &code);
    Redirect::to(back.as_str()).into_response()
}

async fn token(
    Axum(state): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if basic(&headers) != Some((CLIENT_ID.to_owned(), super::x::SECRET.to_owned())) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "unauthorized_client", "error_description": "Missing valid authorization header" })),
        )
            .into_response();
    }
    let mut state = state.lock().expect("state");
    if let Some((status, name)) = state.token_failure {
        return answer("x", status, name);
    }
    let field = |name: &str| form.get(name).map(String::as_str);
    let (user, offline) = match field("grant_type") {
        Some("authorization_code") => {
            match state.ledger.redeem(
                field("code").unwrap_or_default(),
                field("redirect_uri"),
                field("code_verifier"),
            ) {
                Ok(grant) => (
                    grant.user,
                    grant.scopes.split(' ').any(|s| s == "offline.access"),
                ),
                Err(_) => {
                    return oauth_error("Value passed for the authorization code was invalid.");
                }
            }
        }
        Some("refresh_token") => {
            match state
                .ledger
                .spend_refresh(field("refresh_token").unwrap_or_default())
            {
                Some(user) => (user, true),
                None => return oauth_error("Value passed for the token was invalid."),
            }
        }
        _ => return oauth_error("Missing required parameter [grant_type]."),
    };
    let (access, refresh) = state.ledger.issue(&user, offline);
    let mut body = json!({
        "token_type": "bearer",
        "expires_in": 7200,
        "access_token": access,
        "scope": "tweet.read tweet.write users.read offline.access",
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = Value::String(refresh);
    }
    Json(body).into_response()
}

async fn revoke(
    Axum(state): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if basic(&headers).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(token) = form.get("token") {
        state.lock().expect("state").ledger.revoke(token);
    }
    Json(json!({ "revoked": true })).into_response()
}

/// The user of the request's token, or the answer X gives instead.
fn caller(state: &mut State, headers: &HeaderMap) -> Result<String, Box<Response>> {
    state.calls += 1;
    if let Some((status, name)) = state.failure {
        return Err(Box::new(answer("x", status, name)));
    }
    bearer(headers)
        .and_then(|token| state.ledger.user_of(&token))
        .ok_or_else(|| Box::new(answer("x", 401, "unauthorized")))
}

fn display(user: &str) -> (String, String) {
    (format!("Name of {user}"), user.replace('-', "_"))
}

async fn me(Axum(state): Shared, headers: HeaderMap) -> Response {
    let mut state = state.lock().expect("state");
    match caller(&mut state, &headers) {
        Ok(user) => {
            let (name, username) = display(&user);
            Json(json!({ "data": { "id": user, "name": name, "username": username } }))
                .into_response()
        }
        Err(response) => *response,
    }
}

async fn tweet(Axum(state): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut state = state.lock().expect("state");
    let user = match caller(&mut state, &headers) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Some(text) = body["text"].as_str().map(str::to_owned) else {
        return answer("x", 400, "code_invalid");
    };
    if state
        .tweets
        .iter()
        .any(|(author, said, _)| *author == user && *said == text)
    {
        return answer("x", 403, "duplicate");
    }
    let id = format!(
        "{}",
        1_445_880_548_472_328_192_u64 + state.tweets.len() as u64
    );
    state.tweets.push((user, text.clone(), id.clone()));
    (
        StatusCode::CREATED,
        Json(json!({ "data": { "id": id, "text": text } })),
    )
        .into_response()
}

async fn timeline(Axum(state): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = caller(&mut state, &headers) {
        return *response;
    }
    let data: Vec<Value> = state
        .tweets
        .iter()
        .filter(|(author, _, _)| *author == id)
        .map(|(author, text, tweet)| {
            json!({ "id": tweet, "text": text, "author_id": author, "created_at": "2026-11-02T09:00:00.000Z" })
        })
        .collect();
    Json(json!({ "data": data, "meta": { "result_count": data.len() } })).into_response()
}

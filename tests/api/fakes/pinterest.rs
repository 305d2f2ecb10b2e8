//! A fake of Pinterest's API v5: the OAuth page signs in `next_user` (comma-separated scopes, the
//! registered redirect URI); `/v5/oauth/token` wants HTTP Basic with the app's id and secret,
//! redeems each code once for its redirect URI, and issues continuous refresh tokens that rotate
//! (a spent one fails like a dead token) — it counts requests that forgot `continuous_refresh`;
//! `/v5/user_account`, `/v5/boards` (bookmark pages), `/v5/pins` and a board's pins answer the
//! documented bodies and errors.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json, Router,
    extract::{Path, Query, State as Axum},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use super::{Grant, Ledger, answer, basic, bearer, fixture};

/// The fake's app id.
pub const CLIENT_ID: &str = "1484357";
/// Its secret (handed to Relink through `network_secrets`).
pub const SECRET: &str = "pinterest-app-secret-value";

/// A board the fake knows: (id, name, owner's user id).
pub type Board = (String, String, String);

/// What the fake knows and was asked.
#[derive(Debug, Default)]
pub struct State {
    /// Codes and tokens.
    pub ledger: Ledger,
    /// The redirect URI registered for the app (Relink's callback).
    pub redirect_uri: String,
    /// Who the next sign-in is (a numeric user account id).
    pub next_user: String,
    /// The last authorize request's query.
    pub authorize_query: HashMap<String, String>,
    /// Every board: its owner and who else may pin there (group boards).
    pub boards: Vec<Board>,
    /// Group boards: (board id, collaborator user id).
    pub collaborators: Vec<(String, String)>,
    /// Pins created: (board id, image URL, description, pin id).
    pub pins: Vec<(String, String, String, String)>,
    /// Token requests that did not ask for a continuous refresh token.
    pub legacy_requests: u32,
    /// Board pages answer a bookmark forever (a hostile network).
    pub endless_boards: bool,
    /// Every API call answers this (status, fixture) until cleared.
    pub failure: Option<(u16, &'static str)>,
    /// The token endpoint answers this (status, fixture) until cleared.
    pub token_failure: Option<(u16, &'static str)>,
    /// API calls answered.
    pub calls: u32,
}

/// The fake, served.
pub type FakePinterest = super::Fake<State>;

impl FakePinterest {
    /// Starts the fake.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let router = Router::new()
            .route("/oauth/", get(authorize))
            .route("/v5/oauth/token", post(token))
            .route("/v5/user_account", get(user_account))
            .route("/v5/boards", get(boards))
            .route("/v5/boards/{id}/pins", get(board_pins))
            .route("/v5/pins", post(pin))
            .with_state(state.clone());
        Self::serve(router, state).await
    }

    /// The networks-file table pointing Relink's live Pinterest adapter here.
    pub fn networks_file(&self) -> String {
        let at = &self.served.address;
        format!(
            "[pinterest]\nmode = \"live\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"PINTEREST_TEST_SECRET\"\n\
             authorize_url = \"{at}/oauth/\"\ntoken_url = \"{at}/v5/oauth/token\"\napi_url = \"{at}/v5\"\n"
        )
    }
}

type Shared = Axum<Arc<Mutex<State>>>;

/// The username of a user account id.
pub fn username(user: &str) -> String {
    format!("user{user}")
}

async fn authorize(Axum(state): Shared, Query(params): Query<HashMap<String, String>>) -> Response {
    let mut state = state.lock().expect("state");
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    let scopes = param("scope");
    if param("client_id") != CLIENT_ID
        || param("response_type") != "code"
        || param("redirect_uri") != state.redirect_uri
        || scopes.contains(' ')
        || !scopes.split(',').any(|scope| scope == "boards:read")
    {
        return (StatusCode::BAD_REQUEST, "Invalid request").into_response();
    }
    state.authorize_query = params.clone();
    let user = state.next_user.clone();
    let code = state.ledger.grant(Grant {
        user,
        redirect_uri: param("redirect_uri"),
        challenge: None,
        scopes,
    });
    let mut back = reqwest::Url::parse(&param("redirect_uri")).expect("redirect");
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &param("state"));
    Redirect::to(back.as_str()).into_response()
}

async fn token(
    Axum(state): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if basic(&headers) != Some((CLIENT_ID.to_owned(), SECRET.to_owned())) {
        return answer("pinterest", 401, "authentication_failed");
    }
    let mut state = state.lock().expect("state");
    if let Some((status, name)) = state.token_failure {
        return answer("pinterest", status, name);
    }
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("continuous_refresh") != Some("true") {
        state.legacy_requests += 1;
    }
    let (user, name) = match field("grant_type") {
        Some("authorization_code") => match state.ledger.redeem(
            field("code").unwrap_or_default(),
            field("redirect_uri"),
            None,
        ) {
            Ok(grant) => (grant.user, "token"),
            Err(_) => return answer("pinterest", 401, "authentication_failed"),
        },
        Some("refresh_token") => match state
            .ledger
            .spend_refresh(field("refresh_token").unwrap_or_default())
        {
            Some(user) => (user, "token_refresh"),
            None => return answer("pinterest", 401, "authentication_failed"),
        },
        _ => return answer("pinterest", 400, "content_rejected"),
    };
    let (access, refresh) = state.ledger.issue(&user, true);
    let mut body = fixture("pinterest", name);
    body["access_token"] = json!(access);
    body["refresh_token"] = json!(refresh);
    Json(body).into_response()
}

/// The user of the request's token, or the answer Pinterest gives instead.
fn caller(state: &mut State, headers: &HeaderMap) -> Result<String, Box<Response>> {
    state.calls += 1;
    if let Some((status, name)) = state.failure {
        return Err(Box::new(answer("pinterest", status, name)));
    }
    bearer(headers)
        .and_then(|token| state.ledger.user_of(&token))
        .ok_or_else(|| Box::new(answer("pinterest", 401, "authentication_failed")))
}

/// Whether `user` may pin to `board` (owns it, or collaborates on it).
fn may_pin(state: &State, user: &str, board: &str) -> bool {
    state
        .boards
        .iter()
        .any(|(id, _, owner)| id == board && owner == user)
        || state
            .collaborators
            .iter()
            .any(|(id, who)| id == board && who == user)
}

async fn user_account(Axum(state): Shared, headers: HeaderMap) -> Response {
    let mut state = state.lock().expect("state");
    let user = match caller(&mut state, &headers) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let mut body = fixture("pinterest", "user_account");
    body["id"] = json!(user);
    body["username"] = json!(username(&user));
    body["business_name"] = json!(format!("Business of {user}"));
    Json(body).into_response()
}

async fn boards(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().expect("state");
    let user = match caller(&mut state, &headers) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let size: usize = match params.get("page_size").map(|size| size.parse()) {
        Some(Ok(size)) if (1..=250).contains(&size) => size,
        None => 25,
        _ => return answer("pinterest", 400, "content_rejected"),
    };
    let start: usize = params
        .get("bookmark")
        .map_or(0, |mark| mark.parse().expect("a bookmark of ours"));
    let visible: Vec<Value> = state
        .boards
        .iter()
        .filter(|(id, _, _)| may_pin(&state, &user, id))
        .map(|(id, name, owner)| {
            json!({ "id": id, "name": name, "privacy": "PUBLIC", "owner": { "username": username(owner) } })
        })
        .collect();
    let end = (start + size).min(visible.len());
    let next = if state.endless_boards {
        Some((start + size).to_string())
    } else {
        (end < visible.len()).then(|| end.to_string())
    };
    Json(json!({ "items": visible[start.min(end)..end], "bookmark": next })).into_response()
}

async fn board_pins(
    Axum(state): Shared,
    headers: HeaderMap,
    Path(board): Path<String>,
) -> Response {
    let mut state = state.lock().expect("state");
    let user = match caller(&mut state, &headers) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if !may_pin(&state, &user, &board) {
        return answer("pinterest", 404, "board_gone");
    }
    answer("pinterest", 200, "board_pins")
}

async fn pin(Axum(state): Shared, headers: HeaderMap, Json(request): Json<Value>) -> Response {
    let mut state = state.lock().expect("state");
    let user = match caller(&mut state, &headers) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let board = request["board_id"].as_str().unwrap_or_default().to_owned();
    let source = &request["media_source"];
    let (Some("image_url"), Some(url)) = (source["source_type"].as_str(), source["url"].as_str())
    else {
        return answer("pinterest", 400, "content_rejected");
    };
    if !may_pin(&state, &user, &board) {
        return answer("pinterest", 404, "board_gone");
    }
    let id = format!("8137442264207958{:02}", state.pins.len());
    let description = request["description"].as_str().unwrap_or_default();
    state.pins.push((
        board.clone(),
        url.to_owned(),
        description.to_owned(),
        id.clone(),
    ));
    let mut body = fixture("pinterest", "pin");
    body["id"] = json!(id);
    body["board_id"] = json!(board);
    body["description"] = json!(description);
    (StatusCode::CREATED, Json(body)).into_response()
}

//! A fake of Google's OAuth 2.0 and the YouTube Data API: the consent screen signs in the channel
//! `next_user` picks, with a single-use code bound to the redirect URI and the PKCE challenge; the
//! token endpoint wants the client secret and the verifier, gives a refresh token on consent
//! (`access_type=offline`) and none on refresh (not rotating: the old one stays good until
//! revoked); `channels?mine=true` answers the token's one channel, or none once it is gone;
//! videos are uploaded in resumable sessions ([`upload`]).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json, Router,
    extract::{Query, State as Axum},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

pub mod upload;

use super::{Grant, Ledger, answer, bearer};

/// The fake's OAuth client.
pub const CLIENT_ID: &str = "1234567890-relink.apps.googleusercontent.com";
/// Its secret (handed to Relink through `network_secrets`).
pub const SECRET: &str = "GOCSPX-fake-google-secret";
/// The scopes Relink asks for, as Google writes them.
pub const SCOPES: &str = "https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/youtube.upload";

/// What the fake knows and was asked.
#[derive(Debug, Default)]
pub struct State {
    /// Codes and tokens.
    pub ledger: Ledger,
    /// The redirect URI registered for the client (Relink's callback).
    pub redirect_uri: String,
    /// The channel the next consent picks.
    pub next_user: String,
    /// Channel titles by id.
    pub titles: HashMap<String, String>,
    /// Channels deleted since (their tokens see no channel).
    pub gone: Vec<String>,
    /// The next code exchange answers without a refresh token (Postiz PR #1884's answer).
    pub no_refresh_token: bool,
    /// Every API call answers this (status, fixture) until cleared.
    pub failure: Option<(u16, &'static str)>,
    /// The token endpoint answers this (status, fixture) until cleared.
    pub token_failure: Option<(u16, &'static str)>,
    /// API calls answered, with their `part`.
    pub calls: Vec<String>,
    /// Refreshes served.
    pub refreshes: u32,
    /// Tokens revoked through the revoke endpoint.
    pub revoked: u32,
    /// The fake's own address (upload sessions are URLs on it).
    pub address: String,
    /// The media origin's files: name → (content type, bytes).
    pub media: HashMap<String, (&'static str, Vec<u8>)>,
    /// Downloads of the media served.
    pub media_fetches: u32,
    /// Upload sessions started.
    pub sessions: Vec<upload::Session>,
    /// Keep only half of a session's first chunk.
    pub keep_short: bool,
}

/// The fake, served.
pub type FakeYoutube = super::Fake<State>;

impl FakeYoutube {
    /// Starts the fake.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let router = Router::new()
            .route("/o/oauth2/v2/auth", get(authorize))
            .route("/token", post(token))
            .route("/revoke", post(revoke))
            .route("/youtube/v3/channels", get(channels))
            .route("/youtube/v3/playlistItems", get(playlist_items))
            .route(
                "/upload/youtube/v3/videos",
                post(upload::start)
                    .put(upload::chunk)
                    .layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
            )
            .route("/media/{file}", get(upload::media))
            .with_state(state.clone());
        let fake = Self::serve(router, state).await;
        fake.state().address = fake.served.address.clone();
        fake
    }

    /// The networks-file table pointing Relink's live YouTube adapter here.
    pub fn networks_file(&self) -> String {
        let at = &self.served.address;
        format!(
            "[youtube]\nmode = \"live\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"YT_TEST_SECRET\"\n\
             authorize_url = \"{at}/o/oauth2/v2/auth\"\ntoken_url = \"{at}/token\"\n\
             revoke_url = \"{at}/revoke\"\napi_url = \"{at}\"\n"
        )
    }
}

type Shared = Axum<Arc<Mutex<State>>>;

async fn authorize(Axum(state): Shared, Query(params): Query<HashMap<String, String>>) -> Response {
    let mut state = state.lock().expect("state");
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    if param("response_type") != "code"
        || param("client_id") != CLIENT_ID
        || param("redirect_uri") != state.redirect_uri
        || param("scope") != SCOPES
        || param("access_type") != "offline"
        || !param("prompt").split(' ').any(|p| p == "consent")
        || param("code_challenge_method") != "S256"
        || param("code_challenge").len() < 43
        || param("state").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "Error 400: invalid_request").into_response();
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
        .append_pair("code", &code)
        .append_pair("scope", &param("scope"));
    Redirect::to(back.as_str()).into_response()
}

async fn token(Axum(state): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(SECRET) {
        return answer("youtube", 401, "invalid_client");
    }
    let mut state = state.lock().expect("state");
    if let Some((status, name)) = state.token_failure {
        return answer("youtube", status, name);
    }
    let mut body = json!({ "expires_in": 3599, "scope": SCOPES, "token_type": "Bearer" });
    match field("grant_type") {
        Some("authorization_code") => {
            let code = field("code").unwrap_or_default();
            let Ok(grant) =
                state
                    .ledger
                    .redeem(code, field("redirect_uri"), field("code_verifier"))
            else {
                return answer("youtube", 400, "invalid_grant");
            };
            let offline = !std::mem::take(&mut state.no_refresh_token);
            let (access, refresh) = state.ledger.issue(&grant.user, offline);
            body["access_token"] = json!(access);
            if let Some(refresh) = refresh {
                body["refresh_token"] = json!(refresh);
            }
        }
        Some("refresh_token") => {
            let Some(user) = state
                .ledger
                .refresh_user(field("refresh_token").unwrap_or_default())
            else {
                return answer("youtube", 400, "invalid_grant");
            };
            state.refreshes += 1;
            let (access, _) = state.ledger.issue(&user, false);
            body["access_token"] = json!(access);
        }
        _ => return answer("youtube", 400, "unsupported_grant_type"),
    }
    Json(body).into_response()
}

async fn revoke(
    Axum(state): Shared,
    Query(query): Query<HashMap<String, String>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().expect("state");
    // A token never travels in a URL (proxies and logs keep those): refused here.
    let (false, Some(token)) = (query.contains_key("token"), form.get("token")) else {
        return answer("youtube", 400, "invalid_token");
    };
    if state.ledger.user_of(token).is_none() && state.ledger.refresh_user(token).is_none() {
        return answer("youtube", 400, "invalid_token");
    }
    state.ledger.revoke(token);
    state.revoked += 1;
    Json(json!({})).into_response()
}

/// The channel of the request's token, or the answer Google gives instead.
pub(super) fn caller(
    state: &mut State,
    headers: &HeaderMap,
    call: String,
) -> Result<String, Box<Response>> {
    state.calls.push(call);
    if let Some((status, name)) = state.failure {
        return Err(Box::new(answer("youtube", status, name)));
    }
    match bearer(headers) {
        None => Err(Box::new(answer("youtube", 401, "login_required"))),
        Some(token) => state
            .ledger
            .user_of(&token)
            .ok_or_else(|| Box::new(answer("youtube", 401, "auth_error"))),
    }
}

async fn channels(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().expect("state");
    let part = params.get("part").cloned().unwrap_or_default();
    let channel = match caller(&mut state, &headers, format!("channels:{part}")) {
        Ok(channel) => channel,
        Err(response) => return *response,
    };
    let wanted = match (params.get("mine").map(String::as_str), params.get("id")) {
        (Some("true"), None) => channel,
        (None, Some(id)) => id.clone(),
        _ => return answer("youtube", 400, "internal_error"),
    };
    if state.gone.contains(&wanted) || !state.titles.contains_key(&wanted) {
        return Json(json!({ "kind": "youtube#channelListResponse", "items": [] })).into_response();
    }
    let mut item = json!({ "kind": "youtube#channel", "id": wanted });
    for part in part.split(',') {
        match part {
            "id" => {}
            "snippet" => item["snippet"] = json!({ "title": state.titles[&wanted] }),
            "contentDetails" => {
                let uploads = wanted.replacen("UC", "UU", 1);
                item["contentDetails"] = json!({ "relatedPlaylists": { "uploads": uploads } });
            }
            _ => return answer("youtube", 400, "internal_error"),
        }
    }
    Json(json!({ "kind": "youtube#channelListResponse", "items": [item] })).into_response()
}

async fn playlist_items(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().expect("state");
    let channel = match caller(&mut state, &headers, "playlistItems".to_owned()) {
        Ok(channel) => channel,
        Err(response) => return *response,
    };
    if params.get("playlistId") != Some(&channel.replacen("UC", "UU", 1)) {
        return answer("youtube", 403, "forbidden");
    }
    let item: Value = json!({
        "id": "UExfaXRlbTE", "snippet": {
            "title": "Latte art in slow motion", "publishedAt": "2026-10-30T09:00:00Z",
            "videoOwnerChannelId": channel, "resourceId": { "kind": "youtube#video", "videoId": "dQw4w9WgXcQ" },
        },
    });
    Json(json!({ "items": [item] })).into_response()
}

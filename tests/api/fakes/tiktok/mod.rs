//! A fake of TikTok's Login Kit v2 and Display API: the authorization page signs in `next_user`
//! (the app named by `client_key`, comma-separated scopes, the registered redirect URI); the token
//! endpoint wants `client_key` and `client_secret` in its form, redeems each code once for its
//! redirect URI and rotates refresh tokens (a spent one is `invalid_grant`); `/v2/oauth/revoke/`
//! removes the app for that user; `/v2/user/info/` and `/v2/video/list/` answer the documented
//! bodies, errors inside an HTTP 200 included; Direct Post ([`publish`]) checks what TikTok checks.
//! It also signs `authorization.removed` webhooks.

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
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

mod publish;

use super::{Grant, Ledger, answer, bearer, fixture};

/// The fake's app registration: TikTok calls the client id a client key.
pub const CLIENT_KEY: &str = "tt-client-key";
/// Its secret (handed to Relink through `network_secrets`).
pub const SECRET: &str = "tt-client-secret-value";

/// What the fake knows and was asked.
#[derive(Debug)]
pub struct State {
    /// Codes and tokens.
    pub ledger: Ledger,
    /// The redirect URI registered for the app (Relink's callback).
    pub redirect_uri: String,
    /// Who the next sign-in is (an open_id).
    pub next_user: String,
    /// The last authorize request's query.
    pub authorize_query: HashMap<String, String>,
    /// Access token lifetime the token endpoint answers (TikTok: 2 h now, 24 h before).
    pub expires_in: i64,
    /// Refresh token lifetime it answers (180 days now, 365 before).
    pub refresh_expires_in: i64,
    /// Every API call answers this (status, fixture) until cleared.
    pub failure: Option<(u16, &'static str)>,
    /// The token endpoint answers this (status, fixture) until cleared.
    pub token_failure: Option<(u16, &'static str)>,
    /// API calls answered.
    pub calls: u32,
    /// Users whose authorization was revoked through `/v2/oauth/revoke/`.
    pub revoked: Vec<String>,
    /// The scopes each user granted (refreshes keep them).
    pub granted: HashMap<String, String>,
    /// The privacy levels the creator offers (`creator_info/query/`).
    pub privacy_options: Vec<&'static str>,
    /// An unaudited app may post `SELF_ONLY` only.
    pub audited: bool,
    /// The URL prefix verified for the app: TikTok pulls media from it only.
    pub verified_prefix: String,
    /// Creator settings asked.
    pub creator_queries: u32,
    /// Posts accepted: (user, video or photo URL, post_info, publish_id).
    pub posts: Vec<(String, String, Value, String)>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            ledger: Ledger::default(),
            redirect_uri: String::new(),
            next_user: String::new(),
            authorize_query: HashMap::new(),
            expires_in: 7_200,
            refresh_expires_in: 15_552_000,
            failure: None,
            token_failure: None,
            calls: 0,
            revoked: Vec::new(),
            granted: HashMap::new(),
            privacy_options: vec!["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
            audited: false,
            verified_prefix: "https://media.northwind.example/".to_owned(),
            creator_queries: 0,
            posts: Vec::new(),
        }
    }
}

/// The fake, served.
pub type FakeTiktok = super::Fake<State>;

impl FakeTiktok {
    /// Starts the fake.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let router = Router::new()
            .route("/v2/auth/authorize/", get(authorize))
            .route("/v2/oauth/token/", post(token))
            .route("/v2/oauth/revoke/", post(revoke))
            .route("/v2/user/info/", get(user_info))
            .route("/v2/video/list/", post(video_list))
            .route(
                "/v2/post/publish/creator_info/query/",
                post(publish::creator_info),
            )
            .route("/v2/post/publish/video/init/", post(publish::video_init))
            .route(
                "/v2/post/publish/content/init/",
                post(publish::content_init),
            )
            .with_state(state.clone());
        Self::serve(router, state).await
    }

    /// The networks-file table pointing Relink's live TikTok adapter here.
    pub fn networks_file(&self) -> String {
        let at = &self.served.address;
        format!(
            "[tiktok]\nmode = \"live\"\nclient_id = \"{CLIENT_KEY}\"\nclient_secret_env = \"TIKTOK_TEST_SECRET\"\n\
             authorize_url = \"{at}/v2/auth/authorize/\"\ntoken_url = \"{at}/v2/oauth/token/\"\n\
             revoke_url = \"{at}/v2/oauth/revoke/\"\napi_url = \"{at}/v2\"\n"
        )
    }
}

type Shared = Axum<Arc<Mutex<State>>>;

/// The display name TikTok shows for an open_id.
pub fn display_name(user: &str) -> String {
    format!("Name of {user}")
}

/// The documented `authorization.removed` body, for `user` of the app `client_key`, with
/// `reason` and `create_time`.
pub fn removal(client_key: &str, user: &str, reason: i64, create_time: i64) -> String {
    let mut body = fixture("tiktok", "authorization_removed");
    body["client_key"] = json!(client_key);
    body["user_openid"] = json!(user);
    body["create_time"] = json!(create_time);
    body["content"] = json!(format!("{{\"reason\": {reason} }}"));
    body.to_string()
}

/// The `TikTok-Signature` header TikTok sends with `body` at `t`, signed with `secret`.
pub fn signature(t: i64, body: &str, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    let s: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("t={t},s={s}")
}

async fn authorize(Axum(state): Shared, Query(params): Query<HashMap<String, String>>) -> Response {
    let mut state = state.lock().expect("state");
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    let scopes = param("scope");
    // TikTok's page refuses what it does not know: the app is `client_key`, scopes are
    // comma-separated, the redirect URI is the registered one.
    if param("client_key") != CLIENT_KEY
        || params.contains_key("client_id")
        || param("response_type") != "code"
        || param("redirect_uri") != state.redirect_uri
        || scopes.contains(' ')
        || !scopes.split(',').any(|scope| scope == "user.info.basic")
        || param("state").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "Something went wrong").into_response();
    }
    state.authorize_query = params.clone();
    let user = state.next_user.clone();
    let code = state.ledger.grant(Grant {
        user,
        redirect_uri: param("redirect_uri"),
        // Login Kit for Web: no PKCE, the client secret proves the app.
        challenge: None,
        scopes: scopes.clone(),
    });
    let mut back = reqwest::Url::parse(&param("redirect_uri")).expect("redirect");
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("scopes", &scopes)
        .append_pair("state", &param("state"));
    Redirect::to(back.as_str()).into_response()
}

async fn token(Axum(state): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_key") != Some(CLIENT_KEY) || field("client_secret") != Some(SECRET) {
        return answer("tiktok", 401, "oauth_invalid_client");
    }
    let mut state = state.lock().expect("state");
    if let Some((status, name)) = state.token_failure {
        return answer("tiktok", status, name);
    }
    let (user, scopes) = match field("grant_type") {
        Some("authorization_code") => {
            match state.ledger.redeem(
                field("code").unwrap_or_default(),
                field("redirect_uri"),
                None,
            ) {
                Ok(grant) => {
                    state
                        .granted
                        .insert(grant.user.clone(), grant.scopes.clone());
                    (grant.user, grant.scopes)
                }
                Err(_) => return answer("tiktok", 400, "oauth_invalid_grant"),
            }
        }
        Some("refresh_token") => match state
            .ledger
            .spend_refresh(field("refresh_token").unwrap_or_default())
        {
            Some(user) => {
                let scopes = state.granted.get(&user).cloned().unwrap_or_default();
                (user, scopes)
            }
            None => return answer("tiktok", 400, "oauth_invalid_grant"),
        },
        _ => return answer("tiktok", 400, "oauth_invalid_grant"),
    };
    let (access, refresh) = state.ledger.issue(&user, true);
    let mut body = fixture("tiktok", "token");
    body["access_token"] = json!(access);
    body["refresh_token"] = json!(refresh);
    body["open_id"] = json!(user);
    body["scope"] = json!(scopes);
    body["expires_in"] = json!(state.expires_in);
    body["refresh_expires_in"] = json!(state.refresh_expires_in);
    Json(body).into_response()
}

async fn revoke(Axum(state): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_key") != Some(CLIENT_KEY) || field("client_secret") != Some(SECRET) {
        return answer("tiktok", 401, "oauth_invalid_client");
    }
    let mut state = state.lock().expect("state");
    let token = field("token").unwrap_or_default();
    if let Some(user) = state.ledger.user_of(token) {
        // Revoking removes the app from the user's connected apps: every token of theirs dies.
        state.ledger.revoke_user(&user);
        state.revoked.push(user);
    }
    Json(json!({})).into_response()
}

/// The user of the request's token, or the answer TikTok gives instead.
pub(super) fn caller(state: &mut State, headers: &HeaderMap) -> Result<String, Box<Response>> {
    state.calls += 1;
    if let Some((status, name)) = state.failure {
        return Err(Box::new(answer("tiktok", status, name)));
    }
    bearer(headers)
        .and_then(|token| state.ledger.user_of(&token))
        .ok_or_else(|| Box::new(answer("tiktok", 401, "access_token_invalid")))
}

fn fields_cover(params: &HashMap<String, String>, wanted: &[&str]) -> bool {
    let fields = params.get("fields").cloned().unwrap_or_default();
    wanted
        .iter()
        .all(|field| fields.split(',').any(|asked| asked == *field))
}

async fn user_info(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().expect("state");
    let user = match caller(&mut state, &headers) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if !fields_cover(&params, &["open_id", "display_name"]) {
        return answer("tiktok", 400, "invalid_params");
    }
    let mut body = fixture("tiktok", "success");
    body["data"]["user"] = json!({ "open_id": user, "display_name": display_name(&user) });
    Json(body).into_response()
}

async fn video_list(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    Json(request): Json<Value>,
) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = caller(&mut state, &headers) {
        return *response;
    }
    let wanted = request["max_count"].as_i64().unwrap_or(0);
    if !fields_cover(&params, &["id", "create_time"]) || !(1..=20).contains(&wanted) {
        return answer("tiktok", 400, "invalid_params");
    }
    answer("tiktok", 200, "video_list")
}

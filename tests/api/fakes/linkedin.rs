//! A fake of LinkedIn: the consent screen signs in `next_user` with a single-use code bound to the
//! redirect URI (no PKCE for web apps); the token endpoint wants the app's id and secret in the
//! form and issues a refresh token only to an app with programmatic refresh (not rotating: the same
//! one again, with what is left of its lifetime). Every `/rest/` call needs `LinkedIn-Version` and
//! Rest.li 2.0 or gets LinkedIn's 4xx; `organizationAcls` pages, `organizationsLookup` wants a
//! Rest.li `List(...)`, `/rest/posts` answers the new post's URN in `x-restli-id`, a duplicate
//! with 422 `DUPLICATE_POST` naming the earlier post, and "little" text is cut at an unescaped
//! reserved character as LinkedIn cuts it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json, Router,
    extract::{Query, RawQuery, State as Axum},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

mod posts;

pub use posts::Post;

use super::{Grant, Ledger, answer, bearer};

/// The fake's app registration.
pub const CLIENT_ID: &str = "li-client-id";
/// Its secret (handed to Relink through `network_secrets`).
pub const SECRET: &str = "li-client-secret-value";
/// The API version the fake serves.
pub const VERSION: &str = "202610";
/// LinkedIn's 60 days, as `expires_in`.
pub const ACCESS_SECONDS: i64 = 5_184_000;

/// What the fake knows and was asked.
#[derive(Debug, Default)]
pub struct State {
    /// Codes and tokens.
    pub ledger: Ledger,
    /// The redirect URI registered for the app (Relink's callback).
    pub redirect_uri: String,
    /// Who the next sign-in is (the member's `sub`).
    pub next_user: String,
    /// Role assignments: (member, organization id, role).
    pub acls: Vec<(String, String, &'static str)>,
    /// Organization names by id.
    pub names: HashMap<String, String>,
    /// Whether the app has programmatic refresh (refresh tokens).
    pub programmatic_refresh: bool,
    /// `refresh_token_expires_in` of the next token answer.
    pub refresh_left: i64,
    /// The posts.
    pub posts: Vec<Post>,
    /// The next post is kept but its answer lost (a 503 after the write).
    pub lose_next_post: bool,
    /// The next this many API calls answer 65601 (LinkedIn's spurious revocation after consent).
    pub revoked_after_consent: u32,
    /// Every API call answers this (status, fixture) until cleared.
    pub failure: Option<(u16, &'static str)>,
    /// The token endpoint answers this (status, fixture) until cleared.
    pub token_failure: Option<(u16, &'static str)>,
    /// API calls answered, by path.
    pub calls: Vec<String>,
    /// Refreshes served.
    pub refreshes: u32,
}

/// The fake, served.
pub type FakeLinkedin = super::Fake<State>;

impl FakeLinkedin {
    /// Starts the fake.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let router = Router::new()
            .route("/oauth/v2/authorization", get(authorize))
            .route("/oauth/v2/accessToken", post(token))
            .route("/oauth/v2/revoke", post(revoke))
            .route("/v2/userinfo", get(userinfo))
            .route("/rest/organizationAcls", get(acls))
            .route("/rest/organizationsLookup", get(lookup))
            .route("/rest/posts", post(posts::create).get(posts::by_author))
            .route("/rest/posts/{urn}", get(posts::one_post))
            .with_state(state.clone());
        Self::serve(router, state).await
    }

    /// The networks-file table pointing Relink's live LinkedIn adapter here.
    pub fn networks_file(&self) -> String {
        let at = &self.served.address;
        format!(
            "[linkedin]\nmode = \"live\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"LI_TEST_SECRET\"\n\
             authorize_url = \"{at}/oauth/v2/authorization\"\ntoken_url = \"{at}/oauth/v2/accessToken\"\n\
             revoke_url = \"{at}/oauth/v2/revoke\"\napi_url = \"{at}\"\nconsent_retry_ms = 20\n"
        )
    }
}

type Shared = Axum<Arc<Mutex<State>>>;

async fn authorize(Axum(state): Shared, Query(params): Query<HashMap<String, String>>) -> Response {
    let mut state = state.lock().expect("state");
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    let scopes: Vec<&str> = params
        .get("scope")
        .map_or(Vec::new(), |s| s.split(' ').collect());
    if param("response_type") != "code"
        || param("client_id") != CLIENT_ID
        || param("redirect_uri") != state.redirect_uri
        || param("state").is_empty()
        || !["openid", "profile", "w_member_social"]
            .iter()
            .all(|needed| scopes.contains(needed))
    {
        return (StatusCode::BAD_REQUEST, "The redirect_uri does not match").into_response();
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

async fn token(Axum(state): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(SECRET) {
        return answer("linkedin", 401, "invalid_client");
    }
    let mut state = state.lock().expect("state");
    if let Some((status, name)) = state.token_failure {
        return answer("linkedin", status, name);
    }
    let (user, refresh) = match field("grant_type") {
        Some("authorization_code") => {
            let code = field("code").unwrap_or_default();
            match state.ledger.redeem(code, field("redirect_uri"), None) {
                Ok(grant) => {
                    let refresh = state.programmatic_refresh;
                    let (access, refresh) = state.ledger.issue(&grant.user, refresh);
                    return Json(tokens(&access, refresh.as_deref(), state.refresh_left))
                        .into_response();
                }
                Err(_) => return answer("linkedin", 400, "code_mismatch"),
            }
        }
        Some("refresh_token") => {
            let refresh = field("refresh_token").unwrap_or_default().to_owned();
            match state.ledger.refresh_user(&refresh) {
                Some(user) => (user, refresh),
                None => return answer("linkedin", 400, "refresh_revoked"),
            }
        }
        _ => return answer("linkedin", 400, "refresh_missing"),
    };
    state.refreshes += 1;
    // Not rotating: a new access token, the same refresh token with less of its life left.
    let (access, _) = state.ledger.issue(&user, false);
    Json(tokens(&access, Some(&refresh), state.refresh_left)).into_response()
}

fn tokens(access: &str, refresh: Option<&str>, refresh_left: i64) -> Value {
    let mut body = json!({
        "access_token": access,
        "expires_in": ACCESS_SECONDS,
        "scope": "openid,profile,w_member_social,r_organization_admin,w_organization_social",
        "token_type": "Bearer",
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
        body["refresh_token_expires_in"] = json!(refresh_left);
    }
    body
}

async fn revoke(Axum(state): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(SECRET) {
        return answer("linkedin", 401, "invalid_client");
    }
    if let Some(token) = field("token") {
        state.lock().expect("state").ledger.revoke(token);
    }
    StatusCode::OK.into_response()
}

/// The member of the request's token, or the answer LinkedIn gives instead; `/rest/` calls must
/// name an active version and Rest.li 2.0.
fn caller(state: &mut State, headers: &HeaderMap, path: &str) -> Result<String, Box<Response>> {
    state.calls.push(path.to_owned());
    let fail = |status, name| Err(Box::new(answer("linkedin", status, name)));
    if let Some((status, name)) = state.failure {
        return fail(status, name);
    }
    if state.revoked_after_consent > 0 {
        state.revoked_after_consent -= 1;
        return fail(401, "revoked");
    }
    if path.starts_with("/rest/") {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        match header("linkedin-version") {
            None => return fail(400, "version_missing"),
            Some(VERSION) => {}
            Some(_) => return fail(426, "nonexistent_version"),
        }
        if header("x-restli-protocol-version") != Some("2.0.0") {
            return fail(400, "illegal_argument");
        }
    }
    match bearer(headers) {
        None => fail(401, "empty_token"),
        Some(token) => state
            .ledger
            .user_of(&token)
            .map_or_else(|| fail(401, "revoked"), Ok),
    }
}

async fn userinfo(Axum(state): Shared, headers: HeaderMap) -> Response {
    let mut state = state.lock().expect("state");
    match caller(&mut state, &headers, "/v2/userinfo") {
        Ok(user) => Json(json!({
            "sub": user, "name": format!("Name of {user}"), "email_verified": true, "locale": "en_US",
        }))
        .into_response(),
        Err(response) => *response,
    }
}

async fn acls(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().expect("state");
    let user = match caller(&mut state, &headers, "/rest/organizationAcls") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let param = |name: &str| params.get(name).map(String::as_str);
    let (Some("roleAssignee"), Some(start), Some(count)) = (
        param("q"),
        param("start").and_then(|s| s.parse::<usize>().ok()),
        param("count").and_then(|s| s.parse::<usize>().ok()),
    ) else {
        return answer("linkedin", 400, "illegal_argument");
    };
    let mine: Vec<Value> = state
        .acls
        .iter()
        .filter(|(member, _, _)| *member == user)
        .filter(|(_, _, role)| param("role").is_none_or(|wanted| wanted == *role))
        .map(|(member, org, role)| {
            json!({
                "roleAssignee": format!("urn:li:person:{member}"),
                "organization": format!("urn:li:organization:{org}"),
                "role": role, "state": "APPROVED",
            })
        })
        .collect();
    let page: Vec<Value> = mine
        .iter()
        .skip(start)
        .take(count.min(100))
        .cloned()
        .collect();
    Json(json!({
        "paging": { "start": start, "count": count, "links": [], "total": mine.len() },
        "elements": page,
    }))
    .into_response()
}

async fn lookup(Axum(state): Shared, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = caller(&mut state, &headers, "/rest/organizationsLookup") {
        return *response;
    }
    // Rest.li 2.0: `ids=List(1,2)`, its parentheses and commas not percent-encoded.
    let Some(ids) = raw
        .as_deref()
        .and_then(|q| q.strip_prefix("ids=List("))
        .and_then(|q| q.strip_suffix(')'))
    else {
        return answer("linkedin", 400, "illegal_argument");
    };
    let ids: Vec<&str> = ids.split(',').collect();
    if ids.len() > 50 {
        return answer("linkedin", 400, "illegal_argument");
    }
    let (mut results, mut statuses) = (json!({}), json!({}));
    for id in ids {
        if let Some(name) = state.names.get(id) {
            results[id] = json!({ "localizedName": name, "vanityName": id, "id": id });
            statuses[id] = json!(200);
        }
    }
    Json(json!({ "results": results, "statuses": statuses, "errors": {} })).into_response()
}

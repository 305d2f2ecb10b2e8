//! A fake of Meta's Graph API (`/v25.0`), serving Facebook and Instagram through Facebook Login:
//! the Login dialog signs in `next_user` and redirects with a single-use code bound to the
//! redirect URI; the token endpoint wants the app secret, refuses a used code or another redirect
//! URI as Meta does, and exchanges only a live user token for a long-lived one
//! (`fb_exchange_token`; an expired token cannot be exchanged); every API call must carry a live
//! token and its `appsecret_proof`; `/me/accounts` pages through `after` cursors; a page's feed
//! takes only that page's token. Times come from the test's clock.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Query, State as Axum},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::{Value, json};

mod pages;

use self::pages::{feed, media, node, post};
use super::{Grant, Ledger, answer};

/// The fake's app registration (one Meta app for Facebook and Instagram).
pub const CLIENT_ID: &str = "meta-app-id";
/// Its secret (handed to Relink through `network_secrets`).
pub const SECRET: &str = "meta-app-secret-value";
/// The Graph version the fake serves.
pub const VERSION: &str = "v25.0";
/// Seconds a long-lived user token lives, as Meta answers.
pub const LONG_LIVED: i64 = 5_183_944;

/// A page a user has a task on.
#[derive(Clone, Debug)]
pub struct Page {
    pub id: String,
    pub tasks: Vec<&'static str>,
    /// Its Instagram professional account: (id, username).
    pub instagram: Option<(String, String)>,
}

/// A page with these tasks.
pub fn page(id: &str, tasks: &[&'static str], instagram: Option<(&str, &str)>) -> Page {
    Page {
        id: id.to_owned(),
        tasks: tasks.to_vec(),
        instagram: instagram.map(|(id, name)| (id.to_owned(), name.to_owned())),
    }
}

/// An access token the fake issued.
#[derive(Clone, Debug)]
pub struct Issued {
    pub user: String,
    pub expires_at: DateTime<Utc>,
    pub long_lived: bool,
    pub scopes: Vec<String>,
    /// For a page token: its page.
    pub page: Option<String>,
}

/// What the fake knows and was asked.
#[derive(Debug, Default)]
pub struct State {
    /// Codes (and the users of tokens, for revocation).
    pub ledger: Ledger,
    /// The app's valid OAuth redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Who the next sign-in is.
    pub next_user: String,
    /// The pages of each user.
    pub pages: HashMap<String, Vec<Page>>,
    /// The test's clock (the fake's "now").
    pub clock: Option<relink::clock::ManualClock>,
    /// Every token issued.
    pub tokens: HashMap<String, Issued>,
    /// Posts published: (page, message, id).
    pub posts: Vec<(String, String, String)>,
    /// Instagram's containers and media, published through the pages.
    pub instagram: super::ig_media::Publishing,
    /// Every API call answers this (fixture folder, status, fixture) until cleared.
    pub failure: Option<(&'static str, u16, &'static str)>,
    /// The token endpoint answers this until cleared.
    pub token_failure: Option<(&'static str, u16, &'static str)>,
    /// Short-lived tokens exchanged for long-lived ones.
    pub long_from_short: u32,
    /// Long-lived tokens renewed with themselves.
    pub renewals: u32,
    /// Pages of `/me/accounts` answered.
    pub account_pages: u32,
    /// `/me/accounts` entries per answer.
    pub page_size: usize,
    /// API calls answered.
    pub calls: u32,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        self.clock
            .as_ref()
            .map_or_else(Utc::now, relink::clock::ManualClock::now)
    }

    fn issue(
        &mut self,
        user: &str,
        lifetime: i64,
        long_lived: bool,
        scopes: Vec<String>,
    ) -> String {
        let (token, _) = self.ledger.issue(user, false);
        let expires_at = self.now() + Duration::seconds(lifetime);
        self.tokens.insert(
            token.clone(),
            Issued {
                user: user.to_owned(),
                expires_at,
                long_lived,
                scopes,
                page: None,
            },
        );
        token
    }

    /// Whether a token the fake issued is long-lived (what Relink must store).
    pub fn is_long_lived(&self, token: &str) -> bool {
        self.tokens
            .get(token)
            .is_some_and(|issued| issued.long_lived)
    }

    /// A live token's grant; the answer Meta gives otherwise.
    fn live(&self, token: &str) -> Result<Issued, Box<Response>> {
        match (self.tokens.get(token), self.ledger.user_of(token)) {
            (Some(issued), Some(_)) if issued.expires_at > self.now() => Ok(issued.clone()),
            (Some(_), Some(_)) => Err(Box::new(answer("facebook", 400, "token_expired"))),
            _ => Err(Box::new(answer("facebook", 400, "invalid_token"))),
        }
    }
}

/// The fake, served.
pub type FakeGraph = super::Fake<State>;

impl FakeGraph {
    /// Starts the fake with the demo's identities: Nora administers both pages (the Northwind one
    /// linked to @northwindcoffee), `ig-nora` is Nora's Instagram sign-in through Facebook, Ben
    /// administers the roastery, Cleo only creates content on it, `fb-other` has no page.
    pub async fn start() -> Self {
        let northwind = page(
            "fb-page-northwind",
            &[
                "ANALYZE",
                "ADVERTISE",
                "MODERATE",
                "CREATE_CONTENT",
                "MANAGE",
            ],
            Some(("ig-biz-northwind", "northwindcoffee")),
        );
        let roastery = page("fb-page-roastery", &["CREATE_CONTENT", "MANAGE"], None);
        let mut state = State {
            page_size: 100,
            ..State::default()
        };
        state.pages.insert(
            "fb-nora".to_owned(),
            vec![northwind.clone(), roastery.clone()],
        );
        state.pages.insert("ig-nora".to_owned(), vec![northwind]);
        state.pages.insert("fb-ben".to_owned(), vec![roastery]);
        state.pages.insert(
            "fb-cleo".to_owned(),
            vec![page(
                "fb-page-roastery",
                &["CREATE_CONTENT", "MODERATE"],
                None,
            )],
        );
        let state = Arc::new(Mutex::new(state));
        let v = VERSION;
        let router = Router::new()
            .route(&format!("/{v}/dialog/oauth"), get(authorize))
            .route(&format!("/{v}/oauth/access_token"), get(token))
            .route(&format!("/{v}/me"), get(me))
            .route(&format!("/{v}/me/permissions"), get(permissions))
            .route(&format!("/{v}/me/accounts"), get(accounts))
            .route(&format!("/{v}/{{node}}"), get(node))
            .route(&format!("/{v}/{{node}}/feed"), get(feed).post(post))
            .route(
                &format!("/{v}/{{node}}/media"),
                get(media).post(pages::create_media),
            )
            .route(
                &format!("/{v}/{{node}}/media_publish"),
                axum::routing::post(pages::publish_media),
            )
            .with_state(state.clone());
        Self::serve(router, state).await
    }

    /// The networks-file tables pointing Relink's live Facebook and Instagram (through Facebook
    /// Login) here.
    pub fn networks_file(&self) -> String {
        let at = format!("{}/{VERSION}", self.served.address);
        ["facebook", "instagram"]
            .iter()
            .map(|network| {
                let upper = network.to_uppercase();
                format!(
                    "[{network}]\nmode = \"live\"\nclient_id = \"{CLIENT_ID}\"\n\
                     client_secret_env = \"{upper}_TEST_SECRET\"\n\
                     authorize_url = \"{at}/dialog/oauth\"\ntoken_url = \"{at}/oauth/access_token\"\n\
                     api_url = \"{at}\"\n"
                )
            })
            .collect()
    }
}

type Shared = Axum<Arc<Mutex<State>>>;
type Params = Query<HashMap<String, String>>;

/// `appsecret_proof` as Meta computes it.
pub fn proof(token: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(token.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn authorize(Axum(state): Shared, Query(params): Params) -> Response {
    let mut state = state.lock().expect("state");
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    if param("client_id") != CLIENT_ID
        || !state.redirect_uris.contains(&param("redirect_uri"))
        || param("response_type") != "code"
        || param("state").is_empty()
        || param("scope").is_empty()
        || param("scope").contains(' ')
    {
        return (StatusCode::BAD_REQUEST, "Invalid App ID or redirect_uri").into_response();
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

async fn token(Axum(state): Shared, Query(params): Params) -> Response {
    let mut state = state.lock().expect("state");
    let param = |name: &str| params.get(name).map(String::as_str);
    if param("client_id") != Some(CLIENT_ID) || param("client_secret") != Some(SECRET) {
        return answer("facebook", 400, "bad_client_secret");
    }
    if let Some((network, status, name)) = state.token_failure {
        return answer(network, status, name);
    }
    let (user, scopes, lifetime, long) = if param("grant_type") == Some("fb_exchange_token") {
        let given = match state.live(param("fb_exchange_token").unwrap_or_default()) {
            Ok(given) if given.page.is_none() => given,
            Ok(_) => return answer("facebook", 400, "invalid_parameter"),
            Err(response) => return *response,
        };
        if given.long_lived {
            state.renewals += 1;
        } else {
            state.long_from_short += 1;
        }
        (given.user, given.scopes, LONG_LIVED, true)
    } else {
        match state.ledger.redeem(
            param("code").unwrap_or_default(),
            param("redirect_uri"),
            None,
        ) {
            Ok(grant) => {
                let scopes = grant.scopes.split(',').map(str::to_owned).collect();
                (grant.user, scopes, 3600, false)
            }
            Err(super::Refusal::RedirectUri) => {
                return answer("facebook", 400, "redirect_uri_mismatch");
            }
            Err(_) => return answer("facebook", 400, "code_used"),
        }
    };
    let access = state.issue(&user, lifetime, long, scopes);
    Json(json!({ "access_token": access, "token_type": "bearer", "expires_in": lifetime }))
        .into_response()
}

/// The grant of the request's token, checked as Graph checks it (a live token, its proof), or
/// the answer Graph gives instead; `failure` answers first.
pub(super) fn caller(
    state: &mut State,
    params: &HashMap<String, String>,
) -> Result<Issued, Box<Response>> {
    state.calls += 1;
    if let Some((network, status, name)) = state.failure {
        return Err(Box::new(answer(network, status, name)));
    }
    let token = params.get("access_token").cloned().unwrap_or_default();
    let issued = state.live(&token)?;
    if params.get("appsecret_proof") != Some(&proof(&token)) {
        return Err(Box::new(answer("facebook", 400, "invalid_appsecret_proof")));
    }
    Ok(issued)
}

async fn me(Axum(state): Shared, Query(params): Params) -> Response {
    let mut state = state.lock().expect("state");
    match caller(&mut state, &params) {
        Ok(issued) if issued.page.is_none() => {
            Json(json!({ "id": issued.user, "name": format!("Name of {}", issued.user) }))
                .into_response()
        }
        Ok(_) => answer("facebook", 400, "invalid_parameter"),
        Err(response) => *response,
    }
}

async fn permissions(Axum(state): Shared, Query(params): Params) -> Response {
    let mut state = state.lock().expect("state");
    match caller(&mut state, &params) {
        Ok(issued) => {
            let mut data: Vec<Value> = issued
                .scopes
                .iter()
                .map(|scope| json!({ "permission": scope, "status": "granted" }))
                .collect();
            data.push(json!({ "permission": "public_profile", "status": "granted" }));
            data.push(json!({ "permission": "business_management", "status": "declined" }));
            Json(json!({ "data": data })).into_response()
        }
        Err(response) => *response,
    }
}

async fn accounts(Axum(state): Shared, Query(params): Params) -> Response {
    let mut state = state.lock().expect("state");
    let issued = match caller(&mut state, &params) {
        Ok(issued) => issued,
        Err(response) => return *response,
    };
    let fields = params.get("fields").cloned().unwrap_or_default();
    if !fields.contains("tasks") || !fields.contains("instagram_business_account") {
        return answer("facebook", 400, "invalid_parameter");
    }
    state.account_pages += 1;
    let pages = state.pages.get(&issued.user).cloned().unwrap_or_default();
    let from: usize = params
        .get("after")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let to = (from + state.page_size).min(pages.len());
    let data: Vec<Value> = pages[from.min(to)..to]
        .iter()
        .map(|page| {
            let mut entry =
                json!({ "id": page.id, "name": format!("Page {}", page.id), "tasks": page.tasks });
            if let Some((id, username)) = &page.instagram {
                entry["instagram_business_account"] = json!({ "id": id, "username": username });
            }
            entry
        })
        .collect();
    let mut paging = json!({ "cursors": { "before": from.to_string(), "after": to.to_string() } });
    if to < pages.len() {
        paging["next"] = json!(format!(
            "https://graph.facebook.com/{VERSION}/me/accounts?after={to}"
        ));
    }
    Json(json!({ "data": data, "paging": paging })).into_response()
}

//! Fakes of the real networks: axum servers on port 0 that answer the documented requests with the
//! documented bodies (the recorded ones under `tests/fixtures/networks/{network}/`) and check what
//! the real networks check — the app's secret, the registered redirect URI, single-use codes bound
//! to their PKCE challenge, and refresh tokens that die when rotated — so a wrong request fails.

pub mod facebook;
pub mod ig_media;
pub mod instagram;
pub mod linkedin;
pub mod pinterest;
pub mod rows;
pub mod tiktok;
pub mod x;
pub mod youtube;

use std::collections::HashMap;

use axum::{
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use base64::{
    Engine as _, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD,
};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// A recorded answer of a network.
pub fn fixture(network: &str, name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/networks")
        .join(network)
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{}", path.display()));
    serde_json::from_str(&text).expect("fixture JSON")
}

/// A recorded answer with its status: `{name}.json`, or `{name}.html` for the pages proxies and
/// load balancers answer instead of the network.
pub fn answer(network: &str, status: u16, name: &str) -> Response {
    let status = StatusCode::from_u16(status).expect("status");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/networks")
        .join(network);
    if let Ok(page) = std::fs::read_to_string(dir.join(format!("{name}.html"))) {
        return (status, [("content-type", "text/html")], page).into_response();
    }
    (status, axum::Json(fixture(network, name))).into_response()
}

/// A fake being served; stops when dropped.
pub struct Served {
    /// `http://127.0.0.1:{port}`.
    pub address: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A fake of a network: its routes served on port 0 over its state, which the test reads and
/// changes between requests.
pub struct Fake<S> {
    /// Its address.
    pub served: Served,
    /// Its state, shared with its handlers.
    pub state: std::sync::Arc<std::sync::Mutex<S>>,
}

impl<S> Fake<S> {
    /// Serves `router`, whose handlers share `state`.
    pub async fn serve(router: axum::Router, state: std::sync::Arc<std::sync::Mutex<S>>) -> Self {
        Self {
            served: serve(router).await,
            state,
        }
    }

    /// The fake's state.
    pub fn state(&self) -> std::sync::MutexGuard<'_, S> {
        self.state.lock().expect("fake state")
    }
}

/// Serves a fake's routes on port 0.
pub async fn serve(router: axum::Router) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Served { address, task }
}

/// PKCE S256 of a verifier, as the network computes it.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The `(client_id, client_secret)` of an HTTP Basic header.
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let decoded = STANDARD.decode(value.strip_prefix("Basic ")?).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The bearer token of a request.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

/// One authorization the fake's consent screen granted.
#[derive(Clone, Debug)]
pub struct Grant {
    /// Who signed in.
    pub user: String,
    /// The redirect URI the authorize request named (the token request must repeat it).
    pub redirect_uri: String,
    /// The PKCE challenge, when the network takes one.
    pub challenge: Option<String>,
    /// The scopes asked for.
    pub scopes: String,
}

/// Why a token request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown or already used code.
    Code,
    /// The redirect URI differs from the authorize request's.
    RedirectUri,
    /// The verifier does not hash to the challenge (or is missing).
    Verifier,
}

/// A refresh token's life.
#[derive(Clone, Debug)]
struct RefreshState {
    user: String,
    spent: bool,
}

/// Codes and tokens the fake issued.
#[derive(Debug, Default)]
pub struct Ledger {
    codes: HashMap<String, Option<Grant>>,
    access: HashMap<String, String>,
    refresh: HashMap<String, RefreshState>,
    counter: u64,
    /// Refreshes that rotated a token.
    pub rotations: u32,
    /// Codes redeemed.
    pub exchanges: u32,
}

impl Ledger {
    fn next(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}-{}-{}", self.counter, rand_suffix())
    }

    /// Issues a code for a grant.
    pub fn grant(&mut self, grant: Grant) -> String {
        let code = self.next("code");
        self.codes.insert(code.clone(), Some(grant));
        code
    }

    /// Redeems a code once, checking the redirect URI and the PKCE verifier.
    pub fn redeem(
        &mut self,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Grant, Refusal> {
        let slot = self.codes.get_mut(code).ok_or(Refusal::Code)?;
        let grant = slot.take().ok_or(Refusal::Code)?;
        if redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(Refusal::RedirectUri);
        }
        if let Some(challenge) = &grant.challenge
            && verifier.map(s256).as_deref() != Some(challenge.as_str())
        {
            return Err(Refusal::Verifier);
        }
        self.exchanges += 1;
        Ok(grant)
    }

    /// Issues an access token (and a refresh token) for a user.
    pub fn issue(&mut self, user: &str, with_refresh: bool) -> (String, Option<String>) {
        let access = self.next("access");
        self.access.insert(access.clone(), user.to_owned());
        let refresh = with_refresh.then(|| {
            let refresh = self.next("refresh");
            self.refresh.insert(
                refresh.clone(),
                RefreshState {
                    user: user.to_owned(),
                    spent: false,
                },
            );
            refresh
        });
        (access, refresh)
    }

    /// The user of a live access token.
    pub fn user_of(&self, access: &str) -> Option<String> {
        self.access.get(access).cloned()
    }

    /// Spends a refresh token, returning its user; `None` when unknown or already spent.
    pub fn spend_refresh(&mut self, refresh: &str) -> Option<String> {
        let state = self.refresh.get_mut(refresh)?;
        if state.spent {
            return None;
        }
        state.spent = true;
        self.rotations += 1;
        Some(state.user.clone())
    }

    /// Revokes every token of a user (the person removed the app at the network).
    pub fn revoke_user(&mut self, user: &str) {
        self.access.retain(|_, owner| owner != user);
        for state in self.refresh.values_mut() {
            if state.user == user {
                state.spent = true;
            }
        }
    }

    /// Revokes one token (access or refresh).
    pub fn revoke(&mut self, token: &str) {
        self.access.remove(token);
        if let Some(state) = self.refresh.get_mut(token) {
            state.spent = true;
        }
    }

    /// The user of a refresh token that is still valid, leaving it valid: networks whose refresh
    /// tokens do not rotate (LinkedIn, Google) take the same one again and again.
    pub fn refresh_user(&self, refresh: &str) -> Option<String> {
        self.refresh
            .get(refresh)
            .filter(|state| !state.spent)
            .map(|state| state.user.clone())
    }
}

fn rand_suffix() -> String {
    use rand::Rng as _;
    let bytes: [u8; 9] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The query of an authorize URL as pairs.
pub fn query(url: &str) -> HashMap<String, String> {
    reqwest::Url::parse(url)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A demo server whose networks file is `toml` (live networks pointing at fakes), with the app
/// secrets handed over as the named variables.
pub async fn spawn_live(toml: &str, secrets: &[(&str, &str)]) -> crate::helpers::TestApp {
    let toml = toml.to_owned();
    let secrets: Vec<(String, String)> = secrets
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let app = crate::helpers::TestApp::spawn_with(move |config| {
        let file = config.data_dir.join("networks.toml");
        std::fs::write(&file, toml).expect("write networks file");
        config.networks_file = Some(file);
        for (name, value) in secrets {
            config
                .network_secrets
                .insert(name, relink::config::Secret::new(value));
        }
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed demo");
    app
}

/// Finishes a sign-in the way the dashboard does: the fake's redirect carries `state` and `code`,
/// and `completeReconnect` (as the starter) answers what came back.
pub async fn complete(app: &crate::helpers::TestApp, email: &str, authorize_url: &str) -> Value {
    let consent = app.client.get(authorize_url).send().await.expect("consent");
    assert_eq!(consent.status(), 303, "the fake's consent redirects");
    let back = consent.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (state, code) = crate::helpers::state_and_code(&back);
    let body = app
        .graphql(
            email,
            "mutation($state: String!, $code: String!) { completeReconnect(input: { state: $state, code: $code }) { reconnectedAccounts { externalId health } userErrors { code message } } }",
            serde_json::json!({ "state": state, "code": code }),
        )
        .await;
    body["data"]["completeReconnect"].clone()
}

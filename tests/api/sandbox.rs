//! The sandbox network (B9): authorize page, PKCE code exchange, refresh per network, the API,
//! and the admin routes, over real HTTP.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use entity::enums::Network;
use relink_sandbox as sandbox;
use sea_orm::{ActiveModelTrait as _, NotSet, Set};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::helpers::TestApp;

mod admin;
mod authorize;
mod tokens;

const VERIFIER: &str = "a-verifier-that-is-long-enough-for-rfc-7636-0123456789";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn network_of(network: &str) -> Network {
    sandbox::parse_network(network).expect("known network")
}

fn redirect_uri(app: &TestApp, network: &str) -> String {
    format!("{}/oauth/callback/{network}", app.address)
}

/// The authorize parameters Relink would send.
fn authorize_params(app: &TestApp, network: &str) -> Vec<(String, String)> {
    [
        ("response_type", "code".to_owned()),
        ("client_id", format!("relink-{network}")),
        ("redirect_uri", redirect_uri(app, network)),
        ("scope", "basic publish".to_owned()),
        ("state", "st-123".to_owned()),
        ("code_challenge", challenge(VERIFIER)),
        ("code_challenge_method", "S256".to_owned()),
        ("prompt", "select_account".to_owned()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

fn authorize_url(app: &TestApp, network: &str) -> String {
    format!("{}/sandbox/{network}/oauth/authorize", app.address)
}

/// POSTs the consent form and returns the redirect.
async fn consent(
    app: &TestApp,
    network: &str,
    identity: &str,
    deny: &[&str],
    decision: &str,
) -> reqwest::Response {
    let mut form = authorize_params(app, network);
    form.push(("identity".to_owned(), identity.to_owned()));
    form.push(("decision".to_owned(), decision.to_owned()));
    form.extend(deny.iter().map(|id| ("deny".to_owned(), (*id).to_owned())));
    app.client
        .post(authorize_url(app, network))
        .form(&form)
        .send()
        .await
        .expect("consent")
}

fn location(response: &reqwest::Response) -> reqwest::Url {
    let location = response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .expect("ascii");
    reqwest::Url::parse(location).expect("absolute url")
}

fn param(url: &reqwest::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A fresh code for `identity`, denying the listed assets.
async fn code_for(app: &TestApp, network: &str, identity: &str, deny: &[&str]) -> String {
    let response = consent(app, network, identity, deny, "allow").await;
    assert_eq!(response.status().as_u16(), 302);
    let url = location(&response);
    assert_eq!(param(&url, "state").as_deref(), Some("st-123"));
    param(&url, "code").expect("a code")
}

/// POSTs to the token endpoint with the seeded client's credentials in a Basic header.
async fn token_request(app: &TestApp, network: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let (client_id, secret) = sandbox::client_credentials(&app.db, network_of(network))
        .await
        .expect("query")
        .expect("seeded client");
    let response = app
        .client
        .post(format!("{}/sandbox/{network}/oauth/token", app.address))
        .basic_auth(client_id, Some(secret.expose()))
        .form(form)
        .send()
        .await
        .expect("token request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn exchange(app: &TestApp, network: &str, code: &str, verifier: &str) -> (u16, Value) {
    let redirect = redirect_uri(app, network);
    token_request(
        app,
        network,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, network: &str, refresh_token: &str) -> (u16, Value) {
    token_request(
        app,
        network,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// Signs `identity` in and returns the token answer.
async fn sign_in(app: &TestApp, network: &str, identity: &str, deny: &[&str]) -> Value {
    let code = code_for(app, network, identity, deny).await;
    let (status, body) = exchange(app, network, &code, VERIFIER).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn api(app: &TestApp, network: &str, path: &str, token: &Value) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}/sandbox/{network}/api/{path}", app.address))
        .bearer_auth(token.as_str().expect("token string"))
        .send()
        .await
        .expect("api request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn asset_ids(body: &Value) -> Vec<&str> {
    body["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .filter_map(|asset| asset["externalId"].as_str())
        .collect()
}

async fn admin(app: &TestApp, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/sandbox/admin/{path}", app.address));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("admin request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

//! Login CSRF (RFC 9700 §4.7): the OAuth callback completes a sign-in only in the browser that
//! started it, recognised by the `relink_flow` cookie the start set. Any other browser hands the
//! answer to the dashboard, where only the starter can finish it.

use entity::{enums::Health, oauth_attempts};
use sea_orm::EntityTrait as _;
use serde_json::{Value, json};

use crate::helpers::{TestApp, event_count, health, sign_in, start, state_and_code};

const COMPLETE: &str = "mutation($state: String!, $code: String!) { completeReconnect(input: { state: $state, code: $code }) { reconnectedAccounts { name } userErrors { code } } }";

async fn unspent_attempts(app: &TestApp) -> usize {
    oauth_attempts::Entity::find()
        .all(&app.db)
        .await
        .expect("attempts")
        .iter()
        .filter(|attempt| attempt.used_at.is_none())
        .count()
}

#[tokio::test]
async fn the_start_sets_a_flow_cookie_only_the_callback_sees() {
    let app = TestApp::spawn_demo().await;
    let token = app.token_for("ada@northwind.example").await;
    let id = app.account_id("fb-page-northwind").await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .json(&json!({ "query": "mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) { authorizeUrl } }", "variables": { "id": id } }))
        .send()
        .await
        .expect("start");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("relink_flow="), "{cookie}");
    for attribute in [
        "Path=/oauth/callback",
        "Max-Age=600",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    // The cookie's secret is stored only as a hash.
    let secret = cookie["relink_flow=".len()..]
        .split(';')
        .next()
        .expect("value")
        .to_owned();
    assert!(secret.len() >= 43, "{secret}");
    let attempt = oauth_attempts::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("attempt");
    assert_ne!(attempt.flow_hash.as_deref(), Some(secret.as_str()));
    assert!(attempt.flow_hash.is_some());

    // Served over https, the cookie is Secure.
    let secure = TestApp::spawn_with(|config| {
        config.public_url = Some("https://relink.example".to_owned());
    })
    .await;
    relink::demo::seed(&secure.db, secure.clock.now())
        .await
        .expect("seed");
    let id = secure.account_id("fb-page-northwind").await;
    let response = secure
        .client
        .post(format!("{}/graphql", secure.address))
        .bearer_auth(secure.token_for("ada@northwind.example").await)
        .json(&json!({ "query": "mutation($id: ID!) { startConnect(input: { network: LINKEDIN }) { authorizeUrl } startReconnect(input: { socialAccountId: $id }) { authorizeUrl } }", "variables": { "id": id } }))
        .send()
        .await
        .expect("start");
    let cookies: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        cookies.iter().all(|cookie| cookie.ends_with("; Secure")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn another_browser_completes_nothing_and_only_the_starter_can_finish_it() {
    let app = TestApp::spawn_demo().await;
    // Ada starts the reconnect in her browser…
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &[],
        "allow",
    )
    .await;
    // …but the network's redirect lands in a browser without her cookie.
    for cookie in [None, Some("relink_flow=forged-value")] {
        let mut request = app.client.get(&back);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("callback");
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        let location = response.headers()["location"].to_str().expect("location");
        assert!(
            location.starts_with(&format!(
                "{}/dashboard#/social-networks/reauth?state=",
                app.address
            )),
            "state and code travel in the fragment: {location}"
        );
        assert_eq!(state_and_code(location), state_and_code(&back));
    }
    assert_eq!(
        health(&app, "fb-page-northwind").await,
        Health::Disconnected
    );
    assert_eq!(event_count(&app).await, 0, "nothing completed");
    assert_eq!(unspent_attempts(&app).await, 1, "the state is not spent");

    // Another signed-in user finishing it from that fragment is refused, and spends nothing.
    let (state, code) = state_and_code(&back);
    let variables = json!({ "state": state, "code": code });
    let body = app
        .graphql("ben@northwind.example", COMPLETE, variables.clone())
        .await;
    assert_eq!(
        body["data"]["completeReconnect"]["userErrors"][0]["code"], "STATE_INVALID",
        "{body}"
    );
    assert_eq!(unspent_attempts(&app).await, 1);
    assert_eq!(
        health(&app, "fb-page-northwind").await,
        Health::Disconnected
    );

    // The starter, signed in to her dashboard, finishes it with the same code and state.
    let body = app
        .graphql("ada@northwind.example", COMPLETE, variables)
        .await;
    assert_eq!(
        body["data"]["completeReconnect"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(
        body["data"]["completeReconnect"]["reconnectedAccounts"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
    assert_eq!(unspent_attempts(&app).await, 0);
}

#[tokio::test]
async fn a_connect_started_by_an_attacker_cannot_take_a_victims_pages() {
    let app = TestApp::spawn_demo().await;
    // Ben starts a connect of LinkedIn accounts into the organization and sends the sign-in link to
    // someone else, who signs in at the network with their own identity.
    let body = app
        .graphql(
            "ben@northwind.example",
            "mutation { startConnect(input: { network: LINKEDIN }) { authorizeUrl } }",
            json!({}),
        )
        .await;
    let url = body["data"]["startConnect"]["authorizeUrl"]
        .as_str()
        .expect("url")
        .to_owned();
    let accounts_before = entity::social_accounts::Entity::find()
        .all(&app.db)
        .await
        .expect("accounts");
    let back = sign_in(&app, &url, "li-ada", &[], "allow").await;
    // The victim's browser has no flow cookie of Ben's.
    let response = app.client.get(&back).send().await.expect("callback");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (state, code) = state_and_code(&location);
    // Her dashboard tries to finish it as her: the state is Ben's, so nothing happens.
    let body: Value = app
        .graphql(
            "ada@northwind.example",
            COMPLETE,
            json!({ "state": state, "code": code }),
        )
        .await;
    assert_eq!(
        body["data"]["completeReconnect"]["userErrors"][0]["code"],
        "STATE_INVALID"
    );
    let accounts_after = entity::social_accounts::Entity::find()
        .all(&app.db)
        .await
        .expect("accounts");
    assert_eq!(
        accounts_before, accounts_after,
        "no account joined or moved"
    );
    assert_eq!(event_count(&app).await, 0);
}

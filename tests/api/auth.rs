//! Sign-in over HTTP: every bad token is UNAUTHENTICATED, never a panic or a 500.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use crate::helpers::{TestApp, first_code};

const VIEWER: &str = "{ viewer { user { email } } }";

fn sign(claims: serde_json::Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret).expect("key"),
    )
    .expect("sign")
}

const TEST_SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123456789";

#[tokio::test]
async fn a_missing_token_is_unauthenticated() {
    let app = TestApp::spawn_demo().await;
    let (status, body) = app.graphql_as(None, VIEWER, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(first_code(&body), "UNAUTHENTICATED", "{body}");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn expired_forged_wrong_audience_and_malformed_tokens_are_refused_with_401() {
    let app = TestApp::spawn_demo().await;
    let now = app.clock.now().timestamp();
    let good = |aud: &str, exp: i64| json!({ "sub": "northwind.example|ada", "iss": "relink", "aud": aud, "iat": now, "exp": exp });
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(good("relink-dashboard", now + 3600).to_string())
    );
    let cases = [
        (
            "expired",
            sign(good("relink-dashboard", now - 3600), TEST_SECRET),
        ),
        (
            "forged",
            sign(
                good("relink-dashboard", now + 3600),
                b"another-secret-another-secret-another-secret",
            ),
        ),
        (
            "wrong audience",
            sign(good("somebody-else", now + 3600), TEST_SECRET),
        ),
        (
            "no exp",
            sign(
                json!({ "sub": "northwind.example|ada", "iss": "relink", "aud": "relink-dashboard" }),
                TEST_SECRET,
            ),
        ),
        ("alg none", alg_none),
        ("garbage", "garbage".to_owned()),
    ];
    for (case, token) in cases {
        let (status, body) = app.graphql_as(Some(&token), VIEWER, json!({})).await;
        assert_eq!(status, 401, "{case}: {body}");
        assert_eq!(first_code(&body), "UNAUTHENTICATED", "{case}");
        assert!(body.get("data").is_none(), "{case}");
    }
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", "Basic YWRhOnB3")
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_valid_token_for_an_unknown_user_is_unauthenticated() {
    let app = TestApp::spawn_demo().await;
    let token = app
        .keys
        .issue("nobody|here", app.clock.now(), Duration::hours(1))
        .expect("issue");
    let (status, body) = app.graphql_as(Some(&token), VIEWER, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(first_code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn a_token_stops_working_when_it_expires_on_the_servers_clock() {
    let app = TestApp::spawn_demo().await;
    let token = app.token_for("ada@northwind.example").await;
    let (status, body) = app.graphql_as(Some(&token), VIEWER, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["viewer"]["user"]["email"],
        "ada@northwind.example"
    );
    app.clock
        .advance(Duration::hours(12) + Duration::minutes(1));
    let (status, body) = app.graphql_as(Some(&token), VIEWER, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
}

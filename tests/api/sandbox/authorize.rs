//! Sandbox authorize endpoint: the sign-in page, consent decisions and request validation.

use super::*;

#[tokio::test]
async fn authorize_page_lists_every_identity_and_escapes_names() {
    // Arrange
    let app = TestApp::spawn().await;
    entity::sandbox_identities::ActiveModel {
        id: NotSet,
        network: Set(Network::Facebook),
        external_id: Set("fb-eve".to_owned()),
        name: Set("<script>alert(1)</script> & \"Eve\"".to_owned()),
        created_at: Set(app.clock.now()),
    }
    .insert(&app.db)
    .await
    .expect("insert identity");

    // Act
    let response = app
        .client
        .get(authorize_url(&app, "facebook"))
        .query(&authorize_params(&app, "facebook"))
        .send()
        .await
        .expect("page");

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.expect("html");
    assert!(html.contains("Sign in to Facebook (sandbox)"));
    for identity in ["fb-nora", "fb-omar", "fb-priya", "fb-eve"] {
        assert!(
            html.contains(&format!("name=\"identity\" value=\"{identity}\"")),
            "{identity} missing"
        );
    }
    assert!(html.contains("Nora Fields") && html.contains("Northwind Roastery"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Eve&quot;"));
    assert!(!html.contains("<script>"));
    assert!(html.contains("value=\"allow\"") && html.contains("value=\"deny\""));
}

#[tokio::test]
async fn a_denied_asset_is_not_in_assets() {
    let app = TestApp::spawn().await;

    let token = sign_in(&app, "facebook", "fb-nora", &["fb-page-roastery"]).await;

    let (_, assets) = api(&app, "facebook", "assets", &token["access_token"]).await;
    assert_eq!(
        asset_ids(&assets),
        vec!["fb-group-lovers", "fb-page-northwind"]
    );
}

#[tokio::test]
async fn deny_decision_redirects_with_access_denied() {
    let app = TestApp::spawn().await;

    let response = consent(&app, "facebook", "fb-nora", &[], "deny").await;

    assert_eq!(response.status().as_u16(), 302);
    let url = location(&response);
    assert!(url.as_str().starts_with(&redirect_uri(&app, "facebook")));
    assert_eq!(param(&url, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&url, "state").as_deref(), Some("st-123"));
    assert_eq!(param(&url, "code"), None);
}

#[tokio::test]
async fn unknown_identity_is_a_400() {
    let app = TestApp::spawn().await;

    let response = consent(&app, "facebook", "fb-nobody", &[], "allow").await;

    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn wrong_redirect_uri_is_a_400_page_without_redirect() {
    let app = TestApp::spawn().await;
    let mut params = authorize_params(&app, "facebook");
    params[2].1 = "https://evil.example/oauth/callback/facebook".to_owned();

    let response = app
        .client
        .get(authorize_url(&app, "facebook"))
        .query(&params)
        .send()
        .await
        .expect("page");

    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("redirect_uri")
    );
}

#[tokio::test]
async fn plain_pkce_is_refused_with_invalid_request() {
    let app = TestApp::spawn().await;
    let mut params = authorize_params(&app, "x");
    params[5].1 = VERIFIER.to_owned();
    params[6].1 = "plain".to_owned();

    let response = app
        .client
        .get(authorize_url(&app, "x"))
        .query(&params)
        .send()
        .await
        .expect("page");

    assert_eq!(response.status().as_u16(), 302);
    let url = location(&response);
    assert_eq!(param(&url, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&url, "state").as_deref(), Some("st-123"));
}

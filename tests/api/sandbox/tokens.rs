//! Sandbox token endpoint and API: PKCE code exchange, client authentication, refresh per network, expiry.

use super::*;

#[tokio::test]
async fn code_exchange_with_pkce_gives_a_token_for_me_and_assets() {
    let app = TestApp::spawn().await;

    let token = sign_in(&app, "facebook", "fb-nora", &[]).await;

    // Facebook: 60-day token, no refresh token.
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["expires_in"], 60 * 24 * 3600);
    assert_eq!(token["scope"], "basic publish");
    assert!(token.get("refresh_token").is_none());
    let (status, me) = api(&app, "facebook", "me", &token["access_token"]).await;
    assert_eq!(status, 200);
    assert_eq!(
        me,
        json!({"externalId": "fb-nora", "name": "Nora Fields", "network": "facebook"})
    );
    let (status, assets) = api(&app, "facebook", "assets", &token["access_token"]).await;
    assert_eq!(status, 200);
    assert_eq!(
        asset_ids(&assets),
        vec!["fb-group-lovers", "fb-page-northwind", "fb-page-roastery"]
    );
    assert_eq!(assets["assets"][0]["kind"], "GROUP");
    assert_eq!(assets["assets"][0]["role"], "ADMIN");
    assert_eq!(assets["assets"][0]["addedBy"], "fb-nora");
}

#[tokio::test]
async fn instagram_profile_names_its_linked_page() {
    let app = TestApp::spawn().await;

    let token = sign_in(&app, "instagram", "ig-nora", &[]).await;

    let (_, assets) = api(&app, "instagram", "assets", &token["access_token"]).await;
    assert_eq!(assets["assets"][0]["externalId"], "ig-biz-northwind");
    assert_eq!(assets["assets"][0]["kind"], "BUSINESS_PROFILE");
    assert_eq!(assets["assets"][0]["linkedExternalId"], "fb-page-northwind");
}

#[tokio::test]
async fn wrong_code_verifier_is_invalid_grant() {
    let app = TestApp::spawn().await;
    let code = code_for(&app, "x", "x-northwind", &[]).await;

    let (status, body) = exchange(
        &app,
        "x",
        &code,
        "another-verifier-0123456789-0123456789-0123",
    )
    .await;

    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_code_used_twice_is_invalid_grant_and_revokes_its_tokens() {
    let app = TestApp::spawn().await;
    let code = code_for(&app, "x", "x-northwind", &[]).await;
    let (status, first) = exchange(&app, "x", &code, VERIFIER).await;
    assert_eq!(status, 200);

    let (status, body) = exchange(&app, "x", &code, VERIFIER).await;

    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = api(&app, "x", "me", &first["access_token"]).await;
    assert_eq!(status, 401);
    let (status, body) = refresh(&app, "x", first["refresh_token"].as_str().unwrap_or("")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn bad_client_secret_is_invalid_client() {
    let app = TestApp::spawn().await;
    let code = code_for(&app, "x", "x-northwind", &[]).await;

    let response = app
        .client
        .post(format!("{}/sandbox/x/oauth/token", app.address))
        .basic_auth("relink-x", Some("not-the-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri(&app, "x").as_str()),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token request");

    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn x_refresh_rotates_and_the_old_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let token = sign_in(&app, "x", "x-northwind", &[]).await;
    assert_eq!(token["expires_in"], 2 * 3600);
    let first = token["refresh_token"].as_str().expect("refresh token");

    let (status, rotated) = refresh(&app, "x", first).await;

    assert_eq!(status, 200, "{rotated}");
    let second = rotated["refresh_token"]
        .as_str()
        .expect("a new refresh token");
    assert_ne!(second, first);
    let (status, _) = api(&app, "x", "me", &rotated["access_token"]).await;
    assert_eq!(status, 200);
    let (status, body) = refresh(&app, "x", first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = refresh(&app, "x", second).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn linkedin_refresh_token_stays_valid_and_form_credentials_work() {
    let app = TestApp::spawn().await;
    let token = sign_in(&app, "linkedin", "li-ada", &[]).await;
    assert_eq!(token["refresh_token_expires_in"], 365 * 24 * 3600);
    let refresh_token = token["refresh_token"].as_str().expect("refresh token");
    let (client_id, secret) = sandbox::client_credentials(&app.db, Network::Linkedin)
        .await
        .expect("query")
        .expect("client");

    for _ in 0..2 {
        let response = app
            .client
            .post(format!("{}/sandbox/linkedin/oauth/token", app.address))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", client_id.as_str()),
                ("client_secret", secret.expose()),
            ])
            .send()
            .await
            .expect("refresh");
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.expect("json");
        assert!(body.get("refresh_token").is_none());
    }
}

#[tokio::test]
async fn access_token_expires_when_the_clock_passes_expires_in() {
    let app = TestApp::spawn().await;
    let token = sign_in(&app, "youtube", "yt-northwind", &[]).await;
    let lifetime = token["expires_in"].as_i64().expect("expires_in");
    assert_eq!(lifetime, 3600);
    assert!(token.get("refresh_token_expires_in").is_none());

    app.clock.advance(Duration::seconds(lifetime - 1));
    let (status, _) = api(&app, "youtube", "me", &token["access_token"]).await;
    assert_eq!(status, 200);
    app.clock.advance(Duration::seconds(2));
    let (status, _) = api(&app, "youtube", "me", &token["access_token"]).await;
    assert_eq!(status, 401);

    // Google's refresh token does not expire by time.
    app.clock.advance(Duration::days(400));
    let (status, _) = refresh(
        &app,
        "youtube",
        token["refresh_token"].as_str().unwrap_or(""),
    )
    .await;
    assert_eq!(status, 200);
}

//! Sandbox admin routes: expire, revoke (with the deauthorize callback), roles, the identity list.

use super::*;

#[tokio::test]
async fn admin_expire_makes_refresh_invalid_grant_and_api_401() {
    let app = TestApp::spawn().await;
    let token = sign_in(&app, "x", "x-northwind", &[]).await;

    let (status, body) = admin(&app, "identities/x-northwind/expire", None).await;

    assert_eq!(status, 200);
    assert_eq!(body["expired"], 2);
    let (status, body) = api(&app, "x", "me", &token["access_token"]).await;
    assert_eq!((status, body), (401, json!({"error": "invalid_token"})));
    let (status, body) = refresh(&app, "x", token["refresh_token"].as_str().unwrap_or("")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn admin_revoke_makes_api_401_and_counts_tokens() {
    let app = TestApp::spawn().await;
    let token = sign_in(&app, "x", "x-northwind", &[]).await;

    let (status, body) = admin(&app, "identities/x-northwind/revoke", None).await;

    assert_eq!(status, 200);
    assert_eq!(body["revoked"], 2);
    // Relink's deauthorize receiver may not exist yet: the revocation stands either way.
    assert!(matches!(
        body["webhook"].as_str(),
        Some("delivered" | "failed")
    ));
    let (status, _) = api(&app, "x", "assets", &token["access_token"]).await;
    assert_eq!(status, 401);
    let (status, _) = admin(&app, "identities/nobody/revoke", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_removed_role_drops_the_asset_from_assets() {
    let app = TestApp::spawn().await;
    let token = sign_in(&app, "facebook", "fb-omar", &[]).await;

    let (status, _) = admin(
        &app,
        "assets/fb-page-roastery/roles",
        Some(json!({"identity": "fb-omar", "role": null})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = admin(
        &app,
        "assets/fb-page-northwind/roles",
        Some(json!({"identity": "fb-omar", "role": "ADMIN"})),
    )
    .await;
    assert_eq!(status, 200);

    let (_, assets) = api(&app, "facebook", "assets", &token["access_token"]).await;
    assert_eq!(
        asset_ids(&assets),
        vec!["fb-group-lovers", "fb-page-northwind"]
    );
    assert_eq!(assets["assets"][1]["role"], "ADMIN");
}

#[tokio::test]
async fn admin_lists_the_seeded_identities_with_roles() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .get(format!("{}/sandbox/admin/identities", app.address))
        .send()
        .await
        .expect("list");

    let list: Value = response.json().await.expect("json");
    let omar = list
        .as_array()
        .expect("array")
        .iter()
        .find(|identity| identity["externalId"] == "fb-omar")
        .expect("fb-omar");
    assert_eq!(omar["network"], "facebook");
    assert_eq!(omar["assets"].as_array().map(Vec::len), Some(3));
    assert!(omar["assets"].as_array().is_some_and(|assets| {
        assets
            .iter()
            .any(|asset| asset["externalId"] == "fb-page-northwind" && asset["role"] == "EDITOR")
    }));
    let networks: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|identity| identity["network"].as_str())
        .collect();
    for network in ["facebook", "instagram", "linkedin", "x", "youtube"] {
        assert!(
            networks.iter().filter(|n| **n == network).count() >= 2,
            "{network}"
        );
    }
}

//! The reference dashboard as served: its files, their security headers, the demo sign-in. The
//! same dashboard in a real browser is `e2e::the_reference_dashboard_works_in_chromium`.

use crate::helpers::TestApp;

#[tokio::test]
async fn the_page_and_its_modules_are_served_with_a_strict_policy() {
    let app = TestApp::spawn().await;
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/app.css", "text/css"),
        ("/dashboard/js/app.js", "text/javascript"),
        ("/dashboard/js/graphql.js", "text/javascript"),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with(kind),
            "{path}"
        );
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap_or_default()
                .contains("default-src 'self'"),
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
    for path in [
        "/dashboard/index.html",
        "/dashboard/../Cargo.toml",
        "/dashboard/js/nope.js",
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn demo_sign_in_exists_only_with_the_demo_and_the_sandbox_and_only_for_demo_users() {
    // Without the demo data (or without the sandbox) there is no way in but a real token.
    let plain = TestApp::spawn().await;
    let users = plain
        .client
        .get(format!("{}/dashboard/demo-users", plain.address))
        .send()
        .await
        .expect("users");
    assert_eq!(users.status(), 404);
    let token = plain
        .client
        .post(format!("{}/dashboard/demo-token", plain.address))
        .json(&serde_json::json!({ "email": "ada@northwind.example" }))
        .send()
        .await
        .expect("token");
    assert_eq!(token.status(), 404);

    let demo = TestApp::spawn_with(|config| config.no_demo = false).await;
    let users: serde_json::Value = demo
        .client
        .get(format!("{}/dashboard/demo-users", demo.address))
        .send()
        .await
        .expect("users")
        .json()
        .await
        .expect("json");
    assert_eq!(users["users"].as_array().map(Vec::len), Some(4), "{users}");
    assert_eq!(users["users"][0]["role"], "super admin");
    let signed: serde_json::Value = demo
        .client
        .post(format!("{}/dashboard/demo-token", demo.address))
        .json(&serde_json::json!({ "email": "ada@northwind.example" }))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = signed["token"].as_str().expect("a token");
    let (_, body) = demo
        .graphql_as(
            Some(token),
            "{ viewer { user { name } } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(body["data"]["viewer"]["user"]["name"], "Ada Lovelace");
    for email in ["mallory@evil.example", "nobody@northwind.example"] {
        let refused = demo
            .client
            .post(format!("{}/dashboard/demo-token", demo.address))
            .json(&serde_json::json!({ "email": email }))
            .send()
            .await
            .expect("token");
        assert_eq!(refused.status(), 404, "{email}");
    }
}

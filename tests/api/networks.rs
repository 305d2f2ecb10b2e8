//! Per-network configuration (`RELINK_NETWORKS_FILE`): a network switched off is refused with its
//! own code, scopes reach the network's prompt, and a live network that cannot work stops the server
//! before it serves.

use relink::{config::Config, server::Server};
use serde_json::json;

use crate::helpers::{TestApp, callback, health, sign_in, start};

async fn spawn_demo_with_networks(toml: &'static str) -> TestApp {
    let app = TestApp::spawn_with(|config| {
        let file = config.data_dir.join("networks.toml");
        std::fs::write(&file, toml).expect("write networks file");
        config.networks_file = Some(file);
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed demo");
    app
}

#[tokio::test]
async fn a_network_that_is_off_is_refused_with_its_own_code_and_nothing_changes() {
    let app = spawn_demo_with_networks("[x]\nmode = \"off\"\n").await;
    let attempts = || async {
        use sea_orm::{EntityTrait as _, PaginatorTrait as _};
        entity::oauth_attempts::Entity::find()
            .count(&app.db)
            .await
            .expect("count")
    };
    let started = start(&app, "ada@northwind.example", "x-northwind").await;
    assert_eq!(started["authorizeUrl"], serde_json::Value::Null);
    assert_eq!(started["userErrors"][0]["code"], "NETWORK_NOT_CONFIGURED");
    assert_eq!(attempts().await, 0, "no attempt recorded");
    let connect = app
        .graphql(
            "ada@northwind.example",
            "mutation { startConnect(input: { network: X }) { authorizeUrl userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        connect["data"]["startConnect"]["userErrors"][0]["code"], "NETWORK_NOT_CONFIGURED",
        "{connect}"
    );
}

#[tokio::test]
async fn configured_scopes_are_what_the_network_is_asked_for_and_the_flow_still_completes() {
    let app = spawn_demo_with_networks(
        "[facebook]\nmode = \"sandbox\"\nscopes = [\"pages_show_list\", \"pages_manage_posts\"]\n",
    )
    .await;
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let url = reqwest::Url::parse(started["authorizeUrl"].as_str().expect("url")).expect("parse");
    let scope = url
        .query_pairs()
        .find(|(name, _)| name == "scope")
        .map(|(_, value)| value.into_owned());
    assert_eq!(scope.as_deref(), Some("pages_show_list pages_manage_posts"));
    let back = sign_in(&app, url.as_str(), "fb-nora", &[], "allow").await;
    callback(&app, &back).await;
    assert_eq!(
        health(&app, "fb-page-northwind").await,
        entity::enums::Health::Connected
    );
}

#[tokio::test]
async fn a_live_network_without_its_secret_or_with_a_plain_http_endpoint_stops_the_server_before_it_serves()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("networks.toml");
    std::fs::write(
        &file,
        "[facebook]\nmode = \"live\"\nclient_id = \"1234\"\nclient_secret_env = \"RELINK_TEST_UNSET_FB_SECRET\"\n",
    )
    .expect("write");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.networks_file = Some(file.clone());
    let refused = format!("{:#}", Server::build(config).await.err().expect("refused"));
    assert!(
        refused.contains("RELINK_NETWORKS_FILE: facebook: the environment variable RELINK_TEST_UNSET_FB_SECRET is not set"),
        "{refused}"
    );

    // With the secret set, the real binary still refuses an endpoint that would carry tokens in the
    // clear, naming the field and never the secret.
    std::fs::write(
        &file,
        "[facebook]\nmode = \"live\"\nclient_id = \"1234\"\nclient_secret_env = \"RELINK_TEST_UNSET_FB_SECRET\"\ntoken_url = \"http://graph.example.com/oauth/access_token\"\n",
    )
    .expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relink"))
        .env_remove("DATABASE_URL")
        .env("RELINK_DATA_DIR", dir.path())
        .env("RELINK_ADDR", "127.0.0.1:0")
        .env("RELINK_NETWORKS_FILE", &file)
        .env("RELINK_TEST_UNSET_FB_SECRET", "app-secret-never-printed")
        .arg("serve")
        .output()
        .expect("run relink");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("facebook: `token_url` must use https"),
        "{stderr}"
    );
    assert!(!stderr.contains("app-secret-never-printed"), "{stderr}");
}

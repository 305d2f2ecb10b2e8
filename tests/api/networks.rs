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
async fn a_live_network_without_its_secret_or_with_a_version_it_lacks_stops_the_server_before_it_serves()
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

    // A live network that names a version the network does not have is refused the same way,
    // by the real binary, without printing the secret.
    std::fs::write(
        &file,
        "[facebook]\nmode = \"live\"\nclient_id = \"1234\"\nclient_secret_env = \"RELINK_TEST_UNSET_FB_SECRET\"\napi_version = \"latest\"\n",
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
        stderr.contains("facebook: `api_version` \"latest\" is not a version"),
        "{stderr}"
    );
    assert!(!stderr.contains("app-secret-never-printed"), "{stderr}");
}

/// All seven networks live, at their documented endpoints (nothing is called until someone
/// signs in).
const ALL_LIVE: &str = "\
[facebook]\nmode = \"live\"\nclient_id = \"fb-app\"\nclient_secret_env = \"T_FB\"\n\
[instagram]\nmode = \"live\"\nclient_id = \"fb-app\"\nclient_secret_env = \"T_FB\"\n\
[linkedin]\nmode = \"live\"\nclient_id = \"li-app\"\nclient_secret_env = \"T_LI\"\n\
[x]\nmode = \"live\"\nclient_id = \"x-app\"\nclient_secret_env = \"T_X\"\n\
[youtube]\nmode = \"live\"\nclient_id = \"yt-app\"\nclient_secret_env = \"T_YT\"\n\
[tiktok]\nmode = \"live\"\nclient_id = \"tt-app\"\nclient_secret_env = \"T_TT\"\n\
[pinterest]\nmode = \"live\"\nclient_id = \"pin-app\"\nclient_secret_env = \"T_PIN\"\n";

const SECRETS: [(&str, &str); 6] = [
    ("T_FB", "fb-secret-never-shown"),
    ("T_LI", "li-secret-never-shown"),
    ("T_X", "x-secret-never-shown"),
    ("T_YT", "yt-secret-never-shown"),
    ("T_TT", "tt-secret-never-shown"),
    ("T_PIN", "pin-secret-never-shown"),
];

#[tokio::test]
async fn all_seven_networks_live_start_and_ask_each_network_s_real_sign_in() {
    let app = crate::fakes::spawn_live(ALL_LIVE, &SECRETS).await;
    let expected = [
        (
            "FACEBOOK",
            "https://www.facebook.com/v25.0/dialog/oauth",
            "client_id",
            "fb-app",
            false,
        ),
        (
            "INSTAGRAM",
            "https://www.facebook.com/v25.0/dialog/oauth",
            "client_id",
            "fb-app",
            false,
        ),
        (
            "LINKEDIN",
            "https://www.linkedin.com/oauth/v2/authorization",
            "client_id",
            "li-app",
            false,
        ),
        (
            "X",
            "https://x.com/i/oauth2/authorize",
            "client_id",
            "x-app",
            true,
        ),
        (
            "YOUTUBE",
            "https://accounts.google.com/o/oauth2/v2/auth",
            "client_id",
            "yt-app",
            true,
        ),
        (
            "TIKTOK",
            "https://www.tiktok.com/v2/auth/authorize/",
            "client_key",
            "tt-app",
            false,
        ),
        (
            "PINTEREST",
            "https://www.pinterest.com/oauth/",
            "client_id",
            "pin-app",
            false,
        ),
    ];
    for (network, endpoint, client_field, client_id, pkce) in expected {
        let body = app
            .graphql(
                "ada@northwind.example",
                "mutation($network: Network!) { startConnect(input: { network: $network }) { authorizeUrl userErrors { code } } }",
                json!({ "network": network }),
            )
            .await;
        let url = body["data"]["startConnect"]["authorizeUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("{network}: {body}"));
        let parsed = reqwest::Url::parse(url).expect("url");
        let params = crate::fakes::query(url);
        assert_eq!(
            format!(
                "{}://{}{}",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default(),
                parsed.path()
            ),
            endpoint,
            "{network}"
        );
        assert_eq!(params[client_field], client_id, "{network}");
        let slug = network.to_lowercase();
        assert_eq!(
            params["redirect_uri"],
            format!("{}/oauth/callback/{slug}", app.address),
            "{network}"
        );
        assert!(params["state"].len() >= 32, "{network}");
        assert_eq!(
            params.get("response_type").map(String::as_str),
            Some("code"),
            "{network}"
        );
        let asked: Vec<&str> = params["scope"]
            .split([' ', ','])
            .filter(|scope| !scope.is_empty())
            .collect();
        assert!(!asked.is_empty(), "{network}");
        assert_eq!(
            params.get("code_challenge_method").map(String::as_str),
            pkce.then_some("S256"),
            "{network}: PKCE where the network takes it"
        );
        assert!(!url.contains("never-shown"), "{network}: {url}");
    }
}

#[test]
fn the_real_binary_starts_with_all_seven_networks_live() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("networks.toml");
    std::fs::write(&file, ALL_LIVE).expect("write");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relink"));
    command
        .env_remove("DATABASE_URL")
        .env("RELINK_DATA_DIR", dir.path())
        .env("RELINK_ADDR", "127.0.0.1:0")
        .env("RELINK_METRICS_ADDR", "off")
        .env("RELINK_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("RELINK_NETWORKS_FILE", &file)
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (name, value) in SECRETS {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn relink");
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let mut listening = false;
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        let line = line.expect("line");
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        seen.push(line);
        if event["port"].as_u64().is_some() {
            listening = true;
            break;
        }
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("wait");
    let log = format!(
        "{}\n{}",
        seen.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(listening, "the server never said where it listens: {log}");
    for (_, secret) in SECRETS {
        assert!(!log.contains(secret), "{log}");
    }
}

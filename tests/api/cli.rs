//! The `relink` binary: `token`, `schema`, `migrate` and `--help` work as the README says.

use std::process::Command;

use relink::{clock::Clock as _, config::Config, server::Server};

fn relink() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_relink"));
    for var in [
        "DATABASE_URL",
        "RELINK_JWT_SECRET",
        "RELINK_DATA_DIR",
        "RELINK_ADDR",
    ] {
        command.env_remove(var);
    }
    command
}

#[tokio::test]
async fn relink_token_prints_a_working_token_for_a_user_of_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.jwt_secret = None; // generated into the data folder at first start
    config.no_demo = false;
    let app = Server::build(config.clone()).await.expect("build");
    let keys = app.keys();
    drop(app);

    let output = relink()
        .args([
            "token",
            "ada@northwind.example",
            "--ttl",
            "30m",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .expect("run relink token");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).expect("utf8");
    let claims = keys
        .verify(token.trim(), relink::clock::SystemClock.now())
        .expect("valid token");
    assert_eq!(claims.sub, "northwind.example|ada");
    let lifetime = claims.exp - relink::clock::SystemClock.now().timestamp();
    assert!((1_700..=1_800).contains(&lifetime), "--ttl 30m: {lifetime}");
    // R9: each `relink token` is a new sign-in, stamped now.
    let signed_in = claims.auth_time.expect("auth_time");
    assert!(
        (relink::clock::SystemClock.now().timestamp() - signed_in).abs() < 120,
        "{signed_in}"
    );

    let unknown = relink()
        .args(["token", "nobody@northwind.example", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("no user with email nobody@northwind.example")
    );
}

#[test]
fn relink_schema_prints_schema_graphql() {
    let output = relink().arg("schema").output().expect("run relink schema");
    assert!(output.status.success());
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("file");
    assert_eq!(String::from_utf8_lossy(&output.stdout), checked_in);
}

#[test]
fn relink_migrate_creates_the_embedded_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = relink()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join(relink::db::SQLITE_FILE).exists());
}

#[test]
fn every_setting_has_an_env_twin_in_help_and_env_example() {
    let output = relink().arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&output.stdout);
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example"))
        .expect(".env.example");
    let vars: Vec<&str> = help
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .filter(|word| word.starts_with("RELINK_") || *word == "DATABASE_URL")
        .collect();
    assert!(vars.len() >= 15, "{help}");
    for var in vars {
        assert!(example.contains(var), ".env.example lacks {var}");
    }
    assert!(!help.contains("test-secret"), "secrets never print");
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    use std::io::{BufRead as _, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = relink()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--no-demo",
            "--log-format",
            "json",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn relink serve");
    let stdout = child.stdout.take().expect("stdout");
    let (port, lines) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("line");
            let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
            if let Some(port) = event["port"].as_u64() {
                return (port, lines);
            }
        }
        panic!("the server never said where it listens");
    })
    .await
    .expect("join");
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health_check"))
        .await
        .expect("health");
    assert_eq!(health.status(), 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|line| line.contains("stopped")), "{rest:?}");
}

#[tokio::test]
async fn the_server_refuses_to_start_with_keys_that_cannot_read_stored_tokens() {
    use sea_orm::{ActiveModelTrait as _, EntityTrait as _, Set};
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::for_tests(dir.path().to_path_buf());
    let app = Server::build(config.clone()).await.expect("build");
    relink::demo::seed(app.db(), relink::clock::SystemClock.now())
        .await
        .expect("seed");
    let login = entity::social_logins::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("login");
    let slot = relink::crypto::Slot {
        table: "social_logins",
        row_id: login.id,
        column: "access_token_enc",
    };
    let sealed = app
        .cipher()
        .seal(&relink::config::Secret::new("a-token"), &slot);
    entity::social_logins::ActiveModel {
        id: Set(login.id),
        access_token_enc: Set(Some(sealed.bytes)),
        key_id: Set(Some(sealed.key_id)),
        ..Default::default()
    }
    .update(app.db())
    .await
    .expect("store");
    drop(app);

    let mut wrong = config.clone();
    wrong.token_keys = Some(relink::config::Secret::new(format!(
        "k1:{}",
        "A".repeat(43) + "="
    )));
    let refused = Server::build(wrong).await.err().expect("refused");
    let message = format!("{refused:#}");
    assert!(
        message.contains("RELINK_TOKEN_KEYS") && message.contains("refuses to start"),
        "{message}"
    );
    assert!(
        Server::build(config).await.is_ok(),
        "the right key still starts"
    );
}

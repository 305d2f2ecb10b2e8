//! Two real `relink` processes on one database (PostgreSQL in the PostgreSQL suite, one SQLite
//! file otherwise): a disconnect detected on one reaches a subscriber of the other, and a login due
//! for refresh is refreshed exactly once while both keepers run (B1, B3).

use std::{
    io::{BufRead as _, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use entity::{sandbox_tokens, social_logins};
use futures_util::SinkExt as _;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, DatabaseConnection, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, Set,
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest as _};

use crate::{
    helpers::{fresh_postgres_database, postgres_base_url},
    subscriptions::{Socket, next},
};

const JWT_SECRET: &str = "two-processes-share-this-secret-0123456789";

/// One `relink serve` child, killed when dropped.
struct Process {
    child: Child,
    address: String,
    metrics_address: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn relink(data_dir: &std::path::Path, database_url: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_relink"));
    command
        .env("RELINK_DATA_DIR", data_dir)
        .env("RELINK_ADDR", "127.0.0.1:0")
        .env("RELINK_JWT_SECRET", JWT_SECRET)
        .env("RELINK_SANDBOX", "on")
        .env("RELINK_KEEPER_INTERVAL", "1s")
        .env("RELINK_PUBLISH_INTERVAL", "1s")
        .env("RELINK_PUBLISH_LEASE", "2s")
        .env("RELINK_LOG_FORMAT", "json")
        .env("RELINK_METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env_remove("RELINK_PUBLIC_URL");
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command
}

async fn serve(data_dir: &std::path::Path, database_url: Option<&str>) -> Process {
    let mut child = relink(data_dir, database_url)
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn relink serve");
    let stdout = child.stdout.take().expect("stdout");
    let (port, metrics) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("line");
            let event: Value = serde_json::from_str(&line).expect("a JSON log line");
            if let (Some(port), Some(metrics)) =
                (event["port"].as_u64(), event["metrics_port"].as_u64())
            {
                // Keep draining the log so the child never blocks on a full pipe.
                std::thread::spawn(move || for _ in lines {});
                return (port, metrics);
            }
        }
        panic!("the server never said where it listens");
    })
    .await
    .expect("join");
    Process {
        child,
        address: format!("http://127.0.0.1:{port}"),
        metrics_address: format!("http://127.0.0.1:{metrics}"),
    }
}

fn token(data_dir: &std::path::Path, database_url: Option<&str>, email: &str) -> String {
    let output = relink(data_dir, database_url)
        .args(["token", email])
        .output()
        .expect("relink token");
    assert!(output.status.success(), "{output:?}");
    // The token is the last line; log lines may come before it.
    String::from_utf8(output.stdout)
        .expect("utf8")
        .lines()
        .last()
        .expect("a token")
        .trim()
        .to_owned()
}

async fn graphql(
    client: &reqwest::Client,
    process: &Process,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    client
        .post(format!("{}/graphql", process.address))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json")
}

async fn account_id(
    client: &reqwest::Client,
    process: &Process,
    token: &str,
    external: &str,
) -> String {
    let body = graphql(
        client,
        process,
        token,
        "{ socialAccounts(first: 100) { nodes { id externalId } } }",
        json!({}),
    )
    .await;
    body["data"]["socialAccounts"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["externalId"] == external))
        .and_then(|n| n["id"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no account {external}: {body}"))
}

/// The whole reconnect through `process` and its sandbox, as a browser would do it.
async fn reconnect(client: &reqwest::Client, process: &Process, token: &str, external: &str) {
    let id = account_id(client, process, token, external).await;
    let response = client
        .post(format!("{}/graphql", process.address))
        .bearer_auth(token)
        .json(&json!({
            "query": "mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) { authorizeUrl } }",
            "variables": { "id": id },
        }))
        .send()
        .await
        .expect("graphql");
    // The browser keeps the flow cookie for the callback.
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let started: Value = response.json().await.expect("json");
    let url = started["data"]["startReconnect"]["authorizeUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{started}"))
        .to_owned();
    let signed_in = client
        .post(&url)
        .form(&[("identity", external), ("decision", "allow")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), 302);
    let back = signed_in.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let done = client
        .get(&back)
        .header("cookie", cookie)
        .send()
        .await
        .expect("callback");
    assert_eq!(done.status(), 303);
    let landing = done.headers()["location"].to_str().expect("location");
    assert!(landing.contains("result=reconnected"), "{landing}");
}

async fn socket(process: &Process, token: &str, query: &str) -> Socket {
    let url = process.address.replace("http://", "ws://") + "/graphql";
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade");
    let mut socket = Socket::from(socket);
    for message in [
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }),
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    ] {
        socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }
    assert_eq!(
        next(&mut socket).await.expect("ack")["type"],
        "connection_ack"
    );
    socket.synced().await;
    socket
}

async fn metric(client: &reqwest::Client, process: &Process, name: &str) -> u64 {
    let page = client
        .get(format!("{}/metrics", process.metrics_address))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {name}"))
}

/// Polls `check` until it holds; the bound only turns a hang into a failure.
async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Drops the PostgreSQL database a test made, if it made one.
async fn drop_database(pg: Option<((String, String), String)>) {
    use sea_orm::ConnectionTrait as _;
    let Some(((_, name), base)) = pg else { return };
    let admin = sea_orm::Database::connect(format!("{base}/postgres"))
        .await
        .expect("admin");
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop");
}

#[tokio::test]
async fn two_processes_share_events_and_refresh_a_login_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = match postgres_base_url() {
        Some(base) => Some((fresh_postgres_database(&base).await, base)),
        None => None,
    };
    let url = pg.as_ref().map(|((url, _), _)| url.as_str());
    let first = serve(dir.path(), url).await;
    let second = serve(dir.path(), url).await;
    let mut config = relink::config::Config::for_tests(dir.path().to_path_buf());
    config.database_url = url.map(|url| relink::config::DatabaseUrl(url.to_owned()));
    let (db, _): (DatabaseConnection, _) = relink::db::connect(&config).await.expect("db");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let ada = token(dir.path(), url, "ada@northwind.example");
    let dev = token(dir.path(), url, "dev@northwind.example");

    // Ada reconnects the X profile through the first process: real tokens, rotating like X.
    reconnect(&client, &first, &ada, "x-northwind").await;
    let login = social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("x-northwind"))
        .one(&db)
        .await
        .expect("query")
        .expect("login");

    // Make it due: both keepers (a pass a second) now race for it.
    social_logins::ActiveModel {
        id: Set(login.id),
        token_expires_at: Set(Some(chrono::Utc::now() + chrono::Duration::minutes(1))),
        ..Default::default()
    }
    .update(&db)
    .await
    .expect("due");
    eventually("the refresh", || async {
        social_logins::Entity::find_by_id(login.id)
            .one(&db)
            .await
            .expect("query")
            .and_then(|login| login.token_expires_at)
            .is_some_and(|at| at > chrono::Utc::now() + chrono::Duration::hours(1))
    })
    .await;
    // Two more passes on each side: none of them refreshes again.
    let passes = [
        metric(&client, &first, "relink_keeper_passes_total").await,
        metric(&client, &second, "relink_keeper_passes_total").await,
    ];
    eventually("two more keeper passes on each process", || async {
        metric(&client, &first, "relink_keeper_passes_total").await >= passes[0] + 2
            && metric(&client, &second, "relink_keeper_passes_total").await >= passes[1] + 2
    })
    .await;
    let refreshed = "relink_token_refreshes_total{outcome=\"refreshed\"}";
    assert_eq!(
        metric(&client, &first, refreshed).await + metric(&client, &second, refreshed).await,
        1,
        "one refresh between the two processes"
    );
    let rotations = sandbox_tokens::Entity::find()
        .filter(sandbox_tokens::Column::RotatedFrom.is_not_null())
        .filter(sandbox_tokens::Column::Kind.eq(sandbox_tokens::SandboxTokenKind::Refresh))
        .count(&db)
        .await
        .expect("count");
    assert_eq!(rotations, 1, "the network saw one refresh");

    // Dev listens on the second process; the network revokes through the first one's webhook.
    // He resumes after the newest event there is now: a subscription without `after` starts
    // from whenever the server takes its `subscribe`, which the revocation could beat.
    let newest = entity::events::Entity::find()
        .order_by_desc(entity::events::Column::Id)
        .one(&db)
        .await
        .expect("newest event")
        .map_or(0, |event| event.id);
    let mut events = socket(
        &second,
        &dev,
        &format!(
            "subscription {{ socialAccountEvents(after: \"{newest}\") {{ kind reason socialAccount {{ name }} }} }}"
        ),
    )
    .await;
    let revoked = client
        .post(format!(
            "{}/sandbox/admin/identities/x-northwind/revoke",
            first.address
        ))
        .send()
        .await
        .expect("revoke");
    assert!(revoked.status().is_success());
    let event = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let message = next(&mut events).await.expect("message");
            let event = &message["payload"]["data"]["socialAccountEvents"];
            if event["socialAccount"]["name"] == "@northwind" && event["kind"] == "DISCONNECTED" {
                return event.clone();
            }
        }
    })
    .await
    .expect("the disconnect crossed processes");
    assert_eq!(event["reason"], "APP_DEAUTHORIZED", "{event}");

    drop((first, second));
    db.close().await.ok();
    drop_database(pg).await;
}

async fn sandbox_posts(client: &reqwest::Client, process: &Process) -> Vec<Value> {
    let body: Value = client
        .get(format!("{}/sandbox/admin/published", process.address))
        .send()
        .await
        .expect("published")
        .json()
        .await
        .expect("json");
    body["posts"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_server_killed_while_publishing_publishes_every_due_post_exactly_once_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = match postgres_base_url() {
        Some(base) => Some((fresh_postgres_database(&base).await, base)),
        None => None,
    };
    let url = pg.as_ref().map(|((url, _), _)| url.as_str());
    let server = serve(dir.path(), url).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let ben = token(dir.path(), url, "ben@northwind.example");
    let company = account_id(&client, &server, &ben, "li-company-northwind").await;
    // The network records each post, then holds its answer back: the server dies in between.
    let stalled = client
        .post(format!("{}/sandbox/admin/publishing/stall", server.address))
        .send()
        .await
        .expect("stall");
    assert!(stalled.status().is_success());
    let bodies: Vec<String> = (1..=5).map(|n| format!("Opening day, part {n}")).collect();
    for body in &bodies {
        let scheduled = graphql(
            &client,
            &server,
            &ben,
            "mutation($ids: [ID!]!, $body: String!, $at: DateTime!) { schedulePost(input: { socialAccountIds: $ids, body: $body, scheduledAt: $at }) { userErrors { code } } }",
            json!({ "ids": [company], "body": body, "at": chrono::Utc::now() }),
        )
        .await;
        assert_eq!(
            scheduled["data"]["schedulePost"]["userErrors"],
            json!([]),
            "{scheduled}"
        );
    }
    eventually("the network to record the first post", || async {
        !sandbox_posts(&client, &server).await.is_empty()
    })
    .await;
    drop(server); // SIGKILL, mid-publish

    let server = serve(dir.path(), url).await;
    eventually("every post to go out", || async {
        sandbox_posts(&client, &server).await.len() == bodies.len()
    })
    .await;
    eventually("every post to be recorded as published", || async {
        let body = graphql(
            &client,
            &server,
            &ben,
            "{ scheduledPosts(first: 50, filter: { states: [PUBLISHED] }) { nodes { body } } }",
            json!({}),
        )
        .await;
        body["data"]["scheduledPosts"]["nodes"]
            .as_array()
            .is_some_and(|nodes| nodes.len() == bodies.len())
    })
    .await;
    let posts = sandbox_posts(&client, &server).await;
    let mut seen: Vec<String> = posts
        .iter()
        .map(|post| post["body"].as_str().expect("body").to_owned())
        .collect();
    seen.sort();
    assert_eq!(seen, bodies, "each post exactly once");
    let retried: Vec<&Value> = posts.iter().filter(|post| post["requests"] != 1).collect();
    assert_eq!(
        retried.len(),
        1,
        "the interrupted one was sent again and deduplicated: {posts:?}"
    );
    assert_eq!(retried[0]["requests"], 2);

    drop(server);
    drop_database(pg).await;
}

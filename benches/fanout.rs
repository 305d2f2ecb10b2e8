//! Subscription fan-out benchmark (issue: live): N subscribers of `socialAccountEvents` on one
//! `relink` process; the time from a disconnect (request sent, so commit included) to delivery
//! to every subscriber (p50, p99, max), and the server's memory per idle subscription.
//!
//! `cargo bench --bench fanout -- [subscribers] [--write-readme]` (default 10,000). The server is
//! its own process, so its memory is measured alone and each side has its own file limit.

use std::{
    io::{BufRead as _, BufReader},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest as _};

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| {
                    line.split_whitespace()
                        .nth(1)
                        .and_then(|kib| kib.parse().ok())
                })
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted
        .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or_default()
}

async fn graphql(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    client
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let subscribers: usize = args
        .iter()
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(10_000);
    let write_readme = args.iter().any(|arg| arg == "--write-readme");
    let binary = env!("CARGO_BIN_EXE_relink");
    let data = std::env::temp_dir().join(format!("relink-fanout-{}", std::process::id()));

    let mut server = Command::new(binary)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--keeper-interval",
            "1h",
            // Every subscriber signs in as ada: lift the per-user socket cap and rate limit (each
            // subscribe is charged its cost) for the benchmark.
            "--ws-max-sockets-per-user",
            "1000000",
            "--rate-limit",
            "0",
            // …and the cap of sockets not signed in yet per client IP: all come from one address.
            "--ws-max-anonymous-sockets",
            "1000000",
            // The metrics listener is not part of the benchmark.
            "--metrics-addr",
            "off",
            "--data-dir",
        ])
        .arg(&data)
        .env("RUST_LOG", "warn,relink=info,relink::http=warn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start relink");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("the server printed its port")
            .expect("line");
        if let Some(port) = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|event| event["port"].as_u64())
        {
            break port;
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let token = |email: &str| {
        let output = Command::new(binary)
            .args(["token", email, "--data-dir"])
            .arg(&data)
            .output()
            .expect("token");
        String::from_utf8(output.stdout)
            .expect("utf8")
            .trim()
            .to_owned()
    };
    let (ada, ben) = (
        token("ada@northwind.example"),
        token("ben@northwind.example"),
    );
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/graphql");
    let ids = graphql(
        &http,
        &url,
        &ben,
        "{ socialAccounts(first: 100) { nodes { id externalId } } }",
        json!({}),
    )
    .await;
    let id_of = |external: &str| {
        ids["data"]["socialAccounts"]["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|node| node["externalId"] == external))
            .map(|node| node["id"].clone())
            .expect("account")
    };
    let baseline = rss_kib(server.id());

    // Open the sockets, 250 at a time.
    let received: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let opened = Instant::now();
    let mut tasks = Vec::with_capacity(subscribers);
    for chunk in (0..subscribers).collect::<Vec<_>>().chunks(250) {
        let mut batch = Vec::new();
        for _ in chunk {
            let ws = format!("ws://127.0.0.1:{port}/graphql");
            let token = ada.clone();
            batch.push(tokio::spawn(async move {
                let mut request = ws.into_client_request().expect("request");
                request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
                let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
                let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
                socket.send(Message::Text(init.to_string().into())).await.expect("init");
                let _ack = socket.next().await;
                let start = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { socialAccountEvents { id kind socialAccount { name health } } }" } });
                socket.send(Message::Text(start.to_string().into())).await.expect("subscribe");
                socket
            }));
        }
        for task in batch {
            let socket = task.await.expect("socket");
            let received = received.clone();
            let index = tasks.len();
            tasks.push(tokio::spawn(async move {
                let mut socket = socket;
                while let Some(Ok(message)) = socket.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    if text.contains("\"next\"") {
                        if let Ok(mut received) = received.lock() {
                            received.push((index, Instant::now()));
                        }
                    } else if text.contains("\"ping\"") {
                        // graphql-transport-ws keep-alive: a client that does not answer is dropped.
                        let pong = json!({ "type": "pong" }).to_string();
                        if socket.send(Message::Text(pong.into())).await.is_err() {
                            break;
                        }
                    }
                }
            }));
        }
    }
    eprintln!("{subscribers} sockets open in {:?}", opened.elapsed());

    let disconnect = "mutation($id: ID!) { disconnectSocialAccount(input: { socialAccountId: $id }) { userErrors { code } } }";
    let measure = |external: &'static str| {
        let (http, url, ben, received) = (http.clone(), url.clone(), ben.clone(), received.clone());
        let id = id_of(external);
        async move {
            if let Ok(mut received) = received.lock() {
                received.clear();
            }
            let sent = Instant::now();
            graphql(&http, &url, &ben, disconnect, json!({ "id": id })).await;
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                let count = received.lock().map(|r| r.len()).unwrap_or(0);
                if count >= subscribers || Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let mut latencies: Vec<Duration> = received
                .lock()
                .map(|r| r.iter().map(|(_, at)| at.duration_since(sent)).collect())
                .unwrap_or_default();
            latencies.sort_unstable();
            latencies
        }
    };
    // The first event proves every subscription is registered; the second is measured idle-to-busy.
    let warm = measure("x-northwind").await;
    eprintln!("warm-up: {} of {subscribers} delivered", warm.len());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_kib(server.id());
    let latencies = measure("li-company-northwind").await;
    let per_subscription = (idle_rss.saturating_sub(baseline)) as f64 / subscribers as f64;
    let report = format!(
        "Measured by `cargo bench --bench fanout -- {subscribers}` on {} ({} cores): one `relink` process (SQLite), \
         {subscribers} WebSocket subscribers of `socialAccountEvents` in a second process, one disconnect.\n\n\
         | delivered | p50 | p99 | max | server memory per idle subscription |\n|---|---|---|---|---|\n\
         | {} of {subscribers} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} KiB |\n\n\
         Latency runs from sending the disconnect request (its commit included) to each subscriber's frame. \
         Aim: p99 under 100 ms and under 20 KiB per subscription.\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, usize::from),
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        per_subscription,
    );
    println!("{report}");
    if write_readme {
        const START: &str = "<!-- fanout:start -->";
        const END: &str = "<!-- fanout:end -->";
        let readme = std::fs::read_to_string("README.md").expect("README.md");
        if let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) {
            let updated = format!("{}{START}\n{report}{}", &readme[..start], &readme[end..]);
            std::fs::write("README.md", updated).expect("write README.md");
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
    for task in tasks {
        task.abort();
    }
}

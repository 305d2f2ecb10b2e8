//! Subscription fan-out benchmark (issue: live): N subscribers of `socialAccountEvents` on one
//! `relink` process; the time from a disconnect (request sent, so commit included) to delivery
//! to every subscriber (p50, p99, max), the server's own time from commit to the last frame
//! written (`relink_event_last_frame_seconds`), and the server's memory per idle subscription.
//!
//! `cargo bench --bench fanout -- [subscribers] [--write-readme]` (default 10,000). The server is
//! its own process, so its memory is measured alone and each side has its own file limit.
//!
//! `cargo bench --bench fanout -- 3000 --replicas 3 --database-url postgres://…/fresh_db
//! [--write-readme]`: three `relink` processes on one PostgreSQL, the subscribers spread over
//! them in turn, the disconnect written through the first; p99 per replica, and each event
//! delivered exactly once to each subscriber.

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
    let value_of = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|at| args.get(at + 1))
            .cloned()
    };
    let replicas: usize = value_of("--replicas")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
        .max(1);
    let database_url =
        value_of("--database-url").or_else(|| std::env::var("RELINK_BENCH_DATABASE_URL").ok());
    assert!(
        replicas == 1 || database_url.is_some(),
        "replicas share a PostgreSQL: pass --database-url postgres://…/fresh_db"
    );
    let subscribers: usize = args
        .iter()
        .enumerate()
        .filter(|(at, _)| *at == 0 || args[at - 1] != "--replicas")
        .find_map(|(_, arg)| arg.parse().ok())
        .unwrap_or(10_000);
    let write_readme = args.iter().any(|arg| arg == "--write-readme");
    let binary = env!("CARGO_BIN_EXE_relink");
    let data = std::env::temp_dir().join(format!("relink-fanout-{}", std::process::id()));
    let mut servers = Vec::new();
    let mut ports = Vec::new();
    let mut metrics_ports = Vec::new();
    for replica in 0..replicas {
        let (server, port, metrics_port) =
            start_server(binary, &data, database_url.as_deref(), replica > 0);
        servers.push(server);
        ports.push(port);
        metrics_ports.push(metrics_port);
    }
    let port = ports[0];
    let server = &servers[0];
    let token = |email: &str| {
        let mut command = Command::new(binary);
        command.args(["token", email, "--data-dir"]).arg(&data);
        if let Some(url) = &database_url {
            command.env("DATABASE_URL", url);
        } else {
            command.env_remove("DATABASE_URL");
        }
        let output = command.output().expect("token");
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

    // Open the sockets, 250 at a time, each on the next replica in turn.
    let received: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let opened = Instant::now();
    let mut tasks = Vec::with_capacity(subscribers);
    for chunk in (0..subscribers).collect::<Vec<_>>().chunks(250) {
        let mut batch = Vec::new();
        for index in chunk {
            let ws = format!("ws://127.0.0.1:{}/graphql", ports[index % replicas]);
            // Two viewers in turn, each seeing the accounts disconnected below.
            let token = if index % 2 == 0 {
                ada.clone()
            } else {
                ben.clone()
            };
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
            // A second too many would show up within moments: wait a little for duplicates.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let mut latencies: Vec<(usize, Duration)> = received
                .lock()
                .map(|r| {
                    r.iter()
                        .map(|(index, at)| (*index, at.duration_since(sent)))
                        .collect()
                })
                .unwrap_or_default();
            latencies.sort_unstable_by_key(|(_, latency)| *latency);
            latencies
        }
    };
    // The first event proves every subscription is registered; the second is measured idle-to-busy.
    let warm = measure("x-northwind").await;
    eprintln!("warm-up: {} of {subscribers} delivered", warm.len());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_kib(server.id());
    let measured = measure("li-company-northwind").await;
    let latencies: Vec<Duration> = measured.iter().map(|(_, latency)| *latency).collect();
    let mut last_frames = Vec::new();
    for metrics_port in &metrics_ports {
        last_frames.push(last_frame_ms(&http, *metrics_port).await);
    }
    let per_subscription =
        (idle_rss.saturating_sub(baseline)) as f64 / (subscribers / replicas) as f64;
    let report = if replicas == 1 {
        format!(
            "Measured by `cargo bench --bench fanout -- {subscribers}` on {} ({} cores): one `relink` process (SQLite), \
             {subscribers} WebSocket subscribers of `socialAccountEvents` (two viewers in turn, one selection) in a second process, one disconnect.\n\n\
             | delivered | p50 | p99 | max | server: commit → last frame written | server memory per idle subscription |\n|---|---|---|---|---|---|\n\
             | {} of {subscribers} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} KiB |\n\n\
             Latency runs from sending the disconnect request (its commit included) to each subscriber's frame, \
             as the load client (sharing the two cores) reads it; the server's own column runs from the event's commit \
             to the last frame written for it, by the server's clock. Aim: p99 under 50 ms and at most 16 KiB per subscription.\n",
            chrono::Utc::now().format("%Y-%m-%d"),
            std::thread::available_parallelism().map_or(0, usize::from),
            latencies.len(),
            percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            last_frames[0],
            per_subscription,
        )
    } else {
        replicas_report(&measured, &last_frames, subscribers, replicas)
    };
    println!("{report}");
    if write_readme {
        let (start_mark, end_mark) = if replicas == 1 {
            ("<!-- fanout:start -->", "<!-- fanout:end -->")
        } else {
            (
                "<!-- fanout-replicas:start -->",
                "<!-- fanout-replicas:end -->",
            )
        };
        let readme = std::fs::read_to_string("README.md").expect("README.md");
        if let (Some(start), Some(end)) = (readme.find(start_mark), readme.find(end_mark)) {
            let updated = format!(
                "{}{start_mark}\n{report}{}",
                &readme[..start],
                &readme[end..]
            );
            std::fs::write("README.md", updated).expect("write README.md");
        }
    }
    for mut server in servers {
        let _ = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status();
        let _ = server.wait();
    }
    let _ = std::fs::remove_dir_all(&data);
    for task in tasks {
        task.abort();
    }
}

/// The server's own time from the newest event's commit to the last frame written for it
/// (`relink_event_last_frame_seconds`), in milliseconds.
async fn last_frame_ms(http: &reqwest::Client, metrics_port: u64) -> f64 {
    let page = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    page.lines()
        .find_map(|line| line.strip_prefix("relink_event_last_frame_seconds "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .unwrap_or_default()
        * 1000.0
}

/// Starts one `relink serve` (on PostgreSQL when `database_url` is given; a replica after the
/// first loads no demo) and returns it with the port it printed.
fn start_server(
    binary: &str,
    data: &std::path::Path,
    database_url: Option<&str>,
    replica: bool,
) -> (std::process::Child, u64, u64) {
    let mut command = Command::new(binary);
    command
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
            // The metrics listener says, by the server's own clock, when the last frame went.
            "--metrics-addr",
            "127.0.0.1:0",
            "--sandbox",
            "on",
            "--data-dir",
        ])
        .arg(data)
        .env("RUST_LOG", "warn,relink=info,relink::http=warn")
        .stdout(Stdio::piped());
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    if replica {
        command.arg("--no-demo");
    }
    let mut server = command.spawn().expect("start relink");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let (port, metrics_port) = loop {
        let line = lines
            .next()
            .expect("the server printed its port")
            .expect("line");
        let event = serde_json::from_str::<Value>(&line).unwrap_or_default();
        let fields = if event["fields"].is_object() {
            &event["fields"]
        } else {
            &event
        };
        if let (Some(port), Some(metrics)) =
            (fields["port"].as_u64(), fields["metrics_port"].as_u64())
        {
            break (port, metrics);
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (server, port, metrics_port)
}

/// The three-replica table: p50/p99/max per replica (subscriber `i` is on replica `i % n`), and
/// whether each subscriber got the event exactly once.
fn replicas_report(
    measured: &[(usize, Duration)],
    last_frames: &[f64],
    subscribers: usize,
    replicas: usize,
) -> String {
    let mut counts = vec![0usize; subscribers];
    for (index, _) in measured {
        if let Some(count) = counts.get_mut(*index) {
            *count += 1;
        }
    }
    let exactly_once = counts.iter().filter(|count| **count == 1).count();
    let duplicates = counts.iter().filter(|count| **count > 1).count();
    let mut rows = String::new();
    for replica in 0..replicas {
        let mut latencies: Vec<Duration> = measured
            .iter()
            .filter(|(index, _)| index % replicas == replica)
            .map(|(_, latency)| *latency)
            .collect();
        latencies.sort_unstable();
        rows.push_str(&format!(
            "| {} | {} of {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |\n",
            if replica == 0 {
                "1 (wrote the disconnect)".to_owned()
            } else {
                (replica + 1).to_string()
            },
            latencies.len(),
            subscribers / replicas + usize::from(replica < subscribers % replicas),
            percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            last_frames.get(replica).copied().unwrap_or_default(),
        ));
    }
    format!(
        "Measured by `cargo bench --bench fanout -- {subscribers} --replicas {replicas} --database-url …` on {} ({} cores): \
         {replicas} `relink` processes on one PostgreSQL, {subscribers} WebSocket subscribers of `socialAccountEvents` \
         spread over them in turn (in a separate process), one disconnect written through the first.\n\n\
         | replica | delivered | p50 | p99 | max | server: commit → last frame written |\n|---|---|---|---|---|---|\n{rows}\n\
         Exactly once: {exactly_once} of {subscribers} subscribers got the event once, {duplicates} more than once. \
         Latency runs from sending the disconnect request (its commit included) to each subscriber's frame; \
         the server's own column runs from the event's commit to the last frame that replica wrote for it, by its clock. \
         Aim: p99 under 100 ms on every replica.\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, usize::from),
    )
}

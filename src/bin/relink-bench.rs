//! Load benchmark: requests per second of `{ __typename }`, of the dashboard's `reconnectStatus`
//! query for a viewer who sees 50 accounts among 10,000, and of a mix of the dashboard's queries
//! (status, accounts, planner, streams, viewer), on one server, with error counts and percentiles.
//!
//! `cargo run --release --bin relink-bench -- [--seconds 10] [--concurrency 16] [--write-readme]`

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::Parser;
use relink::{clock::SystemClock, config::Config, demo, server::Server};
use serde_json::json;

#[derive(Parser, Debug)]
#[command(about = "Relink load benchmark")]
struct Args {
    /// Seconds per scenario (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Accounts in the organization.
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Accounts the viewer sees.
    #[arg(long, default_value_t = 50)]
    visible: usize,
    /// PostgreSQL URL to benchmark instead of the embedded SQLite (a fresh database is expected).
    #[arg(long, env = "RELINK_BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// Database connections in the server's pool.
    #[arg(long, default_value_t = 16)]
    pool: u32,
    /// Also time 5,000 sequential primary-key lookups (the cost of one statement).
    #[arg(long)]
    sql_probe: bool,
    /// Also measure this query (repeatable), to find where time goes.
    #[arg(long)]
    query: Vec<String>,
    /// Run only the `--query` scenarios (to profile one query alone).
    #[arg(long)]
    only_queries: bool,
    /// Replace the results section of README.md.
    #[arg(long)]
    write_readme: bool,
}

const TRIVIAL: &str = "{ __typename }";
const DASHBOARD: &str = "{ reconnectStatus { bannerVisible bannerDismissedUntil badgeCount reauthPath \
    accounts { id name network health viewerCanReconnect lastReconnectedBy { name } \
    disconnect { reason since fix } } } }";

/// A page of accounts as the admin list shows it: health, login and last reconnector.
const LIST: &str = "{ socialAccounts(first: 100) { nodes { id name network health flag \
    login { name } lastReconnectedBy { name } } } }";

/// What a dashboard asks for while a person uses it, in turn.
const MIX: [&str; 5] = [
    DASHBOARD,
    "{ socialAccounts(first: 50) { nodes { id name network health flag viewerCanReconnect \
      lastReconnectedBy { name } disconnect { reason fix heldPostCount } } } }",
    "{ scheduledPosts(first: 50) { nodes { id body state scheduledAt warning { message \
      viewerCanReconnect } socialAccount { name } } } }",
    "{ streams { id title state reconnectRequired viewerCanReconnect } }",
    "{ viewer { user { name email } organizations { name viewerRole } } }",
];

struct Outcome {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

async fn run(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    args: &Args,
) -> Outcome {
    run_mix(client, url, token, &[query], args).await
}

/// Each client sends the queries in turn (starting at a different one), as fast as it can.
async fn run_mix(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    queries: &[&str],
    args: &Args,
) -> Outcome {
    let bodies: Arc<Vec<serde_json::Value>> = Arc::new(
        queries
            .iter()
            .map(|query| json!({ "query": query }))
            .collect(),
    );
    let warm_up = Instant::now() + Duration::from_secs(1);
    let end = warm_up + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let (client, url, token, bodies) = (
            client.clone(),
            url.to_owned(),
            token.to_owned(),
            bodies.clone(),
        );
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0u64);
            for turn in worker.. {
                let started = Instant::now();
                if started >= end {
                    break;
                }
                let body = &bodies[turn % bodies.len()];
                let ok = match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(body)
                    .send()
                    .await
                {
                    Ok(response) if response.status().is_success() => response
                        .json::<serde_json::Value>()
                        .await
                        .is_ok_and(|v| v["errors"].is_null()),
                    _ => false,
                };
                if started >= warm_up {
                    latencies.push(started.elapsed());
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for worker in workers {
        if let Ok((mut l, e)) = worker.await {
            latencies.append(&mut l);
            errors += e;
        }
    }
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    Outcome {
        requests: latencies.len() as u64,
        errors,
        elapsed: Duration::from_secs(args.seconds),
        p50: pick(0.50),
        p99: pick(0.99),
    }
}

fn row(name: &str, outcome: &Outcome) -> String {
    format!(
        "| {name} | {:.0} | {:.2} | {:.2} | {} |",
        outcome.rate(),
        outcome.p50.as_secs_f64() * 1000.0,
        outcome.p99.as_secs_f64() * 1000.0,
        outcome.errors
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data_dir = tempfile_dir()?;
    let mut config = Config::for_tests(data_dir.clone());
    config.db_max_connections = args.pool;
    // Throughput is the point here: one user hammers the server, so no rate limit.
    config.rate_limit = 0;
    config.database_url = args.database_url.clone().map(relink::config::DatabaseUrl);
    let app = Server::build_with_clock(config, Arc::new(SystemClock)).await?;
    let now = chrono::Utc::now();
    let email = demo::seed_load(app.db(), now, args.accounts, args.visible).await?;
    let user = relink::people::repo::user_by_email(app.db(), &email)
        .await?
        .context("viewer")?;
    let token = app
        .keys()
        .issue(&user.external_subject, now, chrono::Duration::hours(2))?;
    let url = format!("http://127.0.0.1:{}/graphql", app.port());
    let db = app.db().clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;

    let check: serde_json::Value = client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "query": DASHBOARD }))
        .send()
        .await?
        .json()
        .await?;
    let visible_attention = check["data"]["reconnectStatus"]["accounts"]
        .as_array()
        .map_or(0, Vec::len);
    anyhow::ensure!(
        check["errors"].is_null() && visible_attention > 0,
        "the dashboard query failed: {check}"
    );

    if args.sql_probe {
        use sea_orm::EntityTrait as _;
        let started = Instant::now();
        for _ in 0..5_000 {
            entity::users::Entity::find_by_id(user.id).one(&db).await?;
        }
        println!(
            "sequential find_by_id: {:?} per statement",
            started.elapsed() / 5_000
        );
    }
    if args.only_queries {
        for query in &args.query {
            let outcome = run(&client, &url, &token, query, &args).await;
            println!("{}", row(&format!("`{query}`"), &outcome));
        }
        let _ = stop_tx.send(());
        let _ = server.await;
        let _ = std::fs::remove_dir_all(&data_dir);
        return Ok(());
    }
    let trivial = run(&client, &url, &token, TRIVIAL, &args).await;
    let dashboard = run(&client, &url, &token, DASHBOARD, &args).await;
    let list = run(&client, &url, &token, LIST, &args).await;
    let mixed = run_mix(&client, &url, &token, &MIX, &args).await;
    for query in &args.query {
        let outcome = run(&client, &url, &token, query, &args).await;
        println!("{}", row(&format!("`{query}`"), &outcome));
    }
    let ratio = dashboard.rate() / trivial.rate();
    let database = if args.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite (embedded)"
    };
    let report = format!(
        "Measured by `cargo run --release --bin relink-bench -- --seconds {} --concurrency {}` on {} ({} cores), \
         {database}, one server and the load client in one process; {} accounts, the viewer sees {} \
         ({visible_attention} on the restore list).\n\n\
         | query | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|\n{}\n{}\n{}\n{}\n\n\
         Ratios to the trivial query: dashboard **{:.2}** (aim: 0.5 or better), accounts list \
         **{:.2}** (aim: 0.2), mix **{:.2}** (aim: 0.4).\n",
        args.seconds,
        args.concurrency,
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, usize::from),
        args.accounts,
        args.visible,
        row("`{ __typename }`", &trivial),
        row("`reconnectStatus` (dashboard)", &dashboard),
        row(
            "`socialAccounts(first: 100)` with health, login, last reconnector",
            &list
        ),
        row(
            "dashboard mix (status, accounts, planner, streams, viewer in turn)",
            &mixed
        ),
        ratio,
        list.rate() / trivial.rate(),
        mixed.rate() / trivial.rate(),
    );
    println!("{report}");
    if args.write_readme {
        write_readme(&report, args.database_url.is_some())?;
        println!("README.md updated");
    }
    let _ = stop_tx.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("relink-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("creating the benchmark's data folder")?;
    Ok(dir)
}

/// Replaces the README's section of this database (SQLite's or PostgreSQL's).
fn write_readme(report: &str, postgres: bool) -> anyhow::Result<()> {
    let (start_mark, end_mark) = if postgres {
        ("<!-- bench-pg:start -->", "<!-- bench-pg:end -->")
    } else {
        ("<!-- bench:start -->", "<!-- bench:end -->")
    };
    let readme =
        std::fs::read_to_string("README.md").context("README.md (run from the repository root)")?;
    let (Some(start), Some(end)) = (readme.find(start_mark), readme.find(end_mark)) else {
        anyhow::bail!("README.md has no {start_mark} … {end_mark} section");
    };
    let updated = format!(
        "{}{start_mark}\n{report}{}",
        &readme[..start],
        &readme[end..]
    );
    std::fs::write("README.md", updated).context("writing README.md")
}

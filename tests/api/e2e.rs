//! What runs outside Rust against a real server: the reference dashboard and GraphiQL in Debian's
//! headless Chromium (playwright-core, `e2e/*.mjs`) and graphql-http's GraphQL-over-HTTP audit.
//! Ignored in a plain `cargo test` (a fresh machine has neither Chromium nor the npm packages);
//! `.ci/run` installs both and runs `cargo test --test api e2e:: -- --ignored`.

use axum::{Router, extract::Path, routing::post};

use crate::helpers::TestApp;

/// Runs `node e2e/{script}` with these environment variables on a thread of its own (the browser
/// talks to this test's runtime); panics unless it succeeds.
async fn node(script: &'static str, args: Vec<String>, env: Vec<(&'static str, String)>) {
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(format!("{}/e2e/{script}", env!("CARGO_MANIFEST_DIR")))
            .args(args)
            .envs(env)
            .status()
    })
    .await
    .expect("join")
    .unwrap_or_else(|error| panic!("run node e2e/{script}: {error}"));
    assert!(status.success(), "e2e/{script} failed: {status}");
}

#[tokio::test]
#[ignore = "needs /usr/bin/chromium and `npm ci` in e2e/; .ci/run runs it with --ignored"]
async fn the_reference_dashboard_works_in_chromium() {
    let app = TestApp::spawn_with(|config| {
        config.no_demo = false;
        // The clock stands still but for the script's one jump: rate-limit buckets would never
        // refill. The script is about the dashboard; the limit has tests of its own.
        config.rate_limit = 0;
    })
    .await;
    // The script moves the server's clock (the banner's 24 hours) and opens and closes a
    // network's incident (an outage the sandbox cannot stage) through this side door, which only
    // the test has.
    let clock = app.clock.clone();
    let (db, now) = (app.db.clone(), app.clock.clone());
    let control = Router::new()
        .route(
            "/advance/{hours}",
            post(move |Path(hours): Path<i64>| {
                let clock = clock.clone();
                async move {
                    clock.advance(chrono::Duration::hours(hours));
                    "moved"
                }
            }),
        )
        .route(
            "/incident/{network}/{change}",
            post(move |Path((network, change)): Path<(String, String)>| {
                let (db, now) = (db.clone(), now.now());
                async move {
                    let network = relink::networks::from_slug(&network).expect("a network");
                    let done = if change == "open" {
                        let message = relink::incidents::message(network);
                        relink::incidents::repo::open(&db, network, 5, &message, now).await
                    } else {
                        relink::incidents::repo::close(&db, network, now).await
                    };
                    format!("{}", done.expect("the incident table"))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the control port");
    let control_url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, control).await });

    node(
        "dashboard.mjs",
        Vec::new(),
        vec![
            ("RELINK_URL", app.address.clone()),
            ("CONTROL_URL", control_url),
        ],
    )
    .await;
}

#[tokio::test]
#[ignore = "needs `npm ci` in e2e/ (graphql-http); .ci/run runs it with --ignored"]
async fn the_graphql_over_http_audit_finds_no_error_and_no_warning() {
    let app = TestApp::spawn_with(|config| config.no_demo = false).await;
    node(
        "graphql-http-audit.mjs",
        vec![format!("{}/graphql", app.address)],
        Vec::new(),
    )
    .await;
}

#[tokio::test]
#[ignore = "needs /usr/bin/chromium and `npm ci` in e2e/; .ci/run runs it with --ignored"]
async fn graphiql_loads_from_the_server_alone_and_its_subscriptions_work() {
    let app = TestApp::spawn_with(|config| config.no_demo = false).await;
    node(
        "graphiql.mjs",
        Vec::new(),
        vec![("RELINK_URL", app.address.clone())],
    )
    .await;
}

//! GraphQL over HTTP done right: methods, content types, batching, limits, status codes.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

async fn raw_post(app: &TestApp, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let token = app.token_for("ada@northwind.example").await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, params: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
    let token = app.token_for("ada@northwind.example").await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(params)
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_query_over_get_works_and_a_mutation_over_get_is_405() {
    let app = TestApp::spawn_demo().await;
    let (status, _, body) = get(&app, &[("query", "{ reconnectStatus { badgeCount } }")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["reconnectStatus"]["badgeCount"], 3);

    let (status, headers, body) = get(
        &app,
        &[(
            "query",
            "mutation { dismissReconnectBanner { userErrors { code } } }",
        )],
    )
    .await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(
        headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    // Named operations: the selected one decides.
    let doc = "query A { viewer { user { name } } } mutation B { dismissReconnectBanner { userErrors { code } } }";
    let (status, _, _) = get(&app, &[("query", doc), ("operationName", "B")]).await;
    assert_eq!(status, 405);
    let (status, _, body) = get(&app, &[("query", doc), ("operationName", "A")]).await;
    assert_eq!(status, 200, "{body}");
    // Nothing was dismissed by the refused GETs.
    use sea_orm::{EntityTrait as _, PaginatorTrait as _};
    assert_eq!(
        entity::banner_dismissals::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn only_json_bodies_are_accepted() {
    let app = TestApp::spawn_demo().await;
    let body = br#"{"query":"{ viewer { user { name } } }"}"#.to_vec();
    let (status, _) = raw_post(&app, "text/plain", body.clone()).await;
    assert_eq!(status, 415);
    let (status, _) = raw_post(&app, "application/x-www-form-urlencoded", body.clone()).await;
    assert_eq!(status, 415);
    let (status, response) = raw_post(&app, "application/json; charset=utf-8", body).await;
    assert_eq!(status, 200, "{response}");
}

#[tokio::test]
async fn batches_bad_json_and_oversized_bodies_are_refused() {
    let app = TestApp::spawn_demo().await;
    let batch =
        br#"[{"query":"{ viewer { user { name } } }"},{"query":"{ viewer { user { name } } }"}]"#
            .to_vec();
    let (status, body) = raw_post(&app, "application/json", batch).await;
    assert_eq!(status, 400);
    assert_eq!(first_code(&body), "BAD_REQUEST");
    let (status, body) = raw_post(&app, "application/json", b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(first_code(&body), "BAD_REQUEST");
    let huge = format!(
        r#"{{"query":"{{ viewer {{ user {{ name }} }} }} # {}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let (status, body) = raw_post(&app, "application/json", huge.into_bytes()).await;
    assert_eq!(status, 413, "{body}");
}

#[tokio::test]
async fn parse_and_validation_errors_are_400_without_data() {
    let app = TestApp::spawn_demo().await;
    let token = app.token_for("ada@northwind.example").await;
    let (status, body) = app.graphql_as(Some(&token), "{ viewer { ", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(first_code(&body), "GRAPHQL_PARSE_FAILED");
    assert!(body.get("data").is_none(), "{body}");

    let (status, body) = app
        .graphql_as(Some(&token), "{ viewer { password } }", json!({}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED");
    assert!(body.get("data").is_none(), "{body}");
}

#[tokio::test]
async fn too_deep_and_too_costly_queries_run_no_resolver() {
    let app = TestApp::spawn_with(|config| {
        config.max_depth = 6;
        config.max_complexity = 500;
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let token = app.token_for("ada@northwind.example").await;
    let before = app.statements.get();
    let deep = "{ socialAccounts { nodes { organization { socialAccounts { nodes { login { name } } } } } } }";
    let (status, body) = app.graphql_as(Some(&token), deep, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(first_code(&body), "QUERY_TOO_COMPLEX");
    // first × child: 100 × (edges + nodes of a few fields) is over 500.
    let costly = "{ socialAccounts(first: 100) { edges { cursor node { name health login { name } } } nodes { name } } }";
    let (status, body) = app.graphql_as(Some(&token), costly, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(first_code(&body), "QUERY_TOO_COMPLEX");
    assert_eq!(
        app.statements.get(),
        before,
        "no resolver ran, no SQL was sent"
    );
}

#[tokio::test]
async fn first_must_be_between_1_and_100_and_cursors_page_forward() {
    let app = TestApp::spawn_demo().await;
    for first in [0, 101, -1] {
        let body = app
            .graphql(
                "ada@northwind.example",
                "query($n: Int) { socialAccounts(first: $n) { nodes { name } } }",
                json!({ "n": first }),
            )
            .await;
        assert_eq!(
            first_code(&body),
            "BAD_USER_INPUT",
            "first: {first}: {body}"
        );
    }
    let page = "query($after: String) { socialAccounts(first: 3, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .graphql("ada@northwind.example", page, json!({ "after": after }))
            .await;
        let connection = &body["data"]["socialAccounts"];
        for node in connection["nodes"].as_array().expect("nodes") {
            seen.push(node["name"].as_str().unwrap_or_default().to_owned());
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    let body = app
        .graphql(
            "ada@northwind.example",
            page,
            json!({ "after": "not-a-cursor" }),
        )
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let app = TestApp::spawn_with(|config| config.no_introspection = true).await;
    let (status, body) = app
        .graphql_as(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(body["data"]["__schema"].is_null(), "{body}");

    let open = TestApp::spawn().await;
    let (status, body) = open
        .graphql_as(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn health_readiness_and_graphiql_answer() {
    let app = TestApp::spawn().await;
    let health = app
        .client
        .get(format!("{}/health_check", app.address))
        .send()
        .await
        .expect("send");
    assert_eq!(health.status(), 200);
    let ready = app
        .client
        .get(format!("{}/ready", app.address))
        .send()
        .await
        .expect("send");
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.expect("json"),
        json!({ "database": true, "migrations": true })
    );
    let page = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("graphiql"), "GraphiQL is served at /");

    let quiet = TestApp::spawn_with(|config| config.no_playground = true).await;
    let page = quiet
        .client
        .get(format!("{}/", quiet.address))
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), 404);
}

#[tokio::test]
async fn a_request_over_the_timeout_is_stopped_with_a_coded_error() {
    let app = TestApp::spawn_with(|config| {
        config.request_timeout = std::time::Duration::from_millis(200);
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let dev = relink::people::repo::user_by_email(&app.db, "dev@northwind.example")
        .await
        .expect("query")
        .expect("dev");
    // Another writer holds the lock the mutation needs, so it cannot finish in time.
    let blocker = relink::db::begin_write(&app.db).await.expect("begin");
    relink::notices::repo::dismiss(&blocker, dev.id, app.clock.now())
        .await
        .expect("lock");
    let token = app.token_for("dev@northwind.example").await;
    let (status, body) = app
        .graphql_as(
            Some(&token),
            "mutation { dismissReconnectBanner { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(first_code(&body), "TIMEOUT");
    blocker.rollback().await.expect("rollback");
}

#[tokio::test]
async fn metrics_are_served_in_prometheus_text_format() {
    let app = TestApp::spawn_demo().await;
    let response = app
        .client
        .get(format!("{}/metrics", app.metrics_address))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    let text = response.text().await.expect("text");
    for line in [
        "relink_accounts{health=\"DISCONNECTED\"} 3",
        "relink_accounts{health=\"EXPIRING\"} 2",
        "relink_accounts{health=\"LIMITED\"} 1",
        "relink_accounts{health=\"CONNECTED\"} 2",
        "relink_subscription_sockets 0",
        "# TYPE relink_events_published_total counter",
        "relink_token_refreshes_total{outcome=\"refreshed\"} 0",
        "relink_emails_sent_total 0",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }

    // Refreshes by outcome, keeper passes and emails sent count what the workers did.
    crate::helpers::reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    app.clock.advance(chrono::Duration::minutes(115));
    app.keeper.run_once().await.expect("keeper pass");
    let sent = app.postman.run_once().await.expect("email pass");
    let text = app.metrics_page().await;
    let emails = format!(
        "relink_emails_sent_total {}",
        sent.disconnects + sent.recoveries
    );
    for line in [
        "relink_token_refreshes_total{outcome=\"refreshed\"} 1",
        "relink_token_refreshes_total{outcome=\"disconnected\"} 0",
        "relink_keeper_passes_total 1",
        emails.as_str(),
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }
    assert!(sent.disconnects > 0, "the demo's broken logins are emailed");
}

#[tokio::test]
async fn each_user_is_rate_limited_by_query_cost_with_a_retry_after() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit = 300;
        config.rate_limit_refill = 10;
    })
    .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let ada = app.token_for("ada@northwind.example").await;
    let query = "{ socialAccounts(first: 50) { nodes { id name health } } }";
    let mut served = 0;
    let (status, body) = loop {
        let (status, body) = app.graphql_as(Some(&ada), query, json!({})).await;
        if status != 200 {
            break (status, body);
        }
        served += 1;
        assert!(served < 100, "never limited");
    };
    assert!(served >= 1, "a full bucket serves at least one request");
    assert_eq!(status, 429, "{body}");
    assert_eq!(first_code(&body), "RATE_LIMITED");
    assert!(body.get("data").is_none(), "nothing ran: {body}");
    let retry = body["errors"][0]["extensions"]["retryAfter"]
        .as_i64()
        .expect("retryAfter");
    assert!(retry >= 1, "{body}");
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&ada)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 429);
    assert_eq!(
        response.headers()["retry-after"].to_str().expect("header"),
        retry.to_string()
    );
    // Another user has a bucket of their own; and the points come back with time.
    let (status, _) = app
        .graphql_as(
            Some(&app.token_for("ben@northwind.example").await),
            query,
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    app.clock.advance(chrono::Duration::seconds(retry));
    let (status, body) = app.graphql_as(Some(&ada), query, json!({})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn metrics_live_on_their_own_listener_and_the_public_one_answers_404() {
    let app = TestApp::spawn_demo().await;
    let public = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("public");
    assert_eq!(
        public.status(),
        404,
        "counts of every tenant stay off the public port"
    );
    let private = app
        .client
        .get(format!("{}/metrics", app.metrics_address))
        .send()
        .await
        .expect("metrics");
    assert_eq!(private.status(), 200);
    // The metrics listener serves nothing else.
    let other = app
        .client
        .post(format!("{}/graphql", app.metrics_address))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("graphql on the metrics port");
    assert_eq!(other.status(), 404);

    // A taken address: a warning, and the server starts without metrics.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = relink::config::Config::for_tests(dir.path().to_path_buf());
    config.metrics_addr = relink::config::MetricsAddr(Some(taken.local_addr().expect("addr")));
    let built = relink::server::Server::build(config.clone())
        .await
        .expect("starts anyway");
    assert_eq!(built.metrics_port(), None);
    config.metrics_addr = relink::config::parse_metrics_addr("off").expect("off");
    let off = relink::server::Server::build(config).await.expect("starts");
    assert_eq!(off.metrics_port(), None);
}

/// POSTs `query` with this `Accept` header (none when `None`); status, content type and body.
async fn with_accept(app: &TestApp, accept: Option<&str>, query: &str) -> (u16, String, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query }));
    request = match accept {
        Some(accept) => request.header("accept", accept),
        None => request,
    };
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    (status, kind, response.json().await.expect("json"))
}

#[tokio::test]
async fn the_response_media_type_and_status_follow_the_accept_header() {
    let app = TestApp::spawn().await;
    const NEW: &str = "application/graphql-response+json";
    // The spec's media type: asked for, answered, with 400 for a document that does not parse.
    for accept in [
        NEW,
        "application/graphql-response+json, application/json;q=0.9",
    ] {
        let (status, kind, _) = with_accept(&app, Some(accept), "{ __typename }").await;
        assert_eq!((status, kind.as_str()), (200, NEW), "{accept}");
        let (status, kind, body) = with_accept(&app, Some(accept), "{").await;
        assert_eq!((status, kind.as_str()), (400, NEW), "{accept}");
        assert!(body.get("data").is_none());
        let (status, _, body) = with_accept(&app, Some(accept), "{ nope }").await;
        assert_eq!(
            (status, first_code(&body)),
            (400, "GRAPHQL_VALIDATION_FAILED")
        );
    }
    // Legacy clients (application/json, */*, no Accept, or the new type refused with q=0) get
    // application/json and 200 for the same failures: the spec's SHOULD for them.
    for accept in [
        Some("application/json"),
        Some("*/*"),
        None,
        Some("application/graphql-response+json;q=0, application/json"),
        Some("text/html"),
    ] {
        let (status, kind, _) = with_accept(&app, accept, "{ __typename }").await;
        assert_eq!(
            (status, kind.as_str()),
            (200, "application/json"),
            "{accept:?}"
        );
        let (status, kind, body) = with_accept(&app, accept, "{").await;
        assert_eq!(
            (status, kind.as_str()),
            (200, "application/json"),
            "{accept:?}"
        );
        assert_eq!(first_code(&body), "GRAPHQL_PARSE_FAILED");
        assert!(body.get("data").is_none(), "{body}");
        let (status, _, body) = with_accept(&app, accept, "{ nope }").await;
        assert_eq!(
            (status, first_code(&body)),
            (200, "GRAPHQL_VALIDATION_FAILED")
        );
    }
}

/// What operators look for first: latency histograms by route and by GraphQL operation, the
/// lag from an event's commit to a subscriber's frame, the keeper's pass duration, open sockets
/// and the pool's use; OpenMetrics text to a scraper that asks for it.
#[tokio::test]
async fn metrics_carry_latency_histograms_delivery_lag_and_pool_use() {
    let app = TestApp::spawn_demo().await;
    // Resume after the newest event: a subscription "from now" starts when the server takes it,
    // which the mutation below could beat.
    let newest = crate::helpers::newest_event_id(&app).await;
    let query = "subscription($after: ID) { socialAccountEvents(after: $after) { kind } }";
    let mut socket = crate::live::subscribe(
        &app,
        "ben@northwind.example",
        query,
        json!({ "after": newest.to_string() }),
    )
    .await;
    let x = app.account_id("x-northwind").await;
    let document = "mutation Disconnect($id: ID!) { disconnectSocialAccount(input: { socialAccountId: $id }) { socialAccount { health } } }";
    let token = app.token_for("ben@northwind.example").await;
    let answered = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .json(
            &json!({ "query": document, "variables": { "id": x }, "operationName": "Disconnect" }),
        )
        .send()
        .await
        .expect("mutation");
    assert_eq!(answered.status(), 200);
    let event = crate::live::data(&mut socket).await;
    assert_eq!(
        event["socialAccountEvents"]["kind"], "DISCONNECTED",
        "{event}"
    );
    app.keeper.run_once().await.expect("keeper pass");
    for (name, at_least) in [
        (
            "relink_http_request_duration_seconds_count{method=\"POST\",route=\"/graphql\",status=\"200\"}",
            1.0,
        ),
        (
            "relink_graphql_operation_duration_seconds_count{operation=\"Disconnect\"}",
            1.0,
        ),
        ("relink_event_delivery_lag_seconds_count", 1.0),
        ("relink_keeper_pass_duration_seconds_count", 1.0),
        ("relink_subscription_sockets", 1.0),
        ("relink_db_pool_connections{state=\"max\"}", 1.0),
        ("relink_sql_statements_total", 1.0),
    ] {
        let value = app.metric(name).await;
        assert!(value >= at_least, "{name} = {value}");
    }
    let open = app
        .client
        .get(format!("{}/metrics", app.metrics_address))
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .expect("metrics");
    assert!(
        open.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/openmetrics-text")
    );
    let text = open.text().await.expect("text");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    assert!(text.contains("# TYPE relink_http_request_duration_seconds histogram"));
}

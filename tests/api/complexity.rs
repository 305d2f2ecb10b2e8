//! The complexity budget prices what a query really costs: a field that calls a network costs at
//! least 50 points and asks the network once per account and request however many aliases repeat
//! it; lists without `first` cost their length bound.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

async fn feed_requests(app: &TestApp) -> u64 {
    let body: Value = app
        .client
        .get(format!("{}/sandbox/admin/api-requests", app.address))
        .send()
        .await
        .expect("counter")
        .json()
        .await
        .expect("json");
    body["feed"].as_u64().expect("count")
}

#[tokio::test]
async fn aliases_of_a_stream_ask_the_network_once_per_account_and_request() {
    let app = TestApp::spawn_with(|config| config.no_demo = false).await;
    // Ada's streams: one per account she follows; six aliases of the items and the state.
    let aliases: String = (0..6)
        .map(|n| format!("a{n}: streams(first: 5) {{ state items {{ text }} }} "))
        .collect();
    let before = feed_requests(&app).await;
    let body = app
        .graphql(
            "ada@northwind.example",
            &format!("{{ {aliases} }}"),
            json!({}),
        )
        .await;
    assert_eq!(body["errors"], Value::Null, "{body}");
    let live: std::collections::HashSet<String> = body["data"]["a0"]
        .as_array()
        .expect("streams")
        .iter()
        .filter(|stream| stream["state"] == "LIVE")
        .filter_map(|stream| stream["items"][0]["text"].as_str().map(str::to_owned))
        .collect();
    assert!(!live.is_empty(), "{body}");
    let asked = feed_requests(&app).await - before;
    assert!(
        asked as usize <= live.len(),
        "{asked} feed requests for {} live accounts and 6 aliases",
        live.len()
    );
}

#[tokio::test]
async fn hundreds_of_aliases_of_a_network_field_are_refused_before_any_call() {
    let app = TestApp::spawn_with(|config| config.no_demo = false).await;
    let before = feed_requests(&app).await;
    let aliases: String = (0..1_600)
        .map(|n| format!("a{n}: streams(first: 1) {{ items {{ text }} }} "))
        .collect();
    let (status, body) = app
        .graphql_as(
            Some(&app.token_for("ada@northwind.example").await),
            &format!("{{ {aliases} }}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(first_code(&body), "QUERY_TOO_COMPLEX");
    assert_eq!(feed_requests(&app).await, before, "no network call");
    // Even 101 aliases of the state alone are over the budget: 101 × 50 points.
    let aliases: String = (0..101)
        .map(|n| format!("a{n}: streams(first: 1) {{ state }} "))
        .collect();
    let (status, body) = app
        .graphql_as(
            Some(&app.token_for("ada@northwind.example").await),
            &format!("{{ {aliases} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, first_code(&body)),
        (400, "QUERY_TOO_COMPLEX"),
        "{body}"
    );
}

#[tokio::test]
async fn lists_without_first_cost_their_length_bound() {
    let app = TestApp::spawn_with(|config| {
        config.no_demo = false;
        config.max_complexity = 100;
    })
    .await;
    let ada = app.token_for("ada@northwind.example").await;
    for query in [
        // 50 accounts at most, each costing its fields.
        "{ reconnectStatus { accounts { id name health } } }",
        // 20 gaps at most per account, 20 accounts by default.
        "{ socialAccounts { nodes { analyticsGaps { from to } } } }",
        // 20 streams by default, each asking the network.
        "{ streams { state } }",
    ] {
        let (status, body) = app.graphql_as(Some(&ada), query, json!({})).await;
        assert_eq!(
            (status, first_code(&body)),
            (400, "QUERY_TOO_COMPLEX"),
            "{query}: {body}"
        );
    }
    // Within the budget they run.
    let (status, body) = app
        .graphql_as(
            Some(&ada),
            "{ reconnectStatus { badgeCount accountCount accounts { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["reconnectStatus"]["accountCount"], 6, "{body}");
    let (status, body) = app
        .graphql_as(Some(&ada), "{ streams(first: 51) { title } }", json!({}))
        .await;
    assert_eq!(
        (status, first_code(&body)),
        (200, "BAD_USER_INPUT"),
        "{body}"
    );
}

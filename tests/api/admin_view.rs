//! The organization's social-network administration (R16) and audit log (B8).

use serde_json::{Value, json};

use crate::{
    helpers::reconnect_as,
    helpers::{TestApp, first_code},
};

async fn organization_id(app: &TestApp, email: &str) -> Value {
    app.graphql(email, "{ viewer { organizations { id } } }", json!({}))
        .await["data"]["viewer"]["organizations"][0]["id"]
        .clone()
}

#[tokio::test]
async fn r16_admins_see_every_account_flagged_and_counted_by_health() {
    let app = TestApp::spawn_demo().await;
    let org = organization_id(&app, "ben@northwind.example").await;
    let query = "query($id: ID!) { organization(id: $id) { socialAccountHealth { connected expiring limited disconnected total } socialAccounts(filter: { health: [DISCONNECTED] }) { nodes { name flag disconnect { reason heldPostCount } } } } }";
    let body = app
        .graphql("ben@northwind.example", query, json!({ "id": org }))
        .await;
    let counts = &body["data"]["organization"]["socialAccountHealth"];
    assert_eq!(counts["disconnected"], 3, "{body}");
    let total = ["connected", "expiring", "limited", "disconnected"]
        .iter()
        .map(|key| counts[key].as_i64().expect("count"))
        .sum::<i64>();
    assert_eq!(counts["total"], total);
    let flagged = body["data"]["organization"]["socialAccounts"]["nodes"]
        .as_array()
        .expect("nodes");
    assert_eq!(flagged.len(), 3);
    assert!(
        flagged.iter().all(|account| account["flag"] == "RED"),
        "{body}"
    );
    let page = flagged
        .iter()
        .find(|account| account["name"] == "Northwind Coffee")
        .expect("page");
    assert_eq!(page["disconnect"]["reason"], "PASSWORD_CHANGED");
    assert_eq!(
        page["disconnect"]["heldPostCount"], 2,
        "the demo's held posts"
    );

    // A member may not see the administration.
    let dev = app
        .graphql(
            "dev@northwind.example",
            "query($id: ID!) { organization(id: $id) { socialAccountHealth { total } } }",
            json!({ "id": org }),
        )
        .await;
    assert_eq!(first_code(&dev), "FORBIDDEN", "{dev}");
}

#[tokio::test]
async fn b8_the_audit_log_says_who_did_what_newest_first_for_admins_only() {
    let app = TestApp::spawn_demo().await;
    reconnect_as(
        &app,
        "ada@northwind.example",
        "fb-page-northwind",
        "fb-nora",
    )
    .await;
    let org = organization_id(&app, "ben@northwind.example").await;
    let query = "query($id: ID!, $after: String) { auditLog(organizationId: $id, first: 2, after: $after) { nodes { id action targetType targetId detail at actor { name } } pageInfo { hasNextPage endCursor } } }";
    let first = app
        .graphql("ben@northwind.example", query, json!({ "id": org }))
        .await;
    let log = &first["data"]["auditLog"];
    assert_eq!(log["nodes"].as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(log["pageInfo"]["hasNextPage"], true);
    let mut actions: Vec<Value> = log["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|entry| entry["action"].clone())
        .collect();
    let mut after = log["pageInfo"]["endCursor"].clone();
    while after != Value::Null {
        let next = app
            .graphql(
                "ben@northwind.example",
                query,
                json!({ "id": org, "after": after }),
            )
            .await;
        let page = &next["data"]["auditLog"];
        actions.extend(
            page["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|entry| entry["action"].clone()),
        );
        after = if page["pageInfo"]["hasNextPage"] == true {
            page["pageInfo"]["endCursor"].clone()
        } else {
            Value::Null
        };
    }
    let login = actions
        .iter()
        .position(|action| action == "login.reconnected")
        .expect("the reconnect is logged");
    // Newest first: the three accounts' entries, written after the login's, come before it.
    assert_eq!(
        actions[..login]
            .iter()
            .filter(|action| *action == "account.reconnected")
            .count(),
        3,
        "{actions:?}"
    );
    let whole = serde_json::to_string(&first).expect("json");
    assert!(!whole.contains("access_token") && !whole.contains("refresh_token"));
    // Who did it: Ada, by name.
    let entry = first["data"]["auditLog"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|entry| entry["actor"] != Value::Null)
        .cloned()
        .expect("an entry with an actor");
    assert_eq!(entry["actor"]["name"], "Ada Lovelace", "{entry}");

    // Members are refused; another organization's id reads as unknown.
    let dev = app
        .graphql("dev@northwind.example", query, json!({ "id": org }))
        .await;
    assert_eq!(first_code(&dev), "FORBIDDEN");
    let stranger = app
        .graphql(
            "ben@northwind.example",
            query,
            json!({ "id": "T3JnYW5pemF0aW9uOjk5OTk" }),
        )
        .await;
    assert_eq!(first_code(&stranger), "NOT_FOUND", "{stranger}");
}

//! R19/B6 in the normal flow: the rules a reconnect flags are listed (`automationRules`), counted
//! in the callback's redirect, announced on the subscriptions and emailed once to the rule's owner
//! and the reconnecting user.

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, reconnect_as},
    live::{data, subscribe},
};

const RULES: &str = "query($org: ID!, $flagged: Boolean) { automationRules(organizationId: $org, flagged: $flagged) { name kind needsReview reviewReason reviewFix lastCheckedAt owner { name } flaggedBy { name } socialAccount { name } } }";

async fn northwind(app: &TestApp) -> String {
    let body = app
        .graphql(
            "ada@northwind.example",
            "{ viewer { organizations { id name } } }",
            json!({}),
        )
        .await;
    body["data"]["viewer"]["organizations"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

#[tokio::test]
async fn r19_rules_a_reconnect_flags_are_listed_counted_announced_and_emailed_once() {
    // Arrange: the demo's rules are fine until the Facebook login comes back; Dev, to whom the
    // roastery's messages are assigned, cannot see the roastery page.
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;
    let before = app
        .graphql(
            "ada@northwind.example",
            RULES,
            json!({ "org": org, "flagged": true }),
        )
        .await;
    assert_eq!(before["data"]["automationRules"], json!([]), "{before}");
    app.postman.run_once().await.expect("the disconnect emails");
    let emails_before = app.outbox().len();

    // Act
    let done = reconnect_as(
        &app,
        "ada@northwind.example",
        "fb-page-northwind",
        "fb-nora",
    )
    .await;

    // Assert: the browser's redirect says how many rules to review.
    assert!(done.ends_with("&rules_to_review=1"), "{done}");

    // The list, with the reason, a concrete fix, the owner and who flagged it.
    let listed = app
        .graphql(
            "ada@northwind.example",
            RULES,
            json!({ "org": org, "flagged": true }),
        )
        .await;
    let rules = listed["data"]["automationRules"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(rules.len(), 1, "{listed}");
    let rule = &rules[0];
    assert_eq!(rule["name"], "Assign roastery messages to Dev");
    assert_eq!(rule["reviewReason"], "ASSIGNEE_LOST_ACCESS");
    assert!(
        rule["reviewFix"]
            .as_str()
            .expect("fix")
            .contains("give them access to it again"),
        "{rule}"
    );
    assert_eq!(rule["owner"]["name"], "Ben Okafor");
    assert_eq!(rule["flaggedBy"]["name"], "Ada Lovelace");
    assert_ne!(rule["lastCheckedAt"], Value::Null);
    // Unflagged rules are listed with `flagged: false`, and all with no filter.
    let all = app
        .graphql("ada@northwind.example", RULES, json!({ "org": org }))
        .await;
    let unflagged = app
        .graphql(
            "ada@northwind.example",
            RULES,
            json!({ "org": org, "flagged": false }),
        )
        .await;
    assert_eq!(
        all["data"]["automationRules"]
            .as_array()
            .expect("all")
            .len(),
        1 + unflagged["data"]["automationRules"]
            .as_array()
            .expect("unflagged")
            .len()
    );
    // Dev cannot see the roastery page, so neither its rule.
    let dev = app
        .graphql(
            "dev@northwind.example",
            RULES,
            json!({ "org": org, "flagged": true }),
        )
        .await;
    assert_eq!(dev["data"]["automationRules"], json!([]), "{dev}");

    // The subscriptions carry it.
    let mut ada = subscribe(
        &app,
        "ada@northwind.example",
        "subscription($after: ID) { socialAccountEvents(after: $after) { kind rulesFlagged socialAccount { name } } }",
        json!({ "after": "0" }),
    )
    .await;
    let flagged = loop {
        let event = data(&mut ada).await["socialAccountEvents"].clone();
        if event["kind"] == "RULES_FLAGGED" {
            break event;
        }
    };
    assert_eq!(flagged["socialAccount"]["name"], "Northwind Roastery");
    assert_eq!(flagged["rulesFlagged"], 1);

    // The rule's owner (Ben) and the reconnecting user (Ada) are emailed, once.
    let sent = app.postman.run_once().await.expect("pass");
    assert_eq!(sent.rule_reviews, 2, "{sent:?}");
    let mails = app.outbox();
    let reviews: Vec<&String> = mails
        .iter()
        .filter(|mail| mail.contains("Automation rule to review"))
        .collect();
    assert_eq!(reviews.len(), 2, "{mails:?}");
    for who in ["ben@northwind.example", "ada@northwind.example"] {
        assert!(
            reviews.iter().any(|mail| mail.contains(who)),
            "{who} not told"
        );
    }
    assert!(reviews[0].contains("/dashboard#/automations"));
    assert_eq!(app.postman.run_once().await.expect("pass").rule_reviews, 0);
    assert!(app.outbox().len() > emails_before);

    // Another reconnect that still finds the rule broken emails nobody again.
    reconnect_as(
        &app,
        "ada@northwind.example",
        "fb-page-northwind",
        "fb-nora",
    )
    .await;
    assert_eq!(app.postman.run_once().await.expect("pass").rule_reviews, 0);
}

#[tokio::test]
async fn automation_rules_of_another_organization_read_as_unknown() {
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;
    crate::access::globex(&app).await;
    let body = app
        .graphql("gina@globex.example", RULES, json!({ "org": org }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );
}

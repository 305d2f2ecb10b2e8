//! Held work over HTTP (R13, R14, B4): the composer, the planner, the publisher and the release
//! after a reconnect, proven against what reached the sandbox network.

use chrono::{DateTime, Duration, Utc};
use entity::enums::PostState;
use relink::posts::publisher::Attempt;
use serde_json::{Value, json};

use crate::{
    helpers::reconnect_as,
    helpers::{TestApp, first_code},
};

const SCHEDULE: &str = "mutation($ids: [ID!]!, $body: String!, $at: DateTime!) { schedulePost(input: { socialAccountIds: $ids, body: $body, scheduledAt: $at }) { posts { id state scheduledAt } disconnectedAccounts { name viewerCanReconnect lastReconnectedBy { name } } userErrors { code field message } } }";
const PLANNER: &str = "query($filter: ScheduledPostFilter) { scheduledPosts(first: 50, filter: $filter) { nodes { id body state scheduledAt externalPostId warning { message health reason viewerCanReconnect reauthPath socialAccount { name } } } pageInfo { hasNextPage endCursor } } }";
const RESOLVE: &str = "mutation($ids: [ID!]!, $action: HeldPostAction!, $at: DateTime) { resolveHeldPost(input: { postIds: $ids, action: $action, scheduledAt: $at }) { posts { id state scheduledAt } userErrors { code field } } }";

/// The demo without its own posts, so each test sees only the posts it writes.
async fn spawn() -> TestApp {
    use sea_orm::EntityTrait as _;
    let app = TestApp::spawn_demo().await;
    entity::scheduled_posts::Entity::delete_many()
        .exec(&app.db)
        .await
        .expect("clear the demo's posts");
    app
}

async fn schedule(
    app: &TestApp,
    email: &str,
    accounts: &[&str],
    body: &str,
    at: DateTime<Utc>,
) -> Value {
    let mut ids = Vec::new();
    for account in accounts {
        ids.push(app.account_id(account).await);
    }
    app.graphql(
        email,
        SCHEDULE,
        json!({ "ids": ids, "body": body, "at": at }),
    )
    .await["data"]["schedulePost"]
        .clone()
}

async fn planner(app: &TestApp, email: &str) -> Vec<Value> {
    let body = app.graphql(email, PLANNER, json!({})).await;
    body["data"]["scheduledPosts"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

async fn post(app: &TestApp, email: &str, id: &Value) -> Value {
    planner(app, email)
        .await
        .into_iter()
        .find(|post| post["id"] == *id)
        .unwrap_or_else(|| panic!("no post {id}"))
}

#[tokio::test]
async fn a_held_post_is_published_exactly_once_after_the_reconnect() {
    let app = spawn().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let at = app.clock.now() + Duration::hours(1);
    let scheduled = schedule(
        &app,
        "ada@northwind.example",
        &["x-northwind"],
        "Flat whites are back",
        at,
    )
    .await;
    assert_eq!(scheduled["userErrors"], json!([]), "{scheduled}");
    let id = scheduled["posts"][0]["id"].clone();
    assert_eq!(scheduled["posts"][0]["state"], "SCHEDULED");

    // R13: the network revokes; the post is held at once, with a warning offering the reconnect.
    app.revoke_at_network("x-northwind").await;
    let held = post(&app, "ada@northwind.example", &id).await;
    assert_eq!(held["state"], "HELD", "{held}");
    assert_eq!(held["warning"]["health"], "DISCONNECTED");
    assert_eq!(held["warning"]["reason"], "APP_DEAUTHORIZED");
    assert_eq!(held["warning"]["viewerCanReconnect"], true);
    assert_eq!(
        held["warning"]["reauthPath"],
        "/dashboard#/social-networks/reauth"
    );

    // Its time passes: not published, still held.
    app.clock.advance(Duration::hours(2));
    app.publisher.run_once().await.expect("pass");
    assert!(app.published().await.is_empty());
    assert_eq!(
        post(&app, "ada@northwind.example", &id).await["state"],
        "HELD"
    );
    // The account's disconnect counts it.
    let account = app
        .graphql(
            "ada@northwind.example",
            "query($id: ID!) { socialAccount(id: $id) { disconnect { heldPostCount } } }",
            json!({ "id": app.account_id("x-northwind").await }),
        )
        .await;
    assert_eq!(
        account["data"]["socialAccount"]["disconnect"]["heldPostCount"],
        1
    );

    // Reconnect: released (one hour late is within the 24 h grace), published once.
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let released = post(&app, "ada@northwind.example", &id).await;
    assert_eq!(released["state"], "SCHEDULED");
    assert_eq!(released["warning"], Value::Null);
    let outcomes = app.publisher.run_once().await.expect("pass");
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes[0].1, Attempt::Published);
    app.publisher.run_once().await.expect("another pass");
    let out = app.published().await;
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0]["body"], "Flat whites are back");
    assert_eq!(out[0]["asset"], "x-northwind");
    assert_eq!(out[0]["requests"], 1);
    let done = post(&app, "ada@northwind.example", &id).await;
    assert_eq!(done["state"], "PUBLISHED");
    assert_eq!(done["externalPostId"], out[0]["id"]);
}

#[tokio::test]
async fn b4_held_posts_go_out_in_order_and_late_ones_wait_for_a_new_time() {
    let app = spawn().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let now = app.clock.now();
    let early = schedule(
        &app,
        "ada@northwind.example",
        &["x-northwind"],
        "early",
        now + Duration::hours(1),
    )
    .await["posts"][0]["id"]
        .clone();
    let late = schedule(
        &app,
        "ada@northwind.example",
        &["x-northwind"],
        "late",
        now + Duration::hours(30),
    )
    .await["posts"][0]["id"]
        .clone();
    let second = schedule(
        &app,
        "ada@northwind.example",
        &["x-northwind"],
        "second",
        now + Duration::hours(29),
    )
    .await["posts"][0]["id"]
        .clone();
    app.revoke_at_network("x-northwind").await;
    // 32 hours on: "early" is 31 h past (beyond the grace), the others 2 and 3 h past.
    app.clock.advance(Duration::hours(32));
    let reconnect = app
        .graphql(
            "ada@northwind.example",
            "mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) { authorizeUrl } }",
            json!({ "id": app.account_id("x-northwind").await }),
        )
        .await;
    let url = reconnect["data"]["startReconnect"]["authorizeUrl"]
        .as_str()
        .expect("url")
        .to_owned();
    let back = crate::helpers::sign_in(&app, &url, "x-northwind", &[], "allow").await;
    let query: std::collections::HashMap<String, String> = reqwest::Url::parse(&back)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect();
    let done = app
        .graphql(
            "ada@northwind.example",
            "mutation($state: String!, $code: String!) { completeReconnect(input: { state: $state, code: $code }) { releasedPosts { id body state } userErrors { code } } }",
            json!({ "state": query["state"], "code": query["code"] }),
        )
        .await;
    let released = &done["data"]["completeReconnect"]["releasedPosts"];
    assert_eq!(
        released,
        &json!([
            { "id": early, "body": "early", "state": "NEEDS_RESCHEDULE" },
            { "id": second, "body": "second", "state": "SCHEDULED" },
            { "id": late, "body": "late", "state": "SCHEDULED" },
        ]),
        "{done}"
    );
    app.publisher.run_once().await.expect("pass");
    let bodies: Vec<Value> = app
        .published()
        .await
        .iter()
        .map(|p| p["body"].clone())
        .collect();
    assert_eq!(
        bodies,
        [json!("second"), json!("late")],
        "in scheduled order, the late one not at all"
    );

    // The late post waits for a person: a new time, then out.
    let resolved = app
        .graphql(
            "ada@northwind.example",
            RESOLVE,
            json!({ "ids": [early], "action": "RESCHEDULE", "at": app.clock.now() + Duration::minutes(30) }),
        )
        .await;
    assert_eq!(
        resolved["data"]["resolveHeldPost"]["posts"][0]["state"], "SCHEDULED",
        "{resolved}"
    );
    app.clock.advance(Duration::minutes(31));
    app.publisher.run_once().await.expect("pass");
    assert_eq!(app.published().await.len(), 3);
}

#[tokio::test]
async fn resolve_held_post_publishes_now_drafts_or_refuses() {
    let app = spawn().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let at = app.clock.now() + Duration::hours(3);
    let one = schedule(&app, "ada@northwind.example", &["x-northwind"], "one", at).await["posts"]
        [0]["id"]
        .clone();
    let two = schedule(&app, "ada@northwind.example", &["x-northwind"], "two", at).await["posts"]
        [0]["id"]
        .clone();
    app.revoke_at_network("x-northwind").await;

    // Dev only views the X profile (LIMITED): he may not release its posts.
    let dev = app
        .graphql(
            "dev@northwind.example",
            RESOLVE,
            json!({ "ids": [one], "action": "RESCHEDULE", "at": at }),
        )
        .await;
    assert_eq!(
        dev["data"]["resolveHeldPost"]["userErrors"][0]["code"], "PUBLISH_NOT_ALLOWED",
        "{dev}"
    );
    // Publishing now needs a connected account; nothing changes.
    let refused = app
        .graphql(
            "ada@northwind.example",
            RESOLVE,
            json!({ "ids": [one, two], "action": "PUBLISH_NOW" }),
        )
        .await;
    assert_eq!(
        refused["data"]["resolveHeldPost"]["userErrors"][0]["code"],
        "ACCOUNT_DISCONNECTED"
    );
    assert_eq!(
        post(&app, "ada@northwind.example", &one).await["state"],
        "HELD"
    );
    // A reschedule without a time is refused.
    let no_time = app
        .graphql(
            "ada@northwind.example",
            RESOLVE,
            json!({ "ids": [one], "action": "RESCHEDULE" }),
        )
        .await;
    assert_eq!(
        no_time["data"]["resolveHeldPost"]["userErrors"][0]["code"],
        "TIME_REQUIRED"
    );
    // Both as drafts, at once.
    let drafted = app
        .graphql(
            "ada@northwind.example",
            RESOLVE,
            json!({ "ids": [one, two], "action": "DRAFT" }),
        )
        .await;
    let states: Vec<Value> = drafted["data"]["resolveHeldPost"]["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|p| p["state"].clone())
        .collect();
    assert_eq!(states, [json!("DRAFT"), json!("DRAFT")], "{drafted}");
    // A draft is not held: nothing to resolve. An unknown id reads as unknown.
    let again = app
        .graphql(
            "ada@northwind.example",
            RESOLVE,
            json!({ "ids": [one], "action": "DRAFT" }),
        )
        .await;
    assert_eq!(
        again["data"]["resolveHeldPost"]["userErrors"][0]["code"],
        "POST_NOT_HELD"
    );
    let unknown = app
        .graphql(
            "ada@northwind.example",
            RESOLVE,
            json!({ "ids": ["U2NoZWR1bGVkUG9zdDo5OTk5"], "action": "DRAFT" }),
        )
        .await;
    assert_eq!(first_code(&unknown), "NOT_FOUND", "{unknown}");

    // Too late after the reconnect: PUBLISH_NOW sends it.
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let four = schedule(
        &app,
        "ada@northwind.example",
        &["x-northwind"],
        "four",
        app.clock.now() + Duration::hours(1),
    )
    .await["posts"][0]["id"]
        .clone();
    app.revoke_at_network("x-northwind").await;
    app.clock.advance(Duration::hours(30));
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    assert_eq!(
        post(&app, "ada@northwind.example", &four).await["state"],
        "NEEDS_RESCHEDULE"
    );
    let now = app
        .graphql(
            "ada@northwind.example",
            RESOLVE,
            json!({ "ids": [four], "action": "PUBLISH_NOW" }),
        )
        .await;
    assert_eq!(
        now["data"]["resolveHeldPost"]["posts"][0]["state"], "SCHEDULED",
        "{now}"
    );
    app.publisher.run_once().await.expect("pass");
    let out = app.published().await;
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["body"], "four");
}

#[tokio::test]
async fn r14_the_composer_refuses_disconnected_accounts_and_offers_a_draft() {
    let app = spawn().await;
    let at = app.clock.now() + Duration::hours(1);
    // Ada may reconnect the broken Facebook page; the refusal says so, and nothing is written.
    let refused = schedule(
        &app,
        "ada@northwind.example",
        &["fb-page-northwind", "x-northwind"],
        "Hello",
        at,
    )
    .await;
    assert_eq!(refused["posts"], json!([]));
    assert_eq!(
        refused["userErrors"][0]["code"], "ACCOUNT_DISCONNECTED",
        "{refused}"
    );
    assert_eq!(
        refused["disconnectedAccounts"],
        json!([{ "name": "Northwind Coffee", "viewerCanReconnect": true, "lastReconnectedBy": { "name": "Ben Okafor" } }])
    );
    assert!(
        planner(&app, "ada@northwind.example")
            .await
            .iter()
            .all(|p| p["body"] != "Hello")
    );
    // Dev edits the page but may not reconnect: he learns whom to ask, and keeps a draft.
    let dev = schedule(
        &app,
        "dev@northwind.example",
        &["fb-page-northwind"],
        "Hi",
        at,
    )
    .await;
    assert_eq!(dev["userErrors"][0]["code"], "ACCOUNT_DISCONNECTED");
    assert_eq!(dev["disconnectedAccounts"][0]["viewerCanReconnect"], false);
    let draft = app
        .graphql(
            "dev@northwind.example",
            "mutation($id: ID!) { saveDraft(input: { socialAccountId: $id, body: \"Hi\" }) { post { state body warning { message } } userErrors { code } } }",
            json!({ "id": app.account_id("fb-page-northwind").await }),
        )
        .await;
    assert_eq!(
        draft["data"]["saveDraft"]["post"]["state"], "DRAFT",
        "{draft}"
    );
    assert_eq!(
        draft["data"]["saveDraft"]["post"]["warning"],
        Value::Null,
        "a draft waits for nobody"
    );
    // A LIMITED member drafts only.
    let limited = schedule(&app, "dev@northwind.example", &["x-northwind"], "Hi", at).await;
    assert_eq!(
        limited["userErrors"][0]["code"], "PUBLISH_NOT_ALLOWED",
        "{limited}"
    );
    let limited_draft = app
        .graphql(
            "dev@northwind.example",
            "mutation($id: ID!) { saveDraft(input: { socialAccountId: $id, body: \"Hi\" }) { post { state } userErrors { code } } }",
            json!({ "id": app.account_id("x-northwind").await }),
        )
        .await;
    assert_eq!(limited_draft["data"]["saveDraft"]["post"]["state"], "DRAFT");
    // Bad input: empty text, the past, an unknown account.
    let empty = schedule(&app, "ada@northwind.example", &["x-northwind"], "  ", at).await;
    assert_eq!(empty["userErrors"][0]["code"], "POST_EMPTY");
    let past = schedule(
        &app,
        "ada@northwind.example",
        &["x-northwind"],
        "Hi",
        app.clock.now() - Duration::hours(1),
    )
    .await;
    assert_eq!(past["userErrors"][0]["code"], "SCHEDULED_IN_PAST");
    let unknown = app
        .graphql(
            "ada@northwind.example",
            SCHEDULE,
            json!({ "ids": ["U29jaWFsQWNjb3VudDo5OTk5"], "body": "x", "at": at }),
        )
        .await;
    assert_eq!(first_code(&unknown), "NOT_FOUND");
}

#[tokio::test]
async fn an_auth_error_while_publishing_disconnects_the_login_and_holds_the_post() {
    let app = spawn().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let id = schedule(
        &app,
        "ada@northwind.example",
        &["x-northwind"],
        "Gone quiet",
        app.clock.now() + Duration::minutes(5),
    )
    .await["posts"][0]["id"]
        .clone();
    // The network drops the tokens without telling (no webhook): the publish call finds out.
    app.client
        .post(format!(
            "{}/sandbox/admin/identities/x-northwind/expire",
            app.address
        ))
        .send()
        .await
        .expect("expire");
    app.clock.advance(Duration::minutes(10));
    let outcomes = app.publisher.run_once().await.expect("pass");
    assert_eq!(outcomes[0].1, Attempt::Disconnected, "{outcomes:?}");
    assert_eq!(
        crate::helpers::health(&app, "x-northwind").await,
        entity::enums::Health::Disconnected
    );
    let held = post(&app, "ada@northwind.example", &id).await;
    assert_eq!(held["state"], "HELD");
    assert_eq!(held["warning"]["reason"], "TOKEN_REVOKED");
    assert!(app.published().await.is_empty());
}

#[tokio::test]
async fn a_publish_interrupted_after_the_network_recorded_it_is_not_sent_twice() {
    use sea_orm::EntityTrait as _;
    let app = spawn().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let at = app.clock.now() + Duration::minutes(1);
    schedule(&app, "ada@northwind.example", &["x-northwind"], "Once", at).await;
    app.clock.advance(Duration::minutes(2));
    let post = entity::scheduled_posts::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("post");
    // A worker claims it and the network records it, then the worker dies before recording the
    // outcome: the claim is all that is left in the database.
    let now = app.clock.now();
    assert!(
        relink::posts::repo::claim(&app.db, &post, now, now + Duration::seconds(60))
            .await
            .expect("claim")
    );
    let login = entity::social_logins::Entity::find_by_id(
        entity::social_accounts::Entity::find_by_id(post.social_account_id)
            .one(&app.db)
            .await
            .expect("query")
            .expect("account")
            .social_login_id,
    )
    .one(&app.db)
    .await
    .expect("query")
    .expect("login");
    let token = app
        .cipher
        .access_token(&login)
        .expect("open")
        .expect("a token");
    let recorded = app
        .client
        .post(format!("{}/sandbox/x/api/posts", app.address))
        .bearer_auth(token.expose())
        .header("Idempotency-Key", &post.idempotency_key)
        .json(&json!({ "assetExternalId": "x-northwind", "body": post.body }))
        .send()
        .await
        .expect("the first attempt reached the network");
    assert!(recorded.status().is_success());
    // Nothing may take it while the lease runs.
    assert!(app.publisher.run_once().await.expect("pass").is_empty());
    // After the lease, the retry carries the same key: one post at the network.
    app.clock.advance(Duration::seconds(61));
    let outcomes = app.publisher.run_once().await.expect("pass");
    assert_eq!(outcomes, [(post.id, Attempt::Published)]);
    let out = app.published().await;
    assert_eq!(out.len(), 1, "one post at the network");
    assert_eq!(
        out[0]["requests"], 2,
        "the retry was deduplicated by its key"
    );
    let stored = entity::scheduled_posts::Entity::find_by_id(post.id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("post");
    assert_eq!(stored.state, PostState::Published);
    assert_eq!(stored.attempts, 2);
}

#[tokio::test]
async fn the_demo_as_served_holds_sandbox_tokens_and_publishes() {
    // `relink serve` loads the demo itself: its connected logins get real sandbox tokens.
    let app = TestApp::spawn_with(|config| config.no_demo = false).await;
    let at = app.clock.now() + Duration::minutes(5);
    let scheduled = schedule(
        &app,
        "ben@northwind.example",
        &["li-company-northwind"],
        "Now hiring baristas",
        at,
    )
    .await;
    assert_eq!(scheduled["userErrors"], json!([]), "{scheduled}");
    app.clock.advance(Duration::minutes(6));
    let outcomes = app.publisher.run_once().await.expect("pass");
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].1, Attempt::Published, "{outcomes:?}");
    assert_eq!(app.published().await[0]["asset"], "li-company-northwind");
}

#[tokio::test]
async fn b3_the_planner_learns_of_held_released_and_published_posts_live() {
    let app = spawn().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let id = schedule(
        &app,
        "ada@northwind.example",
        &["x-northwind"],
        "Live!",
        app.clock.now() + Duration::minutes(30),
    )
    .await["posts"][0]["id"]
        .clone();
    let mut events = crate::live::subscribe(
        &app,
        "ada@northwind.example",
        "subscription { socialAccountEvents { kind postId socialAccount { name health } } }",
        json!({}),
    )
    .await;
    // The disconnect: every tile of the account turns yellow from the event alone.
    app.revoke_at_network("x-northwind").await;
    let event = next_event(&mut events).await;
    assert_eq!(event["kind"], "DISCONNECTED", "{event}");
    assert_eq!(event["socialAccount"]["health"], "DISCONNECTED");
    assert_eq!(
        post(&app, "ada@northwind.example", &id).await["state"],
        "HELD"
    );
    // The reconnect clears them.
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let event = next_event(&mut events).await;
    assert_eq!(event["kind"], "RECONNECTED", "{event}");
    assert_eq!(event["socialAccount"]["health"], "CONNECTED");
    // And the post going out names it.
    app.clock.advance(Duration::minutes(31));
    app.publisher.run_once().await.expect("pass");
    let event = next_event(&mut events).await;
    assert_eq!(event["kind"], "POST_PUBLISHED", "{event}");
    assert_eq!(event["postId"], id);
}

async fn next_event(socket: &mut crate::subscriptions::Socket) -> Value {
    crate::live::data(socket).await["socialAccountEvents"].clone()
}

#[tokio::test]
async fn the_planner_shows_only_posts_of_accounts_the_viewer_may_see() {
    let app = TestApp::spawn_demo().await;
    let bodies = |posts: Vec<Value>| -> Vec<String> {
        posts
            .iter()
            .map(|post| post["body"].as_str().expect("body").to_owned())
            .collect()
    };
    let ben = bodies(planner(&app, "ben@northwind.example").await);
    assert!(
        ben.iter().any(|body| body.contains("hiring baristas")),
        "{ben:?}"
    );
    // Dev has no grant on the LinkedIn company page: its post is not his to see.
    let dev = bodies(planner(&app, "dev@northwind.example").await);
    assert!(
        !dev.iter().any(|body| body.contains("hiring baristas")),
        "{dev:?}"
    );
    assert!(
        dev.iter().any(|body| body.contains("Weekend roast")),
        "{dev:?}"
    );
    // Naming that page in the filter reads like an unknown id.
    let company = app.account_id("li-company-northwind").await;
    let body = app
        .graphql(
            "dev@northwind.example",
            PLANNER,
            json!({ "filter": { "socialAccountIds": [company] } }),
        )
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND", "{body}");
    // Paging walks the same list in planner order.
    let page = app
        .graphql(
            "ben@northwind.example",
            "query($after: String) { scheduledPosts(first: 1, after: $after) { nodes { body } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    let mut walked = vec![page["data"]["scheduledPosts"]["nodes"][0]["body"].clone()];
    let mut info = page["data"]["scheduledPosts"]["pageInfo"].clone();
    while info["hasNextPage"] == true {
        let next = app
            .graphql(
                "ben@northwind.example",
                "query($after: String) { scheduledPosts(first: 1, after: $after) { nodes { body } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": info["endCursor"] }),
            )
            .await;
        walked.push(next["data"]["scheduledPosts"]["nodes"][0]["body"].clone());
        info = next["data"]["scheduledPosts"]["pageInfo"].clone();
    }
    let all: Vec<Value> = planner(&app, "ben@northwind.example")
        .await
        .iter()
        .map(|post| post["body"].clone())
        .collect();
    assert_eq!(walked, all);
}

const CHECK: &str = "query($ids: [ID!]!) { composerCheck(socialAccountIds: $ids) { socialAccount { name } canPublish warning viewerCanReconnect whoMayReconnect { name } limitation { reason } } }";

#[tokio::test]
async fn r14_the_composer_warns_at_selection_before_anything_is_scheduled() {
    // Arrange: a disconnected page, the limited Instagram profile and a working X profile.
    let app = spawn().await;
    let ids = vec![
        app.account_id("fb-page-northwind").await,
        app.account_id("ig-biz-northwind").await,
        app.account_id("x-northwind").await,
    ];

    // Act: dev (an editor, who may not reconnect) chooses them.
    let body = app
        .graphql("dev@northwind.example", CHECK, json!({ "ids": ids }))
        .await;

    // Assert: in the order chosen, each with why, and whom to ask for the one that cannot publish.
    let checks = body["data"]["composerCheck"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(checks.len(), 3);
    let page = &checks[0];
    assert_eq!(page["socialAccount"]["name"], "Northwind Coffee");
    assert_eq!(page["canPublish"], false);
    assert!(
        page["warning"]
            .as_str()
            .expect("warning")
            .contains("is disconnected")
    );
    assert_eq!(page["viewerCanReconnect"], false);
    let askable: Vec<&str> = page["whoMayReconnect"]
        .as_array()
        .expect("people")
        .iter()
        .filter_map(|user| user["name"].as_str())
        .collect();
    assert!(askable.contains(&"Ada Lovelace"), "{askable:?}");
    assert!(!askable.contains(&"Dev Patel"), "{askable:?}");
    let profile = &checks[1];
    assert_eq!(profile["canPublish"], true);
    assert_eq!(
        profile["limitation"]["reason"],
        "LINKED_PAGE_NOT_AUTHORIZED"
    );
    assert!(
        profile["warning"]
            .as_str()
            .expect("warning")
            .contains("limited")
    );
    assert_eq!(profile["whoMayReconnect"], json!([]));
    assert_eq!(checks[2]["canPublish"], true);
    // Nothing was written.
    assert!(planner(&app, "ada@northwind.example").await.is_empty());
}

#[tokio::test]
async fn the_composer_check_refuses_what_the_viewer_may_not_see_and_oversized_selections() {
    let app = spawn().await;
    // Cleo may not see the Northwind Coffee page: it reads as unknown.
    let page = app.account_id("fb-page-northwind").await;
    let hidden = app
        .graphql("cleo@northwind.example", CHECK, json!({ "ids": [page] }))
        .await;
    assert_eq!(
        hidden["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{hidden}"
    );
    // More than 50 at once is refused before any lookup.
    let many = vec![page.clone(); 51];
    let refused = app
        .graphql("ada@northwind.example", CHECK, json!({ "ids": many }))
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused}"
    );
}

//! R18 over HTTP: an Instagram business profile follows its linked Facebook page both ways, a
//! limited profile publishes with a warning wherever it shows, and its restore action is the
//! page's sign-in ("log in with Facebook").

use chrono::Duration;
use entity::{
    enums::{Health, LimitedReason},
    events, social_accounts,
};
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::helpers::{TestApp, callback, health, reconnect_as, sign_in};

const PROFILE: &str = "ig-biz-northwind";
const PAGE: &str = "fb-page-northwind";
const ADA: &str = "ada@northwind.example";

async fn profile(app: &TestApp) -> social_accounts::Model {
    social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq(PROFILE))
        .one(&app.db)
        .await
        .expect("query")
        .expect("profile")
}

/// Events of `kind` about the profile.
async fn profile_events(app: &TestApp, kind: &str) -> u64 {
    events::Entity::find()
        .filter(events::Column::Kind.eq(kind))
        .filter(events::Column::SocialAccountId.eq(profile(app).await.id))
        .count(&app.db)
        .await
        .expect("count")
}

const START: &str = "mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) { authorizeUrl socialAccount { name network } signInAs { network name externalId advice } userErrors { code message } } }";

#[tokio::test]
async fn r18_the_profile_follows_its_page_both_ways() {
    // Arrange: the demo's profile is limited because its page is disconnected.
    let app = TestApp::spawn_demo().await;
    assert_eq!(profile(&app).await.health, Health::Limited);

    // Act: the page comes back (through Facebook, another login than the profile's).
    reconnect_as(&app, ADA, PAGE, "fb-nora").await;

    // Assert: the profile has its full function in the same transaction, with its event.
    let full = profile(&app).await;
    assert_eq!(full.health, Health::Connected);
    assert_eq!(full.limited_reason, None);
    assert_eq!(profile_events(&app, "RECONNECTED").await, 1);

    // Act: an admin takes the page offline.
    let page = app.account_id(PAGE).await;
    let body = app
        .graphql(ADA, crate::live::DISCONNECT, json!({ "id": page }))
        .await;
    assert_eq!(
        body["data"]["disconnectSocialAccount"]["socialAccount"]["health"], "DISCONNECTED",
        "{body}"
    );

    // Assert: the profile is limited again, with why, and an event says so.
    let limited = profile(&app).await;
    assert_eq!(limited.health, Health::Limited);
    assert_eq!(
        limited.limited_reason,
        Some(LimitedReason::LinkedPageNotAuthorized)
    );
    assert_eq!(profile_events(&app, "LIMITED").await, 1);
    let audited = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.eq("account.limited"))
        .filter(entity::audit_log::Column::TargetId.eq(limited.id))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn r18_a_disconnected_profile_does_not_follow_its_page() {
    // Arrange: the profile's own login is revoked at the network, so the profile is disconnected.
    let app = TestApp::spawn_demo().await;
    app.revoke_at_network("ig-nora").await;
    assert_eq!(health(&app, PROFILE).await, Health::Disconnected);

    // Act: the page comes back.
    reconnect_as(&app, ADA, PAGE, "fb-nora").await;

    // Assert: only the profile's own sign-in can bring it back.
    assert_eq!(health(&app, PROFILE).await, Health::Disconnected);
}

#[tokio::test]
async fn r18_a_limited_profile_publishes_and_says_what_it_lacks_everywhere() {
    // Arrange: the demo as served, whose connected logins hold real sandbox tokens.
    let app = TestApp::spawn_with(|config| config.no_demo = false).await;
    entity::scheduled_posts::Entity::delete_many()
        .exec(&app.db)
        .await
        .expect("clear the demo's posts");
    let id = app.account_id(PROFILE).await;
    let limitation = "limitation { reason kept lost fix linkedPage { name } }";

    // The account itself.
    let account = app
        .graphql(
            ADA,
            &format!("query($id: ID!) {{ socialAccount(id: $id) {{ health {limitation} }} }}"),
            json!({ "id": id }),
        )
        .await["data"]["socialAccount"]
        .clone();
    assert_eq!(account["health"], "LIMITED");
    let shown = &account["limitation"];
    assert_eq!(shown["reason"], "LINKED_PAGE_NOT_AUTHORIZED");
    assert!(
        shown["lost"][0]
            .as_str()
            .expect("lost")
            .contains("Insights")
    );
    assert!(
        shown["kept"][0]
            .as_str()
            .expect("kept")
            .contains("Publishing")
    );
    assert!(
        shown["fix"]
            .as_str()
            .expect("fix")
            .contains("Northwind Coffee"),
        "{shown}"
    );
    assert_eq!(shown["linkedPage"]["name"], "Northwind Coffee");

    // The restore list.
    let status = app
        .graphql(
            ADA,
            &format!("{{ reconnectStatus {{ accounts {{ name {limitation} }} }} }}"),
            json!({}),
        )
        .await;
    let listed = status["data"]["reconnectStatus"]["accounts"]
        .as_array()
        .expect("list")
        .iter()
        .find(|account| account["name"] == "@northwindcoffee")
        .cloned()
        .expect("the limited profile is on the restore list");
    assert_eq!(listed["limitation"]["reason"], "LINKED_PAGE_NOT_AUTHORIZED");

    // The composer schedules to it (it is connected, with less).
    let at = app.clock.now() + Duration::hours(1);
    let scheduled = app
        .graphql(
            ADA,
            "mutation($ids: [ID!]!, $at: DateTime!) { schedulePost(input: { socialAccountIds: $ids, body: \"https://cdn.example/latte.jpg Latte art\", scheduledAt: $at }) { posts { id state } userErrors { code } } }",
            json!({ "ids": [id], "at": at }),
        )
        .await["data"]["schedulePost"]
        .clone();
    assert_eq!(scheduled["userErrors"], json!([]), "{scheduled}");
    assert_eq!(scheduled["posts"][0]["state"], "SCHEDULED");

    // The planner warns, without holding the post.
    let planner = app
        .graphql(
            ADA,
            &format!("{{ scheduledPosts(first: 10) {{ nodes {{ state warning {{ message health held {limitation} }} }} }} }}"),
            json!({}),
        )
        .await;
    let post = &planner["data"]["scheduledPosts"]["nodes"][0];
    assert_eq!(post["state"], "SCHEDULED", "{planner}");
    assert_eq!(post["warning"]["health"], "LIMITED");
    assert_eq!(post["warning"]["held"], false);
    assert!(
        post["warning"]["message"]
            .as_str()
            .expect("message")
            .contains("goes out as planned")
    );
    assert_eq!(
        post["warning"]["limitation"]["reason"],
        "LINKED_PAGE_NOT_AUTHORIZED"
    );

    // Act: its time comes.
    app.clock.advance(Duration::hours(2));
    let outcomes = app.publisher.run_once().await.expect("pass");
    assert_eq!(
        outcomes.first().map(|(_, attempt)| attempt),
        Some(&relink::posts::publisher::Attempt::Published),
        "{outcomes:?}"
    );

    // Assert: it went out through the profile's own sign-in.
    let out = app.published().await;
    assert_eq!(out[0]["asset"], PROFILE, "{out:?}");
}

#[tokio::test]
async fn r18_the_restore_action_of_a_limited_profile_logs_in_with_facebook() {
    // Arrange
    let app = TestApp::spawn_demo().await;
    let id = app.account_id(PROFILE).await;

    // Act: the restore list's action on the limited profile.
    let started =
        app.graphql(ADA, START, json!({ "id": id })).await["data"]["startReconnect"].clone();

    // Assert: the sign-in is the page's, at Facebook, as the page's login, said beforehand.
    assert_eq!(started["userErrors"], json!([]), "{started}");
    assert_eq!(started["socialAccount"]["name"], "Northwind Coffee");
    assert_eq!(started["socialAccount"]["network"], "FACEBOOK");
    assert_eq!(started["signInAs"]["network"], "FACEBOOK");
    assert_eq!(started["signInAs"]["externalId"], "fb-nora");
    let url = started["authorizeUrl"].as_str().expect("url");
    assert!(url.contains("/sandbox/facebook/"), "{url}");

    // Act: Nora signs in at Facebook.
    let back = sign_in(&app, url, "fb-nora", &[], "allow").await;
    callback(&app, &back).await;

    // Assert: page and profile are back in full.
    assert_eq!(health(&app, PAGE).await, Health::Connected);
    assert_eq!(health(&app, PROFILE).await, Health::Connected);
}

#[tokio::test]
async fn r18_who_may_not_restore_the_page_is_told_so() {
    // Cleo sees the profile through her team, but not its page.
    let app = TestApp::spawn_demo().await;
    let id = app.account_id(PROFILE).await;
    let started = app
        .graphql("cleo@northwind.example", START, json!({ "id": id }))
        .await["data"]["startReconnect"]
        .clone();
    assert_eq!(started["authorizeUrl"], Value::Null);
    assert_eq!(started["userErrors"][0]["code"], "RECONNECT_NOT_ALLOWED");
    assert_eq!(health(&app, PAGE).await, Health::Disconnected);
}

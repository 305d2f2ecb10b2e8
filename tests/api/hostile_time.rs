//! Times from users and networks are hostile: a date past year 262,143 or an `expires_in` of
//! millions of years once made chrono's `+` panic inside a reconnect or the keeper. Every such
//! input is refused or clamped, and nothing panics.

use chrono::{DateTime, Duration, Utc};
use entity::{scheduled_posts, social_logins};
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code, health, reconnect_as};

const SCHEDULE: &str = "mutation($ids: [ID!]!, $at: DateTime!) { schedulePost(input: { socialAccountIds: $ids, body: \"hello\", scheduledAt: $at }) { posts { id } userErrors { code } } }";
const DRAFT: &str = "mutation($id: ID!, $at: DateTime) { saveDraft(input: { socialAccountId: $id, body: \"draft\", scheduledAt: $at }) { post { id } userErrors { code } } }";
const RESOLVE: &str = "mutation($ids: [ID!]!, $at: DateTime) { resolveHeldPost(input: { postIds: $ids, action: RESCHEDULE, scheduledAt: $at }) { posts { id } userErrors { code } } }";

async fn posts(app: &TestApp) -> Vec<scheduled_posts::Model> {
    scheduled_posts::Entity::find()
        .all(&app.db)
        .await
        .expect("posts")
}

#[tokio::test]
async fn a_post_time_before_2000_or_beyond_two_years_is_refused_and_changes_nothing() {
    let app = TestApp::spawn_demo().await;
    let company = app.account_id("li-company-northwind").await;
    let before = posts(&app).await;
    let now = app.clock.now();
    let far: Vec<Value> = vec![
        json!("+262142-12-31T12:00:00Z"),
        json!("9999-12-31T23:59:59Z"),
        json!((now + Duration::days(733)).to_rfc3339()),
        json!("1999-12-31T23:59:59Z"),
        json!("0001-01-01T00:00:00Z"),
    ];
    for at in &far {
        let body = app
            .graphql(
                "ben@northwind.example",
                SCHEDULE,
                json!({ "ids": [company], "at": at }),
            )
            .await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{at}: {body}");
        let body = app
            .graphql(
                "ben@northwind.example",
                DRAFT,
                json!({ "id": company, "at": at }),
            )
            .await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{at}: {body}");
    }
    // A held post of the broken page cannot be moved there either.
    let held = before
        .iter()
        .find(|post| post.state == entity::enums::PostState::Held)
        .expect("a held post");
    let held_id =
        relink::graphql::ids::encode(relink::graphql::ids::Kind::ScheduledPost, held.id).0;
    for at in &far {
        let body = app
            .graphql(
                "ada@northwind.example",
                RESOLVE,
                json!({ "ids": [held_id], "at": at }),
            )
            .await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{at}: {body}");
    }
    assert_eq!(posts(&app).await, before, "nothing written");
    // Two years ahead is still a plan; the reconnect that releases the held posts works.
    let body = app
        .graphql(
            "ben@northwind.example",
            SCHEDULE,
            json!({ "ids": [company], "at": (now + Duration::days(730)).to_rfc3339() }),
        )
        .await;
    assert_eq!(
        body["data"]["schedulePost"]["userErrors"],
        json!([]),
        "{body}"
    );
    let done = reconnect_as(
        &app,
        "ada@northwind.example",
        "fb-page-northwind",
        "fb-nora",
    )
    .await;
    assert!(done.contains("result=reconnected"), "{done}");
}

/// The token expiry stored for `external_user_id`.
async fn expires_at(app: &TestApp, external_user_id: &str) -> Option<DateTime<Utc>> {
    social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq(external_user_id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("login")
        .token_expires_at
}

async fn lie_about_expiry(app: &TestApp, seconds: u64) {
    let response = app
        .client
        .post(format!(
            "{}/sandbox/admin/token-endpoint/expires-in/{seconds}",
            app.address
        ))
        .send()
        .await
        .expect("switch");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_network_claiming_a_token_lives_millions_of_years_is_believed_for_ten() {
    let app = TestApp::spawn_demo().await;
    // 10^15 seconds: about 31.7 million years, far past the last date chrono can hold.
    lie_about_expiry(&app, 1_000_000_000_000_000).await;
    let done = reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    assert!(done.contains("result=reconnected"), "{done}");
    let now = app.clock.now();
    let stored = expires_at(&app, "x-northwind").await.expect("expiry");
    assert_eq!(stored, now + Duration::days(3_653), "clamped to ten years");
    assert_eq!(
        health(&app, "x-northwind").await,
        entity::enums::Health::Connected
    );

    // The keeper's refresh of a due login with the same answer: refreshed, nothing panics.
    lie_about_expiry(&app, 0).await;
    let login = reconnect_login(&app).await;
    app.clock.advance(Duration::minutes(115));
    lie_about_expiry(&app, u64::MAX).await;
    let outcome = app.keeper.refresh_login(login).await.expect("refresh");
    assert_eq!(outcome, relink::keeper::Refresh::Refreshed);
    assert_eq!(
        expires_at(&app, "x-northwind").await,
        Some(app.clock.now() + Duration::days(3_653))
    );
    let disconnected = social_logins::Entity::find()
        .filter(social_logins::Column::Status.eq(entity::enums::LoginStatus::Disconnected))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(disconnected, 1, "only the demo's broken Facebook login");
}

/// Reconnects X again with an honest network; returns the login's id.
async fn reconnect_login(app: &TestApp) -> i64 {
    reconnect_as(app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("x-northwind"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("login")
        .id
}

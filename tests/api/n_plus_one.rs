//! No N+1: the dashboard's queries cost a fixed number of SQL statements however many accounts
//! the viewer sees (DataLoaders and set queries).

use serde_json::json;

use crate::helpers::TestApp;

const ACCOUNT_FIELDS: &str = "name health viewerCanReconnect lastReconnectedBy { name } lastReconnectedAt \
    tokenExpiresAt login { name externalId } organization { name } disconnect { reason since fix }";

/// The statements one request runs: the fewest of three runs, since the counter also sees what
/// the server's background tasks (the keeper's first sweep, the event relay) run meanwhile — they
/// can only add, while an N+1 shows in every run.
async fn statements_for(app: &TestApp, token: &str, query: &str) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = app.statements.get();
        let (status, body) = app.graphql_as(Some(token), query, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["errors"].is_null(), "{body}");
        fewest = fewest.min(app.statements.get() - before);
    }
    fewest
}

async fn count_with(visible: usize) -> (u64, u64, usize) {
    let app = TestApp::spawn().await;
    let email = relink::demo::seed_load(&app.db, app.clock.now(), 2_000, visible)
        .await
        .expect("seed");
    let token = app.token_for(&email).await;
    let status_query = format!(
        "{{ reconnectStatus {{ bannerVisible badgeCount accounts {{ {ACCOUNT_FIELDS} }} }} }}"
    );
    let list_query = format!(
        "{{ socialAccounts(first: 100) {{ nodes {{ {ACCOUNT_FIELDS} }} edges {{ cursor }} }} }}"
    );
    let status_statements = statements_for(&app, &token, &status_query).await;
    let list_statements = statements_for(&app, &token, &list_query).await;
    let (_, body) = app
        .graphql_as(
            Some(&token),
            "{ reconnectStatus { accountCount accounts { name } } }",
            json!({}),
        )
        .await;
    // The restore list shows the 50 most urgent; the count says how many need attention.
    let shown = body["data"]["reconnectStatus"]["accounts"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(shown <= 50, "{shown} listed");
    let listed = body["data"]["reconnectStatus"]["accountCount"]
        .as_u64()
        .unwrap_or_default() as usize;
    (status_statements, list_statements, listed)
}

#[tokio::test]
async fn reconnect_status_and_a_page_of_accounts_take_a_fixed_number_of_statements() {
    let (small_status, small_list, small_listed) = count_with(50).await;
    let (large_status, large_list, large_listed) = count_with(500).await;
    println!(
        "statements: reconnectStatus {small_status} / {large_status}, socialAccounts {small_list} / {large_list} (50 / 500 visible)"
    );
    assert!(
        large_listed > small_listed,
        "{small_listed} vs {large_listed}"
    );
    assert_eq!(
        large_listed, 100,
        "every fifth login of ten accounts is disconnected"
    );
    assert_eq!(
        small_status, large_status,
        "reconnectStatus: {small_status} vs {large_status}"
    );
    assert_eq!(
        small_list, large_list,
        "socialAccounts: {small_list} vs {large_list}"
    );
    // User, memberships, teams, grants; accounts, dismissal, logins; users, sibling accounts, orgs.
    assert!(
        large_status <= 11,
        "reconnectStatus ran {large_status} statements"
    );
    assert!(
        large_list <= 10,
        "socialAccounts ran {large_list} statements"
    );
}

/// The planner with `posts` posts over the load organization's first visible accounts.
async fn planner_statements(posts: usize) -> u64 {
    use sea_orm::{ActiveModelTrait as _, EntityTrait as _, NotSet, QueryOrder as _, Set};
    let app = TestApp::spawn().await;
    let email = relink::demo::seed_load(&app.db, app.clock.now(), 2_000, 100)
        .await
        .expect("seed");
    let author = relink::people::repo::user_by_email(&app.db, &email)
        .await
        .expect("query")
        .expect("viewer")
        .id;
    let accounts = entity::account_grants::Entity::find()
        .order_by_asc(entity::account_grants::Column::SocialAccountId)
        .all(&app.db)
        .await
        .expect("grants");
    let now = app.clock.now();
    for n in 0..posts {
        entity::scheduled_posts::ActiveModel {
            id: NotSet,
            social_account_id: Set(accounts[n % accounts.len()].social_account_id),
            author_id: Set(author),
            body: Set(format!("post {n}")),
            scheduled_at: Set(Some(now + chrono::Duration::hours(1))),
            state: Set(entity::enums::PostState::Scheduled),
            idempotency_key: Set(relink::posts::compose::idempotency_key()),
            attempts: Set(0),
            lease_until: Set(None),
            not_before: Set(None),
            held_at: Set(None),
            published_at: Set(None),
            external_post_id: Set(None),
            failure_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&app.db)
        .await
        .expect("post");
    }
    let token = app.token_for(&email).await;
    statements_for(
        &app,
        &token,
        "{ scheduledPosts(first: 100) { nodes { body state author { name } socialAccount { name health } warning { message viewerCanReconnect socialAccount { lastReconnectedBy { name } } } } } }",
    )
    .await
}

#[tokio::test]
async fn the_planner_takes_a_fixed_number_of_statements() {
    let few = planner_statements(5).await;
    let many = planner_statements(100).await;
    println!("statements: scheduledPosts {few} / {many} (5 / 100 posts)");
    // Users are asked for twice (authors at once, last reconnectors after their logins); the two
    // batches may or may not merge depending on timing, so one statement of slack, never more.
    assert!(few <= 10 && many <= 10, "scheduledPosts: {few} vs {many}");
}

/// The pool's settings reach its connections: SQLite in WAL with foreign keys on; PostgreSQL
/// planning every execution for its values (a generic plan of the visibility filter walks every
/// account in id order).
#[tokio::test]
async fn every_connection_gets_its_database_settings() {
    use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
    let app = TestApp::spawn().await;
    let backend = app.db.get_database_backend();
    let read = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .expect("query")
                .expect("row");
            row.try_get_by_index::<String>(0)
                .or_else(|_| {
                    row.try_get_by_index::<i64>(0)
                        .map(|value| value.to_string())
                })
                .expect("value")
        }
    };
    if backend == DbBackend::Postgres {
        assert_eq!(
            read("SELECT current_setting('plan_cache_mode')").await,
            "force_custom_plan"
        );
    } else {
        assert_eq!(read("PRAGMA journal_mode").await, "wal");
        assert_eq!(read("PRAGMA foreign_keys").await, "1");
    }
}

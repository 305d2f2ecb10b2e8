//! Resuming a subscription (`after`) is bounded: the catch-up reads, page by page, only the
//! events of accounts the viewer may see, filtered in the database; cursors older than the
//! retention window answer `CURSOR_EXPIRED`; a job deletes older events.

use chrono::Duration;
use entity::events;
use sea_orm::{ActiveValue::NotSet, EntityTrait as _, PaginatorTrait as _, Set};
use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    live::{DISCONNECT, data, subscribe},
    subscriptions::next,
};

const EVENTS: &str = "subscription($after: ID) { socialAccountEvents(after: $after) { id kind socialAccount { name } } }";

/// Appends `count` RECONNECT_REQUESTED events about the account with this external id.
async fn pile_up(app: &TestApp, external_id: &str, count: usize) {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let account = entity::social_accounts::Entity::find()
        .filter(entity::social_accounts::Column::ExternalId.eq(external_id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("account");
    let rows: Vec<events::ActiveModel> = (0..count)
        .map(|_| events::ActiveModel {
            id: NotSet,
            kind: Set("RECONNECT_REQUESTED".to_owned()),
            organization_id: Set(account.owner_organization_id),
            owner_user_id: Set(None),
            social_account_id: Set(Some(account.id)),
            social_login_id: Set(Some(account.social_login_id)),
            payload: Set(json!({})),
            created_at: Set(app.clock.now()),
        })
        .collect();
    for chunk in rows.chunks(200) {
        events::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .expect("insert events");
    }
}

#[tokio::test]
async fn a_replay_from_the_start_reads_only_what_the_viewer_may_see_a_page_at_a_time() {
    let app = TestApp::spawn_demo().await;
    // 1,200 events of the LinkedIn company page, which Dev may not see, around 3 of @northwind.
    pile_up(&app, "li-company-northwind", 600).await;
    pile_up(&app, "x-northwind", 3).await;
    pile_up(&app, "li-company-northwind", 600).await;
    // A replica started now begins its relay after them: what it counts below is one
    // subscriber's catch-up, not the relay publishing the pile for everyone.
    let replica = app.spawn_replica().await;
    let before = replica.statements.get();
    let mut dev = subscribe(
        &replica,
        "dev@northwind.example",
        EVENTS,
        json!({ "after": "0" }),
    )
    .await;
    for _ in 0..3 {
        let event = data(&mut dev).await["socialAccountEvents"].clone();
        assert_eq!(event["socialAccount"]["name"], "@northwind", "{event}");
    }
    // Then the live events follow, still only Dev's. Ben acts on the first server, so the
    // replica's count below is the subscriber's catch-up and the relay, not Ben's mutations.
    let company = app.account_id("li-company-northwind").await;
    let x = app.account_id("x-northwind").await;
    app.graphql(
        "ben@northwind.example",
        DISCONNECT,
        json!({ "id": company }),
    )
    .await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    let event = data(&mut dev).await["socialAccountEvents"].clone();
    assert_eq!(event["kind"], "DISCONNECTED");
    assert_eq!(event["socialAccount"]["name"], "@northwind");
    // Reading 1,203 stored events one by one took about four statements each; the catch-up
    // takes a few a page, whatever the number of events it skips.
    let spent = replica.statements.get() - before;
    assert!(spent < 60, "{spent} statements");
}

async fn first_error(socket: &mut crate::subscriptions::Socket) -> Value {
    loop {
        let message = next(socket).await.expect("message");
        match message["type"].as_str() {
            Some("ping" | "pong") => {}
            Some("error") => return message["payload"][0].clone(),
            // A refusal of the subscription field itself comes as `next` with `errors`.
            Some("next") if message["payload"]["errors"].is_array() => {
                return message["payload"]["errors"][0].clone();
            }
            _ => panic!("expected an error, got {message}"),
        }
    }
}

#[tokio::test]
async fn a_cursor_older_than_the_retention_window_must_reload_and_old_events_are_pruned() {
    let app = TestApp::spawn_demo().await;
    let x = app.account_id("x-northwind").await;
    let company = app.account_id("li-company-northwind").await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    let mut ben = subscribe(
        &app,
        "ben@northwind.example",
        EVENTS,
        json!({ "after": "0" }),
    )
    .await;
    let old = data(&mut ben).await["socialAccountEvents"]["id"].clone();

    // Eight days later (the window is seven), something else happens.
    app.clock.advance(Duration::days(8));
    app.graphql(
        "ben@northwind.example",
        DISCONNECT,
        json!({ "id": company }),
    )
    .await;
    for after in [old.clone(), json!("0")] {
        let mut late = subscribe(
            &app,
            "ben@northwind.example",
            EVENTS,
            json!({ "after": after }),
        )
        .await;
        let error = first_error(&mut late).await;
        assert_eq!(error["extensions"]["code"], "CURSOR_EXPIRED", "{error}");
    }
    // The job deletes the old event; the newer one is still there to resume after.
    let pruned = relink::events::prune(&app.db, app.clock.now(), Duration::days(7))
        .await
        .expect("prune");
    assert_eq!(pruned, 1);
    assert_eq!(
        events::Entity::find().count(&app.db).await.expect("count"),
        1
    );
    let mut fresh = subscribe(
        &app,
        "ben@northwind.example",
        EVENTS,
        json!({ "after": old }),
    )
    .await;
    assert_eq!(
        first_error(&mut fresh).await["extensions"]["code"],
        "CURSOR_EXPIRED"
    );
    // A cursor inside the window resumes: the next event comes, and nothing older.
    let inside = events::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("event")
        .id;
    let mut resumed = subscribe(
        &app,
        "ben@northwind.example",
        EVENTS,
        json!({ "after": inside.to_string() }),
    )
    .await;
    app.graphql(
        "dev@northwind.example",
        "mutation($id: ID!) { requestReconnect(input: { socialAccountId: $id }) { asked { name } } }",
        json!({ "id": x }),
    )
    .await;
    let event = data(&mut resumed).await["socialAccountEvents"].clone();
    assert_eq!(event["kind"], "RECONNECT_REQUESTED", "{event}");
    assert_eq!(event["socialAccount"]["name"], "@northwind", "{event}");
}

//! Live: a disconnect at the network or by an admin reaches every subscriber who may see the
//! account, over real WebSocket clients (R1, R9–R11, B1, B3, B7, B8).

use futures_util::SinkExt as _;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    helpers::{TestApp, event_count, health},
    subscriptions::{Socket, connect, next},
};
use entity::enums::Health;

/// A socket of `email`, acknowledged, with one subscription `query` started as id "1" (from
/// now, if it takes events from now on: the server has read it when this returns).
pub(crate) async fn subscribe(app: &TestApp, email: &str, query: &str, variables: Value) -> Socket {
    let token = app.token_for(email).await;
    let mut socket = connect(app).await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("init");
    assert_eq!(
        next(&mut socket).await.expect("ack")["type"],
        "connection_ack"
    );
    let start = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } });
    socket
        .send(Message::Text(start.to_string().into()))
        .await
        .expect("subscribe");
    socket.synced().await;
    socket
}

/// The data of the next `next` message; a test that waits 30 s for one fails instead of hanging.
pub(crate) async fn data(socket: &mut Socket) -> Value {
    let wait = async {
        loop {
            let message = next(socket).await.expect("message");
            match message["type"].as_str() {
                Some("next") => return message["payload"]["data"].clone(),
                Some("ping" | "pong") => {}
                _ => panic!("unexpected {message}"),
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), wait)
        .await
        .expect("a `next` message within 30 s")
}

pub(crate) const DISCONNECT: &str = "mutation($id: ID!) { disconnectSocialAccount(input: { socialAccountId: $id }) { socialAccount { health disconnect { reason } } userErrors { code } } }";

#[tokio::test]
async fn a_revocation_at_the_network_disconnects_at_once_through_the_signed_webhook() {
    let app = TestApp::spawn_demo().await;
    let revoked = app
        .client
        .post(format!(
            "{}/sandbox/admin/identities/x-northwind/revoke",
            app.address
        ))
        .send()
        .await
        .expect("revoke");
    let body: Value = revoked.json().await.expect("json");
    assert_eq!(body["webhook"], "delivered", "{body}");
    assert_eq!(health(&app, "x-northwind").await, Health::Disconnected);
    let status = app
        .graphql("ada@northwind.example", "{ reconnectStatus { bannerVisible badgeCount accounts { name disconnect { reason } } } }", json!({}))
        .await;
    assert_eq!(
        status["data"]["reconnectStatus"]["badgeCount"], 4,
        "{status}"
    );
    let x = status["data"]["reconnectStatus"]["accounts"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["name"] == "@northwind").cloned())
        .expect("listed");
    assert_eq!(x["disconnect"]["reason"], "APP_DEAUTHORIZED");

    // A second callback for the same identity disconnects nothing twice.
    let events = event_count(&app).await;
    app.client
        .post(format!(
            "{}/sandbox/admin/identities/x-northwind/revoke",
            app.address
        ))
        .send()
        .await
        .expect("revoke again");
    assert_eq!(event_count(&app).await, events);
}

#[tokio::test]
async fn a_webhook_with_a_bad_signature_changes_nothing() {
    let app = TestApp::spawn_demo().await;
    let forged = relink_sandbox::sign_request(
        r#"{"algorithm":"HMAC-SHA256","user_id":"x-northwind"}"#,
        "not-the-secret",
    );
    let response = app
        .client
        .post(format!("{}/webhooks/x/deauthorize", app.address))
        .form(&[("signed_request", forged)])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 401);
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
    assert_eq!(event_count(&app).await, 0);
}

#[tokio::test]
async fn only_admins_or_owners_may_disconnect_an_account() {
    let app = TestApp::spawn_demo().await;
    let company = app.account_id("li-company-northwind").await;
    // Cleo edits the company page: not enough.
    let refused = app
        .graphql(
            "cleo@northwind.example",
            DISCONNECT,
            json!({ "id": company }),
        )
        .await;
    assert_eq!(
        refused["data"]["disconnectSocialAccount"]["userErrors"][0]["code"],
        "DISCONNECT_NOT_ALLOWED"
    );
    let done = app
        .graphql(
            "ben@northwind.example",
            DISCONNECT,
            json!({ "id": company }),
        )
        .await;
    let account = &done["data"]["disconnectSocialAccount"]["socialAccount"];
    assert_eq!(account["health"], "DISCONNECTED", "{done}");
    assert_eq!(account["disconnect"]["reason"], "DISCONNECTED_BY_ADMIN");
}

#[tokio::test]
async fn subscribers_get_the_events_they_may_see_live_and_can_resume() {
    let app = TestApp::spawn_demo().await;
    let query = "subscription($after: ID) { socialAccountEvents(after: $after) { id kind reason socialAccount { name health } } }";
    let mut dev = subscribe(&app, "dev@northwind.example", query, json!({})).await;
    // Dev cannot see the LinkedIn company page; he sees the X profile through his team.
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
    assert_eq!(event["socialAccount"]["name"], "@northwind", "{event}");
    assert_eq!(event["kind"], "DISCONNECTED");
    assert_eq!(event["reason"], "DISCONNECTED_BY_ADMIN");

    // Ben saw both; resuming after the first one gives exactly the second one.
    let mut ben = subscribe(
        &app,
        "ben@northwind.example",
        query,
        json!({ "after": "0" }),
    )
    .await;
    let first = data(&mut ben).await["socialAccountEvents"].clone();
    assert_eq!(
        first["socialAccount"]["name"], "Northwind Coffee",
        "{first}"
    );
    let mut resumed = subscribe(
        &app,
        "ben@northwind.example",
        query,
        json!({ "after": first["id"] }),
    )
    .await;
    let second = data(&mut resumed).await["socialAccountEvents"].clone();
    assert_eq!(second["socialAccount"]["name"], "@northwind", "{second}");
}

#[tokio::test]
async fn the_live_banner_sends_the_current_value_then_every_change() {
    let app = TestApp::spawn_demo().await;
    let mut dev = subscribe(
        &app,
        "dev@northwind.example",
        "subscription { reconnectStatus { bannerVisible badgeCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        data(&mut dev).await["reconnectStatus"],
        json!({ "bannerVisible": true, "badgeCount": 2 })
    );
    let x = app.account_id("x-northwind").await;
    app.graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    assert_eq!(
        data(&mut dev).await["reconnectStatus"],
        json!({ "bannerVisible": true, "badgeCount": 3 })
    );
}

#[tokio::test]
async fn an_event_committed_on_one_replica_reaches_a_subscriber_on_another() {
    let first = TestApp::spawn_demo().await;
    let second = first.spawn_replica().await;
    let query = "subscription { socialAccountEvents { kind socialAccount { name } } }";
    let mut dev = subscribe(&second, "dev@northwind.example", query, json!({})).await;
    let x = first.account_id("x-northwind").await;
    first
        .graphql("ben@northwind.example", DISCONNECT, json!({ "id": x }))
        .await;
    // PostgreSQL: NOTIFY from the first replica; SQLite: the second's relay reads the shared file.
    // The bound only turns a lost event into a failure instead of a hang.
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), data(&mut dev))
        .await
        .expect("the event crossed replicas");
    assert_eq!(
        event["socialAccountEvents"],
        json!({ "kind": "DISCONNECTED", "socialAccount": { "name": "@northwind" } })
    );
}

#[tokio::test]
async fn an_event_appender_waits_for_the_previous_one_to_commit_so_ids_appear_in_order() {
    use entity::{events, social_accounts};
    use relink::accounts::status::record_account_event;
    use sea_orm::{EntityTrait as _, QueryOrder as _};
    let app = TestApp::spawn_demo().await;
    let account = social_accounts::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("an account");
    let now = app.clock.now();
    let first = relink::db::begin_write(&app.db).await.expect("begin");
    record_account_event(
        &first,
        &account,
        "test.first",
        "FIRST",
        None,
        json!({}),
        now,
    )
    .await
    .expect("first");
    let db = app.db.clone();
    let second_account = account.clone();
    let mut second = tokio::spawn(async move {
        let txn = relink::db::begin_write(&db).await.expect("begin");
        record_account_event(
            &txn,
            &second_account,
            "test.second",
            "SECOND",
            None,
            json!({}),
            now,
        )
        .await
        .expect("second");
        txn.commit().await.expect("commit");
    });
    // Held back until the first transaction ends (PostgreSQL: the append lock; SQLite: the one
    // writer). Otherwise it could take a later id and commit first, and the relay would move past
    // the first event before it became visible.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), &mut second)
            .await
            .is_err(),
        "the second appender must wait"
    );
    first.commit().await.expect("commit");
    second.await.expect("second appender");
    let kinds: Vec<String> = events::Entity::find()
        .order_by_asc(events::Column::Id)
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(kinds, ["FIRST", "SECOND"], "ids in commit order");
}

#[tokio::test]
async fn what_a_socket_pushes_follows_a_changed_grant_within_seconds() {
    use entity::{account_grants, enums::AccessLevel};
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, sea_query::Expr};
    let app = TestApp::spawn_demo().await;
    let query =
        "subscription { socialAccountEvents { kind socialAccount { name viewerCanReconnect } } }";
    let mut cleo = subscribe(&app, "cleo@northwind.example", query, json!({})).await;
    let roastery = app.account_id("fb-page-roastery").await;
    let ask = "mutation($id: ID!) { requestReconnect(input: { socialAccountId: $id }) { asked { name } } }";
    app.graphql("cleo@northwind.example", ask, json!({ "id": roastery }))
        .await;
    let event = data(&mut cleo).await["socialAccountEvents"].clone();
    assert_eq!(
        event["socialAccount"]["viewerCanReconnect"], true,
        "ADVANCED: {event}"
    );

    // An admin lowers Cleo to EDITOR on the roastery page; the socket keeps running.
    let cleo_id = relink::people::repo::user_by_email(&app.db, "cleo@northwind.example")
        .await
        .expect("query")
        .expect("cleo")
        .id;
    account_grants::Entity::update_many()
        .col_expr(
            account_grants::Column::Level,
            Expr::value(AccessLevel::Editor),
        )
        .filter(account_grants::Column::UserId.eq(cleo_id))
        .exec(&app.db)
        .await
        .expect("demote");
    app.clock.advance(chrono::Duration::seconds(6));
    // Cleo may ask about one account once an hour; Ada's request makes the next event.
    app.graphql("ada@northwind.example", ask, json!({ "id": roastery }))
        .await;
    let event = data(&mut cleo).await["socialAccountEvents"].clone();
    assert_eq!(
        event["socialAccount"]["viewerCanReconnect"], false,
        "EDITOR now: {event}"
    );
}

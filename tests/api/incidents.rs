//! Network incidents: when the fake of X fails every call for 40 logins, that is an outage, not 40
//! disconnects — one incident opens, nobody is disconnected or emailed (not even when X answers
//! "that token is invalid" mid-outage), the API and the subscriptions say X is having problems,
//! and when calls work again the incident closes and everything held goes out.

use chrono::Duration;
use entity::{
    enums::{Health, PostState},
    scheduled_posts, social_accounts,
};
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::{
    fakes::{self, x::FakeX},
    helpers::TestApp,
    live::{data, subscribe},
};

const LOGINS: usize = 40;

async fn connect_many(app: &TestApp, fake: &FakeX) {
    for n in 0..LOGINS {
        fake.state().next_user = format!("x-load-{n}");
        let body = app
            .graphql(
                "ada@northwind.example",
                "mutation { startConnect(input: { network: X }) { authorizeUrl userErrors { code } } }",
                json!({}),
            )
            .await;
        let url = body["data"]["startConnect"]["authorizeUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned();
        let done = fakes::complete(app, "ada@northwind.example", &url).await;
        assert_eq!(done["userErrors"], json!([]), "{done}");
    }
}

async fn connected_load_accounts(app: &TestApp) -> u64 {
    social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.starts_with("x-load-"))
        .filter(social_accounts::Column::Health.eq(Health::Connected))
        .count(&app.db)
        .await
        .expect("count")
}

async fn incidents(app: &TestApp) -> Value {
    app.graphql(
        "ada@northwind.example",
        "{ networkIncidents { network since message } reconnectStatus { message networkIncidents { network } } }",
        json!({}),
    )
    .await["data"]
        .clone()
}

#[tokio::test]
async fn forty_logins_failing_at_once_open_one_incident_disconnect_nobody_and_lose_nothing() {
    let fake = FakeX::start().await;
    let app = fakes::spawn_live(
        &fake.networks_file(),
        &[("X_TEST_SECRET", fakes::x::SECRET)],
    )
    .await;
    fake.state().redirect_uri = format!("{}/oauth/callback/x", app.address);
    connect_many(&app, &fake).await;
    assert_eq!(connected_load_accounts(&app).await, LOGINS as u64);
    // The demo's own disconnects are announced before the outage starts.
    app.postman.run_once().await.expect("postman");
    let mut socket = subscribe(
        &app,
        "ada@northwind.example",
        "subscription { networkIncidents { network message } }",
        json!({}),
    )
    .await;
    assert_eq!(data(&mut socket).await["networkIncidents"], json!([]));

    // A post for one of them, due during the outage.
    let account = app.account_id("x-load-7").await;
    let scheduled = app
        .graphql(
            "ada@northwind.example",
            "mutation($ids: [ID!]!, $at: DateTime!) { schedulePost(input: { socialAccountIds: $ids, body: \"During the outage\", scheduledAt: $at }) { userErrors { code } } }",
            json!({ "ids": [account], "at": (app.clock.now() + Duration::minutes(60)).to_rfc3339() }),
        )
        .await;
    assert_eq!(
        scheduled["data"]["schedulePost"]["userErrors"],
        json!([]),
        "{scheduled}"
    );

    // X goes down: every call fails. The keeper's pass meets it for every login.
    fake.state().failure = Some((503, "server_error"));
    fake.state().token_failure = Some((503, "server_error"));
    app.clock.advance(Duration::minutes(115));
    app.keeper.run_once().await.expect("keeper pass");
    app.publisher.run_once().await.expect("publisher pass");
    let open = incidents(&app).await;
    assert_eq!(
        open["networkIncidents"].as_array().map(Vec::len),
        Some(1),
        "{open}"
    );
    assert_eq!(open["networkIncidents"][0]["network"], "X");
    assert_eq!(
        open["reconnectStatus"]["message"],
        "X is having problems. Relink holds your posts and keeps trying; nothing needs reconnecting because of it."
    );
    assert_eq!(
        open["reconnectStatus"]["networkIncidents"][0]["network"],
        "X"
    );
    let pushed = data(&mut socket).await;
    assert_eq!(pushed["networkIncidents"][0]["network"], "X", "{pushed}");

    // Mid-outage, X says the refresh tokens are invalid: held, not believed.
    fake.state().token_failure = Some((400, "refresh_spent"));
    for _ in 0..3 {
        app.clock.advance(Duration::hours(1));
        app.keeper.run_once().await.expect("keeper pass");
        app.publisher.run_once().await.expect("publisher pass");
    }
    assert_eq!(
        connected_load_accounts(&app).await,
        LOGINS as u64,
        "nobody disconnected"
    );
    let sent = app.postman.run_once().await.expect("postman");
    assert_eq!(sent.disconnects, 0, "nobody emailed");
    assert_eq!(
        incidents(&app).await["networkIncidents"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "still one incident"
    );

    // X is back: calls work, the incident closes, the held post goes out.
    fake.state().failure = None;
    fake.state().token_failure = None;
    app.clock.advance(Duration::hours(2));
    app.keeper.run_once().await.expect("keeper pass");
    app.publisher.run_once().await.expect("publisher pass");
    let closed = incidents(&app).await;
    assert_eq!(closed["networkIncidents"], json!([]), "{closed}");
    // Back to the demo's own trouble: its three disconnected accounts.
    assert_eq!(
        closed["reconnectStatus"]["message"],
        "3 accounts need reconnecting."
    );
    assert_eq!(closed["reconnectStatus"]["networkIncidents"], json!([]));
    assert_eq!(data(&mut socket).await["networkIncidents"], json!([]));
    assert_eq!(connected_load_accounts(&app).await, LOGINS as u64);
    assert_eq!(
        fake.state().ledger.rotations as usize,
        LOGINS,
        "every login refreshed once"
    );
    let post = scheduled_posts::Entity::find()
        .filter(scheduled_posts::Column::Body.eq("During the outage"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("post");
    assert_eq!(post.state, PostState::Published, "nothing lost");
    assert_eq!(fake.state().tweets.len(), 1);
    let history = entity::network_incidents::Entity::find()
        .all(&app.db)
        .await
        .expect("incidents");
    assert_eq!(history.len(), 1, "one incident for the whole outage");
    assert!(history[0].closed_at.is_some());
}

#[tokio::test]
async fn a_few_failing_logins_are_their_own_trouble_not_an_incident() {
    let fake = FakeX::start().await;
    let app = fakes::spawn_live(
        &fake.networks_file(),
        &[("X_TEST_SECRET", fakes::x::SECRET)],
    )
    .await;
    fake.state().redirect_uri = format!("{}/oauth/callback/x", app.address);
    connect_many(&app, &fake).await;
    // The network is fine, but three logins' tokens were revoked at X.
    for n in 0..3 {
        fake.state().ledger.revoke_user(&format!("x-load-{n}"));
    }
    app.clock.advance(Duration::minutes(115));
    app.keeper.run_once().await.expect("keeper pass");
    assert_eq!(incidents(&app).await["networkIncidents"], json!([]));
    assert_eq!(
        connected_load_accounts(&app).await,
        (LOGINS - 3) as u64,
        "the three disconnected"
    );
}

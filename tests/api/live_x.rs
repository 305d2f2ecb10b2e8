//! The live X adapter against a fake of X that checks what X checks: a whole life through Relink's
//! public API — the authorize URL, the sign-in (PKCE, Basic auth, single-use code), the wrong
//! identity refused (B2), refresh with rotation before expiry (B1) under a race, a publish, and each
//! error class leading to the right health.

use chrono::Duration;
use entity::{
    enums::{DisconnectReason, Health, PostState},
    social_logins,
};
use relink::keeper::Refresh;

use crate::{
    fakes::{self, query, x::FakeX},
    helpers::{TestApp, health, start},
};

async fn live_x() -> (FakeX, TestApp) {
    let fake = FakeX::start().await;
    let app = fakes::spawn_live(
        &fake.networks_file(),
        &[("X_TEST_SECRET", fakes::x::SECRET)],
    )
    .await;
    fake.state().redirect_uri = format!("{}/oauth/callback/x", app.address);
    (fake, app)
}

async fn login(app: &TestApp, external: &str) -> social_logins::Model {
    crate::fakes::rows::login(app, external).await
}

async fn reason(app: &TestApp, external: &str) -> Option<DisconnectReason> {
    crate::fakes::rows::reason(app, external).await
}

/// Reconnects the demo's @northwind through the fake as `identity`; answers `completeReconnect`.
async fn reconnect(app: &TestApp, fake: &FakeX, identity: &str) -> serde_json::Value {
    fake.state().next_user = identity.to_owned();
    let started = start(app, "ada@northwind.example", "x-northwind").await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    fakes::complete(app, "ada@northwind.example", url).await
}

#[tokio::test]
async fn x_signs_in_with_pkce_and_refuses_the_wrong_identity() {
    let (fake, app) = live_x().await;
    let started = start(&app, "ada@northwind.example", "x-northwind").await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    assert!(
        url.starts_with(&format!("{}/i/oauth2/authorize?", fake.served.address)),
        "{url}"
    );
    let params = query(url);
    assert_eq!(
        params["scope"],
        "tweet.read tweet.write users.read offline.access"
    );
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/callback/x", app.address)
    );
    assert_eq!(params["client_id"], fakes::x::CLIENT_ID);

    // B2: another X identity is refused, and its token given back.
    let wrong = reconnect(&app, &fake, "x-other").await;
    assert_eq!(wrong["userErrors"][0]["code"], "WRONG_IDENTITY", "{wrong}");
    let done = reconnect(&app, &fake, "x-northwind").await;
    assert_eq!(done["userErrors"], serde_json::json!([]), "{done}");
    assert_eq!(done["reconnectedAccounts"][0]["externalId"], "x-northwind");
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
    let stored = login(&app, "x-northwind").await;
    assert!(
        stored.refresh_token_enc.is_some(),
        "offline.access gave a refresh token"
    );
    assert_eq!(
        stored.token_expires_at,
        Some(app.clock.now() + Duration::hours(2)),
        "X's two hours, read from expires_in"
    );
    assert_eq!(fake.state().ledger.exchanges, 2, "each code redeemed once");
}

#[tokio::test]
async fn x_refresh_tokens_rotate_once_under_a_race_and_the_new_one_is_kept() {
    let (fake, app) = live_x().await;
    reconnect(&app, &fake, "x-northwind").await;
    let id = login(&app, "x-northwind").await.id;
    app.clock.advance(Duration::minutes(115));
    let mut calls = Vec::new();
    for _ in 0..20 {
        let keeper = app.keeper.clone();
        calls.push(tokio::spawn(async move { keeper.refresh_login(id).await }));
    }
    let mut refreshed = 0;
    for call in calls {
        if call.await.expect("join").expect("refresh") == Refresh::Refreshed {
            refreshed += 1;
        }
    }
    assert_eq!(refreshed, 1);
    assert_eq!(
        fake.state().ledger.rotations,
        1,
        "one single-use token spent"
    );
    // The rotated refresh token was stored: the next refresh works with it.
    app.clock.advance(Duration::minutes(115));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Refreshed
    );
    assert_eq!(fake.state().ledger.rotations, 2);
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
}

#[tokio::test]
async fn a_spent_refresh_token_disconnects_once_with_the_reason_x_gives() {
    let (fake, app) = live_x().await;
    reconnect(&app, &fake, "x-northwind").await;
    let id = login(&app, "x-northwind").await.id;
    // The person removed Relink at X: every token dies.
    fake.state().ledger.revoke_user("x-northwind");
    app.clock.advance(Duration::minutes(115));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(health(&app, "x-northwind").await, Health::Disconnected);
    assert_eq!(
        reason(&app, "x-northwind").await,
        Some(DisconnectReason::TokenRevoked)
    );
}

/// Schedules a post to @northwind five minutes ahead; returns its id.
async fn schedule(app: &TestApp, text: &str) -> i64 {
    crate::fakes::rows::schedule(app, "x-northwind", text).await
}

async fn post_state(app: &TestApp, id: i64) -> PostState {
    crate::fakes::rows::post(app, id).await.state
}

#[tokio::test]
async fn a_refresh_that_meets_an_outage_or_throttling_backs_off_and_disconnects_nothing() {
    let (fake, app) = live_x().await;
    reconnect(&app, &fake, "x-northwind").await;
    let id = login(&app, "x-northwind").await.id;
    app.clock.advance(Duration::minutes(115));
    for (status, name) in [
        (503, "server_error"),
        (429, "rate_limited"),
        (502, "html_gateway"),
    ] {
        fake.state().token_failure = Some((status, name));
        assert_eq!(
            app.keeper.refresh_login(id).await.expect("refresh"),
            Refresh::Deferred,
            "{name}"
        );
        assert_eq!(
            health(&app, "x-northwind").await,
            Health::Connected,
            "{name}"
        );
        app.clock.advance(Duration::minutes(30));
    }
    fake.state().token_failure = None;
    app.clock.advance(Duration::hours(2));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Refreshed
    );
}

#[tokio::test]
async fn each_error_class_of_x_at_publishing_leads_to_its_own_outcome() {
    let (fake, app) = live_x().await;
    reconnect(&app, &fake, "x-northwind").await;

    // Throttled or down: the post waits and the account stays connected (B1).
    let waiting = schedule(&app, "Waits for X").await;
    app.clock.advance(Duration::minutes(10));
    for (status, name) in [
        (429, "rate_limited"),
        (429, "usage_capped"),
        (503, "server_error"),
    ] {
        fake.state().failure = Some((status, name));
        app.publisher.run_once().await.expect("pass");
        assert_eq!(
            post_state(&app, waiting).await,
            PostState::Scheduled,
            "{name}"
        );
        assert_eq!(
            health(&app, "x-northwind").await,
            Health::Connected,
            "{name}"
        );
        app.clock.advance(Duration::hours(1));
    }
    fake.state().failure = None;
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post_state(&app, waiting).await, PostState::Published);

    // Duplicate content: the post fails with X's words, the account is fine.
    let twice = schedule(&app, "Waits for X").await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post_state(&app, twice).await, PostState::Failed);
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);

    // The app lost its access level: a permission problem, the post held.
    let held = schedule(&app, "Needs the permission").await;
    app.clock.advance(Duration::minutes(10));
    fake.state().failure = Some((403, "client_forbidden"));
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post_state(&app, held).await, PostState::Held);
    assert_eq!(
        reason(&app, "x-northwind").await,
        Some(DisconnectReason::ScopeMissing)
    );

    // Reconnected, then the token is rejected: revoked.
    fake.state().failure = None;
    reconnect(&app, &fake, "x-northwind").await;
    app.publisher.run_once().await.expect("pass");
    assert_eq!(
        post_state(&app, held).await,
        PostState::Published,
        "released and sent"
    );
    let last = schedule(&app, "After the revoke").await;
    app.clock.advance(Duration::minutes(10));
    fake.state().failure = Some((401, "unauthorized"));
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post_state(&app, last).await, PostState::Held);
    assert_eq!(
        reason(&app, "x-northwind").await,
        Some(DisconnectReason::TokenRevoked)
    );
}

#[tokio::test]
async fn a_post_goes_out_to_x_once() {
    let (fake, app) = live_x().await;
    reconnect(&app, &fake, "x-northwind").await;
    let id = schedule(&app, "Flat whites are back").await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    app.publisher.run_once().await.expect("another pass");
    let tweets = fake.state().tweets.clone();
    assert_eq!(tweets.len(), 1, "{tweets:?}");
    assert_eq!(tweets[0].0, "x-northwind");
    assert_eq!(tweets[0].1, "Flat whites are back");
    let post = crate::fakes::rows::post(&app, id).await;
    assert_eq!(post.state, PostState::Published);
    assert_eq!(post.external_post_id.as_deref(), Some(tweets[0].2.as_str()));
}

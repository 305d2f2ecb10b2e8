//! A refresh of the keeper and a person's reconnect of the same login, interleaved: the network
//! holds the keeper's answer back (the sandbox's refresh stall) while the person signs in. Every
//! token write and every disconnect is conditional on the login's version, so the person's fresh
//! tokens always win and nothing is disconnected by an answer about tokens that are gone.

use chrono::Duration;
use entity::{enums::Health, sandbox_tokens, social_logins};
use relink::keeper::Refresh;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::helpers::{TestApp, event_count, health, reconnect_as};

async fn login(app: &TestApp) -> social_logins::Model {
    social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("x-northwind"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("login")
}

async fn sandbox(app: &TestApp, path: &str) -> Value {
    let response = app
        .client
        .post(format!("{}/sandbox/admin/{path}", app.address))
        .send()
        .await
        .expect("sandbox admin");
    response.json().await.expect("json")
}

/// Waits until the sandbox holds one refresh answer back.
async fn until_a_refresh_waits(app: &TestApp) {
    for _ in 0..1_000 {
        let state: Value = app
            .client
            .get(format!("{}/sandbox/admin/token-endpoint", app.address))
            .send()
            .await
            .expect("state")
            .json()
            .await
            .expect("json");
        if state["refreshesWaiting"] == 1 {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("the keeper's refresh never reached the network");
}

/// The sandbox's row of the token the login stores now.
async fn stored_refresh_token(app: &TestApp) -> sandbox_tokens::Model {
    let login = login(app).await;
    let token = app
        .cipher
        .refresh_token(&login)
        .expect("decrypts")
        .expect("a refresh token");
    let hash: String = Sha256::digest(token.expose().as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    sandbox_tokens::Entity::find()
        .filter(sandbox_tokens::Column::TokenHash.eq(hash))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the sandbox issued it")
}

#[tokio::test]
async fn a_refresh_answered_after_a_reconnect_leaves_the_persons_tokens() {
    let app = TestApp::spawn_demo().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let id = login(&app).await.id;
    // X access tokens live two hours and rotate; the login is due.
    app.clock.advance(Duration::minutes(115));
    sandbox(&app, "token-endpoint/stall-refresh").await;
    let keeper = app.keeper.clone();
    let refresh = tokio::spawn(async move { keeper.refresh_login(id).await });
    until_a_refresh_waits(&app).await;
    // The network rotated the refresh token for the keeper; its answer is on the way. Meanwhile
    // Ada signs in again.
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let after_sign_in = login(&app).await;
    sandbox(&app, "token-endpoint/resume-refresh").await;
    let outcome = refresh.await.expect("join").expect("refresh");
    assert_eq!(outcome, Refresh::Superseded);
    // Ada's tokens stay: the stored refresh token is the one her sign-in's code issued.
    let now = login(&app).await;
    assert_eq!(
        (&now.access_token_enc, &now.refresh_token_enc, now.version),
        (
            &after_sign_in.access_token_enc,
            &after_sign_in.refresh_token_enc,
            after_sign_in.version
        ),
        "the keeper wrote no token"
    );
    assert_eq!(now.refresh_lease_until, None, "and gave its lease back");
    let stored = stored_refresh_token(&app).await;
    assert!(
        stored.rotated_from.is_none() && stored.issued_from_code.is_some(),
        "{stored:?}"
    );
    assert!(stored.revoked_at.is_none());
    // The keeper's rotated tokens were given back to the network, not left valid.
    let rotated = sandbox_tokens::Entity::find()
        .filter(sandbox_tokens::Column::RotatedFrom.is_not_null())
        .all(&app.db)
        .await
        .expect("tokens");
    assert!(!rotated.is_empty());
    assert!(
        rotated.iter().all(|token| token.revoked_at.is_some()),
        "{rotated:?}"
    );
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
    // The next due refresh uses Ada's token and works.
    app.clock.advance(Duration::minutes(115));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Refreshed
    );
}

#[tokio::test]
async fn a_refusal_answered_after_a_reconnect_disconnects_nothing() {
    let app = TestApp::spawn_demo().await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let id = login(&app).await.id;
    app.clock.advance(Duration::minutes(115));
    // The identity's tokens die at the network (a password change); the keeper's refresh is
    // refused, but the answer is slow, and Ada reconnects in the meantime.
    sandbox(&app, "identities/x-northwind/expire").await;
    sandbox(&app, "token-endpoint/stall-refresh").await;
    let keeper = app.keeper.clone();
    let refresh = tokio::spawn(async move { keeper.refresh_login(id).await });
    until_a_refresh_waits(&app).await;
    reconnect_as(&app, "ada@northwind.example", "x-northwind", "x-northwind").await;
    let events = event_count(&app).await;
    sandbox(&app, "token-endpoint/resume-refresh").await;
    let outcome = refresh.await.expect("join").expect("refresh");
    assert_eq!(outcome, Refresh::Superseded);
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
    assert_eq!(event_count(&app).await, events, "no disconnect event");
    let login = login(&app).await;
    assert_eq!(login.status, entity::enums::LoginStatus::Connected);
}

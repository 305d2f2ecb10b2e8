//! The keeper (B1): one refresh per login across tasks and replicas, warnings before a token that
//! cannot be refreshed runs out, and disconnects only when the network really refuses.

use chrono::Duration;
use entity::{enums::Health, sandbox_tokens, social_logins};
use relink::keeper::Refresh;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};

use crate::helpers::{TestApp, health, reconnect_as};

/// Reconnects the login of `account` as `identity`; returns the login's id.
async fn reconnect(app: &TestApp, account: &str, identity: &str) -> i64 {
    reconnect_as(app, "ada@northwind.example", account, identity).await;
    social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq(identity))
        .one(&app.db)
        .await
        .expect("query")
        .expect("login")
        .id
}

/// Refresh tokens the sandbox issued by rotation (one per refresh of a rotating network).
async fn rotations(app: &TestApp) -> usize {
    sandbox_tokens::Entity::find()
        .filter(sandbox_tokens::Column::RotatedFrom.is_not_null())
        .filter(sandbox_tokens::Column::Kind.eq(sandbox_tokens::SandboxTokenKind::Refresh))
        .all(&app.db)
        .await
        .expect("tokens")
        .len()
}

#[tokio::test]
async fn fifty_concurrent_refreshes_on_two_replicas_call_the_network_once() {
    let app = TestApp::spawn_demo().await;
    let replica = app.spawn_replica().await;
    let login = reconnect(&app, "x-northwind", "x-northwind").await;
    // X tokens live two hours and rotate; five minutes before expiry the login is due.
    app.clock.advance(Duration::minutes(115));
    let mut calls = Vec::new();
    for n in 0..50 {
        let keeper = if n % 2 == 0 {
            app.keeper.clone()
        } else {
            replica.keeper.clone()
        };
        calls.push(tokio::spawn(
            async move { keeper.refresh_login(login).await },
        ));
    }
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.push(call.await.expect("join").expect("refresh"));
    }
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Refresh::Refreshed)
            .count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Refresh::Refreshed | Refresh::NotDue | Refresh::Busy)),
        "{outcomes:?}"
    );
    assert_eq!(rotations(&app).await, 1);
    // The rotated refresh token was stored: the next refresh works too.
    app.clock.advance(Duration::minutes(115));
    assert_eq!(
        app.keeper.refresh_login(login).await.expect("refresh"),
        Refresh::Refreshed
    );
    assert_eq!(rotations(&app).await, 2);
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
}

#[tokio::test]
async fn a_refused_refresh_disconnects_once() {
    let app = TestApp::spawn_demo().await;
    reconnect(&app, "x-northwind", "x-northwind").await;
    let x_events = || async {
        let x = entity::social_accounts::Entity::find()
            .filter(entity::social_accounts::Column::ExternalId.eq("x-northwind"))
            .one(&app.db)
            .await
            .expect("q")
            .expect("x");
        entity::events::Entity::find()
            .filter(entity::events::Column::SocialAccountId.eq(x.id))
            .all(&app.db)
            .await
            .expect("events")
            .len()
    };
    let before = x_events().await;
    app.client
        .post(format!(
            "{}/sandbox/admin/identities/x-northwind/expire",
            app.address
        ))
        .send()
        .await
        .expect("expire");
    app.clock.advance(Duration::minutes(115));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(health(&app, "x-northwind").await, Health::Disconnected);
    assert_eq!(x_events().await, before + 1);
    app.keeper.run_once().await.expect("pass");
    assert_eq!(x_events().await, before + 1, "disconnected once");
}

#[tokio::test]
async fn a_network_that_is_down_never_disconnects() {
    let app = TestApp::spawn_demo().await;
    let login = reconnect(&app, "x-northwind", "x-northwind").await;
    // A replica whose network calls go nowhere.
    let (hole, held) = crate::helpers::black_hole().await;
    let mut config = app.config.clone();
    config.addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.public_url = Some(hole);
    config.network_timeout = std::time::Duration::from_millis(300);
    let broken =
        relink::server::Server::build_with_clock(config, std::sync::Arc::new(app.clock.clone()))
            .await
            .expect("replica");
    app.clock.advance(Duration::minutes(115));
    let keeper = broken.keeper();
    assert_eq!(
        keeper.refresh_login(login).await.expect("refresh"),
        Refresh::Deferred
    );
    assert_eq!(health(&app, "x-northwind").await, Health::Connected);
    let row = social_logins::Entity::find_by_id(login)
        .one(&app.db)
        .await
        .expect("q")
        .expect("login");
    assert_eq!(row.refresh_failures, 1);
    assert!(row.next_refresh_at.is_some_and(|at| at > app.clock.now()));
    // Backing off: the next pass does not call the network again.
    assert_eq!(
        keeper.refresh_login(login).await.expect("refresh"),
        Refresh::Deferred
    );
    assert_eq!(rotations(&app).await, 0);
    held.abort();
}

#[tokio::test]
async fn a_token_that_cannot_be_refreshed_warns_then_disconnects_when_it_runs_out() {
    let app = TestApp::spawn_demo().await;
    reconnect(&app, "fb-page-northwind", "fb-nora").await;
    // Facebook-like tokens live 60 days without a refresh token.
    app.clock.advance(Duration::days(54));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Expiring);
    let status = app
        .graphql(
            "dev@northwind.example",
            "{ reconnectStatus { badgeCount accounts { name health } } }",
            serde_json::json!({}),
        )
        .await;
    let page = status["data"]["reconnectStatus"]["accounts"]
        .as_array()
        .and_then(|list| {
            list.iter()
                .find(|a| a["name"] == "Northwind Coffee")
                .cloned()
        })
        .expect("on the restore list");
    assert_eq!(page["health"], "EXPIRING", "{status}");
    app.clock.advance(Duration::days(7));
    app.keeper.run_once().await.expect("pass");
    let page = entity::social_accounts::Entity::find()
        .filter(entity::social_accounts::Column::ExternalId.eq("fb-page-northwind"))
        .one(&app.db)
        .await
        .expect("q")
        .expect("page");
    assert_eq!(page.health, Health::Disconnected);
    assert_eq!(
        page.disconnect_reason,
        Some(entity::enums::DisconnectReason::TokenExpired)
    );
}

#[tokio::test]
async fn a_token_without_expiry_is_probed_and_a_silent_revocation_disconnects_it() {
    use sea_orm::{ActiveModelTrait as _, Set};
    let app = TestApp::spawn_demo().await;
    let login = reconnect(&app, "fb-page-northwind", "fb-nora").await;
    // Facebook page tokens derived from a long-lived user token carry no expiry: model one.
    social_logins::ActiveModel {
        id: Set(login),
        token_expires_at: Set(None),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("no expiry");
    let checked_at = || async {
        social_logins::Entity::find_by_id(login)
            .one(&app.db)
            .await
            .expect("query")
            .expect("login")
            .checked_at
    };
    // Seen working at the reconnect: not probed again before the interval.
    assert_eq!(
        app.keeper.probe_login(login).await.expect("probe"),
        relink::keeper::Probe::NotDue
    );
    app.clock.advance(Duration::hours(6));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(checked_at().await, Some(app.clock.now()), "probed, working");
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);

    // The network invalidates the token without calling the deauthorize webhook.
    let expired = app
        .client
        .post(format!(
            "{}/sandbox/admin/identities/fb-nora/expire",
            app.address
        ))
        .send()
        .await
        .expect("expire");
    assert!(expired.status().is_success());
    app.clock.advance(Duration::hours(6));
    app.keeper.run_once().await.expect("pass");
    let page = entity::social_accounts::Entity::find()
        .filter(entity::social_accounts::Column::ExternalId.eq("fb-page-northwind"))
        .one(&app.db)
        .await
        .expect("q")
        .expect("page");
    assert_eq!(page.health, Health::Disconnected);
    assert_eq!(
        page.disconnect_reason,
        Some(entity::enums::DisconnectReason::TokenRevoked)
    );
    // Once: a disconnected login is not probed again.
    app.clock.advance(Duration::hours(6));
    assert_eq!(
        app.keeper.probe_login(login).await.expect("probe"),
        relink::keeper::Probe::NotDue
    );
}

#[tokio::test]
async fn a_refresh_storm_against_a_failing_rotating_network_refreshes_each_login_once() {
    use entity::{enums::LoginStatus, organizations, sandbox_identities};
    use sea_orm::{ActiveModelTrait as _, NotSet, Set};
    const LOGINS: usize = 40;
    let app = TestApp::spawn_demo().await;
    let now = app.clock.now();
    let org = organizations::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("the demo organization")
        .id;
    // Forty X profiles, each a sandbox identity with a login of its own.
    for n in 0..LOGINS {
        let external = format!("x-storm-{n:02}");
        sandbox_identities::ActiveModel {
            id: NotSet,
            network: Set(entity::enums::Network::X),
            external_id: Set(external.clone()),
            name: Set(format!("Storm {n}")),
            created_at: Set(now),
        }
        .insert(&app.db)
        .await
        .expect("identity");
        social_logins::ActiveModel {
            id: NotSet,
            network: Set(entity::enums::Network::X),
            external_user_id: Set(external.clone()),
            display_name: Set(external),
            owner_organization_id: Set(Some(org)),
            owner_user_id: Set(None),
            access_token_enc: Set(None),
            refresh_token_enc: Set(None),
            key_id: Set(None),
            token_expires_at: Set(None),
            refresh_expires_at: Set(None),
            scopes: Set("tweet.read tweet.write users.read offline.access".to_owned()),
            status: Set(LoginStatus::Connected),
            disconnect_reason: Set(None),
            disconnected_at: Set(None),
            connected_by: Set(None),
            connected_at: Set(now),
            last_reconnected_by: Set(None),
            last_reconnected_at: Set(None),
            version: Set(0),
            created_at: Set(now),
            refresh_lease_until: Set(None),
            refresh_failures: Set(0),
            next_refresh_at: Set(None),
            checked_at: Set(None),
        }
        .insert(&app.db)
        .await
        .expect("login");
    }
    // Real rotating tokens from the sandbox for every one of them, all expiring in the same minute.
    relink::demo::connect_sandbox_logins(&app.db, &app.cipher, now)
        .await
        .expect("tokens");
    let storm = || {
        social_logins::Entity::find()
            .filter(social_logins::Column::ExternalUserId.starts_with("x-storm-"))
    };
    for login in storm().all(&app.db).await.expect("logins") {
        social_logins::ActiveModel {
            id: Set(login.id),
            token_expires_at: Set(Some(now + Duration::minutes(1))),
            ..Default::default()
        }
        .update(&app.db)
        .await
        .expect("due");
    }
    // The network answers every third token request with 503.
    let failing = app
        .client
        .post(format!(
            "{}/sandbox/admin/token-endpoint/fail-every/3",
            app.address
        ))
        .send()
        .await
        .expect("switch");
    assert!(failing.status().is_success());

    let mut passes = 0;
    loop {
        app.keeper.run_once().await.expect("pass");
        let logins = storm().all(&app.db).await.expect("logins");
        assert!(
            logins
                .iter()
                .all(|login| login.status == LoginStatus::Connected),
            "an outage disconnected nobody"
        );
        let horizon = app.clock.now() + Duration::hours(1);
        if logins
            .iter()
            .all(|login| login.token_expires_at.is_some_and(|at| at > horizon))
        {
            break;
        }
        passes += 1;
        assert!(passes < 20, "the storm never settled");
        // Backoff is one, then two, then four minutes: let the next attempts come due.
        app.clock.advance(Duration::minutes(2));
    }
    assert!(passes >= 1, "some refreshes failed and were tried again");
    // One refresh each: the network rotated each storm login's refresh token exactly once.
    let identities = sandbox_identities::Entity::find()
        .filter(sandbox_identities::Column::ExternalId.starts_with("x-storm-"))
        .all(&app.db)
        .await
        .expect("identities");
    let ids: Vec<i64> = identities.iter().map(|identity| identity.id).collect();
    let rotated = sandbox_tokens::Entity::find()
        .filter(sandbox_tokens::Column::IdentityId.is_in(ids))
        .filter(sandbox_tokens::Column::RotatedFrom.is_not_null())
        .filter(sandbox_tokens::Column::Kind.eq(sandbox_tokens::SandboxTokenKind::Refresh))
        .all(&app.db)
        .await
        .expect("tokens");
    assert_eq!(rotated.len(), LOGINS);
    let mut per_identity = std::collections::HashMap::new();
    for token in rotated {
        *per_identity.entry(token.identity_id).or_insert(0) += 1;
    }
    assert!(
        per_identity.values().all(|count| *count == 1),
        "{per_identity:?}"
    );
}

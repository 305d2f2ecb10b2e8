//! Renewals of Facebook's long-lived tokens (B1) and each answer of Meta leading to its health:
//! throttling and outages never disconnect and the post waits; a dead token, a security check or a
//! missing permission disconnects with its own reason; an error inside an HTTP 200 is found too.

use chrono::Duration;
use entity::{
    enums::{DisconnectReason, Health, PostState},
    social_logins,
};
use relink::keeper::Refresh;
use sea_orm::{ActiveModelTrait as _, Set};
use serde_json::json;

use super::{live_meta, login, post, reason, reconnect, schedule, stored_token};
use crate::{fakes::facebook as graph, helpers::health};

#[tokio::test]
async fn a_long_lived_token_is_renewed_with_itself_in_its_last_week_only() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let first = stored_token(&app, &login(&app, "fb-nora").await);
    app.keeper.run_once().await.expect("pass");
    assert_eq!(fake.state().renewals, 0, "not due: 60 days left");
    app.clock.advance(Duration::days(54));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(fake.state().renewals, 1, "renewed with fb_exchange_token");
    let renewed = login(&app, "fb-nora").await;
    let token = stored_token(&app, &renewed);
    assert_ne!(token, first);
    assert!(fake.state().is_long_lived(&token));
    assert_eq!(
        renewed.token_expires_at,
        Some(app.clock.now() + Duration::seconds(graph::LONG_LIVED))
    );
    assert_eq!(
        renewed.scopes, "pages_show_list pages_manage_posts pages_read_engagement public_profile",
        "a renewal names no scopes: the granted ones stay"
    );
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
}

#[tokio::test]
async fn a_renewal_backs_off_on_throttling_and_outages_and_disconnects_on_a_dead_token() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let id = login(&app, "fb-nora").await.id;
    app.clock.advance(Duration::days(54));
    for (status, name) in [
        (400, "app_rate_limit"),
        (400, "user_rate_limit"),
        (503, "service_down"),
        (502, "html_gateway"),
    ] {
        fake.state().token_failure = Some(("facebook", status, name));
        assert_eq!(
            app.keeper.refresh_login(id).await.expect("refresh"),
            Refresh::Deferred,
            "{name}"
        );
        assert_eq!(
            health(&app, "fb-page-northwind").await,
            Health::Connected,
            "{name}"
        );
        app.clock.advance(Duration::hours(2));
    }
    fake.state().token_failure = Some(("facebook", 400, "password_changed"));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(
        reason(&app, "fb-page-northwind").await,
        Some(DisconnectReason::PasswordChanged)
    );
}

#[tokio::test]
async fn a_token_past_its_expiry_is_never_sent_and_the_login_expires() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    // The keeper did not run for two months: an expired token cannot be exchanged.
    app.clock.advance(Duration::days(61));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(fake.state().renewals, 0);
    assert_eq!(
        reason(&app, "fb-page-northwind").await,
        Some(DisconnectReason::TokenExpired)
    );
}

#[tokio::test]
async fn a_login_holding_no_token_it_can_renew_warns_before_it_expires() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let held = login(&app, "fb-nora").await;
    // As a login stored before its network went live holds no token Facebook would exchange.
    social_logins::ActiveModel {
        id: Set(held.id),
        access_token_enc: Set(None),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("drop the token");
    app.clock.advance(Duration::days(54));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(fake.state().renewals, 0);
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Expiring);
    app.clock.advance(Duration::days(7));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(
        reason(&app, "fb-page-northwind").await,
        Some(DisconnectReason::TokenExpired)
    );
}

#[tokio::test]
async fn throttling_and_outages_at_publishing_leave_the_page_connected_and_the_post_waiting() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let waiting = schedule(&app, "fb-page-northwind", "Waits for Facebook").await;
    app.clock.advance(Duration::minutes(10));
    for (status, name) in [
        (400, "app_rate_limit"),
        (400, "user_rate_limit"),
        (400, "buc_pages"),
        (400, "temporarily_blocked"),
        (500, "unknown_error"),
        (503, "service_down"),
        (502, "html_gateway"),
    ] {
        fake.state().failure = Some(("facebook", status, name));
        app.publisher.run_once().await.expect("pass");
        assert_eq!(
            post(&app, waiting).await.state,
            PostState::Scheduled,
            "{name}"
        );
        assert_eq!(
            health(&app, "fb-page-northwind").await,
            Health::Connected,
            "{name}"
        );
        app.clock.advance(Duration::hours(1));
    }
    fake.state().failure = None;
    app.clock.advance(Duration::hours(1)); // past the longest backoff (64 minutes)
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, waiting).await.state, PostState::Published);

    // The same text again: Meta's duplicate (506) fails the post, the page is fine.
    let twice = schedule(&app, "fb-page-northwind", "Waits for Facebook").await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, twice).await.state, PostState::Failed);
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
}

#[tokio::test]
async fn each_answer_that_ends_the_sign_in_disconnects_with_its_reason_until_a_reconnect() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    for (n, (status, name, expected)) in [
        (400, "password_changed", DisconnectReason::PasswordChanged),
        (400, "token_expired", DisconnectReason::TokenExpired),
        (400, "checkpoint", DisconnectReason::ActionAtNetwork),
        (400, "unconfirmed_user", DisconnectReason::ActionAtNetwork),
        (400, "app_not_installed", DisconnectReason::AppDeauthorized),
        (400, "page_role_lost", DisconnectReason::PageRoleLost),
        (400, "permission_denied", DisconnectReason::ScopeMissing),
        (403, "permission_200", DisconnectReason::ScopeMissing),
        // An error inside an HTTP 200 is an error all the same.
        (200, "error_in_200", DisconnectReason::PasswordChanged),
    ]
    .into_iter()
    .enumerate()
    {
        let held = schedule(&app, "fb-page-northwind", &format!("Post {n}")).await;
        app.clock.advance(Duration::minutes(10));
        fake.state().failure = Some(("facebook", status, name));
        app.publisher.run_once().await.expect("pass");
        assert_eq!(post(&app, held).await.state, PostState::Held, "{name}");
        assert_eq!(
            reason(&app, "fb-page-northwind").await,
            Some(expected),
            "{name}"
        );
        assert_eq!(
            health(&app, "fb-page-roastery").await,
            Health::Disconnected,
            "{name}: R7"
        );
        fake.state().failure = None;
        let back = reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
        assert_eq!(back["userErrors"], json!([]), "{name}: {back}");
        app.publisher.run_once().await.expect("pass");
        assert_eq!(post(&app, held).await.state, PostState::Published, "{name}");
    }
}

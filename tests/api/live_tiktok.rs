//! The live TikTok adapter against a fake of TikTok that checks what TikTok checks: a whole life
//! through Relink's public API on Northwind Coffee — the authorize URL, the sign-in (client key,
//! secret in the form, single-use code), the wrong identity refused (B2), refresh with rotation
//! before expiry (B1) under a race with both lifetimes read from each answer, dead grants and
//! passing trouble at the token endpoint, API errors inside HTTP 200. Posts: `live_tiktok_post`.

use chrono::Duration;
use entity::{
    enums::{DisconnectReason, Health, Network},
    social_accounts, social_logins,
};
use relink::{config::Secret, keeper::Refresh, networks::NetworkAdapter};
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::{
    fakes::{
        self, query,
        tiktok::{CLIENT_KEY, FakeTiktok},
    },
    helpers::{TestApp, health, start},
};

const ADA: &str = "ada@northwind.example";

pub(crate) async fn live_tiktok() -> (FakeTiktok, TestApp) {
    let fake = FakeTiktok::start().await;
    let app = fakes::spawn_live(
        &fake.networks_file(),
        &[("TIKTOK_TEST_SECRET", fakes::tiktok::SECRET)],
    )
    .await;
    fake.state().redirect_uri = format!("{}/oauth/callback/tiktok", app.address);
    (fake, app)
}

/// Starts adding a TikTok account to Northwind Coffee as Ada; answers its authorize URL.
async fn start_connect(app: &TestApp) -> String {
    crate::fakes::rows::start_connect(app, "TIKTOK").await
}

/// Adds the TikTok account `user` to Northwind Coffee; answers `completeReconnect`.
pub(crate) async fn connect(app: &TestApp, fake: &FakeTiktok, user: &str) -> Value {
    fake.state().next_user = user.to_owned();
    let url = start_connect(app).await;
    fakes::complete(app, ADA, &url).await
}

/// Reconnects `tt-northwind` through the fake as `identity`; answers `completeReconnect`.
pub(crate) async fn reconnect(app: &TestApp, fake: &FakeTiktok, identity: &str) -> Value {
    fake.state().next_user = identity.to_owned();
    let started = start(app, ADA, "tt-northwind").await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    fakes::complete(app, ADA, url).await
}

async fn login(app: &TestApp) -> social_logins::Model {
    crate::fakes::rows::login(app, "tt-northwind").await
}

pub(crate) async fn reason(app: &TestApp) -> Option<DisconnectReason> {
    crate::fakes::rows::reason(app, "tt-northwind").await
}

#[tokio::test]
async fn tiktok_signs_in_with_its_client_key_and_refuses_the_wrong_identity() {
    let (fake, app) = live_tiktok().await;
    let url = start_connect(&app).await;
    assert!(
        url.starts_with(&format!("{}/v2/auth/authorize/?", fake.served.address)),
        "{url}"
    );
    let params = query(&url);
    assert_eq!(params["client_key"], CLIENT_KEY);
    assert_eq!(params["response_type"], "code");
    assert_eq!(
        params["scope"], "user.info.basic,video.list,video.publish",
        "comma-separated"
    );
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/callback/tiktok", app.address)
    );
    assert!(params["state"].len() >= 32, "{url}");
    assert_eq!(
        params["disable_auto_auth"], "1",
        "TikTok's page always shows"
    );
    for absent in ["client_id", "code_challenge", "code_challenge_method"] {
        assert!(!params.contains_key(absent), "{absent} in {url}");
    }

    let done = connect(&app, &fake, "tt-northwind").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["reconnectedAccounts"][0]["externalId"], "tt-northwind");
    assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
    let account = social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq("tt-northwind"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("account");
    assert_eq!(account.kind, entity::enums::AccountKind::Profile);
    assert_eq!(account.name, fakes::tiktok::display_name("tt-northwind"));
    let stored = login(&app).await;
    assert!(stored.refresh_token_enc.is_some());
    let now = app.clock.now();
    assert_eq!(stored.token_expires_at, Some(now + Duration::hours(2)));
    assert_eq!(stored.refresh_expires_at, Some(now + Duration::days(180)));
    assert_eq!(stored.scopes, "user.info.basic video.list video.publish");

    // B2: signing in as Northwind's other TikTok account is refused, and that account's own
    // login survives it (TikTok's revoke would have removed Relink from that account).
    let other = connect(&app, &fake, "tt-other").await;
    assert_eq!(other["reconnectedAccounts"][0]["externalId"], "tt-other");
    let wrong = reconnect(&app, &fake, "tt-other").await;
    assert_eq!(wrong["userErrors"][0]["code"], "WRONG_IDENTITY", "{wrong}");
    assert!(fake.state().revoked.is_empty(), "nothing revoked at TikTok");
    let done = reconnect(&app, &fake, "tt-northwind").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
    assert_eq!(fake.state().ledger.exchanges, 4, "each code redeemed once");
    let other = social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("tt-other"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("login");
    app.clock.advance(Duration::minutes(115));
    assert_eq!(
        app.keeper.refresh_login(other.id).await.expect("refresh"),
        Refresh::Refreshed,
        "tt-other's authorization still works"
    );
}

#[tokio::test]
async fn tiktok_refresh_tokens_rotate_once_under_a_race_and_each_answer_sets_both_lifetimes() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    let first = login(&app).await;
    let spent = app
        .cipher
        .refresh_token(&first)
        .expect("open")
        .expect("a refresh token");
    // TikTok's older regime (24 h / 365 d) answers from now on: Relink stores what it is told.
    fake.state().expires_in = 86_400;
    fake.state().refresh_expires_in = 31_536_000;
    app.clock.advance(Duration::minutes(115));
    let mut calls = Vec::new();
    for _ in 0..20 {
        let keeper = app.keeper.clone();
        calls.push(tokio::spawn(
            async move { keeper.refresh_login(first.id).await },
        ));
    }
    let mut refreshed = 0;
    for call in calls {
        if call.await.expect("join").expect("refresh") == Refresh::Refreshed {
            refreshed += 1;
        }
    }
    assert_eq!(refreshed, 1);
    assert_eq!(fake.state().ledger.rotations, 1, "one refresh token spent");
    let now = app.clock.now();
    let stored = login(&app).await;
    assert_eq!(stored.token_expires_at, Some(now + Duration::hours(24)));
    assert_eq!(stored.refresh_expires_at, Some(now + Duration::days(365)));
    let kept = app
        .cipher
        .refresh_token(&stored)
        .expect("open")
        .expect("kept");
    assert_ne!(
        kept.expose(),
        spent.expose(),
        "the rotated token was stored"
    );
    assert!(
        fake.state().ledger.spend_refresh(spent.expose()).is_none(),
        "the previous refresh token stopped working"
    );
    // The stored one renews the next time.
    app.clock
        .advance(Duration::hours(24) - Duration::minutes(5));
    assert_eq!(
        app.keeper.refresh_login(first.id).await.expect("refresh"),
        Refresh::Refreshed
    );
    assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
}

#[tokio::test]
async fn a_dead_tiktok_grant_disconnects_with_the_reason_it_means_even_in_an_http_200() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    let id = login(&app).await.id;
    // Removed in the TikTok app, and the webhook never came: the next refresh finds out.
    fake.state().ledger.revoke_user("tt-northwind");
    app.clock.advance(Duration::minutes(115));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(reason(&app).await, Some(DisconnectReason::TokenRevoked));

    // OAuth's error envelope inside an HTTP 200 is still a dead grant.
    reconnect(&app, &fake, "tt-northwind").await;
    fake.state().token_failure = Some((200, "oauth_invalid_grant"));
    app.clock.advance(Duration::minutes(115));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(reason(&app).await, Some(DisconnectReason::TokenRevoked));

    // A refresh token past the refresh_expires_in TikTok gave: expired, not revoked.
    fake.state().token_failure = None;
    fake.state().refresh_expires_in = 3_600;
    reconnect(&app, &fake, "tt-northwind").await;
    fake.state().token_failure = Some((400, "oauth_invalid_grant"));
    app.clock.advance(Duration::minutes(115));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(reason(&app).await, Some(DisconnectReason::TokenExpired));
}

#[tokio::test]
async fn a_tiktok_refresh_meeting_throttling_or_an_outage_backs_off_and_disconnects_nothing() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    let id = login(&app).await.id;
    app.clock.advance(Duration::minutes(115));
    for (status, name) in [
        (429, "rate_limited"),
        (500, "internal_error"),
        (200, "active_user_cap_in_200"),
    ] {
        fake.state().token_failure = Some((status, name));
        assert_eq!(
            app.keeper.refresh_login(id).await.expect("refresh"),
            Refresh::Deferred,
            "{name}"
        );
        assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
        app.clock.advance(Duration::minutes(30));
    }
    fake.state().token_failure = None;
    app.clock.advance(Duration::hours(2));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Refreshed
    );
}

/// The adapter Relink builds for the fake, called directly.
fn adapter(fake: &FakeTiktok, app: &TestApp) -> std::sync::Arc<dyn NetworkAdapter> {
    let at = &fake.served.address;
    let live = relink::networks::settings::LiveApp {
        client_id: CLIENT_KEY.to_owned(),
        client_secret: Secret::new(fakes::tiktok::SECRET.to_owned()),
        authorize_url: format!("{at}/v2/auth/authorize/"),
        token_url: format!("{at}/v2/oauth/token/"),
        revoke_url: None,
        api_url: format!("{at}/v2"),
        api_version: None,
        instagram_login: false,
        consent_retry: None,
        post_privacy: None,
        media_origins: Vec::new(),
    };
    let scopes = vec!["user.info.basic".to_owned(), "video.list".to_owned()];
    relink::networks::live::adapter(
        Network::Tiktok,
        live,
        scopes,
        &app.address,
        &reqwest::Client::new(),
    )
}

#[tokio::test]
async fn tiktok_api_errors_keep_their_class_inside_http_200_and_a_failed_sign_in_disconnects_nothing()
 {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;
    let tiktok = adapter(&fake, &app);
    let token = Secret::new(fake.state().ledger.issue("tt-northwind", false).0);
    let feed = tiktok.feed(&token, "tt-northwind").await.expect("videos");
    assert_eq!(feed.len(), 2);
    assert_eq!(feed[0].text, "Latte art, slowly");
    assert_eq!(feed[1].text, "Roasting day", "an empty title gives way");
    use DisconnectReason as R;
    for (status, name, disconnects) in [
        (401, "access_token_invalid", Some(R::TokenRevoked)),
        (401, "access_token_expired", Some(R::TokenExpired)),
        // Also a 401, but a missing permission: not a dead token.
        (401, "scope_not_authorized", Some(R::ScopeMissing)),
        (200, "banned_in_200", Some(R::ActionAtNetwork)),
        (200, "active_user_cap_in_200", None),
        (429, "rate_limited", None),
        (500, "internal_error", None),
    ] {
        fake.state().failure = Some((status, name));
        let error = tiktok.identity(&token).await.expect_err(name);
        assert_eq!(error.disconnect_reason(), disconnects, "{name}: {error}");
        assert_eq!(error.is_transient(), disconnects.is_none(), "{name}");
    }
    // At a sign-in the same answers refuse it (or ask to try later) and change nothing.
    for (status, name, code) in [
        (401, "access_token_invalid", "NETWORK_REFUSED"),
        (200, "banned_in_200", "NETWORK_REFUSED"),
        (429, "rate_limited", "NETWORK_UNAVAILABLE"),
    ] {
        fake.state().failure = Some((status, name));
        let done = reconnect(&app, &fake, "tt-northwind").await;
        assert_eq!(done["userErrors"][0]["code"], code, "{name}: {done}");
        assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
    }
}

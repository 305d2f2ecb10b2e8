//! The live Instagram adapter, both ways Meta offers. Through Facebook Login (the fake of the Graph
//! API): the profile comes from its page and is limited while that page is out (R18), another
//! identity is refused (B2), renewals and their failures. Through Instagram Login (the fake of
//! `instagram.com`, `api.instagram.com` and `graph.instagram.com`): no page, so never limited;
//! the 60-day token refreshed in its last week and never before it is a day old. Either way a post
//! with an image URL is published in two steps, once, and a text post fails with the reason,
//! without reaching the network.

use chrono::Duration;
use entity::enums::{DisconnectReason, Health, LimitedReason, PostState};
use serde_json::{Value, json};

use crate::{
    fakes::{
        self,
        instagram::{self as ig, FakeInstagram},
        query,
    },
    helpers::{TestApp, health, start},
    live_facebook::{account, live_meta, login, post, reason, reconnect, schedule, stored_token},
};

async fn live_instagram_login() -> (FakeInstagram, TestApp) {
    let fake = FakeInstagram::start().await;
    let app = fakes::spawn_live(
        &fake.networks_file(),
        &[("INSTAGRAM_TEST_SECRET", ig::SECRET)],
    )
    .await;
    {
        let mut state = fake.state();
        state.redirect_uri = format!("{}/oauth/callback/instagram", app.address);
        state.clock = Some(app.clock.clone());
    }
    (fake, app)
}

/// Reconnects @northwindcoffee through Instagram Login as `identity`.
async fn reconnect_ig(app: &TestApp, fake: &FakeInstagram, identity: &str) -> Value {
    fake.state().next_user = identity.to_owned();
    let started = start(app, "ada@northwind.example", "ig-biz-northwind").await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    fakes::complete(app, "ada@northwind.example", url).await
}

/// A text post to @northwindcoffee fails with why, and the account stays as it was.
async fn text_post_fails(app: &TestApp) {
    let id = schedule(app, "ig-biz-northwind", "Text only").await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    let failed = post(app, id).await;
    assert_eq!(failed.state, PostState::Failed);
    assert!(
        failed
            .failure_reason
            .as_deref()
            .is_some_and(|why| why.contains("Instagram needs a photo or video")),
        "{:?}",
        failed.failure_reason
    );
    assert_eq!(health(app, "ig-biz-northwind").await, Health::Connected);
}

#[tokio::test]
async fn through_facebook_login_the_profile_is_limited_until_its_page_is_back() {
    let (fake, app) = live_meta().await;
    // R18: while limited, the profile's restore action is "log in with Facebook" for its page.
    let started = start(&app, "ada@northwind.example", "ig-biz-northwind").await;
    let params = query(started["authorizeUrl"].as_str().expect("url"));
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/callback/facebook", app.address)
    );
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    assert_eq!(
        health(&app, "ig-biz-northwind").await,
        Health::Connected,
        "the profile follows its page"
    );

    // The profile's own sign-in, through Facebook Login with Instagram's permissions.
    let started = start(&app, "ada@northwind.example", "ig-biz-northwind").await;
    let params = query(started["authorizeUrl"].as_str().expect("url"));
    assert_eq!(
        params["scope"],
        "instagram_basic,instagram_content_publish,pages_show_list,pages_read_engagement"
    );
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/callback/instagram", app.address)
    );
    assert_eq!(params["auth_type"], "rerequest");
    assert!(!params.contains_key("code_challenge"));

    let done = reconnect(&app, &fake, "ig-biz-northwind", "ig-nora").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    let token = stored_token(&app, &login(&app, "ig-nora").await);
    assert!(fake.state().is_long_lived(&token));

    // R18: an admin takes the page offline: the profile is limited.
    let page = app.account_id("fb-page-northwind").await;
    app.graphql(
        "ada@northwind.example",
        crate::live::DISCONNECT,
        json!({ "id": page }),
    )
    .await;
    let limited = account(&app, "ig-biz-northwind").await;
    assert_eq!(
        (limited.health, limited.limited_reason),
        (
            Health::Limited,
            Some(LimitedReason::LinkedPageNotAuthorized)
        )
    );

    // The page back through Facebook: full function again, and a text post fails with why.
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let full = account(&app, "ig-biz-northwind").await;
    assert_eq!(
        (full.health, full.limited_reason),
        (Health::Connected, None)
    );
    text_post_fails(&app).await;
    assert!(fake.state().posts.is_empty(), "nothing reached the network");
}

#[tokio::test]
async fn through_facebook_login_a_post_with_an_image_is_published_once_in_two_steps() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    reconnect(&app, &fake, "ig-biz-northwind", "ig-nora").await;
    let id = schedule(
        &app,
        "ig-biz-northwind",
        "Latte art https://cdn.northwind.example/latte.jpg of the day",
    )
    .await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    app.publisher.run_once().await.expect("another pass");
    let media = fake.state().instagram.media.clone();
    assert_eq!(media.len(), 1, "{media:?}");
    assert_eq!(media[0].0, "ig-biz-northwind");
    assert_eq!(media[0].1, "https://cdn.northwind.example/latte.jpg");
    assert_eq!(media[0].2, "Latte art of the day");
    let published = post(&app, id).await;
    assert_eq!(published.state, PostState::Published);
    assert_eq!(
        published.external_post_id.as_deref(),
        Some(media[0].3.as_str())
    );
    assert_eq!(
        fake.state().instagram.containers.len(),
        1,
        "one container, published once"
    );
    // Without an image the post fails with what to do, and nothing reaches Instagram.
    let text = schedule(&app, "ig-biz-northwind", "Text only").await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    let failed = post(&app, text).await;
    assert_eq!(failed.state, PostState::Failed);
    assert!(
        failed
            .failure_reason
            .as_deref()
            .is_some_and(|why| why.contains("put an https image URL")),
        "{:?}",
        failed.failure_reason
    );
    assert_eq!(fake.state().instagram.containers.len(), 1);
}

#[tokio::test]
async fn through_facebook_login_another_identity_is_refused() {
    let (fake, app) = live_meta().await;
    // While limited, the sign-in is the page's: another identity is no admin of it (R6).
    let wrong = reconnect(&app, &fake, "ig-biz-northwind", "fb-other").await;
    assert_eq!(
        wrong["userErrors"][0]["code"], "PAGE_ADMIN_REQUIRED",
        "{wrong}"
    );
    assert_eq!(health(&app, "ig-biz-northwind").await, Health::Limited);
    // With its page back, the profile's own sign-in: another identity is refused (B2).
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let wrong = reconnect(&app, &fake, "ig-biz-northwind", "fb-other").await;
    assert_eq!(wrong["userErrors"][0]["code"], "WRONG_IDENTITY", "{wrong}");
    assert_eq!(
        health(&app, "ig-biz-northwind").await,
        Health::Connected,
        "unchanged"
    );
}

#[tokio::test]
async fn through_facebook_login_a_renewal_backs_off_on_throttling_and_ends_on_an_expired_session() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    reconnect(&app, &fake, "ig-biz-northwind", "ig-nora").await;
    let id = login(&app, "ig-nora").await.id;
    app.clock.advance(Duration::days(54));
    fake.state().token_failure = Some(("instagram", 400, "buc_instagram"));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        relink::keeper::Refresh::Deferred
    );
    assert_eq!(health(&app, "ig-biz-northwind").await, Health::Connected);
    app.clock.advance(Duration::hours(1));
    fake.state().token_failure = Some(("instagram", 400, "session_expired"));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(
        reason(&app, "ig-biz-northwind").await,
        Some(DisconnectReason::TokenExpired)
    );
}

#[tokio::test]
async fn through_instagram_login_the_profile_needs_no_page_and_is_not_limited() {
    let (fake, app) = live_instagram_login().await;
    let started = start(&app, "ada@northwind.example", "ig-biz-northwind").await;
    let url = started["authorizeUrl"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/oauth/authorize?", fake.served.address)),
        "{url}"
    );
    let params = query(url);
    let mut names: Vec<&str> = params.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "client_id",
            "enable_fb_login",
            "force_reauth",
            "redirect_uri",
            "response_type",
            "scope",
            "state"
        ]
    );
    assert_eq!(params["client_id"], ig::CLIENT_ID);
    assert_eq!(
        params["scope"],
        "instagram_business_basic,instagram_business_content_publish"
    );
    assert_eq!(params["enable_fb_login"], "0");
    assert_eq!(params["response_type"], "code");

    let wrong = reconnect_ig(&app, &fake, "ig-other").await;
    assert_eq!(
        wrong["userErrors"][0]["code"], "WRONG_IDENTITY",
        "B2: {wrong}"
    );
    let done = reconnect_ig(&app, &fake, "ig-nora").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    // The demo's Facebook page is still disconnected; with no page involved, R18 does not apply.
    assert_eq!(
        health(&app, "fb-page-northwind").await,
        Health::Disconnected
    );
    let profile = account(&app, "ig-biz-northwind").await;
    assert_eq!(
        (profile.health, profile.limited_reason),
        (Health::Connected, None)
    );
    let stored = login(&app, "ig-nora").await;
    assert!(fake.state().is_long_lived(&stored_token(&app, &stored)));
    assert_eq!(
        fake.state().exchanges,
        2,
        "each short-lived token exchanged at once"
    );
    assert_eq!(
        stored.token_expires_at,
        Some(app.clock.now() + Duration::seconds(ig::LONG_LIVED))
    );
    assert_eq!(
        stored.scopes,
        "instagram_business_basic instagram_business_content_publish"
    );
    text_post_fails(&app).await;
    assert!(fake.state().publishing.containers.is_empty());

    // A post with an image goes out on graph.instagram.com in Meta's two steps, once.
    let id = schedule(
        &app,
        "ig-biz-northwind",
        "Cold brew https://cdn.northwind.example/brew.png is back",
    )
    .await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    app.publisher.run_once().await.expect("another pass");
    let media = fake.state().publishing.media.clone();
    assert_eq!(
        media,
        [(
            "ig-biz-northwind".to_owned(),
            "https://cdn.northwind.example/brew.png".to_owned(),
            "Cold brew is back".to_owned(),
            media[0].3.clone()
        )]
    );
    assert_eq!(fake.state().publishing.containers.len(), 1);
    let published = post(&app, id).await;
    assert_eq!(published.state, PostState::Published);
    assert_eq!(
        published.external_post_id.as_deref(),
        Some(media[0].3.as_str())
    );
}

#[tokio::test]
async fn through_instagram_login_the_token_is_refreshed_in_its_last_week_never_within_a_day() {
    let (fake, app) = live_instagram_login().await;
    reconnect_ig(&app, &fake, "ig-nora").await;
    let first = stored_token(&app, &login(&app, "ig-nora").await);
    app.clock.advance(Duration::hours(1));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(fake.state().refreshes, 0);
    app.clock.advance(Duration::days(54));
    app.keeper.run_once().await.expect("pass");
    let refreshed = login(&app, "ig-nora").await;
    let token = stored_token(&app, &refreshed);
    assert_ne!(token, first);
    assert_eq!(fake.state().refreshes, 1);
    assert_eq!(fake.state().early_refreshes, 0, "never under 24 hours old");
    assert_eq!(
        refreshed.token_expires_at,
        Some(app.clock.now() + Duration::seconds(ig::LONG_LIVED))
    );
    assert_eq!(health(&app, "ig-biz-northwind").await, Health::Connected);

    // Two months on, the person changed their password: the next refresh ends the sign-in.
    app.clock.advance(Duration::days(54));
    fake.state().token_failure = Some((400, "session_invalidated"));
    app.keeper.run_once().await.expect("pass");
    assert_eq!(
        reason(&app, "ig-biz-northwind").await,
        Some(DisconnectReason::TokenRevoked)
    );
    assert_eq!(fake.state().early_refreshes, 0);
}

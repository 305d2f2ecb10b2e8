//! Posting to TikTok through Direct Post, against the fake that checks what TikTok checks: a
//! video or photo URL pulled by TikTok from the app's verified domain, the creator's settings
//! asked before each post, the operator's privacy level among the creator's options (an unaudited
//! app may only post privately), and a text post refused without reaching TikTok.

use chrono::Duration;
use entity::enums::{Health, PostState};
use relink::networks::live::tiktok::MEDIA_REQUIRED;

use crate::{
    fakes::{
        self,
        rows::{post, schedule},
        tiktok::FakeTiktok,
    },
    helpers::{TestApp, health},
    live_tiktok::{connect, live_tiktok},
};

/// Schedules `text` to Northwind's TikTok account and runs the publisher past its time.
async fn publish(app: &TestApp, text: &str) -> entity::scheduled_posts::Model {
    let id = schedule(app, "tt-northwind", text).await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    post(app, id).await
}

fn failure(post: &entity::scheduled_posts::Model) -> String {
    assert_eq!(post.state, PostState::Failed, "{post:?}");
    post.failure_reason.clone().unwrap_or_default()
}

#[tokio::test]
async fn a_video_and_a_photo_go_to_tiktok_privately_and_a_text_post_never_reaches_it() {
    let (fake, app) = live_tiktok().await;
    connect(&app, &fake, "tt-northwind").await;

    let calls = fake.state().calls;
    let text = publish(&app, "Flat whites are back").await;
    assert!(failure(&text).contains(MEDIA_REQUIRED), "{text:?}");
    assert_eq!(fake.state().calls, calls, "nothing reached TikTok");

    let video = publish(
        &app,
        "New roast https://media.northwind.example/roast.mp4 out today",
    )
    .await;
    assert_eq!(video.state, PostState::Published, "{video:?}");
    let posts = fake.state().posts.clone();
    assert_eq!(posts.len(), 1);
    let (user, url, info, id) = &posts[0];
    assert_eq!(user, "tt-northwind");
    assert_eq!(url, "https://media.northwind.example/roast.mp4");
    assert_eq!(info["title"], "New roast out today");
    assert_eq!(
        info["privacy_level"], "SELF_ONLY",
        "the most private by default"
    );
    assert_eq!(
        info["disable_stitch"], true,
        "the creator turned stitches off"
    );
    assert_eq!(info["disable_comment"], false);
    assert_eq!(video.external_post_id.as_deref(), Some(id.as_str()));
    assert_eq!(fake.state().creator_queries, 1, "asked before the post");

    let photo = publish(
        &app,
        "Latte art https://media.northwind.example/latte.JPG #coffee",
    )
    .await;
    assert_eq!(photo.state, PostState::Published, "{photo:?}");
    let posts = fake.state().posts.clone();
    assert_eq!(posts[1].1, "https://media.northwind.example/latte.JPG");
    assert_eq!(posts[1].2["description"], "Latte art #coffee");
    assert!(posts[1].3.starts_with("p_pub_url"), "{posts:?}");

    // TikTok pulls only from the app's verified domain: elsewhere the post fails, the account
    // stays connected.
    let elsewhere = publish(&app, "Roast https://cdn.other.example/roast.mp4").await;
    assert!(
        failure(&elsewhere).contains("url_ownership_unverified"),
        "{elsewhere:?}"
    );
    // A PNG is no photo TikTok takes: refused before TikTok with what to do.
    let png = publish(&app, "Menu https://media.northwind.example/menu.png").await;
    assert!(failure(&png).contains(MEDIA_REQUIRED), "{png:?}");
    assert_eq!(fake.state().posts.len(), 2);
    assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
}

/// TikTok for Northwind with the networks file's `post_privacy`.
async fn live_tiktok_with(privacy: &str) -> (FakeTiktok, TestApp) {
    let fake = FakeTiktok::start().await;
    let file = format!("{}post_privacy = \"{privacy}\"\n", fake.networks_file());
    let app = fakes::spawn_live(&file, &[("TIKTOK_TEST_SECRET", fakes::tiktok::SECRET)]).await;
    fake.state().redirect_uri = format!("{}/oauth/callback/tiktok", app.address);
    (fake, app)
}

#[tokio::test]
async fn public_posts_need_an_audited_app_and_a_level_the_creator_offers() {
    let (fake, app) = live_tiktok_with("PUBLIC_TO_EVERYONE").await;
    connect(&app, &fake, "tt-northwind").await;
    let body = "Roast https://media.northwind.example/roast.mp4";

    let unaudited = publish(&app, body).await;
    assert!(
        failure(&unaudited).contains("unaudited_client_can_only_post_to_private_accounts"),
        "{unaudited:?}"
    );
    assert_eq!(health(&app, "tt-northwind").await, Health::Connected);

    fake.state().audited = true;
    let public = publish(&app, body).await;
    assert_eq!(public.state, PostState::Published, "{public:?}");
    assert_eq!(
        fake.state().posts[0].2["privacy_level"],
        "PUBLIC_TO_EVERYONE"
    );

    // A creator who no longer offers public posts: refused before the post, with the options.
    fake.state().privacy_options = vec!["MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"];
    let refused = publish(&app, body).await;
    let said = failure(&refused);
    assert!(
        said.contains("MUTUAL_FOLLOW_FRIENDS, SELF_ONLY") && said.contains("post_privacy"),
        "{said}"
    );
    assert_eq!(fake.state().posts.len(), 1);
    assert_eq!(health(&app, "tt-northwind").await, Health::Connected);
}

#[tokio::test]
async fn a_login_without_the_publish_scope_is_asked_to_reconnect_with_it() {
    let fake = FakeTiktok::start().await;
    let file = format!(
        "{}scopes = [\"user.info.basic\", \"video.list\"]\n",
        fake.networks_file()
    );
    let app = fakes::spawn_live(&file, &[("TIKTOK_TEST_SECRET", fakes::tiktok::SECRET)]).await;
    fake.state().redirect_uri = format!("{}/oauth/callback/tiktok", app.address);
    connect(&app, &fake, "tt-northwind").await;
    let held = publish(&app, "Roast https://media.northwind.example/roast.mp4").await;
    assert_ne!(held.state, PostState::Published, "{held:?}");
    assert!(fake.state().posts.is_empty());
    assert_eq!(
        crate::fakes::rows::reason(&app, "tt-northwind").await,
        Some(entity::enums::DisconnectReason::ScopeMissing)
    );
}

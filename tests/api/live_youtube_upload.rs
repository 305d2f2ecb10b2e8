//! Publishing to YouTube against the fake of Google: a post's video, from an origin the networks
//! file trusts, downloaded and uploaded in a resumable session in 8 MiB chunks (YouTube keeping
//! less of a chunk than sent is resent), private unless the operator says otherwise; a text post,
//! or a video anywhere else, refused without a single request; Google's upload errors placed.

use chrono::Duration;
use entity::enums::{Health, PostState};
use relink::networks::live::youtube::{CHUNK, VIDEO_REQUIRED};

use crate::{
    fakes::{
        rows::{post, schedule},
        youtube::FakeYoutube,
    },
    helpers::{TestApp, health},
    live_youtube::{CHANNEL, connected, live_youtube_with},
};

/// YouTube for Northwind trusting the fake's own `/media/` as the media origin.
async fn youtube(privacy: Option<&str>) -> (FakeYoutube, TestApp) {
    let privacy = privacy.map(str::to_owned);
    live_youtube_with(move |fake| {
        let mut more = format!("media_origins = [\"{}\"]\n", fake.served.address);
        if let Some(privacy) = privacy {
            more.push_str(&format!("post_privacy = \"{privacy}\"\n"));
        }
        more
    })
    .await
}

/// A video of `size` bytes that no two offsets share a pattern in.
fn video(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 31 % 251) as u8).collect()
}

async fn publish(app: &TestApp, text: &str) -> entity::scheduled_posts::Model {
    let id = schedule(app, CHANNEL, text).await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    post(app, id).await
}

#[tokio::test]
async fn a_video_is_streamed_to_youtube_in_chunks_and_published_privately() {
    let (fake, app) = youtube(None).await;
    connected(&app, &fake).await;
    let bytes = video(2 * CHUNK + 12_345);
    fake.state()
        .media
        .insert("roast.mp4".to_owned(), ("video/mp4", bytes.clone()));
    // YouTube keeps only half of the first chunk: the rest goes again with the next one.
    fake.state().keep_short = true;
    let at = fake.served.address.clone();
    let done = publish(
        &app,
        &format!("New <roast> {at}/media/roast.mp4 from Northwind"),
    )
    .await;
    assert_eq!(done.state, PostState::Published, "{done:?}");
    let session = fake.state().sessions[0].clone();
    assert_eq!(session.bytes, bytes, "every byte, in order, once");
    // 8 MiB of which YouTube kept 4, 8 MiB from there, then the last 4 MiB and some with the total.
    assert_eq!(session.chunks, 3);
    assert_eq!(session.channel, CHANNEL);
    assert_eq!(
        session.metadata["snippet"]["title"],
        "New roast from Northwind"
    );
    assert_eq!(session.metadata["status"]["privacyStatus"], "private");
    assert_eq!(done.external_post_id, session.video);
    assert_eq!(fake.state().media_fetches, 1);
    assert_eq!(health(&app, CHANNEL).await, Health::Connected);
}

#[tokio::test]
async fn only_a_video_from_a_trusted_origin_is_fetched_and_text_reaches_nobody() {
    let (fake, app) = youtube(Some("public")).await;
    connected(&app, &fake).await;
    fake.state()
        .media
        .insert("clip.webm".to_owned(), ("video/webm", video(1_000)));
    let calls = fake.state().calls.len();
    for text in [
        "New roast".to_owned(),
        // Not an origin the networks file names (the same host on another port, then https).
        "Clip http://127.0.0.1:9/media/clip.webm".to_owned(),
        "Clip https://cdn.elsewhere.example/clip.webm".to_owned(),
    ] {
        let failed = publish(&app, &text).await;
        assert_eq!(failed.state, PostState::Failed, "{text}");
        let why = failed.failure_reason.clone().unwrap_or_default();
        assert!(why.contains(VIDEO_REQUIRED), "{text}: {why}");
    }
    assert_eq!(fake.state().calls.len(), calls, "nothing sent to YouTube");
    assert_eq!(fake.state().media_fetches, 0, "nothing downloaded");

    // What the origin serves must be a video.
    fake.state().media.insert(
        "page.mp4".to_owned(),
        ("text/html", b"<html>login</html>".to_vec()),
    );
    let at = fake.served.address.clone();
    let html = publish(&app, &format!("Clip {at}/media/page.mp4")).await;
    assert_eq!(html.state, PostState::Failed);
    assert!(fake.state().sessions.is_empty());

    let small = publish(&app, &format!("Clip {at}/media/clip.webm")).await;
    assert_eq!(small.state, PostState::Published, "{small:?}");
    let session = fake.state().sessions[0].clone();
    assert_eq!(session.chunks, 1, "a small video goes in one request");
    assert_eq!(session.metadata["status"]["privacyStatus"], "public");
}

#[tokio::test]
async fn an_exhausted_upload_quota_holds_the_post_and_disconnects_nothing() {
    let (fake, app) = youtube(None).await;
    connected(&app, &fake).await;
    fake.state()
        .media
        .insert("clip.mp4".to_owned(), ("video/mp4", video(4_096)));
    fake.state().failure = Some((400, "upload_limit"));
    let at = fake.served.address.clone();
    let held = publish(&app, &format!("Clip {at}/media/clip.mp4")).await;
    assert_ne!(held.state, PostState::Published, "{held:?}");
    assert_ne!(held.state, PostState::Failed, "a limit passes: {held:?}");
    assert_eq!(health(&app, CHANNEL).await, Health::Connected);
    // The limit lifted, the next pass after the back-off publishes it.
    fake.state().failure = None;
    app.clock.advance(Duration::hours(2));
    app.publisher.run_once().await.expect("pass");
    let later = post(&app, held.id).await;
    assert_eq!(later.state, PostState::Published, "{later:?}");
}

//! Publishing to LinkedIn through the fake: each error class at publishing leads to its own
//! outcome (throttling and outages wait, a missing permission or a dead token holds the post and
//! disconnects with its reason), and a post goes out once, as the page or the member, its lost
//! answer settled by LinkedIn's duplicate check.

use chrono::Duration;
use entity::{
    enums::{DisconnectReason, Health, PostState},
    scheduled_posts,
};
use serde_json::json;

use super::{PAGE, live_linkedin, reason, reconnect};
use crate::helpers::{TestApp, health};

/// Schedules a post to `external` five minutes ahead and lets ten minutes pass; returns its id.
async fn schedule(app: &TestApp, external: &str, text: &str) -> i64 {
    let id = crate::fakes::rows::schedule(app, external, text).await;
    app.clock.advance(Duration::minutes(10));
    id
}

async fn post(app: &TestApp, id: i64) -> scheduled_posts::Model {
    crate::fakes::rows::post(app, id).await
}

#[tokio::test]
async fn each_error_class_of_linkedin_at_publishing_leads_to_its_own_outcome() {
    let (fake, app) = live_linkedin(false, "").await;
    reconnect(&app, &fake, PAGE, "li-ada").await;
    let waiting = schedule(&app, PAGE, "Waits for LinkedIn").await;
    for (status, name) in [(429, "throttled"), (500, "server_error")] {
        fake.state().failure = Some((status, name));
        app.publisher.run_once().await.expect("pass");
        assert_eq!(
            post(&app, waiting).await.state,
            PostState::Scheduled,
            "{name}"
        );
        assert_eq!(health(&app, PAGE).await, Health::Connected, "{name}");
        app.clock.advance(Duration::hours(2));
    }
    fake.state().failure = None;
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, waiting).await.state, PostState::Published);

    for (status, name, expected) in [
        (403, "access_denied", DisconnectReason::ScopeMissing),
        (401, "revoked", DisconnectReason::TokenRevoked),
        (401, "invalid", DisconnectReason::TokenRevoked),
        (401, "expired", DisconnectReason::TokenExpired),
    ] {
        let held = schedule(&app, PAGE, &format!("After {name}")).await;
        fake.state().failure = Some((status, name));
        app.publisher.run_once().await.expect("pass");
        assert_eq!(post(&app, held).await.state, PostState::Held, "{name}");
        assert_eq!(reason(&app, PAGE).await, Some(expected), "{name}");
        // A single 65601 long after consent is not asked again: the sign-in is over.
        fake.state().failure = None;
        let done = reconnect(&app, &fake, PAGE, "li-ada").await;
        assert_eq!(done["userErrors"], json!([]), "{name}: {done}");
        app.publisher.run_once().await.expect("pass");
        assert_eq!(post(&app, held).await.state, PostState::Published, "{name}");
    }
}

#[tokio::test]
async fn a_post_goes_out_once_and_a_lost_answer_is_settled_by_linkedins_duplicate_check() {
    let (fake, app) = live_linkedin(false, "").await;
    reconnect(&app, &fake, PAGE, "li-ada").await;
    let text = "Flat whites (oat) are back #coffee @ 50% off_today";
    let id = schedule(&app, PAGE, text).await;
    fake.state().lose_next_post = true;
    app.publisher.run_once().await.expect("pass");
    assert_eq!(
        post(&app, id).await.state,
        PostState::Scheduled,
        "the answer was lost"
    );
    app.clock.advance(Duration::hours(1));
    app.publisher.run_once().await.expect("pass");
    let posts = fake.state().posts.clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].author, "urn:li:organization:li-company-northwind");
    assert_eq!(
        posts[0].commentary,
        relink::networks::live::linkedin::escape(text)
    );
    let sent = post(&app, id).await;
    assert_eq!(sent.state, PostState::Published);
    assert_eq!(
        sent.external_post_id.as_deref(),
        Some(posts[0].urn.as_str())
    );
    // Ben's stream of the page reads it back as written (R15).
    let streams = app
        .graphql(
            "ben@northwind.example",
            "{ streams { title items { text } } }",
            json!({}),
        )
        .await;
    let page_stream = streams["data"]["streams"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|s| s["title"] == "Northwind Coffee on LinkedIn")
        })
        .cloned()
        .unwrap_or_else(|| panic!("{streams}"));
    assert_eq!(page_stream["items"][0]["text"], text, "{page_stream}");

    // The member's own profile posts as the person.
    let own = schedule(&app, "li-ada", "From Ada herself").await;
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, own).await.state, PostState::Published);
    assert_eq!(fake.state().posts[1].author, "urn:li:person:li-ada");

    // The same words again days later are a new post LinkedIn refuses, not the old one.
    fake.state().posts[0].created_at -= 3 * 86_400_000;
    let again = schedule(&app, PAGE, text).await;
    app.publisher.run_once().await.expect("pass");
    let refused = post(&app, again).await;
    assert_eq!(refused.state, PostState::Failed);
    assert!(
        refused
            .failure_reason
            .unwrap_or_default()
            .contains("duplicate")
    );
    assert_eq!(health(&app, PAGE).await, Health::Connected);
}

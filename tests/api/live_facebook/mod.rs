//! The live Facebook adapter against a fake of the Graph API that checks what Meta checks: the
//! whole life through Relink's public API — the Login dialog's URL, the sign-in (app secret,
//! single-use code, the long-lived exchange at once), R6 on pages, bounded paging, a publish with
//! the page's token, renewals with `fb_exchange_token`, each answer of Meta leading to its health
//! (`errors`), and the push signals: deauthorize, data deletion, discontinued groups (`signals`).

mod errors;
mod signals;

use chrono::Duration;
use entity::{
    enums::{DisconnectReason, Health, PostState},
    scheduled_posts, social_accounts, social_logins,
};
use serde_json::{Value, json};

use crate::{
    fakes::{
        self,
        facebook::{self as graph, FakeGraph},
        query,
    },
    helpers::{TestApp, health, start},
};

/// A demo server whose Facebook and Instagram are live, pointing at a fake of the Graph API.
pub async fn live_meta() -> (FakeGraph, TestApp) {
    live_meta_with_secret(graph::SECRET).await
}

async fn live_meta_with_secret(secret: &str) -> (FakeGraph, TestApp) {
    let fake = FakeGraph::start().await;
    let app = fakes::spawn_live(
        &fake.networks_file(),
        &[
            ("FACEBOOK_TEST_SECRET", secret),
            ("INSTAGRAM_TEST_SECRET", secret),
        ],
    )
    .await;
    {
        let mut state = fake.state();
        state.redirect_uris = vec![
            format!("{}/oauth/callback/facebook", app.address),
            format!("{}/oauth/callback/instagram", app.address),
        ];
        state.clock = Some(app.clock.clone());
    }
    (fake, app)
}

/// The login of this network identity.
pub async fn login(app: &TestApp, external: &str) -> social_logins::Model {
    crate::fakes::rows::login(app, external).await
}

/// The account with this external id.
pub async fn account(app: &TestApp, external: &str) -> social_accounts::Model {
    crate::fakes::rows::account(app, external).await
}

/// The account's disconnect reason.
pub async fn reason(app: &TestApp, external: &str) -> Option<DisconnectReason> {
    account(app, external).await.disconnect_reason
}

/// Reconnects `target` through the fake as `identity` (Ada starts it); answers `completeReconnect`.
pub async fn reconnect(app: &TestApp, fake: &FakeGraph, target: &str, identity: &str) -> Value {
    fake.state().next_user = identity.to_owned();
    let started = start(app, "ada@northwind.example", target).await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    fakes::complete(app, "ada@northwind.example", url).await
}

/// The access token stored on a login, in the clear.
pub fn stored_token(app: &TestApp, login: &social_logins::Model) -> String {
    app.cipher
        .access_token(login)
        .expect("open")
        .expect("a token")
        .expose()
        .to_owned()
}

/// Schedules a post to the account five minutes ahead; returns its id.
pub async fn schedule(app: &TestApp, external: &str, text: &str) -> i64 {
    crate::fakes::rows::schedule(app, external, text).await
}

/// A post as stored.
pub async fn post(app: &TestApp, id: i64) -> scheduled_posts::Model {
    crate::fakes::rows::post(app, id).await
}

#[tokio::test]
async fn facebook_signs_in_with_the_app_secret_and_keeps_a_long_lived_token() {
    let (fake, app) = live_meta().await;
    let started = start(&app, "ada@northwind.example", "fb-page-northwind").await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    assert!(
        url.starts_with(&format!("{}/v25.0/dialog/oauth?", fake.served.address)),
        "{url}"
    );
    let params = query(url);
    let mut names: Vec<&str> = params.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "auth_type",
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state"
        ],
        "no PKCE in Facebook's server flow"
    );
    assert_eq!(params["client_id"], graph::CLIENT_ID);
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/callback/facebook", app.address)
    );
    assert_eq!(params["response_type"], "code");
    assert_eq!(
        params["scope"],
        "pages_show_list,pages_manage_posts,pages_read_engagement"
    );
    assert_eq!(
        params["auth_type"], "rerequest",
        "declined permissions are asked again"
    );
    assert!(params["state"].len() >= 43);

    let done = reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(health(&app, "fb-page-northwind").await, Health::Connected);
    assert_eq!(
        health(&app, "fb-page-roastery").await,
        Health::Connected,
        "R7"
    );
    let stored = login(&app, "fb-nora").await;
    let token = stored_token(&app, &stored);
    let state = fake.state();
    assert!(
        state.is_long_lived(&token),
        "the long-lived token is stored"
    );
    assert_eq!(state.long_from_short, 1, "exchanged right after the code");
    assert_eq!(state.ledger.exchanges, 1, "the code redeemed once");
    assert_eq!(
        stored.token_expires_at,
        Some(app.clock.now() + Duration::seconds(graph::LONG_LIVED)),
        "Meta's ~60 days, read from expires_in"
    );
    assert!(
        stored.refresh_token_enc.is_none(),
        "Facebook has no refresh tokens"
    );
    assert_eq!(
        stored.scopes, "pages_show_list pages_manage_posts pages_read_engagement public_profile",
        "what /me/permissions says was granted; declined ones left out"
    );
}

#[tokio::test]
async fn a_wrong_app_secret_is_refused_and_changes_nothing() {
    let (fake, app) = live_meta_with_secret("not-the-secret").await;
    let refused = reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    assert_eq!(
        refused["userErrors"][0]["code"], "NETWORK_REFUSED",
        "{refused}"
    );
    assert_eq!(
        health(&app, "fb-page-northwind").await,
        Health::Disconnected
    );
    assert_eq!(fake.state().tokens.len(), 0, "nothing was issued");
}

#[tokio::test]
async fn r6_a_page_comes_back_only_through_an_identity_that_manages_it() {
    let (fake, app) = live_meta().await;
    // Cleo only creates content on the roastery page: not an admin.
    let editor = reconnect(&app, &fake, "fb-page-roastery", "fb-cleo").await;
    assert_eq!(
        editor["userErrors"][0]["code"], "PAGE_ADMIN_REQUIRED",
        "{editor}"
    );
    assert_eq!(health(&app, "fb-page-roastery").await, Health::Disconnected);
    // Ben manages it: the page moves to Ben's login, and only the page.
    let admin = reconnect(&app, &fake, "fb-page-roastery", "fb-ben").await;
    assert_eq!(admin["userErrors"], json!([]), "{admin}");
    assert_eq!(health(&app, "fb-page-roastery").await, Health::Connected);
    assert_eq!(
        account(&app, "fb-page-roastery").await.social_login_id,
        login(&app, "fb-ben").await.id
    );
    assert_eq!(
        health(&app, "fb-page-northwind").await,
        Health::Disconnected
    );
}

#[tokio::test]
async fn the_pages_of_an_identity_are_read_through_their_cursors_within_a_bound() {
    let (fake, app) = live_meta().await;
    {
        let mut state = fake.state();
        state.page_size = 2;
        let pages = state.pages.get_mut("fb-nora").expect("nora");
        for n in 0..20 {
            pages.push(graph::page(
                &format!("fb-page-extra-{n}"),
                &["MANAGE"],
                None,
            ));
        }
    }
    let done = reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(health(&app, "fb-page-roastery").await, Health::Connected);
    assert_eq!(
        fake.state().account_pages,
        5,
        "at most five answers of /me/accounts, whatever paging.next says"
    );
}

#[tokio::test]
async fn a_post_goes_to_the_page_once_with_the_page_token() {
    let (fake, app) = live_meta().await;
    reconnect(&app, &fake, "fb-page-northwind", "fb-nora").await;
    let id = schedule(&app, "fb-page-northwind", "Flat whites are back").await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    app.publisher.run_once().await.expect("another pass");
    let posts = fake.state().posts.clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].0, "fb-page-northwind");
    assert_eq!(posts[0].1, "Flat whites are back");
    let sent = post(&app, id).await;
    assert_eq!(sent.state, PostState::Published);
    assert_eq!(sent.external_post_id.as_deref(), Some(posts[0].2.as_str()));

    // The page's stream reads its feed with the page token.
    let body = app
        .graphql(
            "ada@northwind.example",
            "{ streams { title state items { id author text } } }",
            json!({}),
        )
        .await;
    let streams = body["data"]["streams"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let page = streams
        .iter()
        .find(|stream| stream["title"] == "Northwind Coffee: posts")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(page["state"], "LIVE", "{page}");
    assert_eq!(
        page["items"],
        json!([{ "id": posts[0].2, "author": "Northwind Coffee", "text": "Flat whites are back" }])
    );
}

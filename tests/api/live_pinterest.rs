//! The live Pinterest adapter against a fake of Pinterest that checks what Pinterest checks: a
//! whole life through Relink's public API on Northwind Coffee — the authorize URL, the sign-in
//! (Basic auth, single-use code, continuous refresh asked for), its boards as accounts (pages
//! followed, an endless list refused), the wrong identity refused (B2), rotation before expiry
//! (B1) under a race, a pin from the post's image, and each error class at publishing.

use chrono::Duration;
use entity::{
    enums::{AccountKind, DisconnectReason, Health, PostState},
    scheduled_posts, social_accounts, social_logins,
};
use relink::keeper::Refresh;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::{
    fakes::{
        self,
        pinterest::{CLIENT_ID, FakePinterest},
        query,
    },
    helpers::{TestApp, health, start},
};

const ADA: &str = "ada@northwind.example";
const NORTHWIND: &str = "2783136121146311751";
const OTHER: &str = "2783136121146311752";
const RECIPES: &str = "549755885175";
const AT_HOME: &str = "549755885176";
const COLLECTIVE: &str = "549755885177";

async fn live_pinterest() -> (FakePinterest, TestApp) {
    let fake = FakePinterest::start().await;
    let app = fakes::spawn_live(
        &fake.networks_file(),
        &[("PINTEREST_TEST_SECRET", fakes::pinterest::SECRET)],
    )
    .await;
    {
        let mut state = fake.state();
        state.redirect_uri = format!("{}/oauth/callback/pinterest", app.address);
        for (id, name, owner) in [
            (RECIPES, "Summer recipes", NORTHWIND),
            (AT_HOME, "Coffee at home", NORTHWIND),
            (COLLECTIVE, "Roasters collective", OTHER),
            ("549755885178", "Someone else's board", OTHER),
        ] {
            state
                .boards
                .push((id.to_owned(), name.to_owned(), owner.to_owned()));
        }
        // A group board Northwind pins to without owning it.
        state
            .collaborators
            .push((COLLECTIVE.to_owned(), NORTHWIND.to_owned()));
    }
    (fake, app)
}

async fn start_connect(app: &TestApp) -> String {
    crate::fakes::rows::start_connect(app, "PINTEREST").await
}

async fn connect(app: &TestApp, fake: &FakePinterest, user: &str) -> Value {
    fake.state().next_user = user.to_owned();
    let url = start_connect(app).await;
    fakes::complete(app, ADA, &url).await
}

async fn reconnect(app: &TestApp, fake: &FakePinterest, identity: &str) -> Value {
    fake.state().next_user = identity.to_owned();
    let started = start(app, ADA, RECIPES).await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    fakes::complete(app, ADA, url).await
}

async fn login(app: &TestApp) -> social_logins::Model {
    crate::fakes::rows::login(app, NORTHWIND).await
}

async fn board(app: &TestApp, id: &str) -> Option<social_accounts::Model> {
    social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq(id))
        .one(&app.db)
        .await
        .expect("query")
}

#[tokio::test]
async fn pinterest_signs_in_with_basic_auth_and_adds_the_boards_it_may_pin_to() {
    let (fake, app) = live_pinterest().await;
    let url = start_connect(&app).await;
    assert!(
        url.starts_with(&format!("{}/oauth/?", fake.served.address)),
        "{url}"
    );
    let params = query(&url);
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["response_type"], "code");
    assert_eq!(
        params["scope"],
        "user_accounts:read,boards:read,pins:read,pins:write"
    );
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/callback/pinterest", app.address)
    );
    assert!(params["state"].len() >= 32, "{url}");
    assert!(!params.contains_key("code_challenge"), "{url}");

    let done = connect(&app, &fake, NORTHWIND).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    let mut added: Vec<_> = done["reconnectedAccounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|account| account["externalId"].as_str().expect("id").to_owned())
        .collect();
    added.sort();
    assert_eq!(
        added,
        [RECIPES, AT_HOME, COLLECTIVE],
        "not the stranger's board"
    );
    let recipes = board(&app, RECIPES).await.expect("board");
    assert_eq!(recipes.kind, AccountKind::Board);
    assert_eq!(recipes.name, "Summer recipes");
    let stored = login(&app).await;
    assert_eq!(stored.display_name, format!("Business of {NORTHWIND}"));
    let now = app.clock.now();
    assert_eq!(stored.token_expires_at, Some(now + Duration::days(30)));
    assert_eq!(stored.refresh_expires_at, Some(now + Duration::days(60)));
    assert_eq!(
        fake.state().legacy_requests,
        0,
        "continuous refresh asked for"
    );

    // B2: another Pinterest account is refused.
    let wrong = reconnect(&app, &fake, OTHER).await;
    assert_eq!(wrong["userErrors"][0]["code"], "WRONG_IDENTITY", "{wrong}");
    let done = reconnect(&app, &fake, NORTHWIND).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(health(&app, COLLECTIVE).await, Health::Connected);
    assert_eq!(fake.state().ledger.exchanges, 3, "each code redeemed once");
}

#[tokio::test]
async fn boards_are_read_page_by_page_and_an_endless_list_is_refused() {
    let (fake, app) = live_pinterest().await;
    {
        let mut state = fake.state();
        for n in 0..300 {
            let id = format!("9000000{n:03}");
            state
                .boards
                .push((id, format!("Board {n}"), NORTHWIND.to_owned()));
        }
    }
    let done = connect(&app, &fake, NORTHWIND).await;
    let added = done["reconnectedAccounts"].as_array().map_or(0, Vec::len);
    assert_eq!(added, 303, "two pages of 250");
    // A network that never stops paging: the sign-in is refused, nothing is disconnected.
    fake.state().endless_boards = true;
    let calls = fake.state().calls;
    let done = reconnect(&app, &fake, NORTHWIND).await;
    assert_eq!(done["userErrors"][0]["code"], "NETWORK_REFUSED", "{done}");
    assert!(fake.state().calls - calls <= 22, "bounded pages");
    assert_eq!(health(&app, "9000000299").await, Health::Connected);
}

#[tokio::test]
async fn pinterest_refresh_tokens_rotate_once_under_a_race_and_the_new_one_is_kept() {
    let (fake, app) = live_pinterest().await;
    connect(&app, &fake, NORTHWIND).await;
    let first = login(&app).await;
    let spent = app
        .cipher
        .refresh_token(&first)
        .expect("open")
        .expect("one");
    app.clock.advance(Duration::days(30) - Duration::minutes(5));
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
    assert_eq!(fake.state().ledger.rotations, 1);
    let stored = login(&app).await;
    let now = app.clock.now();
    assert_eq!(stored.refresh_expires_at, Some(now + Duration::days(60)));
    let kept = app
        .cipher
        .refresh_token(&stored)
        .expect("open")
        .expect("kept");
    assert_ne!(
        kept.expose(),
        spent.expose(),
        "the new refresh token is stored"
    );
    assert!(fake.state().ledger.spend_refresh(spent.expose()).is_none());
    assert_eq!(fake.state().legacy_requests, 0);
    app.clock.advance(Duration::days(30));
    assert_eq!(
        app.keeper.refresh_login(first.id).await.expect("refresh"),
        Refresh::Refreshed
    );
    // Outages back off; a dead grant (401, code 2) disconnects every board once.
    app.clock.advance(Duration::days(30));
    for (status, name) in [(503, "html_gateway"), (429, "rate_limited")] {
        fake.state().token_failure = Some((status, name));
        assert_eq!(
            app.keeper.refresh_login(first.id).await.expect("refresh"),
            Refresh::Deferred,
            "{name}"
        );
        app.clock.advance(Duration::hours(1));
    }
    fake.state().token_failure = None;
    fake.state().ledger.revoke_user(NORTHWIND);
    app.clock.advance(Duration::hours(2));
    assert_eq!(
        app.keeper.refresh_login(first.id).await.expect("refresh"),
        Refresh::Disconnected
    );
    for id in [RECIPES, AT_HOME, COLLECTIVE] {
        let account = board(&app, id).await.expect("board");
        assert_eq!(
            account.disconnect_reason,
            Some(DisconnectReason::TokenRevoked)
        );
    }
}

/// Schedules `text` to a board five minutes ahead; returns the post's id.
async fn schedule(app: &TestApp, board: &str, text: &str) -> i64 {
    crate::fakes::rows::schedule(app, board, text).await
}

async fn post(app: &TestApp, id: i64) -> scheduled_posts::Model {
    crate::fakes::rows::post(app, id).await
}

#[tokio::test]
async fn a_post_with_an_image_is_pinned_once_and_a_text_post_fails_clearly() {
    let (fake, app) = live_pinterest().await;
    connect(&app, &fake, NORTHWIND).await;
    let pinned = schedule(
        &app,
        COLLECTIVE,
        "New beans https://cdn.northwind.example/beans.jpg today",
    )
    .await;
    let text = schedule(&app, RECIPES, "Flat whites are back").await;
    app.clock.advance(Duration::minutes(10));
    app.publisher.run_once().await.expect("pass");
    app.publisher.run_once().await.expect("another pass");
    let pins = fake.state().pins.clone();
    assert_eq!(pins.len(), 1, "{pins:?}");
    assert_eq!(pins[0].0, COLLECTIVE, "a group board takes pins too");
    assert_eq!(pins[0].1, "https://cdn.northwind.example/beans.jpg");
    assert_eq!(pins[0].2, "New beans today");
    let pinned = post(&app, pinned).await;
    assert_eq!(pinned.state, PostState::Published);
    assert_eq!(pinned.external_post_id.as_deref(), Some(pins[0].3.as_str()));
    let text = post(&app, text).await;
    assert_eq!(text.state, PostState::Failed);
    let said = text.failure_reason.unwrap_or_default();
    assert!(said.contains("Pinterest needs a photo or video"), "{said}");
    assert_eq!(health(&app, RECIPES).await, Health::Connected);
}

#[tokio::test]
async fn each_error_class_of_pinterest_at_publishing_leads_to_its_own_outcome() {
    let (fake, app) = live_pinterest().await;
    connect(&app, &fake, NORTHWIND).await;
    let image = "https://cdn.northwind.example/latte.png";
    // Throttled or down: the post waits, the board stays connected (B1).
    let waiting = schedule(&app, RECIPES, &format!("Latte {image}")).await;
    app.clock.advance(Duration::minutes(10));
    for (status, name) in [(429, "rate_limited"), (503, "html_gateway")] {
        fake.state().failure = Some((status, name));
        app.publisher.run_once().await.expect("pass");
        assert_eq!(
            post(&app, waiting).await.state,
            PostState::Scheduled,
            "{name}"
        );
        assert_eq!(health(&app, RECIPES).await, Health::Connected, "{name}");
        app.clock.advance(Duration::hours(1));
    }
    fake.state().failure = None;
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, waiting).await.state, PostState::Published);

    // Refused content (code 1): the post fails with Pinterest's words; the board is fine.
    let refused = schedule(&app, RECIPES, &format!("Again {image}")).await;
    app.clock.advance(Duration::minutes(10));
    fake.state().failure = Some((400, "content_rejected"));
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, refused).await.state, PostState::Failed);
    assert_eq!(health(&app, RECIPES).await, Health::Connected);

    // Not permitted (403, code 29): a missing permission; the post is held.
    let held = schedule(&app, RECIPES, &format!("Held {image}")).await;
    app.clock.advance(Duration::minutes(10));
    fake.state().failure = Some((403, "not_permitted"));
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, held).await.state, PostState::Held);
    let account = board(&app, RECIPES).await.expect("board");
    assert_eq!(
        account.disconnect_reason,
        Some(DisconnectReason::ScopeMissing)
    );

    // Reconnected, the held post goes out; then the token fails (401, code 2): revoked.
    fake.state().failure = None;
    reconnect(&app, &fake, NORTHWIND).await;
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, held).await.state, PostState::Published);
    let last = schedule(&app, AT_HOME, &format!("Last {image}")).await;
    app.clock.advance(Duration::minutes(10));
    fake.state().failure = Some((401, "authentication_failed"));
    app.publisher.run_once().await.expect("pass");
    assert_eq!(post(&app, last).await.state, PostState::Held);
    let account = board(&app, AT_HOME).await.expect("board");
    assert_eq!(
        account.disconnect_reason,
        Some(DisconnectReason::TokenRevoked)
    );
    assert_eq!(
        health(&app, COLLECTIVE).await,
        Health::Disconnected,
        "the whole login"
    );
}

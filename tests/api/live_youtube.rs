//! The live YouTube adapter against a fake of Google that checks what Google checks: the authorize
//! URL (offline access, consent, PKCE), a channel connected and reconnected (B2: another channel is
//! refused), a reconnect whose answer has no refresh token keeping the stored one (Postiz PR
//! #1884), hourly refreshes with the same refresh token, a channel gone since disconnecting once
//! (Postiz PR #2048), each Google error class, and a stream of the channel showing its uploads.
//! Uploads: `live_youtube_upload`.

use chrono::Duration;
use entity::{
    enums::{DisconnectReason, Health},
    social_accounts, social_logins,
};
use relink::keeper::Refresh;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::{
    fakes::{self, query, youtube::FakeYoutube},
    helpers::{TestApp, health, start},
};

const ADA: &str = "ada@northwind.example";
pub(crate) const CHANNEL: &str = "UC_x5XG1OV2P6uZZ5FSM9Ttw";
const OTHER: &str = "UC_someone_else_entirely";

async fn live_youtube() -> (FakeYoutube, TestApp) {
    live_youtube_with(|_| String::new()).await
}

/// YouTube for Northwind, with more lines of its networks-file table.
pub(crate) async fn live_youtube_with(
    more: impl FnOnce(&FakeYoutube) -> String,
) -> (FakeYoutube, TestApp) {
    let fake = FakeYoutube::start().await;
    let file = format!("{}{}", fake.networks_file(), more(&fake));
    let app = fakes::spawn_live(&file, &[("YT_TEST_SECRET", fakes::youtube::SECRET)]).await;
    {
        let mut state = fake.state();
        state.redirect_uri = format!("{}/oauth/callback/youtube", app.address);
        state
            .titles
            .insert(CHANNEL.to_owned(), "Northwind".to_owned());
        state
            .titles
            .insert(OTHER.to_owned(), "Someone Else".to_owned());
    }
    (fake, app)
}

/// The `startConnect` URL that adds Northwind's YouTube channel.
async fn connect_url(app: &TestApp) -> String {
    let org = entity::organizations::Entity::find()
        .filter(entity::organizations::Column::Name.eq("Northwind Coffee"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Northwind Coffee");
    let org = relink::graphql::ids::encode(relink::graphql::ids::Kind::Organization, org.id).0;
    let body = app
        .graphql(
            ADA,
            "mutation($org: ID) { startConnect(input: { network: YOUTUBE, organizationId: $org }) { authorizeUrl userErrors { code } } }",
            json!({ "org": org }),
        )
        .await;
    body["data"]["startConnect"]["authorizeUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// Connects the channel `CHANNEL` for Northwind; returns its login.
pub(crate) async fn connected(app: &TestApp, fake: &FakeYoutube) -> social_logins::Model {
    fake.state().next_user = CHANNEL.to_owned();
    let done = fakes::complete(app, ADA, &connect_url(app).await).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(
        done["reconnectedAccounts"][0]["externalId"], CHANNEL,
        "{done}"
    );
    login(app).await
}

async fn login(app: &TestApp) -> social_logins::Model {
    crate::fakes::rows::login(app, CHANNEL).await
}

async fn reason(app: &TestApp) -> Option<DisconnectReason> {
    crate::fakes::rows::reason(app, CHANNEL).await
}

async fn reconnect(app: &TestApp, fake: &FakeYoutube, channel: &str) -> Value {
    fake.state().next_user = channel.to_owned();
    let started = start(app, ADA, CHANNEL).await;
    let url = started["authorizeUrl"].as_str().expect("authorize url");
    fakes::complete(app, ADA, url).await
}

#[tokio::test]
async fn youtube_asks_for_offline_access_with_consent_and_pkce_and_keeps_its_refresh_token() {
    let (fake, app) = live_youtube().await;
    let url = connect_url(&app).await;
    assert!(url.starts_with(&format!("{}/o/oauth2/v2/auth?", fake.served.address)));
    let params = query(&url);
    assert_eq!(params["scope"], fakes::youtube::SCOPES);
    assert_eq!(params["access_type"], "offline");
    assert_eq!(params["prompt"], "consent select_account");
    assert_eq!(params["include_granted_scopes"], "true");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["client_id"], fakes::youtube::CLIENT_ID);
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/callback/youtube", app.address)
    );

    let stored = connected(&app, &fake).await;
    assert_eq!(stored.display_name, "Northwind");
    assert!(stored.refresh_token_enc.is_some(), "offline access");
    assert_eq!(
        stored.token_expires_at,
        Some(app.clock.now() + Duration::seconds(3599))
    );
    assert_eq!(health(&app, CHANNEL).await, Health::Connected);

    // B2: another channel is refused, and its tokens given back.
    let wrong = reconnect(&app, &fake, OTHER).await;
    assert_eq!(wrong["userErrors"][0]["code"], "WRONG_IDENTITY", "{wrong}");
    assert_eq!(fake.state().revoked, 2, "access and refresh token revoked");

    // Postiz PR #1884: an answer without a refresh token keeps the stored one working.
    fake.state().no_refresh_token = true;
    let done = reconnect(&app, &fake, CHANNEL).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    let kept = login(&app).await;
    assert!(
        kept.refresh_token_enc.is_some(),
        "the stored refresh token is kept"
    );
    app.clock.advance(Duration::minutes(55));
    assert_eq!(
        app.keeper.refresh_login(kept.id).await.expect("refresh"),
        Refresh::Refreshed
    );
    assert_eq!(fake.state().ledger.exchanges, 3, "each code redeemed once");
}

#[tokio::test]
async fn the_same_refresh_token_renews_every_hour_until_google_calls_it_dead() {
    let (fake, app) = live_youtube().await;
    let id = connected(&app, &fake).await.id;
    for round in 1..=3 {
        app.clock.advance(Duration::minutes(55));
        assert_eq!(
            app.keeper.refresh_login(id).await.expect("refresh"),
            Refresh::Refreshed
        );
        assert_eq!(
            fake.state().refreshes,
            round,
            "not rotated: the same token again"
        );
        let renewed = login(&app).await;
        assert_eq!(
            renewed.token_expires_at,
            Some(app.clock.now() + Duration::seconds(3599))
        );
    }
    // The person removed Relink from their Google account: invalid_grant, one disconnect.
    fake.state().ledger.revoke_user(CHANNEL);
    app.clock.advance(Duration::minutes(55));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(reason(&app).await, Some(DisconnectReason::TokenRevoked));
    app.clock.advance(Duration::minutes(55));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::NotDue
    );
}

#[tokio::test]
async fn a_channel_gone_since_the_sign_in_disconnects_once_and_a_reconnect_says_why() {
    let (fake, app) = live_youtube().await;
    let id = connected(&app, &fake).await.id;
    fake.state().gone.push(CHANNEL.to_owned());
    app.clock.advance(Duration::minutes(55));
    assert_eq!(
        app.keeper.refresh_login(id).await.expect("refresh"),
        Refresh::Disconnected
    );
    assert_eq!(health(&app, CHANNEL).await, Health::Disconnected);
    assert_eq!(reason(&app).await, Some(DisconnectReason::ActionAtNetwork));
    // Not an error loop: the keeper leaves a disconnected login alone.
    let calls = fake.state().calls.len();
    for _ in 0..3 {
        app.clock.advance(Duration::hours(1));
        app.keeper.run_once().await.expect("pass");
    }
    assert_eq!(fake.state().calls.len(), calls);
    let refused = reconnect(&app, &fake, CHANNEL).await;
    assert_eq!(
        refused["userErrors"][0]["code"], "NETWORK_REFUSED",
        "{refused}"
    );
    assert_eq!(health(&app, CHANNEL).await, Health::Disconnected);
}

#[tokio::test]
async fn each_google_error_class_leads_to_its_own_outcome() {
    let (fake, app) = live_youtube().await;
    let id = connected(&app, &fake).await.id;
    // Throttled, over quota or down: the refresh waits, the channel stays connected (B1).
    for (status, name) in [(403, "quota"), (403, "rate_limit"), (500, "backend_error")] {
        fake.state().failure = Some((status, name));
        app.clock.advance(Duration::minutes(70));
        assert_eq!(
            app.keeper.refresh_login(id).await.expect("refresh"),
            Refresh::Deferred
        );
        assert_eq!(health(&app, CHANNEL).await, Health::Connected, "{name}");
    }
    for (status, name, fixture_reason) in [
        (401, "auth_error", DisconnectReason::TokenRevoked),
        (
            403,
            "insufficient_permissions",
            DisconnectReason::ScopeMissing,
        ),
        (401, "signup_required", DisconnectReason::ActionAtNetwork),
    ] {
        fake.state().failure = Some((status, name));
        app.clock.advance(Duration::hours(3));
        assert_eq!(
            app.keeper.refresh_login(id).await.expect("refresh"),
            Refresh::Disconnected,
            "{name}"
        );
        assert_eq!(reason(&app).await, Some(fixture_reason), "{name}");
        fake.state().failure = None;
        let done = reconnect(&app, &fake, CHANNEL).await;
        assert_eq!(done["userErrors"], json!([]), "{name}: {done}");
        assert_eq!(health(&app, CHANNEL).await, Health::Connected, "{name}");
    }
}

#[tokio::test]
async fn a_stream_of_the_channel_shows_its_uploads() {
    use sea_orm::{ActiveModelTrait as _, Set};
    let (fake, app) = live_youtube().await;
    connected(&app, &fake).await;
    let account = social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq(CHANNEL))
        .one(&app.db)
        .await
        .expect("query")
        .expect("account");
    let ada = entity::users::Entity::find()
        .filter(entity::users::Column::Email.eq(ADA))
        .one(&app.db)
        .await
        .expect("query")
        .expect("ada");
    entity::streams::ActiveModel {
        owner_user_id: Set(ada.id),
        social_account_id: Set(account.id),
        kind: Set(entity::enums::StreamKind::Posts),
        title: Set("Northwind on YouTube".to_owned()),
        created_at: Set(app.clock.now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("stream");
    let streams = app
        .graphql(
            ADA,
            "{ streams { title items { author text } } }",
            json!({}),
        )
        .await;
    let stream = streams["data"]["streams"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["title"] == "Northwind on YouTube"))
        .cloned()
        .unwrap_or_else(|| panic!("{streams}"));
    assert_eq!(
        stream["items"][0]["text"], "Latte art in slow motion",
        "{stream}"
    );
    let calls = fake.state().calls.clone();
    assert!(
        calls.contains(&"channels:contentDetails".to_owned()),
        "{calls:?}"
    );
    assert!(calls.contains(&"playlistItems".to_owned()), "{calls:?}");
}

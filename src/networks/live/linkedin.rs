//! LinkedIn (Sign In with LinkedIn using OpenID Connect, the Community Management API): a
//! confidential web app without PKCE (LinkedIn offers it to native apps only), 60-day access tokens,
//! a 365-day refresh token only for apps LinkedIn approved for programmatic refresh (not rotating;
//! its lifetime counts from the first consent, so `refresh_token_expires_in` is read from every
//! answer). Every call names its API version (`LinkedIn-Version`) and Rest.li 2.0. The member is
//! the `sub` of `/v2/userinfo`; pages come from `organizationAcls` with the member's role on each.
//! LinkedIn can call a token revoked (65601) right after consent: during a sign-in that answer is
//! asked again once, after a short wait, before it counts.

mod pages;
mod posts;

pub use posts::escape;

use std::{
    collections::VecDeque,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use entity::enums::{DisconnectReason, Network};
use reqwest::RequestBuilder;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::{Common, api};
use crate::{
    config::Secret,
    networks::{Asset, FeedItem, Identity, NetworkAdapter, NetworkError, TokenSet, signed_request},
};

/// The Rest.li protocol every call speaks.
const RESTLI: &str = "2.0.0";
/// The API version when the networks file names none (the settings always give one).
const VERSION: &str = "202610";
/// A token this young came from a consent; it gets one more try when called revoked.
const FRESH_FOR: Duration = Duration::from_secs(300);
/// Fresh tokens remembered at most (their digests).
const FRESH_MAX: usize = 256;
/// The wait before that try, unless the networks file says (`consent_retry_ms`).
const CONSENT_RETRY: Duration = Duration::from_secs(3);

/// The LinkedIn adapter.
#[derive(Debug)]
pub struct Linkedin {
    common: Common,
    consent_retry: Duration,
    fresh: Mutex<VecDeque<([u8; 32], Instant)>>,
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    name: Option<String>,
}

/// Whether LinkedIn called a token revoked (65601), which it also says of one fresh from consent.
fn called_revoked(error: &NetworkError) -> bool {
    matches!(error, NetworkError::Reconnect { reason: DisconnectReason::TokenRevoked, detail }
        if detail.contains("65601") || detail.contains("REVOKED_ACCESS_TOKEN"))
}

fn digest(token: &Secret) -> [u8; 32] {
    Sha256::digest(token.expose().as_bytes()).into()
}

impl Linkedin {
    /// LinkedIn with this app.
    pub fn new(common: Common) -> Self {
        let consent_retry = common.app.consent_retry.unwrap_or(CONSENT_RETRY);
        Self {
            common,
            consent_retry,
            fresh: Mutex::default(),
        }
    }

    /// A REST call with the token, the API version and Rest.li 2.0.
    fn rest(&self, request: RequestBuilder, token: &Secret) -> RequestBuilder {
        let version = self.common.app.api_version.as_deref().unwrap_or(VERSION);
        request
            .bearer_auth(token.expose())
            .header("LinkedIn-Version", version)
            .header("X-Restli-Protocol-Version", RESTLI)
    }

    fn get(&self, url: &str, token: &Secret) -> RequestBuilder {
        self.rest(self.common.api.http.get(url), token)
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<TokenSet, NetworkError> {
        let request = self
            .common
            .api
            .http
            .post(&self.common.app.token_url)
            .form(form);
        self.common.api.token(request).await
    }

    async fn me(&self, token: &Secret) -> Result<UserInfo, NetworkError> {
        let request = self.get(&self.common.url("v2/userinfo"), token);
        self.common.api.json(request).await
    }

    fn remember_fresh(&self, token: &Secret) {
        let mut fresh = self.fresh.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        fresh.retain(|(_, at)| now.duration_since(*at) < FRESH_FOR);
        if fresh.len() >= FRESH_MAX {
            fresh.pop_front();
        }
        fresh.push_back((digest(token), now));
    }

    /// Whether the token came from a consent moments ago and has its one more try left (taken).
    fn take_fresh(&self, token: &Secret) -> bool {
        let mut fresh = self.fresh.lock().unwrap_or_else(PoisonError::into_inner);
        let (wanted, now) = (digest(token), Instant::now());
        let found = fresh
            .iter()
            .position(|(seen, at)| *seen == wanted && now.duration_since(*at) < FRESH_FOR);
        found.and_then(|index| fresh.remove(index)).is_some()
    }

    /// Runs `call`; a token fresh from consent that LinkedIn calls revoked is asked once more.
    async fn after_consent<T, F, Fut>(&self, token: &Secret, call: F) -> Result<T, NetworkError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, NetworkError>>,
    {
        match call().await {
            Err(error) if called_revoked(&error) && self.take_fresh(token) => {
                tracing::info!(%error, "LinkedIn called a token fresh from consent revoked; asking once more");
                tokio::time::sleep(self.consent_retry).await;
                call().await
            }
            other => other,
        }
    }
}

#[async_trait::async_trait]
impl NetworkAdapter for Linkedin {
    fn network(&self) -> Network {
        Network::Linkedin
    }

    fn authorize_url(&self, state: &str, _pkce_challenge: &str) -> Result<String, NetworkError> {
        // No PKCE for web apps, and LinkedIn has no account chooser: B2 refuses another member.
        api::authorize_url(
            &self.common.app.authorize_url,
            &[
                ("response_type", "code"),
                ("client_id", &self.common.app.client_id),
                ("redirect_uri", &self.common.redirect_url),
                ("state", state),
                ("scope", &self.common.scopes.join(" ")),
            ],
        )
    }

    async fn exchange_code(
        &self,
        code: &str,
        _pkce_verifier: &Secret,
    ) -> Result<TokenSet, NetworkError> {
        let tokens = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.common.redirect_url),
                ("client_id", &self.common.app.client_id),
                ("client_secret", self.common.secret().expose()),
            ])
            .await?;
        self.remember_fresh(&tokens.access);
        Ok(tokens)
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, NetworkError> {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", &self.common.app.client_id),
            ("client_secret", self.common.secret().expose()),
        ])
        .await
    }

    fn deauthorized_user(
        &self,
        _signed_request: &str,
    ) -> Result<signed_request::Payload, signed_request::Invalid> {
        Err(signed_request::Invalid::NotSent)
    }

    async fn revoke(&self, token: &Secret) -> Result<(), NetworkError> {
        let Some(url) = &self.common.app.revoke_url else {
            return Ok(());
        };
        let request = self.common.api.http.post(url).form(&[
            ("client_id", self.common.app.client_id.as_str()),
            ("client_secret", self.common.secret().expose()),
            ("token", token.expose()),
        ]);
        self.common.api.send(request).await.map(drop)
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        let me = self
            .after_consent(access_token, || self.me(access_token))
            .await?;
        Ok(Identity {
            name: me.name.unwrap_or_else(|| me.sub.clone()),
            external_id: me.sub,
        })
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        self.after_consent(access_token, || self.assets_once(access_token))
            .await
    }

    async fn publish(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
        body: &str,
        _idempotency_key: &str,
    ) -> Result<String, NetworkError> {
        self.publish_post(access_token, asset_external_id, body)
            .await
    }

    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        self.feed_of(access_token, asset_external_id).await
    }
}

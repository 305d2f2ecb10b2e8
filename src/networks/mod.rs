//! Network adapters: one trait for every network's OAuth sign-in, identity and assets, and the
//! registry that holds the configured adapter of each network.

pub mod classify;
pub mod live;
pub mod oauth;
pub mod sandbox;
pub mod settings;
pub mod signed_request;
pub mod webhook;

use std::{collections::HashMap, sync::Arc};

use entity::enums::{AccountKind, DisconnectReason, Network};

use crate::config::Secret;

/// Why a call to a network failed. Only the classes that say the login itself is broken
/// (`Refused`, `InvalidToken`, `Reconnect`, `ActionAtNetwork`, `MissingPermission`) may disconnect;
/// `Unavailable` and `RateLimited` never do (B1), and `Protocol` (an answer we cannot place) never
/// does either: a single ambiguous failure is not a reason to tell people to reconnect.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The network refused the grant (`invalid_grant`, a revoked or expired token, a bad code).
    #[error("the network refused: {0}")]
    Refused(String),
    /// The network rejected the access token (401).
    #[error("the network rejected the access token")]
    InvalidToken,
    /// The network said the token is dead, and why (a live network's documented answer).
    #[error("the network ended the sign-in ({reason:?}): {detail}")]
    Reconnect {
        /// The disconnect reason its answer means (B7).
        reason: DisconnectReason,
        /// What it said.
        detail: String,
    },
    /// The person must fix their account at the network (e.g. Facebook's checkpoint, 459/464):
    /// no sign-in through Relink helps until they do.
    #[error("the network wants the person to act on their account: {0}")]
    ActionAtNetwork(String),
    /// The token lacks a permission the call needs: reconnect granting it.
    #[error("a permission is missing: {0}")]
    MissingPermission(String),
    /// The network throttles us: back off.
    #[error("the network is rate limiting: {0}")]
    RateLimited(String),
    /// Timeout, connection failure, 5xx: try again later.
    #[error("the network is unavailable: {0}")]
    Unavailable(String),
    /// The network answered something we cannot read, or refused our request as malformed.
    #[error("unexpected answer from the network: {0}")]
    Protocol(String),
}

impl NetworkError {
    /// The disconnect this failure means, or `None` when it must not disconnect anything.
    pub fn disconnect_reason(&self) -> Option<DisconnectReason> {
        match self {
            Self::Refused(_) | Self::InvalidToken => Some(DisconnectReason::TokenRevoked),
            Self::Reconnect { reason, .. } => Some(*reason),
            Self::ActionAtNetwork(_) => Some(DisconnectReason::ActionAtNetwork),
            Self::MissingPermission(_) => Some(DisconnectReason::ScopeMissing),
            Self::RateLimited(_) | Self::Unavailable(_) | Self::Protocol(_) => None,
        }
    }

    /// Whether the failure is the network's passing trouble (back off and try again).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::RateLimited(_))
    }

    /// Whether the failure says nothing definite about the login: an outage, throttling, or an
    /// answer we could not place. Many of these at once across a network make an incident.
    pub fn is_inconclusive(&self) -> bool {
        self.disconnect_reason().is_none()
    }
}

/// The longest token lifetime Relink believes (ten years): a network's larger, or absurd,
/// `expires_in` is read as this, so no answer can push a time past what a date can hold.
pub fn max_token_lifetime() -> chrono::Duration {
    chrono::Duration::days(3_653)
}

/// A network's `expires_in` (seconds), clamped to zero … [`max_token_lifetime`].
pub fn token_lifetime(seconds: i64) -> chrono::Duration {
    chrono::Duration::seconds(seconds.clamp(0, max_token_lifetime().num_seconds()))
}

/// Tokens a network issued. Debug never shows them.
#[derive(Clone)]
pub struct TokenSet {
    /// The access token.
    pub access: Secret,
    /// The refresh token, when the network issues one.
    pub refresh: Option<Secret>,
    /// How long the access token lives, when the network says.
    pub expires_in: Option<chrono::Duration>,
    /// How long the refresh token lives, when the network says (LinkedIn, TikTok, Pinterest).
    pub refresh_expires_in: Option<chrono::Duration>,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access", &"[redacted]")
            .field("refresh", &self.refresh.as_ref().map(|_| "[redacted]"))
            .field("expires_in", &self.expires_in)
            .field("refresh_expires_in", &self.refresh_expires_in)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The identity the network signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Its id at the network.
    pub external_id: String,
    /// Its display name.
    pub name: String,
}

/// An identity's role on an asset, as the rules need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetRole {
    /// Owns it (profiles).
    Owner,
    /// Administers it (pages, groups).
    Admin,
    /// Edits it, without admin rights.
    Editor,
    /// Belongs to it (groups).
    Member,
}

/// Something the identity manages and granted to Relink at the network's prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// The network's id for it.
    pub external_id: String,
    /// Profile, page, group…
    pub kind: AccountKind,
    /// Its name.
    pub name: String,
    /// The identity's current role on it.
    pub role: AssetRole,
    /// For an Instagram business profile, its linked Facebook page (R18).
    pub linked_external_id: Option<String>,
    /// For a group, the identity that added it (R5).
    pub added_by: Option<String>,
}

/// One item of an account's feed at the network (R15 streams).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedItem {
    /// The network's id for it.
    pub external_id: String,
    /// Who wrote it.
    pub author: String,
    /// Its text.
    pub text: String,
    /// When it was published.
    pub published_at: chrono::DateTime<chrono::Utc>,
}

/// What renews a network's access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshWith {
    /// A refresh token (OAuth's `refresh_token` grant).
    RefreshToken,
    /// The still-valid access token itself (Facebook's `fb_exchange_token`, Instagram Login's
    /// `ig_refresh_token`): a network without refresh tokens that can extend a live token.
    AccessToken,
    /// Nothing: the token lives until it expires, then a person reconnects.
    Nothing,
}

/// What every network adapter can do.
#[async_trait::async_trait]
pub trait NetworkAdapter: Send + Sync {
    /// The network.
    fn network(&self) -> Network;
    /// The URL of the network's sign-in, forcing its account chooser (R20, B2).
    fn authorize_url(&self, state: &str, pkce_challenge: &str) -> Result<String, NetworkError>;
    /// Exchanges a code with the attempt's PKCE verifier.
    async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &Secret,
    ) -> Result<TokenSet, NetworkError>;
    /// Refreshes an access token with what [`NetworkAdapter::refresh_with`] names.
    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, NetworkError>;
    /// What renews this network's tokens.
    fn refresh_with(&self) -> RefreshWith {
        RefreshWith::RefreshToken
    }
    /// R18: whether a business profile with a linked page is reached through that page here, so
    /// that a profile limited by its page is restored by the page's sign-in ("log in with
    /// Facebook"). Instagram through Instagram Login needs no page and says no.
    fn profiles_need_their_page(&self) -> bool {
        true
    }
    /// What a signed deauthorize callback says (the identity's network id, when it was signed),
    /// once its signature is verified with the app secret.
    fn deauthorized_user(
        &self,
        signed_request: &str,
    ) -> Result<signed_request::Payload, signed_request::Invalid>;
    /// Reads a signed event webhook of the network (TikTok's `authorization.removed`) from its
    /// headers and raw body, verified with the app's secret. Networks that send none refuse it.
    fn webhook(
        &self,
        _headers: &reqwest::header::HeaderMap,
        _body: &[u8],
    ) -> Result<webhook::Delivery, webhook::Invalid> {
        Err(webhook::Invalid::NotSent)
    }
    /// Revokes a token (RFC 7009), e.g. one obtained by a sign-in that a rule refused.
    async fn revoke(&self, token: &Secret) -> Result<(), NetworkError>;
    /// The signed-in identity.
    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError>;
    /// The assets the identity granted, with its current roles.
    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError>;
    /// Publishes a post to an asset; the network deduplicates by `idempotency_key`, so a retry
    /// of the same post returns the first one's id. Returns the network's post id.
    async fn publish(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
        body: &str,
        idempotency_key: &str,
    ) -> Result<String, NetworkError>;
    /// The newest items of an asset's feed.
    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError>;
}

/// The adapter of each configured network.
#[derive(Clone, Default)]
pub struct Networks(HashMap<Network, Arc<dyn NetworkAdapter>>);

impl Networks {
    /// Registers an adapter.
    pub fn insert(&mut self, adapter: Arc<dyn NetworkAdapter>) {
        self.0.insert(adapter.network(), adapter);
    }

    /// The adapter of a network, if configured.
    pub fn get(&self, network: Network) -> Option<Arc<dyn NetworkAdapter>> {
        self.0.get(&network).cloned()
    }
}

/// The lowercase path segment of a network (`/oauth/callback/{network}`).
pub fn slug(network: Network) -> &'static str {
    network.slug()
}

/// The network's name as people write it.
pub fn label(network: Network) -> &'static str {
    network.label()
}

/// Reads a path segment back.
pub fn from_slug(slug: &str) -> Option<Network> {
    Network::from_slug(slug)
}

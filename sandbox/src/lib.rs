//! The built-in sandbox network (B9): an OAuth 2.0 authorization server with PKCE, refresh and
//! revocation, a small API and simulated identities, pages, groups and profiles, kept in its own
//! `sandbox_*` tables so it never touches Relink's data.

mod admin;
mod api;
mod authorize;
mod client_auth;
mod error;
mod page;
mod policy;
mod publish;
mod repo;
mod secrets;
mod seed;
mod support;
mod switches;
mod token;

use axum::{
    Router,
    routing::{get, post},
};
use entity::enums::Network;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

pub use error::SandboxError;
pub use policy::{RefreshPolicy, TokenPolicy, policy};
pub use secrets::signed_request as sign_request;
pub use seed::{is_empty, seed};
pub use support::{Clock, Secret, SharedClock};
pub use switches::Switches;

/// What the sandbox's handlers reach: state of its own, none of Relink's (it is a network of its
/// own, mounted beside Relink, that happens to share the database file and imports nothing of
/// Relink's).
#[derive(Clone)]
pub struct SandboxState {
    /// The database (the sandbox's own `sandbox_*` tables).
    pub db: DatabaseConnection,
    /// The clock.
    pub clock: SharedClock,
    /// Where Relink listens: the only redirect target the sandbox accepts, and where its
    /// deauthorize callbacks go.
    pub public_url: std::sync::Arc<str>,
    /// The client that posts those callbacks.
    pub http_client: reqwest::Client,
    /// In-memory switches (stalled answers, failures) a test flips.
    pub sandbox: Switches,
}

/// The sandbox routes over `state`, to be nested at `/sandbox`.
pub fn router<S>(state: SandboxState) -> Router<S> {
    Router::new()
        .route("/admin/identities", get(admin::identities))
        .route(
            "/admin/identities/{external_id}/revoke",
            post(admin::revoke),
        )
        .route(
            "/admin/identities/{external_id}/expire",
            post(admin::expire),
        )
        .route("/admin/assets/{external_id}/roles", post(admin::set_role))
        .route("/admin/published", get(publish::published))
        .route("/admin/publishing/stall", post(switches::stall))
        .route("/admin/publishing/resume", post(switches::resume))
        .route(
            "/admin/token-endpoint/fail-every/{every}",
            post(switches::fail_every),
        )
        .route("/admin/token-endpoint", get(switches::token_endpoint))
        .route("/admin/api-requests", get(switches::api_requests))
        .route(
            "/admin/token-endpoint/stall-refresh",
            post(switches::stall_refresh),
        )
        .route(
            "/admin/token-endpoint/resume-refresh",
            post(switches::resume_refresh),
        )
        .route(
            "/admin/token-endpoint/expires-in/{seconds}",
            post(switches::expires_in),
        )
        .route(
            "/{network}/oauth/authorize",
            get(authorize::show).post(authorize::decide),
        )
        .route("/{network}/oauth/token", post(token::exchange))
        .route("/{network}/oauth/revoke", post(token::revoke))
        .route("/{network}/api/me", get(api::me))
        .route("/{network}/api/assets", get(api::assets))
        .route("/{network}/api/posts", post(publish::publish))
        .route(
            "/{network}/api/assets/{external_id}/feed",
            get(publish::feed),
        )
        .with_state(state)
}

/// The OAuth client id and secret Relink uses on the sandbox's `network`, if seeded.
///
/// The secret is stored in the clear on purpose: the sandbox is a development network, and
/// Relink's sandbox adapter reads it back here to configure itself.
pub async fn client_credentials(
    db: &impl ConnectionTrait,
    network: Network,
) -> Result<Option<(String, Secret)>, DbErr> {
    Ok(repo::client_of_network(db, network)
        .await?
        .map(|client| (client.client_id, Secret::new(client.client_secret))))
}

/// Tokens the sandbox issued, as its token endpoint answers them.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    /// The access token.
    pub access: Secret,
    /// The refresh token, where the network's policy issues one.
    pub refresh: Option<Secret>,
    /// Seconds until the access token expires, as the answer says.
    pub expires_in: Option<i64>,
}

/// Tokens for the identity `external_user_id` of `network`, as if it had just signed in and
/// allowed every asset it holds (the demo's connected logins get them at first start); `None`
/// when the sandbox plays no such identity.
pub async fn tokens_for(
    db: &DatabaseConnection,
    network: Network,
    external_user_id: &str,
    scopes: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<IssuedTokens>, DbErr> {
    let Some(identity) = repo::identities_by_external_id(db, external_user_id, Some(network))
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let Some(client) = repo::client_of_network(db, network).await? else {
        return Ok(None);
    };
    let txn = support::begin_write(db).await?;
    let answer = token::issue_direct(&txn, &client, &identity, scopes, now).await?;
    txn.commit().await?;
    let text = |name: &str| answer.get(name).and_then(serde_json::Value::as_str);
    Ok(Some(IssuedTokens {
        access: Secret::new(text("access_token").unwrap_or_default()),
        refresh: text("refresh_token").map(Secret::new),
        expires_in: answer.get("expires_in").and_then(serde_json::Value::as_i64),
    }))
}

/// The client id of the sandbox client for `network`.
pub fn client_id(network: Network) -> String {
    format!("relink-{}", network_slug(network))
}

/// The exact redirect_uri the sandbox accepts for `network`: Relink's callback.
pub fn redirect_uri(public_url: &str, network: Network) -> String {
    format!("{public_url}/oauth/callback/{}", network_slug(network))
}

/// The network as it appears in paths (`facebook`, `x`, ...): the same names as Relink's callback.
pub fn network_slug(network: Network) -> &'static str {
    network.slug()
}

/// Reads a network's path segment back.
pub fn parse_network(slug: &str) -> Option<Network> {
    Network::from_slug(slug)
}

/// The network's name as people write it.
pub fn network_title(network: Network) -> &'static str {
    network.label()
}

/// Request parameters as sent (query and form), in order, repeated keys kept.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    /// The first non-empty value of `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `name`.
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The network of a path segment, or 404.
fn network_of(slug: &str) -> Result<Network, SandboxError> {
    parse_network(slug).ok_or(SandboxError::UnknownNetwork)
}

/// Asset ids as stored in the JSON columns.
fn ids_to_json(ids: &[i64]) -> serde_json::Value {
    serde_json::Value::from(ids.to_vec())
}

/// Asset ids read back from a JSON column; anything unexpected reads as no grant.
fn ids_from_json(value: &serde_json::Value) -> Vec<i64> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(serde_json::Value::as_i64).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for network in <Network as sea_orm::Iterable>::iter() {
            assert_eq!(parse_network(network_slug(network)), Some(network));
        }
        assert_eq!(parse_network("Facebook"), None);
    }

    #[test]
    fn granted_ids_round_trip_through_json() {
        assert_eq!(ids_from_json(&ids_to_json(&[3, 1])), vec![3, 1]);
        assert!(ids_from_json(&serde_json::json!({"x": 1})).is_empty());
    }
}

//! X (API v2, OAuth 2.0 with PKCE): 2-hour access tokens, `offline.access` refresh tokens that are
//! single-use (each refresh returns a new pair and spends the old refresh token — the keeper's
//! single flight keeps the chain), confidential-client HTTP Basic at the token endpoint,
//! `/2/users/me` for the identity, which is the one profile its token reaches.

use entity::enums::{AccountKind, Network};
use serde::Deserialize;

use super::{Common, api};
use crate::{
    config::Secret,
    networks::{
        Asset, AssetRole, FeedItem, Identity, NetworkAdapter, NetworkError, TokenSet,
        signed_request,
    },
};

/// The X adapter.
#[derive(Debug)]
pub struct X(Common);

impl X {
    /// X with this app.
    pub fn new(common: Common) -> Self {
        Self(common)
    }

    async fn me(&self, token: &Secret) -> Result<User, NetworkError> {
        let request = self
            .0
            .api
            .http
            .get(self.0.url("users/me"))
            .bearer_auth(token.expose());
        let me: Data<User> = self.0.api.json(request).await?;
        Ok(me.data)
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<TokenSet, NetworkError> {
        let request = self
            .0
            .api
            .http
            .post(&self.0.app.token_url)
            .basic_auth(&self.0.app.client_id, Some(self.0.secret().expose()))
            .form(form);
        self.0.api.token(request).await
    }
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct User {
    id: String,
    name: String,
    #[serde(default)]
    username: Option<String>,
}

#[derive(Deserialize)]
struct Posted {
    id: String,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
    #[serde(default)]
    author_id: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct Timeline {
    #[serde(default)]
    data: Vec<Tweet>,
}

#[async_trait::async_trait]
impl NetworkAdapter for X {
    fn network(&self) -> Network {
        Network::X
    }

    fn authorize_url(&self, state: &str, pkce_challenge: &str) -> Result<String, NetworkError> {
        api::authorize_url(
            &self.0.app.authorize_url,
            &[
                ("response_type", "code"),
                ("client_id", &self.0.app.client_id),
                ("redirect_uri", &self.0.redirect_url),
                ("scope", &self.0.scopes.join(" ")),
                ("state", state),
                ("code_challenge", pkce_challenge),
                ("code_challenge_method", "S256"),
            ],
        )
    }

    async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &Secret,
    ) -> Result<TokenSet, NetworkError> {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.0.redirect_url),
            ("code_verifier", pkce_verifier.expose()),
            ("client_id", &self.0.app.client_id),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, NetworkError> {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", &self.0.app.client_id),
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
        self.0.revoke_basic(token).await
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        let me = self.me(access_token).await?;
        Ok(Identity {
            external_id: me.id,
            name: me.name,
        })
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        // An X token reaches one profile: the identity's own.
        let me = self.me(access_token).await?;
        Ok(vec![Asset {
            external_id: me.id,
            kind: AccountKind::Profile,
            name: me.username.map_or(me.name, |handle| format!("@{handle}")),
            role: AssetRole::Owner,
            linked_external_id: None,
            added_by: None,
        }])
    }

    async fn publish(
        &self,
        access_token: &Secret,
        _asset_external_id: &str,
        body: &str,
        _idempotency_key: &str,
    ) -> Result<String, NetworkError> {
        // X has no idempotency key; a retried post after a lost answer is refused as duplicate
        // content, which fails the post rather than publishing it twice.
        let request = self
            .0
            .api
            .http
            .post(self.0.url("tweets"))
            .bearer_auth(access_token.expose())
            .json(&serde_json::json!({ "text": body }));
        let posted: Data<Posted> = self.0.api.json(request).await?;
        Ok(posted.data.id)
    }

    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        let request = self
            .0
            .api
            .http
            .get(self.0.url(&format!("users/{asset_external_id}/tweets")))
            .query(&[
                ("max_results", "20"),
                ("tweet.fields", "created_at,author_id"),
            ])
            .bearer_auth(access_token.expose());
        let timeline: Timeline = self.0.api.json(request).await?;
        Ok(timeline
            .data
            .into_iter()
            .map(|tweet| FeedItem {
                external_id: tweet.id,
                author: tweet
                    .author_id
                    .unwrap_or_else(|| asset_external_id.to_owned()),
                text: tweet.text,
                published_at: tweet.created_at,
            })
            .collect())
    }
}

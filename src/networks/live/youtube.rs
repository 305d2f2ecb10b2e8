//! YouTube (Google's OAuth 2.0 for web server apps, YouTube Data API v3): PKCE (S256) with the
//! client secret, `access_type=offline` and `prompt=consent select_account` (Google gives a refresh
//! token again only on consent, and the chooser lets the person pick the channel's account),
//! 1-hour access tokens renewed by a refresh token that does not rotate (the stored one is kept
//! when an answer has none), `invalid_grant` when it is dead. A token reaches the one channel
//! picked at consent: `channels?mine=true` is both the identity and the asset. Each refresh asks
//! for that channel once more, so a channel gone since is one disconnect, not an error loop, and
//! Google's API errors are placed there as everywhere.
//! YouTube takes videos only: a post with a video URL is uploaded (`upload`).

mod upload;

pub use upload::{CHUNK, VIDEO_REQUIRED};

use entity::enums::{AccountKind, Network};
use serde::Deserialize;
use serde_json::Value;

use super::{Common, api};
use crate::{
    config::Secret,
    networks::{
        Asset, AssetRole, FeedItem, Identity, NetworkAdapter, NetworkError, TokenSet,
        signed_request,
    },
};

/// Uploads read for a stream.
const FEED_ITEMS: &str = "20";

/// The YouTube adapter.
#[derive(Debug)]
pub struct Youtube(Common);

#[derive(Deserialize)]
struct Channels {
    #[serde(default)]
    items: Vec<Channel>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Channel {
    id: String,
    #[serde(default)]
    snippet: Option<Snippet>,
    #[serde(default)]
    content_details: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snippet {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    published_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    resource_id: Option<Value>,
    #[serde(default)]
    video_owner_channel_id: Option<String>,
}

#[derive(Deserialize)]
struct PlaylistItems {
    #[serde(default)]
    items: Vec<PlaylistItem>,
}

#[derive(Deserialize)]
struct PlaylistItem {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    snippet: Option<Snippet>,
}

impl Youtube {
    /// YouTube with this app.
    pub fn new(common: Common) -> Self {
        Self(common)
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<TokenSet, NetworkError> {
        let request = self.0.api.http.post(&self.0.app.token_url).form(form);
        self.0.api.token(request).await
    }

    /// The channel the token reaches; a Google account without one must create it at YouTube.
    async fn channel(&self, token: &Secret, part: &str) -> Result<Channel, NetworkError> {
        let request = self
            .0
            .api
            .http
            .get(self.0.url("youtube/v3/channels"))
            .query(&[("part", part), ("mine", "true")])
            .bearer_auth(token.expose());
        let channels: Channels = self.0.api.json(request).await?;
        channels.items.into_iter().next().ok_or_else(|| {
            NetworkError::ActionAtNetwork(
                "this Google account has no YouTube channel (any more): create or restore it at \
                 youtube.com, then reconnect"
                    .to_owned(),
            )
        })
    }

    async fn named_channel(&self, token: &Secret) -> Result<(String, String), NetworkError> {
        let channel = self.channel(token, "snippet").await?;
        let title = channel
            .snippet
            .and_then(|snippet| snippet.title)
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| channel.id.clone());
        Ok((channel.id, title))
    }
}

#[async_trait::async_trait]
impl NetworkAdapter for Youtube {
    fn network(&self) -> Network {
        Network::Youtube
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
                ("access_type", "offline"),
                ("prompt", "consent select_account"),
                ("include_granted_scopes", "true"),
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
            ("client_id", &self.0.app.client_id),
            ("client_secret", self.0.secret().expose()),
            ("code_verifier", pkce_verifier.expose()),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, NetworkError> {
        let tokens = self
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
                ("client_id", &self.0.app.client_id),
                ("client_secret", self.0.secret().expose()),
            ])
            .await?;
        // The channel may be gone since the sign-in (Postiz PR #2048): the refresh counts only
        // when the new token still reaches it, so a gone channel is one disconnect with its
        // reason, and any other answer is placed like every other (1 quota unit an hour).
        self.channel(&tokens.access, "id").await?;
        Ok(tokens)
    }

    fn deauthorized_user(
        &self,
        _signed_request: &str,
    ) -> Result<signed_request::Payload, signed_request::Invalid> {
        Err(signed_request::Invalid::NotSent)
    }

    async fn revoke(&self, token: &Secret) -> Result<(), NetworkError> {
        let Some(url) = &self.0.app.revoke_url else {
            return Ok(());
        };
        // The token goes in the form body, never the URL (which proxies and logs keep).
        let request = self.0.api.http.post(url).form(&[("token", token.expose())]);
        match self.0.api.send(request).await {
            // Google's answer for a token already dead: nothing left to revoke.
            Err(NetworkError::Protocol(detail)) if detail.contains("invalid_token") => Ok(()),
            other => other.map(drop),
        }
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        let (external_id, name) = self.named_channel(access_token).await?;
        Ok(Identity { external_id, name })
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        let (external_id, name) = self.named_channel(access_token).await?;
        Ok(vec![Asset {
            external_id,
            kind: AccountKind::Channel,
            name,
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
        self.upload(access_token, body).await
    }

    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        // The channel's uploads playlist (1 quota unit a call, where search costs 100).
        let request = self
            .0
            .api
            .http
            .get(self.0.url("youtube/v3/channels"))
            .query(&[("part", "contentDetails"), ("id", asset_external_id)])
            .bearer_auth(access_token.expose());
        let channels: Channels = self.0.api.json(request).await?;
        let uploads = channels
            .items
            .into_iter()
            .find(|channel| channel.id == asset_external_id)
            .and_then(|channel| channel.content_details)
            .and_then(|details| {
                details["relatedPlaylists"]["uploads"]
                    .as_str()
                    .map(str::to_owned)
            })
            .ok_or_else(|| NetworkError::Protocol("the channel has no uploads list".to_owned()))?;
        let request = self
            .0
            .api
            .http
            .get(self.0.url("youtube/v3/playlistItems"))
            .query(&[
                ("part", "snippet"),
                ("playlistId", uploads.as_str()),
                ("maxResults", FEED_ITEMS),
            ])
            .bearer_auth(access_token.expose());
        let items: PlaylistItems = self.0.api.json(request).await?;
        Ok(items
            .items
            .into_iter()
            .filter_map(|item| {
                let snippet = item.snippet?;
                let video = snippet
                    .resource_id
                    .as_ref()
                    .and_then(|id| id["videoId"].as_str())
                    .map(str::to_owned)
                    .or(item.id)?;
                Some(FeedItem {
                    external_id: video,
                    author: snippet
                        .video_owner_channel_id
                        .unwrap_or_else(|| asset_external_id.to_owned()),
                    text: snippet.title.unwrap_or_default(),
                    published_at: snippet.published_at?,
                })
            })
            .collect())
    }
}

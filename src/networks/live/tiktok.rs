//! TikTok (Login Kit v2 for Web, Display API): the app is named by its `client_key` and sends its
//! `client_secret` in the token form (a web app; PKCE is the desktop and mobile flows'), scopes
//! are comma-separated, refresh tokens rotate (the previous one stops working once a new one is
//! issued: every answer's pair is stored), and both lifetimes are read from each answer
//! (`expires_in`, `refresh_expires_in`: 24 h / 365 d once, 2 h / 180 d now). Errors may come in
//! an HTTP 200, in the API's `error.code` or OAuth's `error`; the classification reads both.
//! The identity's one account is itself; TikTok publishes only photos and videos (`post`), and
//! its revoke ends the user's whole authorization, so Relink never calls it.

mod post;
mod webhook;

use entity::enums::{AccountKind, Network};
use serde::Deserialize;

use super::{Common, api};
use crate::{
    config::Secret,
    networks::{
        Asset, AssetRole, FeedItem, Identity, NetworkAdapter, NetworkError, TokenSet,
        signed_request, webhook as events,
    },
};

/// The fields of `/v2/user/info/` Relink reads (`user.info.basic`).
const USER_FIELDS: &str = "open_id,union_id,avatar_url,display_name";

/// The fields of `/v2/video/list/` a stream shows (`video.list`).
const VIDEO_FIELDS: &str = "id,title,video_description,create_time";

/// The newest videos a stream asks for (TikTok's maximum `max_count`).
const FEED_SIZE: u32 = 20;

pub use post::MEDIA_REQUIRED;

/// The TikTok adapter.
#[derive(Debug)]
pub struct Tiktok(Common);

impl Tiktok {
    /// TikTok with this app.
    pub fn new(common: Common) -> Self {
        Self(common)
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<TokenSet, NetworkError> {
        let mut fields = vec![
            ("client_key", self.0.app.client_id.as_str()),
            ("client_secret", self.0.secret().expose()),
        ];
        fields.extend_from_slice(form);
        let request = self.0.api.http.post(&self.0.app.token_url).form(&fields);
        self.0.api.token(request).await
    }

    async fn user(&self, token: &Secret) -> Result<User, NetworkError> {
        let request = self
            .0
            .api
            .http
            .get(self.0.url("user/info/"))
            .query(&[("fields", USER_FIELDS)])
            .bearer_auth(token.expose());
        let answer: Data<UserData> = self.0.api.json(request).await?;
        let user = answer.data.user;
        if user.open_id.is_empty() {
            return Err(NetworkError::Protocol(
                "TikTok named no open_id for the user".to_owned(),
            ));
        }
        Ok(user)
    }
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct UserData {
    user: User,
}

#[derive(Deserialize)]
struct User {
    open_id: String,
    #[serde(default)]
    display_name: Option<String>,
}

impl User {
    fn name(&self) -> String {
        self.display_name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| self.open_id.clone())
    }
}

#[derive(Deserialize)]
struct Videos {
    #[serde(default)]
    videos: Vec<Video>,
}

#[derive(Deserialize)]
struct Video {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    video_description: Option<String>,
    #[serde(default)]
    create_time: Option<i64>,
}

#[async_trait::async_trait]
impl NetworkAdapter for Tiktok {
    fn network(&self) -> Network {
        Network::Tiktok
    }

    fn authorize_url(&self, state: &str, _pkce_challenge: &str) -> Result<String, NetworkError> {
        // Login Kit for Web takes no code challenge (the desktop flow's is hex SHA-256, not
        // RFC 7636's): the client secret at the token endpoint and Relink's state bound to the
        // browser protect the code. `disable_auto_auth=1` always shows TikTok's authorization
        // page, so the person can see and switch the account instead of TikTok silently reusing
        // the last one (R20, B2).
        api::authorize_url(
            &self.0.app.authorize_url,
            &[
                ("client_key", &self.0.app.client_id),
                ("response_type", "code"),
                ("scope", &self.0.scopes.join(",")),
                ("redirect_uri", &self.0.redirect_url),
                ("state", state),
                ("disable_auto_auth", "1"),
            ],
        )
    }

    async fn exchange_code(
        &self,
        code: &str,
        _pkce_verifier: &Secret,
    ) -> Result<TokenSet, NetworkError> {
        self.token(&[
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", &self.0.redirect_url),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, NetworkError> {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ])
        .await
    }

    fn deauthorized_user(
        &self,
        _signed_request: &str,
    ) -> Result<signed_request::Payload, signed_request::Invalid> {
        Err(signed_request::Invalid::NotSent)
    }

    fn webhook(
        &self,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<events::Delivery, events::Invalid> {
        webhook::verify(
            headers,
            body,
            &self.0.app.client_id,
            self.0.secret().expose(),
        )
    }

    async fn revoke(&self, _token: &Secret) -> Result<(), NetworkError> {
        // `/v2/oauth/revoke/` does not end one token: it removes Relink from the user's connected
        // apps, every token of theirs with it. The tokens Relink gives back are a wrong
        // identity's (B2), which may be another account Relink keeps connected, or a refresh
        // that a person's new sign-in overtook, which shares that sign-in's authorization:
        // revoking would end a login Relink keeps. They are dropped unstored instead.
        Ok(())
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        let user = self.user(access_token).await?;
        Ok(Identity {
            name: user.name(),
            external_id: user.open_id,
        })
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        // A TikTok token reaches one account: the identity's own.
        let user = self.user(access_token).await?;
        Ok(vec![Asset {
            name: user.name(),
            external_id: user.open_id,
            kind: AccountKind::Profile,
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
        self.direct_post(access_token, body).await
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
            .post(self.0.url("video/list/"))
            .query(&[("fields", VIDEO_FIELDS)])
            .bearer_auth(access_token.expose())
            .json(&serde_json::json!({ "max_count": FEED_SIZE }));
        let answer: Data<Videos> = self.0.api.json(request).await?;
        Ok(answer
            .data
            .videos
            .into_iter()
            .filter_map(|video| {
                let published_at = video
                    .create_time
                    .and_then(|at| chrono::DateTime::from_timestamp(at, 0))?;
                let text = [video.title, video.video_description]
                    .into_iter()
                    .flatten()
                    .find(|text| !text.trim().is_empty())
                    .unwrap_or_default();
                Some(FeedItem {
                    external_id: video.id,
                    author: asset_external_id.to_owned(),
                    text,
                    published_at,
                })
            })
            .collect())
    }
}

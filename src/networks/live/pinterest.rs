//! Pinterest (API v5): HTTP Basic with the app's id and secret at the token endpoint,
//! comma-separated scopes, continuous refresh tokens (60 days, renewed by every refresh, which
//! also replaces the refresh token: each new one and its `refresh_token_expires_in` are stored),
//! `/user_account` for the identity and its boards as the accounts pins go to (bookmark
//! pagination, bounded). A pin needs an image: a post carrying an image URL is pinned with it.

use entity::enums::{AccountKind, Network};
use serde::Deserialize;

use super::{Common, api, api::image_of};
use crate::{
    config::Secret,
    networks::{
        Asset, AssetRole, FeedItem, Identity, NetworkAdapter, NetworkError, TokenSet,
        signed_request,
    },
};

/// Boards asked for per page (Pinterest's maximum `page_size`).
const PAGE_SIZE: &str = "250";

/// At most this many pages of boards are read (5 000 boards).
const MAX_PAGES: usize = 20;

/// Pinterest's longest pin description.
const DESCRIPTION_CHARS: usize = 800;

/// The newest pins a stream asks for.
const FEED_SIZE: &str = "20";

/// Why a post without an image is refused.
pub const TEXT_ONLY: &str = "Pinterest needs a photo or video; Relink posts text only (a post that \
     carries an image URL, https://….jpg, .jpeg, .png, .gif or .webp, is pinned with that image)";

/// The Pinterest adapter.
#[derive(Debug)]
pub struct Pinterest(Common);

impl Pinterest {
    /// Pinterest with this app.
    pub fn new(common: Common) -> Self {
        Self(common)
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

    async fn account(&self, token: &Secret) -> Result<Account, NetworkError> {
        let request = self
            .0
            .api
            .http
            .get(self.0.url("user_account"))
            .bearer_auth(token.expose());
        let account: Account = self.0.api.json(request).await?;
        if account.username.is_empty() {
            return Err(NetworkError::Protocol(
                "Pinterest named no username for the account".to_owned(),
            ));
        }
        Ok(account)
    }
}

#[derive(Deserialize)]
struct Account {
    /// The account's numeric id (API 5.10 and later); older answers carried the username only.
    #[serde(default)]
    id: Option<String>,
    username: String,
    #[serde(default)]
    business_name: Option<String>,
}

impl Account {
    fn external_id(&self) -> String {
        self.id
            .clone()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| self.username.clone())
    }
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
    #[serde(default)]
    bookmark: Option<String>,
}

#[derive(Deserialize)]
struct Board {
    id: String,
    name: String,
    #[serde(default)]
    owner: Option<Owner>,
}

#[derive(Deserialize)]
struct Owner {
    username: String,
}

#[derive(Deserialize)]
struct Pin {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// Pinterest writes it with or without a zone (`2022-11-17T21:34:29`): UTC either way.
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct Posted {
    id: String,
}

fn instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.to_utc())
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|at| at.and_utc())
        })
}

/// Pinterest's ids are numeric (`^\d+$`); anything else never goes into a path.
fn numeric(id: &str) -> Result<&str, NetworkError> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(NetworkError::Protocol(format!(
            "{id:.64} is not a Pinterest board id"
        )))
    }
}

#[async_trait::async_trait]
impl NetworkAdapter for Pinterest {
    fn network(&self) -> Network {
        Network::Pinterest
    }

    fn authorize_url(&self, state: &str, _pkce_challenge: &str) -> Result<String, NetworkError> {
        // Pinterest documents no PKCE and no account chooser for its OAuth page; the app's
        // secret (HTTP Basic) and Relink's browser-bound state protect the code.
        api::authorize_url(
            &self.0.app.authorize_url,
            &[
                ("client_id", &self.0.app.client_id),
                ("redirect_uri", &self.0.redirect_url),
                ("response_type", "code"),
                ("scope", &self.0.scopes.join(",")),
                ("state", state),
            ],
        )
    }

    async fn exchange_code(
        &self,
        code: &str,
        _pkce_verifier: &Secret,
    ) -> Result<TokenSet, NetworkError> {
        // Apps created before 25 September 2025 get a continuous refresh token only when they ask
        // for one; later apps always do and disregard the parameter.
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.0.redirect_url),
            ("continuous_refresh", "true"),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, NetworkError> {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("continuous_refresh", "true"),
        ])
        .await
    }

    fn deauthorized_user(
        &self,
        _signed_request: &str,
    ) -> Result<signed_request::Payload, signed_request::Invalid> {
        Err(signed_request::Invalid::NotSent)
    }

    async fn revoke(&self, _token: &Secret) -> Result<(), NetworkError> {
        // `/oauth/token/revoke` takes system users' tokens only: a user token cannot be revoked.
        Ok(())
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        let account = self.account(access_token).await?;
        Ok(Identity {
            external_id: account.external_id(),
            name: account
                .business_name
                .clone()
                .filter(|name| !name.trim().is_empty())
                .unwrap_or_else(|| account.username.clone()),
        })
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        let account = self.account(access_token).await?;
        let mut boards = Vec::new();
        let mut bookmark: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("page_size", PAGE_SIZE)];
            if let Some(at) = &bookmark {
                query.push(("bookmark", at.as_str()));
            }
            let request = self
                .0
                .api
                .http
                .get(self.0.url("boards"))
                .query(&query)
                .bearer_auth(access_token.expose());
            let page: Page<Board> = self.0.api.json(request).await?;
            boards.extend(page.items.into_iter().map(|board| {
                // Group boards the identity joined are listed too: it pins there, it does not own them.
                let owned = board
                    .owner
                    .as_ref()
                    .is_none_or(|owner| owner.username == account.username);
                Asset {
                    external_id: board.id,
                    kind: AccountKind::Board,
                    name: board.name,
                    role: if owned {
                        AssetRole::Owner
                    } else {
                        AssetRole::Editor
                    },
                    linked_external_id: None,
                    added_by: None,
                }
            }));
            match page.bookmark.filter(|next| !next.is_empty()) {
                Some(next) if bookmark.as_ref() != Some(&next) => bookmark = Some(next),
                Some(_) => {
                    return Err(NetworkError::Protocol(
                        "Pinterest repeated a bookmark while listing boards".to_owned(),
                    ));
                }
                None => return Ok(boards),
            }
        }
        // A partial list would read as boards taken away: refuse rather than guess.
        Err(NetworkError::Protocol(format!(
            "Pinterest listed more than {MAX_PAGES} pages of boards"
        )))
    }

    async fn publish(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
        body: &str,
        _idempotency_key: &str,
    ) -> Result<String, NetworkError> {
        let board = numeric(asset_external_id)?;
        let Some((url, words)) = image_of(body) else {
            return Err(NetworkError::Protocol(TEXT_ONLY.to_owned()));
        };
        let description: String = words.chars().take(DESCRIPTION_CHARS).collect();
        // Pinterest takes no idempotency key: a post whose answer was lost is not retried blind
        // (the publisher fails it with the network's words rather than pinning twice).
        let request = self
            .0
            .api
            .http
            .post(self.0.url("pins"))
            .bearer_auth(access_token.expose())
            .json(&serde_json::json!({
                "board_id": board,
                "description": description,
                "media_source": { "source_type": "image_url", "url": url },
            }));
        let pin: Posted = self.0.api.json(request).await?;
        Ok(pin.id)
    }

    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        let board = numeric(asset_external_id)?;
        let request = self
            .0
            .api
            .http
            .get(self.0.url(&format!("boards/{board}/pins")))
            .query(&[("page_size", FEED_SIZE)])
            .bearer_auth(access_token.expose());
        let page: Page<Pin> = self.0.api.json(request).await?;
        Ok(page
            .items
            .into_iter()
            .filter_map(|pin| {
                let text = [pin.title, pin.description]
                    .into_iter()
                    .flatten()
                    .find(|text| !text.trim().is_empty())
                    .unwrap_or_default();
                Some(FeedItem {
                    external_id: pin.id,
                    author: board.to_owned(),
                    text,
                    published_at: instant(pin.created_at.as_deref()?)?,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_url_in_a_post_is_the_pin_and_the_rest_its_description() {
        assert_eq!(
            image_of("New beans https://cdn.example/beans.JPG today"),
            Some((
                "https://cdn.example/beans.JPG".to_owned(),
                "New beans today".to_owned()
            ))
        );
        for text in [
            "Just words",
            "http://plain.example/beans.jpg",
            "https://example/page.html",
            "https://example/no-extension",
            "https://.jpg",
        ] {
            assert_eq!(image_of(text), None, "{text}");
        }
        assert!(instant("2022-11-17T21:34:29").is_some());
        assert!(instant("2020-01-01T20:10:40-00:00").is_some());
        assert!(instant("yesterday").is_none());
        assert!(numeric("549755885175").is_ok());
        for id in ["", "12/../x", "abc", &"1".repeat(65)] {
            assert!(numeric(id).is_err(), "{id}");
        }
    }
}

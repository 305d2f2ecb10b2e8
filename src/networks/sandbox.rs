//! The adapter for the built-in sandbox network (B9): the shared OAuth part plus the sandbox's
//! identity and asset API. Real networks get adapters of their own beside it.

use entity::enums::{AccountKind, Network};
use serde::Deserialize;

use super::{
    Asset, AssetRole, FeedItem, Identity, NetworkAdapter, NetworkError, TokenSet, oauth::OAuthApp,
    slug,
};
use crate::config::Secret;

/// The sandbox playing one network.
#[derive(Debug)]
pub struct SandboxAdapter {
    network: Network,
    app: OAuthApp,
    api_url: String,
}

impl SandboxAdapter {
    /// The sandbox of `network` served by this server at `public_url`.
    pub fn new(
        network: Network,
        public_url: &str,
        client_id: String,
        client_secret: Secret,
        scopes: Vec<String>,
        http: reqwest::Client,
    ) -> Self {
        let base = format!("{public_url}/sandbox/{}", slug(network));
        Self {
            network,
            app: OAuthApp {
                client_id,
                client_secret,
                auth_url: format!("{base}/oauth/authorize"),
                token_url: format!("{base}/oauth/token"),
                revoke_url: Some(format!("{base}/oauth/revoke")),
                redirect_url: format!("{public_url}/oauth/callback/{}", slug(network)),
                scopes,
                http,
            },
            api_url: format!("{base}/api"),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &Secret,
    ) -> Result<T, NetworkError> {
        self.call(self.app.http.get(format!("{}/{path}", self.api_url)), token)
            .await
    }

    /// Sends an API request with the token and reads the answer; 401 is a rejected token,
    /// 5xx and 429 are an outage (B1), other failures a protocol error.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        token: &Secret,
    ) -> Result<T, NetworkError> {
        let response = request
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|error| NetworkError::Unavailable(error.to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(NetworkError::InvalidToken);
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(NetworkError::Unavailable(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(NetworkError::Protocol(format!("HTTP {status}")));
        }
        response
            .json()
            .await
            .map_err(|error| NetworkError::Protocol(error.to_string()))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MeBody {
    external_id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssetBody {
    external_id: String,
    kind: String,
    name: String,
    role: String,
    linked_external_id: Option<String>,
    added_by: Option<String>,
}

#[derive(Deserialize)]
struct AssetsBody {
    assets: Vec<AssetBody>,
}

#[derive(Deserialize)]
struct PublishedBody {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedItemBody {
    id: String,
    author: String,
    text: String,
    published_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct FeedBody {
    items: Vec<FeedItemBody>,
}

fn kind(text: &str) -> Option<AccountKind> {
    Some(match text {
        "PROFILE" => AccountKind::Profile,
        "PAGE" => AccountKind::Page,
        "GROUP" => AccountKind::Group,
        "BUSINESS_PROFILE" => AccountKind::BusinessProfile,
        "COMPANY_PAGE" => AccountKind::CompanyPage,
        "CHANNEL" => AccountKind::Channel,
        "BOARD" => AccountKind::Board,
        _ => return None,
    })
}

fn role(text: &str) -> Option<AssetRole> {
    Some(match text {
        "OWNER" => AssetRole::Owner,
        "ADMIN" => AssetRole::Admin,
        "EDITOR" => AssetRole::Editor,
        "MEMBER" => AssetRole::Member,
        _ => return None,
    })
}

#[async_trait::async_trait]
impl NetworkAdapter for SandboxAdapter {
    fn network(&self) -> Network {
        self.network
    }

    fn authorize_url(&self, state: &str, pkce_challenge: &str) -> Result<String, NetworkError> {
        // R20 / B2: always show the account chooser, never reuse the browser's session silently.
        self.app
            .authorize_url(state, pkce_challenge, &[("prompt", "select_account")])
    }

    async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &Secret,
    ) -> Result<TokenSet, NetworkError> {
        self.app.exchange_code(code, pkce_verifier).await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, NetworkError> {
        self.app.refresh(refresh_token).await
    }

    fn deauthorized_user(
        &self,
        signed_request: &str,
    ) -> Result<super::signed_request::Payload, super::signed_request::Invalid> {
        super::signed_request::verify(signed_request, self.app.client_secret.expose())
    }

    async fn revoke(&self, token: &Secret) -> Result<(), NetworkError> {
        self.app.revoke(token).await
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        let me: MeBody = self.get("me", access_token).await?;
        Ok(Identity {
            external_id: me.external_id,
            name: me.name,
        })
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        let body: AssetsBody = self.get("assets", access_token).await?;
        body.assets
            .into_iter()
            .map(|asset| {
                Ok(Asset {
                    kind: kind(&asset.kind).ok_or_else(|| {
                        NetworkError::Protocol(format!("unknown kind {}", asset.kind))
                    })?,
                    role: role(&asset.role).ok_or_else(|| {
                        NetworkError::Protocol(format!("unknown role {}", asset.role))
                    })?,
                    external_id: asset.external_id,
                    name: asset.name,
                    linked_external_id: asset.linked_external_id,
                    added_by: asset.added_by,
                })
            })
            .collect()
    }

    async fn publish(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
        body: &str,
        idempotency_key: &str,
    ) -> Result<String, NetworkError> {
        let request = self
            .app
            .http
            .post(format!("{}/posts", self.api_url))
            .header("Idempotency-Key", idempotency_key)
            .json(&serde_json::json!({ "assetExternalId": asset_external_id, "body": body }));
        let published: PublishedBody = self.call(request, access_token).await?;
        Ok(published.id)
    }

    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        let feed: FeedBody = self
            .get(&format!("assets/{asset_external_id}/feed"), access_token)
            .await?;
        Ok(feed
            .items
            .into_iter()
            .map(|item| FeedItem {
                external_id: item.id,
                author: item.author,
                text: item.text,
                published_at: item.published_at,
            })
            .collect())
    }
}

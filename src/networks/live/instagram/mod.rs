//! Instagram professional accounts, both ways Meta offers (`login` in the networks file):
//! through Facebook Login (the default: the Graph API of `graph.facebook.com`, the accounts linked
//! to the identity's pages, each business profile carrying its page for R18), or through
//! Instagram Login ([`login`]: `graph.instagram.com`, no page needed). Instagram publishes only
//! photos and videos: a post carrying an https image URL is published in Meta's two steps either
//! way, and a text post is refused before it reaches the network.

pub mod login;

use std::sync::Arc;

use entity::enums::{AccountKind, Network};
use serde::Deserialize;

use super::{
    Common,
    facebook::graph::{self, Graph, node, time},
};
use crate::{
    config::Secret,
    networks::{
        Asset, AssetRole, FeedItem, Identity, NetworkAdapter, NetworkError, RefreshWith, TokenSet,
        signed_request,
    },
};

/// The Instagram adapter the app is registered for.
pub fn adapter(common: Common) -> Arc<dyn NetworkAdapter> {
    if common.app.instagram_login {
        Arc::new(login::InstagramLogin::new(common))
    } else {
        Arc::new(ViaFacebook(common))
    }
}

/// A post without an image URL is refused so, whichever way Instagram is reached.
fn image_required() -> NetworkError {
    NetworkError::Protocol(
        "Instagram needs a photo or video: put an https image URL (.jpg, .png, .gif, .webp) in the post".to_owned(),
    )
}

/// The `id` of a Graph answer (a container, a published media object).
fn published_id(body: &serde_json::Value) -> Result<String, NetworkError> {
    body.get("id")
        .and_then(serde_json::Value::as_str)
        .filter(|id| !id.is_empty() && id.len() <= 64)
        .map(str::to_owned)
        .ok_or_else(|| NetworkError::Protocol("Instagram answered without an id".to_owned()))
}

/// Where Meta's two publishing steps are asked: the Graph API of Facebook Login (signed with
/// `appsecret_proof`) or `graph.instagram.com` of Instagram Login.
#[async_trait::async_trait]
trait Publishes: Sync {
    /// A form POST to an API path with the token.
    async fn post_form(
        &self,
        path: &str,
        token: &Secret,
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, NetworkError>;
}

#[async_trait::async_trait]
impl Publishes for Graph<'_> {
    async fn post_form(
        &self,
        path: &str,
        token: &Secret,
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, NetworkError> {
        self.post(path, token, form).await
    }
}

/// Publishes a post that carries an https image URL: a container for the image with the rest as
/// caption, then `media_publish` (Meta's two steps, the same on both hosts). A container that is
/// not ready yet is Meta's passing trouble: the post is retried with a new one, and an unpublished
/// container never shows. A post without an image is refused before anything reaches Instagram.
async fn publish_image(
    api: &dyn Publishes,
    token: &Secret,
    asset_external_id: &str,
    body: &str,
) -> Result<String, NetworkError> {
    let Some((image, caption)) = crate::networks::live::api::image_of(body) else {
        return Err(image_required());
    };
    let profile = node(asset_external_id)?;
    let container = api
        .post_form(
            &format!("{profile}/media"),
            token,
            &[("image_url", &image), ("caption", &caption)],
        )
        .await?;
    let container = published_id(&container)?;
    let published = api
        .post_form(
            &format!("{profile}/media_publish"),
            token,
            &[("creation_id", &container)],
        )
        .await?;
    published_id(&published)
}

/// A media object of a profile, as `/{ig-user-id}/media` lists it.
#[derive(Deserialize)]
struct Media {
    id: String,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

/// The newest media of a profile as feed items (those without a readable time are left out).
fn media_items(body: &serde_json::Value, profile: &str) -> Vec<FeedItem> {
    graph::items::<Media>(body)
        .into_iter()
        .filter_map(|media| {
            Some(FeedItem {
                published_at: time(media.timestamp.as_deref()?)?,
                author: media.username.unwrap_or_else(|| profile.to_owned()),
                text: media.caption.unwrap_or_default(),
                external_id: media.id,
            })
        })
        .collect()
}

/// The query of a profile's newest media.
const MEDIA_QUERY: &[(&str, &str)] =
    &[("fields", "id,caption,username,timestamp"), ("limit", "20")];

/// Instagram through Facebook Login: the identity is the Facebook user; its assets are the
/// Instagram accounts linked to the pages it has a task on.
#[derive(Debug)]
pub struct ViaFacebook(Common);

impl ViaFacebook {
    fn graph(&self) -> Graph<'_> {
        Graph(&self.0)
    }
}

#[async_trait::async_trait]
impl NetworkAdapter for ViaFacebook {
    fn network(&self) -> Network {
        Network::Instagram
    }

    fn authorize_url(&self, state: &str, _pkce_challenge: &str) -> Result<String, NetworkError> {
        self.graph().authorize_url(state)
    }

    async fn exchange_code(
        &self,
        code: &str,
        _pkce_verifier: &Secret,
    ) -> Result<TokenSet, NetworkError> {
        self.graph().exchange_code(code).await
    }

    async fn refresh(&self, access_token: &Secret) -> Result<TokenSet, NetworkError> {
        self.graph().long_lived(access_token).await
    }

    fn refresh_with(&self) -> RefreshWith {
        RefreshWith::AccessToken
    }

    fn deauthorized_user(
        &self,
        signed: &str,
    ) -> Result<signed_request::Payload, signed_request::Invalid> {
        super::facebook::verify_callback(&self.0, signed)
    }

    async fn revoke(&self, _token: &Secret) -> Result<(), NetworkError> {
        // As for Facebook: Meta revokes per person and app only, which would end every other
        // sign-in of the person too.
        Ok(())
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        self.graph().me(access_token).await
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        // Publishing needs MANAGE or CREATE_CONTENT on the linked page (media_publish reference):
        // a page with neither brings no Instagram account.
        Ok(self
            .graph()
            .pages(access_token)
            .await?
            .into_iter()
            .filter(|page| page.role() != AssetRole::Member)
            .filter_map(|page| {
                let instagram = page.instagram_business_account?;
                Some(Asset {
                    name: instagram
                        .username
                        .map_or_else(|| instagram.id.clone(), |handle| format!("@{handle}")),
                    external_id: instagram.id,
                    kind: AccountKind::BusinessProfile,
                    role: AssetRole::Owner,
                    // R18: the profile comes back in full only with its page.
                    linked_external_id: Some(page.id),
                    added_by: None,
                })
            })
            .collect())
    }

    async fn publish(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
        body: &str,
        _idempotency_key: &str,
    ) -> Result<String, NetworkError> {
        publish_image(&self.graph(), access_token, asset_external_id, body).await
    }

    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        let profile = node(asset_external_id)?;
        let body = self
            .graph()
            .get(&format!("{profile}/media"), access_token, MEDIA_QUERY)
            .await?;
        Ok(media_items(&body, profile))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn media_without_a_readable_time_is_left_out() {
        let body = json!({ "data": [
            { "id": "1", "caption": "Latte art", "username": "northwind", "timestamp": "2026-11-02T09:00:00+0000" },
            { "id": "2", "timestamp": "soon" },
            { "id": "3" }
        ]});
        let items = media_items(&body, "ig-1");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].author, "northwind");
        assert_eq!(items[0].text, "Latte art");
    }
}

//! Facebook Pages (Graph API `v{api_version}`, default v25.0): Facebook Login's server flow with
//! the app secret (no PKCE), the short-lived user token exchanged at once for a long-lived one
//! (~60 days) and renewed with itself before it runs out (`fb_exchange_token`: Facebook has no
//! refresh tokens), the pages of `/me/accounts` with their tasks as roles (MANAGE = admin, R6),
//! and page tokens asked per call for publishing and reading. Facebook lists no groups: the
//! Groups API was removed on 22 April 2024.

pub mod graph;

use entity::enums::{AccountKind, Network};
use serde::Deserialize;

use self::graph::{Graph, node, time};
use super::Common;
use crate::{
    config::Secret,
    networks::{
        Asset, FeedItem, Identity, NetworkAdapter, NetworkError, RefreshWith, TokenSet,
        signed_request,
    },
};

/// The Facebook adapter.
#[derive(Debug)]
pub struct Facebook(Common);

impl Facebook {
    /// Facebook with this app.
    pub fn new(common: Common) -> Self {
        Self(common)
    }

    fn graph(&self) -> Graph<'_> {
        Graph(&self.0)
    }
}

/// A post of a page's feed.
#[derive(Deserialize)]
struct Post {
    id: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    from: Option<Author>,
    #[serde(default)]
    created_time: Option<String>,
}

#[derive(Deserialize)]
struct Author {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Posted {
    id: String,
}

/// What a deauthorize or data-deletion callback of a Meta app says, verified with its secret.
pub fn verify_callback(
    common: &Common,
    signed: &str,
) -> Result<signed_request::Payload, signed_request::Invalid> {
    signed_request::verify(signed, common.secret().expose())
}

#[async_trait::async_trait]
impl NetworkAdapter for Facebook {
    fn network(&self) -> Network {
        Network::Facebook
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
        verify_callback(&self.0, signed)
    }

    async fn revoke(&self, _token: &Secret) -> Result<(), NetworkError> {
        // Meta revokes per person and app, never per token (`DELETE /me/permissions`): that would
        // also end every other sign-in of the person — the very one that superseded this token,
        // or their own login elsewhere in Relink. An unstored token is left to expire.
        Ok(())
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        self.graph().me(access_token).await
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        Ok(self
            .graph()
            .pages(access_token)
            .await?
            .into_iter()
            .map(|page| Asset {
                kind: AccountKind::Page,
                name: page.label(),
                role: page.role(),
                external_id: page.id,
                linked_external_id: None,
                added_by: None,
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
        // No idempotency key at Facebook: a retried post is refused as a duplicate (506), which
        // fails it rather than publishing it twice.
        let page = node(asset_external_id)?;
        let token = self.graph().page_token(access_token, page).await?;
        let answer = self
            .graph()
            .post(&format!("{page}/feed"), &token, &[("message", body)])
            .await?;
        let posted: Posted = super::api::read(answer)?;
        Ok(posted.id)
    }

    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        let page = node(asset_external_id)?;
        let token = self.graph().page_token(access_token, page).await?;
        let body = self
            .graph()
            .get(
                &format!("{page}/feed"),
                &token,
                &[("fields", "id,message,from,created_time"), ("limit", "20")],
            )
            .await?;
        Ok(graph::items::<Post>(&body)
            .into_iter()
            .filter_map(|post| {
                Some(FeedItem {
                    published_at: time(post.created_time.as_deref()?)?,
                    author: post
                        .from
                        .and_then(|from| from.name)
                        .unwrap_or_else(|| page.to_owned()),
                    text: post.message.unwrap_or_default(),
                    external_id: post.id,
                })
            })
            .collect())
    }
}

//! Streams (R15): a column of the viewer's dashboard fed by one account. A stream of a
//! disconnected account shows no content and its Reconnect state instead.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{enums::Health, social_accounts, social_logins, streams};
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
use tokio::sync::OnceCell;

use super::{
    accounts::SocialAccount,
    context::{database, service, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::Authenticated,
    ids::{self, Kind},
    loaders::{LoginKey, load},
};
use crate::{
    accounts,
    crypto::TokenCipher,
    networks::{FeedItem, Networks},
};

/// What a stream shows.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::StreamKind")]
pub enum StreamKind {
    /// The account's own posts.
    Posts,
    /// Mentions of the account.
    Mentions,
}

/// Whether a stream has content.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum StreamState {
    /// Content from the network.
    Live,
    /// R15: the account is disconnected; the stream offers the reconnect instead of content.
    ReconnectRequired,
    /// The network did not answer (or refused the token) just now; try again shortly.
    Unavailable,
}

/// One item of a stream.
#[derive(SimpleObject, Clone, Debug)]
pub struct StreamItem {
    /// The network's id for it.
    pub id: String,
    /// Who wrote it.
    pub author: String,
    /// Its text.
    pub text: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
}

impl From<FeedItem> for StreamItem {
    fn from(item: FeedItem) -> Self {
        Self {
            id: item.external_id,
            author: item.author,
            text: item.text,
            published_at: item.published_at,
        }
    }
}

/// A stream of the viewer's dashboard.
pub struct Stream {
    stream: streams::Model,
    account: social_accounts::Model,
    content: Arc<OnceCell<Option<Vec<StreamItem>>>>,
}

impl Stream {
    /// The items, fetched from the network once per stream and request; `None` when the network
    /// did not answer or refused.
    async fn content(&self, ctx: &Context<'_>) -> ApiResult<&Option<Vec<StreamItem>>> {
        self.content
            .get_or_try_init(|| async {
                let login: social_logins::Model = load(ctx, LoginKey(self.account.social_login_id))
                    .await?
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("account without login")))?;
                let token = service::<Arc<TokenCipher>>(ctx)?
                    .access_token(&login)
                    .map_err(|error| ApiError::Internal(error.into()))?;
                let (Some(token), Some(adapter)) =
                    (token, service::<Networks>(ctx)?.get(self.account.network))
                else {
                    return Ok(None);
                };
                match adapter.feed(&token, &self.account.external_id).await {
                    Ok(items) => Ok(Some(items.into_iter().map(StreamItem::from).collect())),
                    Err(error) => {
                        tracing::info!(account.id = self.account.id, %error, "stream content unavailable");
                        Ok(None)
                    }
                }
            })
            .await
    }

    fn disconnected(&self) -> bool {
        self.account.health == Health::Disconnected
    }
}

#[Object]
impl Stream {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::Stream, self.stream.id)
    }

    /// The column's title.
    async fn title(&self) -> &str {
        &self.stream.title
    }

    /// What it shows.
    async fn kind(&self) -> StreamKind {
        self.stream.kind.into()
    }

    /// The account that feeds it.
    async fn social_account(&self) -> SocialAccount {
        SocialAccount(self.account.clone())
    }

    /// R15: true while the account is disconnected; show the Reconnect action, not content.
    async fn reconnect_required(&self) -> bool {
        self.disconnected()
    }

    /// Whether the viewer may start that reconnect (R3, R8); otherwise the account's
    /// `lastReconnectedBy` is whom to ask (R4).
    async fn viewer_can_reconnect(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        SocialAccount(self.account.clone())
            .viewer_can_reconnect(ctx)
            .await
    }

    /// Live, reconnect required, or unavailable for now.
    async fn state(&self, ctx: &Context<'_>) -> async_graphql::Result<StreamState> {
        if self.disconnected() {
            return Ok(StreamState::ReconnectRequired);
        }
        Ok(match gql(self.content(ctx).await)? {
            Some(_) => StreamState::Live,
            None => StreamState::Unavailable,
        })
    }

    /// The newest items; null when a reconnect is required or the network did not answer.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<StreamItem>>> {
        if self.disconnected() {
            return Ok(None);
        }
        Ok(gql(self.content(ctx).await)?.clone())
    }
}

/// The `streams` root.
#[derive(Default)]
pub struct StreamsQuery;

#[Object]
impl StreamsQuery {
    /// R15: the viewer's streams, over accounts they may still see.
    #[graphql(guard = "Authenticated")]
    async fn streams(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Stream>> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let db = database(ctx)?;
            let rows = streams::Entity::find()
                .filter(streams::Column::OwnerUserId.eq(viewer.user.id))
                .order_by_asc(streams::Column::Id)
                .all(db)
                .await?;
            let ids: Vec<i64> = rows.iter().map(|stream| stream.social_account_id).collect();
            let visible = accounts::repo::visible_by_ids(db, &viewer.subject, &ids).await?;
            Ok(rows
                .into_iter()
                .filter_map(|stream| {
                    let account = visible
                        .iter()
                        .find(|account| account.id == stream.social_account_id)?
                        .clone();
                    Some(Stream {
                        stream,
                        account,
                        content: Arc::default(),
                    })
                })
                .collect())
        }
        .await)
    }
}

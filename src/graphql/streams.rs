//! Streams (R15): a column of the viewer's dashboard fed by one account. A stream of a
//! disconnected account shows no content and its Reconnect state instead.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{enums::Health, social_accounts, social_logins, streams};
use tokio::sync::OnceCell;

use super::{
    accounts::SocialAccount,
    context::{app, database, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::Authenticated,
    ids::{self, Kind},
    loaders::{LoginKey, load},
};
use crate::{accounts, networks::FeedItem};

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

/// What a field that calls a network costs at least, in query-cost points: aliases or repeats of
/// such a field spend a network app's quota, so the complexity limit and the rate limit must see
/// them as expensive.
pub const NETWORK_CALL_COST: usize = 50;

/// The most items one stream shows.
pub const MAX_ITEMS: usize = 20;

/// The default and largest number of streams one query lists.
const DEFAULT_STREAMS: i32 = 20;
const MAX_STREAMS: i32 = 50;

/// One account's feed in one request: fetched once, `None` when the network did not answer.
type FeedCell = Arc<OnceCell<Option<Vec<StreamItem>>>>;

/// The feed of each account, fetched from its network at most once per request whatever the
/// number of streams, aliases or repeated fields that show it.
#[derive(Default)]
pub struct FeedCache(std::sync::Mutex<HashMap<i64, FeedCell>>);

impl FeedCache {
    fn cell(&self, account_id: i64) -> FeedCell {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(account_id)
            .or_default()
            .clone()
    }
}

/// A stream of the viewer's dashboard.
pub struct Stream {
    stream: streams::Model,
    account: social_accounts::Model,
}

impl Stream {
    /// The items, fetched from the network once per account and request (the request's
    /// [`FeedCache`]); `None` when the network did not answer or refused.
    async fn content(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<StreamItem>>> {
        let cell = match ctx.data_opt::<FeedCache>() {
            Some(cache) => cache.cell(self.account.id),
            None => Arc::default(),
        };
        cell.get_or_try_init(|| async {
                let login: social_logins::Model = load(ctx, LoginKey(self.account.social_login_id))
                    .await?
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("account without login")))?;
                let token = app(ctx)?
                    .cipher
                    .access_token(&login)
                    .map_err(|error| ApiError::Internal(error.into()))?;
                let (Some(token), Some(adapter)) =
                    (token, app(ctx)?.networks.get(self.account.network))
                else {
                    return Ok(None);
                };
                match adapter.feed(&token, &self.account.external_id).await {
                    Ok(items) => Ok(Some(
                        items
                            .into_iter()
                            .take(MAX_ITEMS)
                            .map(StreamItem::from)
                            .collect(),
                    )),
                    Err(error) => {
                        tracing::info!(account.id = self.account.id, %error, "stream content unavailable");
                        Ok(None)
                    }
                }
            })
            .await
            .cloned()
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

    /// Live, reconnect required, or unavailable for now. Asks the network (once per account and
    /// request).
    #[graphql(complexity = "NETWORK_CALL_COST")]
    async fn state(&self, ctx: &Context<'_>) -> async_graphql::Result<StreamState> {
        if self.disconnected() {
            return Ok(StreamState::ReconnectRequired);
        }
        Ok(match gql(self.content(ctx).await)? {
            Some(_) => StreamState::Live,
            None => StreamState::Unavailable,
        })
    }

    /// The newest items (at most 20); null when a reconnect is required or the network did not
    /// answer. Asks the network (once per account and request).
    #[graphql(complexity = "NETWORK_CALL_COST + MAX_ITEMS * child_complexity")]
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<StreamItem>>> {
        if self.disconnected() {
            return Ok(None);
        }
        gql(self.content(ctx).await)
    }
}

/// A list of streams costs its length bound times each stream.
fn streams_cost(first: Option<i32>, child_complexity: usize) -> usize {
    super::pagination::list_cost(first, DEFAULT_STREAMS, MAX_STREAMS, child_complexity)
}

/// The `streams` root.
#[derive(Default)]
pub struct StreamsQuery;

#[Object]
impl StreamsQuery {
    /// R15: the viewer's streams, over accounts they may still see: the `first` of them (1–50,
    /// default 20) in the order they were made.
    #[graphql(
        guard = "Authenticated",
        complexity = "streams_cost(first, child_complexity)"
    )]
    async fn streams(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<Stream>> {
        gql(async {
            let first = first.unwrap_or(DEFAULT_STREAMS);
            if !(1..=MAX_STREAMS).contains(&first) {
                return Err(ApiError::BadUserInput(format!(
                    "`first` must be between 1 and {MAX_STREAMS}"
                )));
            }
            let viewer = viewer(ctx).await?;
            let limit = usize::try_from(first).unwrap_or(0);
            let rows = accounts::repo::streams_of(database(ctx)?, &viewer.subject, limit).await?;
            Ok(rows
                .into_iter()
                .map(|(stream, account)| Stream { stream, account })
                .collect())
        }
        .await)
    }
}

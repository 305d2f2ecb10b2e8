//! The planner (R13): posts of the accounts the viewer may see, in planner order, paged.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::scheduled_posts;

use super::{PostState, ScheduledPost, visible_accounts, with_accounts};
use crate::graphql::{
    context::{database, viewer},
    errors::{ApiError, gql},
    guards::Authenticated,
    ids::{self, Kind},
    pagination::{PageInfo, connection_cost, cursor_of, page_size},
};
use crate::posts::repo::{self, PostAccounts, PostFilter};

/// Which posts the planner lists.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ScheduledPostFilter {
    /// Only posts of these accounts.
    pub social_account_ids: Option<Vec<ID>>,
    /// Only posts in these states.
    pub states: Option<Vec<PostState>>,
    /// Only posts scheduled at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only posts scheduled before this time.
    pub to: Option<DateTime<Utc>>,
}

/// An edge of a [`ScheduledPostConnection`].
#[derive(SimpleObject, Clone, Debug)]
pub struct ScheduledPostEdge {
    /// Where this edge sits, for `after`.
    pub cursor: String,
    /// The post.
    pub node: ScheduledPost,
}

/// A page of posts (Relay), in planner order: drafts without a time, then by time.
#[derive(SimpleObject, Clone, Debug)]
pub struct ScheduledPostConnection {
    /// The edges.
    pub edges: Vec<ScheduledPostEdge>,
    /// The posts, without cursors.
    pub nodes: Vec<ScheduledPost>,
    /// Paging state.
    pub page_info: PageInfo,
}

fn post_cursor(post: &scheduled_posts::Model) -> String {
    let at = post
        .scheduled_at
        .map_or_else(|| "-".to_owned(), |at| at.timestamp_micros().to_string());
    URL_SAFE_NO_PAD.encode(format!("post:{at}:{}", post.id))
}

fn decode_post_cursor(cursor: &str) -> Option<(Option<DateTime<Utc>>, i64)> {
    let raw = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = std::str::from_utf8(&raw).ok()?.strip_prefix("post:")?;
    let (at, id) = text.split_once(':')?;
    let at = match at {
        "-" => None,
        micros => Some(DateTime::from_timestamp_micros(micros.parse().ok()?)?),
    };
    Some((at, id.parse().ok()?))
}

/// Roots of the planner.
#[derive(Default)]
pub struct PostsQuery;

#[Object]
impl PostsQuery {
    /// R13: the posts of the accounts the viewer may see, in planner order; each post of an
    /// account that cannot publish carries its `warning` and the reconnect it offers.
    #[graphql(
        guard = "Authenticated",
        complexity = "connection_cost(first, child_complexity)"
    )]
    async fn scheduled_posts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ScheduledPostFilter>,
    ) -> async_graphql::Result<ScheduledPostConnection> {
        gql(async {
            let limit = page_size(first)?;
            let after = after
                .map(|cursor| cursor_of(&cursor, decode_post_cursor))
                .transpose()?;
            let filter = filter.unwrap_or_default();
            if let (Some(from), Some(to)) = (filter.from, filter.to)
                && from > to
            {
                return Err(ApiError::BadUserInput(
                    "`filter.from` must not be after `filter.to`".to_owned(),
                ));
            }
            let viewer = viewer(ctx).await?;
            let account_condition = match &filter.social_account_ids {
                Some(wanted) => {
                    let mut ids = Vec::with_capacity(wanted.len());
                    for id in wanted {
                        ids.push(
                            ids::decode_as(Kind::SocialAccount, id).ok_or(ApiError::NotFound)?,
                        );
                    }
                    // Another organization's account reads exactly like an unknown one.
                    let visible = visible_accounts(ctx, ids.iter().copied()).await?;
                    if ids.iter().any(|id| !visible.contains_key(id)) {
                        return Err(ApiError::NotFound);
                    }
                    PostAccounts::These(ids)
                }
                None => PostAccounts::VisibleTo(viewer.subject.clone()),
            };
            let domain = PostFilter {
                accounts: account_condition,
                states: filter
                    .states
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                from: filter.from,
                to: filter.to,
            };
            let mut rows = repo::page(database(ctx)?, &domain, after, limit + 1).await?;
            let has_next_page = rows.len() as u64 > limit;
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let accounts =
                visible_accounts(ctx, rows.iter().map(|post| post.social_account_id)).await?;
            let edges: Vec<ScheduledPostEdge> = with_accounts(rows, &accounts)
                .into_iter()
                .map(|node| ScheduledPostEdge {
                    cursor: post_cursor(&node.post),
                    node,
                })
                .collect();
            Ok(ScheduledPostConnection {
                nodes: edges.iter().map(|edge| edge.node.clone()).collect(),
                page_info: PageInfo::forward(
                    has_next_page,
                    edges.first().map(|edge| edge.cursor.clone()),
                    edges.last().map(|edge| edge.cursor.clone()),
                ),
                edges,
            })
        }
        .await)
    }
}

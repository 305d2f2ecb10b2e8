//! The planner, the composer and the release choices (R13, R14, B4) as GraphQL: the post views
//! here, the planner's query in `planner.rs`, the composer's mutations in `composer.rs`.

mod check;
mod composer;
mod planner;

pub use check::ComposerQuery;
pub use composer::PostsMutation;
pub use planner::PostsQuery;

use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::{scheduled_posts, social_accounts};

use super::{
    accounts::{ConnectionHealth, DisconnectReason, SocialAccount},
    context::{database, viewer},
    errors::{ApiError, ApiResult, gql},
    ids::{self, Kind},
    loaders::{UserKey, load},
    people::User,
};
use crate::{
    accounts,
    posts::{self},
};

/// Where a post stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::PostState")]
pub enum PostState {
    /// Saved, not scheduled.
    Draft,
    /// Waiting for its time.
    Scheduled,
    /// Its account cannot publish: waiting for the reconnect (R13), never failed or dropped.
    Held,
    /// Being sent to the network now.
    Publishing,
    /// Out.
    Published,
    /// B4: its time passed more than the grace window before the reconnect; choose a new time.
    NeedsReschedule,
    /// The network refused the post itself; see `failureReason`.
    Failed,
}

/// R13: the yellow warning of a post whose account cannot publish, and the fix it offers.
#[derive(Clone, Debug)]
pub struct PostWarning {
    account: social_accounts::Model,
}

#[Object]
impl PostWarning {
    /// What the planner tile says.
    async fn message(&self) -> String {
        match self.account.health {
            entity::enums::Health::Limited => format!(
                "{} is connected but limited: this post goes out as planned, but its insights and comments wait for the linked Facebook page to be authorized.",
                self.account.name
            ),
            _ => format!(
                "{} is disconnected. This post is held and goes out after the reconnect.",
                self.account.name
            ),
        }
    }

    /// The account's health.
    async fn health(&self) -> ConnectionHealth {
        self.account.health.into()
    }

    /// Why it is disconnected, if it is.
    async fn reason(&self) -> Option<DisconnectReason> {
        self.account.disconnect_reason.map(Into::into)
    }

    /// R18: while the account is limited, what the post's account lacks and what lifts it.
    async fn limitation(&self) -> Option<super::accounts::Limitation> {
        super::accounts::Limitation::of(&self.account)
    }

    /// Whether the post is held (the account is disconnected); a limited account's posts go out.
    async fn held(&self) -> bool {
        !crate::posts::publishable(self.account.health)
    }

    /// Whether the viewer may start the reconnect from the post (R3, R8); otherwise the account's
    /// `lastReconnectedBy` is whom to ask (R4).
    async fn viewer_can_reconnect(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        SocialAccount(self.account.clone())
            .viewer_can_reconnect(ctx)
            .await
    }

    /// The reconnect action: the restore pop-up's deep link.
    async fn reauth_path(&self) -> &'static str {
        crate::notices::REAUTH_PATH
    }

    /// The account to reconnect.
    async fn social_account(&self) -> SocialAccount {
        SocialAccount(self.account.clone())
    }
}

/// A post written in the composer for one account.
#[derive(Clone, Debug)]
pub struct ScheduledPost {
    post: scheduled_posts::Model,
    account: Arc<social_accounts::Model>,
}

#[Object]
impl ScheduledPost {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::ScheduledPost, self.post.id)
    }

    /// The account it goes to.
    async fn social_account(&self) -> SocialAccount {
        SocialAccount((*self.account).clone())
    }

    /// Its text.
    async fn body(&self) -> &str {
        &self.post.body
    }

    /// When it goes out; a draft may have none.
    async fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.post.scheduled_at
    }

    /// Where it stands.
    async fn state(&self) -> PostState {
        self.post.state.into()
    }

    /// R13: set while its account cannot publish (the post is held), and R18 while it is limited
    /// (the post goes out; the warning says what the account lacks).
    async fn warning(&self) -> Option<PostWarning> {
        let waiting = matches!(
            self.post.state,
            entity::enums::PostState::Scheduled
                | entity::enums::PostState::Held
                | entity::enums::PostState::Publishing
                | entity::enums::PostState::NeedsReschedule
        );
        let warn = !crate::posts::publishable(self.account.health)
            || self.account.health == entity::enums::Health::Limited;
        (waiting && warn).then(|| PostWarning {
            account: (*self.account).clone(),
        })
    }

    /// When it was held.
    async fn held_at(&self) -> Option<DateTime<Utc>> {
        self.post.held_at
    }

    /// When it went out.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.post.published_at
    }

    /// The network's id for it, once out.
    async fn external_post_id(&self) -> Option<&str> {
        self.post.external_post_id.as_deref()
    }

    /// Why the network refused it, when it did.
    async fn failure_reason(&self) -> Option<&str> {
        self.post.failure_reason.as_deref()
    }

    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(gql(load(ctx, UserKey(self.post.author_id)).await)?.map(User::from))
    }
}

/// The accounts with these ids, if the viewer may see them, by id.
pub(super) async fn visible_accounts(
    ctx: &Context<'_>,
    ids: impl IntoIterator<Item = i64>,
) -> ApiResult<HashMap<i64, Arc<social_accounts::Model>>> {
    let viewer = viewer(ctx).await?;
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = accounts::repo::visible_by_ids(database(ctx)?, &viewer.subject, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|account| (account.id, Arc::new(account)))
        .collect())
}

pub(super) fn with_accounts(
    posts: Vec<scheduled_posts::Model>,
    accounts: &HashMap<i64, Arc<social_accounts::Model>>,
) -> Vec<ScheduledPost> {
    posts
        .into_iter()
        .filter_map(|post| {
            let account = accounts.get(&post.social_account_id)?.clone();
            Some(ScheduledPost { post, account })
        })
        .collect()
}

/// A post by global id, if the viewer may see its account (for `node`).
pub async fn post_for_viewer(ctx: &Context<'_>, id: &str) -> ApiResult<ScheduledPost> {
    let id = ids::decode_as(Kind::ScheduledPost, id).ok_or(ApiError::NotFound)?;
    let post = posts::repo::by_ids(database(ctx)?, &[id])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    let account = visible_accounts(ctx, [post.social_account_id])
        .await?
        .remove(&post.social_account_id)
        .ok_or(ApiError::NotFound)?;
    Ok(ScheduledPost { post, account })
}

/// The posts a reconnect released, for its payload.
pub fn released(
    posts: Vec<scheduled_posts::Model>,
    accounts: &[social_accounts::Model],
) -> Vec<ScheduledPost> {
    let by_id: HashMap<i64, Arc<social_accounts::Model>> = accounts
        .iter()
        .map(|account| (account.id, Arc::new(account.clone())))
        .collect();
    with_accounts(posts, &by_id)
}

//! The planner, the composer and the release choices (R13, R14, B4) as GraphQL.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{scheduled_posts, social_accounts};

use super::{
    accounts::{ConnectionHealth, DisconnectReason, SocialAccount},
    context::{clock, database, events_committed, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::Authenticated,
    ids::{self, Kind},
    loaders::{UserKey, load},
    pagination::{PageInfo, connection_cost, cursor_of, page_size},
    people::User,
    user_errors::{UserError, UserErrorCode},
};
use crate::{
    accounts,
    posts::{
        self,
        actions::{self, ResolveError},
        compose::{self, Refusal, Resolution},
        repo::{self, PostAccounts, PostFilter},
    },
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
                "{} is limited: its linked page is not authorized. This post waits until it is.",
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

    /// R13: set while its account cannot publish.
    async fn warning(&self) -> Option<PostWarning> {
        let waiting = matches!(
            self.post.state,
            entity::enums::PostState::Scheduled
                | entity::enums::PostState::Held
                | entity::enums::PostState::Publishing
                | entity::enums::PostState::NeedsReschedule
        );
        (waiting && !crate::posts::publishable(self.account.health)).then(|| PostWarning {
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

/// The accounts with these ids, if the viewer may see them, by id.
async fn visible_accounts(
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

fn with_accounts(
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

/// A post for one or more accounts.
#[derive(InputObject, Clone, Debug)]
pub struct SchedulePostInput {
    /// The accounts; one post each.
    pub social_account_ids: Vec<ID>,
    /// The text.
    pub body: String,
    /// When it goes out.
    pub scheduled_at: DateTime<Utc>,
}

/// What `schedulePost` did.
#[derive(SimpleObject, Clone, Debug)]
pub struct SchedulePostPayload {
    /// The posts, one per account; empty when refused.
    pub posts: Vec<ScheduledPost>,
    /// R14: the accounts that cannot publish, each with `viewerCanReconnect` (reconnect now) or
    /// `lastReconnectedBy` (whom to ask); `saveDraft` keeps the text meanwhile.
    pub disconnected_accounts: Vec<SocialAccount>,
    /// Expected refusals; nothing was written when present.
    pub user_errors: Vec<UserError>,
}

/// A draft for one account.
#[derive(InputObject, Clone, Debug)]
pub struct SaveDraftInput {
    /// The account.
    pub social_account_id: ID,
    /// The text.
    pub body: String,
    /// The intended time, if any.
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// What `saveDraft` did.
#[derive(SimpleObject, Clone, Debug)]
pub struct SaveDraftPayload {
    /// The draft.
    pub post: Option<ScheduledPost>,
    /// Expected refusals; nothing was written when present.
    pub user_errors: Vec<UserError>,
}

/// The release choices for a held post (B4).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum HeldPostAction {
    /// Send it now (its account must be able to publish).
    PublishNow,
    /// Send it at `scheduledAt` (held again if its account still cannot publish).
    Reschedule,
    /// Keep it as a draft.
    Draft,
}

/// One choice for one or many held posts.
#[derive(InputObject, Clone, Debug)]
pub struct ResolveHeldPostInput {
    /// The posts (held, waiting for a new time, or failed).
    pub post_ids: Vec<ID>,
    /// What to do with them.
    pub action: HeldPostAction,
    /// The new time, for `RESCHEDULE`.
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// What `resolveHeldPost` did.
#[derive(SimpleObject, Clone, Debug)]
pub struct ResolveHeldPostPayload {
    /// The posts as they are now; empty when refused.
    pub posts: Vec<ScheduledPost>,
    /// Expected refusals; nothing was written when present.
    pub user_errors: Vec<UserError>,
}

fn field(name: &str) -> Option<Vec<String>> {
    Some(vec!["input".to_owned(), name.to_owned()])
}

/// A composer refusal as a user error, or the API error when it is not the user's.
fn refusal(error: Refusal) -> ApiResult<UserError> {
    let (code, name, message) = match error {
        Refusal::Db(error) => return Err(error.into()),
        Refusal::TimeOutOfRange => {
            return Err(ApiError::BadUserInput(
                "`scheduledAt` must be after 2000-01-01 and at most two years ahead.".to_owned(),
            ));
        }
        Refusal::EmptyBody => (
            UserErrorCode::PostEmpty,
            "body",
            "Write something first.".to_owned(),
        ),
        Refusal::BodyTooLong => (
            UserErrorCode::PostTooLong,
            "body",
            format!(
                "Posts are at most {} characters.",
                compose::MAX_BODY_CHARS
            ),
        ),
        Refusal::NoAccount => (
            UserErrorCode::NoAccount,
            "socialAccountIds",
            "Choose at least one account.".to_owned(),
        ),
        Refusal::InThePast => (
            UserErrorCode::ScheduledInPast,
            "scheduledAt",
            "That time has passed; choose a later one.".to_owned(),
        ),
        Refusal::TimeRequired => (
            UserErrorCode::TimeRequired,
            "scheduledAt",
            "Rescheduling needs a time.".to_owned(),
        ),
        Refusal::NotAllowed(_) => (
            UserErrorCode::PublishNotAllowed,
            "socialAccountIds",
            "You may not post to every one of these accounts; nothing was saved.".to_owned(),
        ),
        Refusal::AccountsDisconnected(_) => (
            UserErrorCode::AccountDisconnected,
            "socialAccountIds",
            "Some of these accounts are disconnected and cannot publish. Reconnect them, ask whoever last did, or save a draft; nothing was scheduled.".to_owned(),
        ),
        Refusal::NotHeld(_) => (
            UserErrorCode::PostNotHeld,
            "postIds",
            "Only held, late or failed posts can be resolved; nothing changed.".to_owned(),
        ),
    };
    Ok(UserError {
        code,
        field: field(name),
        message,
    })
}

/// Reads account ids the viewer may see; any other reads as unknown (NOT_FOUND).
async fn accounts_by_ids(
    ctx: &Context<'_>,
    wanted: &[ID],
) -> ApiResult<Vec<social_accounts::Model>> {
    let mut decoded = Vec::with_capacity(wanted.len());
    for id in wanted {
        decoded.push(ids::decode_as(Kind::SocialAccount, id).ok_or(ApiError::NotFound)?);
    }
    let visible = visible_accounts(ctx, decoded.iter().copied()).await?;
    let mut found = Vec::with_capacity(wanted.len());
    for id in decoded {
        let account = visible.get(&id).ok_or(ApiError::NotFound)?;
        if !found
            .iter()
            .any(|seen: &social_accounts::Model| seen.id == account.id)
        {
            found.push((**account).clone());
        }
    }
    Ok(found)
}

/// Mutations of the composer and the planner.
#[derive(Default)]
pub struct PostsMutation;

#[Object]
impl PostsMutation {
    /// R14: schedules one post per account; refused as a whole (with each account that cannot
    /// publish and whether the viewer may reconnect it) when any account is disconnected.
    #[graphql(guard = "Authenticated")]
    async fn schedule_post(
        &self,
        ctx: &Context<'_>,
        input: SchedulePostInput,
    ) -> async_graphql::Result<SchedulePostPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let accounts = accounts_by_ids(ctx, &input.social_account_ids).await?;
            let scheduled = actions::schedule(
                database(ctx)?,
                &viewer.subject,
                &accounts,
                &input.body,
                input.scheduled_at,
                clock(ctx)?.now(),
            )
            .await;
            match scheduled {
                Ok(posts) => {
                    let by_id: HashMap<i64, Arc<social_accounts::Model>> = accounts
                        .into_iter()
                        .map(|account| (account.id, Arc::new(account)))
                        .collect();
                    Ok(SchedulePostPayload {
                        posts: with_accounts(posts, &by_id),
                        disconnected_accounts: Vec::new(),
                        user_errors: Vec::new(),
                    })
                }
                Err(error) => {
                    let disconnected = match &error {
                        Refusal::AccountsDisconnected(ids) => accounts
                            .iter()
                            .filter(|account| ids.contains(&account.id))
                            .cloned()
                            .map(SocialAccount)
                            .collect(),
                        _ => Vec::new(),
                    };
                    Ok(SchedulePostPayload {
                        posts: Vec::new(),
                        disconnected_accounts: disconnected,
                        user_errors: vec![refusal(error)?],
                    })
                }
            }
        }
        .await)
    }

    /// R14: saves a draft; works whatever the account's health, for anyone who may draft for it
    /// (a LIMITED member drafts only).
    #[graphql(guard = "Authenticated")]
    async fn save_draft(
        &self,
        ctx: &Context<'_>,
        input: SaveDraftInput,
    ) -> async_graphql::Result<SaveDraftPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = accounts_by_ids(ctx, std::slice::from_ref(&input.social_account_id))
                .await?
                .remove(0);
            let saved = actions::save_draft(
                database(ctx)?,
                &viewer.subject,
                &account,
                &input.body,
                input.scheduled_at,
                clock(ctx)?.now(),
            )
            .await;
            Ok(match saved {
                Ok(post) => SaveDraftPayload {
                    post: Some(ScheduledPost {
                        post,
                        account: Arc::new(account),
                    }),
                    user_errors: Vec::new(),
                },
                Err(Refusal::NotAllowed(_)) => SaveDraftPayload {
                    post: None,
                    user_errors: vec![UserError {
                        code: UserErrorCode::DraftNotAllowed,
                        field: field("socialAccountId"),
                        message: "You may not write posts for this account.".to_owned(),
                    }],
                },
                Err(error) => SaveDraftPayload {
                    post: None,
                    user_errors: vec![refusal(error)?],
                },
            })
        }
        .await)
    }

    /// B4: publish now, reschedule or keep as a draft — one post or many, all or none.
    #[graphql(guard = "Authenticated")]
    async fn resolve_held_post(
        &self,
        ctx: &Context<'_>,
        input: ResolveHeldPostInput,
    ) -> async_graphql::Result<ResolveHeldPostPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            if input.post_ids.is_empty() {
                return Err(ApiError::BadUserInput("`postIds` is empty".to_owned()));
            }
            let mut wanted = Vec::with_capacity(input.post_ids.len());
            for id in &input.post_ids {
                wanted.push(ids::decode_as(Kind::ScheduledPost, id).ok_or(ApiError::NotFound)?);
            }
            let resolution = match input.action {
                HeldPostAction::PublishNow => Resolution::PublishNow,
                HeldPostAction::Reschedule => Resolution::Reschedule(input.scheduled_at),
                HeldPostAction::Draft => Resolution::Draft,
            };
            let now = clock(ctx)?.now();
            match actions::resolve_held(database(ctx)?, &viewer.subject, &wanted, resolution, now)
                .await
            {
                Ok(resolved) => {
                    events_committed(ctx);
                    Ok(ResolveHeldPostPayload {
                        posts: resolved
                            .into_iter()
                            .map(|(post, account)| ScheduledPost {
                                post,
                                account: Arc::new(account),
                            })
                            .collect(),
                        user_errors: Vec::new(),
                    })
                }
                Err(ResolveError::NotFound) => Err(ApiError::NotFound),
                Err(ResolveError::Refused(error)) => Ok(ResolveHeldPostPayload {
                    posts: Vec::new(),
                    user_errors: vec![refusal(error)?],
                }),
            }
        }
        .await)
    }
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

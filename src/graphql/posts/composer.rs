//! The composer (R14) and the release choices for held posts (B4).

use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::social_accounts;

use super::{ScheduledPost, visible_accounts, with_accounts};
use crate::graphql::{
    accounts::SocialAccount,
    context::{app, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::{MayView, MayViewAll, MayViewPosts},
    ids::{self, Kind},
    user_errors::{UserError, UserErrorCode},
};
use crate::posts::{
    actions::{self, ResolveError},
    compose::{self, Refusal, Resolution},
};

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
    #[graphql(guard = "MayViewAll(&input.social_account_ids)")]
    async fn schedule_post(
        &self,
        ctx: &Context<'_>,
        input: SchedulePostInput,
    ) -> async_graphql::Result<SchedulePostPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let accounts = accounts_by_ids(ctx, &input.social_account_ids).await?;
            let scheduled = actions::schedule(
                app(ctx)?,
                &viewer.subject,
                &accounts,
                &input.body,
                input.scheduled_at,
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
    #[graphql(guard = "MayView(&input.social_account_id)")]
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
                app(ctx)?,
                &viewer.subject,
                &account,
                &input.body,
                input.scheduled_at,
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
    #[graphql(guard = "MayViewPosts(&input.post_ids)")]
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
            match actions::resolve_held(app(ctx)?, &viewer.subject, &wanted, resolution).await {
                Ok(resolved) => Ok(ResolveHeldPostPayload {
                    posts: resolved
                        .into_iter()
                        .map(|(post, account)| ScheduledPost {
                            post,
                            account: Arc::new(account),
                        })
                        .collect(),
                    user_errors: Vec::new(),
                }),
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

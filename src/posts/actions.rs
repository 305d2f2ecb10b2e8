//! The composer's and the planner's use cases, each in its own transaction: schedule (R14), save
//! a draft (R14), and resolve held posts (B4). The edges decode ids and map the answers.

use chrono::{DateTime, Utc};
use entity::{scheduled_posts, social_accounts};
use sea_orm::DbErr;

use super::{
    compose::{self, Refusal, Resolution},
    repo,
};
use crate::{access::Subject, accounts, app::App};

/// Why resolving held posts changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A post is unknown, or of an account the viewer may not see (the two read alike).
    #[error("not found")]
    NotFound,
    /// The composer's rules refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

impl From<DbErr> for ResolveError {
    fn from(error: DbErr) -> Self {
        Self::Refused(Refusal::Db(error))
    }
}

/// `schedulePost`: one post per account at `at`, all or none (see [`compose::schedule`]).
pub async fn schedule(
    app: &App,
    subject: &Subject,
    accounts: &[social_accounts::Model],
    body: &str,
    at: DateTime<Utc>,
) -> Result<Vec<scheduled_posts::Model>, Refusal> {
    let txn = app.begin().await?;
    let posts = compose::schedule(&txn, subject, accounts, body, at, app.now()).await?;
    app.commit(txn).await?;
    Ok(posts)
}

/// `saveDraft`: a draft for whoever may draft for the account (see [`compose::save_draft`]).
pub async fn save_draft(
    app: &App,
    subject: &Subject,
    account: &social_accounts::Model,
    body: &str,
    at: Option<DateTime<Utc>>,
) -> Result<scheduled_posts::Model, Refusal> {
    compose::save_draft(&app.db, subject, account, body, at, app.now()).await
}

/// `resolveHeldPost`: applies `resolution` to the posts `post_ids` (duplicates once), all or
/// none; every post must be of an account `subject` may see. Returns each resolved post with its
/// account.
pub async fn resolve_held(
    app: &App,
    subject: &Subject,
    post_ids: &[i64],
    resolution: Resolution,
) -> Result<Vec<(scheduled_posts::Model, social_accounts::Model)>, ResolveError> {
    let now = app.now();
    let txn = app.begin().await?;
    let rows = repo::by_ids(&txn, post_ids).await?;
    let mut account_ids: Vec<i64> = rows.iter().map(|post| post.social_account_id).collect();
    account_ids.sort_unstable();
    account_ids.dedup();
    let visible = accounts::repo::visible_by_ids(&txn, subject, &account_ids).await?;
    let mut posts: Vec<(scheduled_posts::Model, social_accounts::Model)> =
        Vec::with_capacity(post_ids.len());
    for id in post_ids {
        // Another organization's post reads exactly like an unknown one.
        let post = rows
            .iter()
            .find(|post| post.id == *id)
            .ok_or(ResolveError::NotFound)?;
        let account = visible
            .iter()
            .find(|account| account.id == post.social_account_id)
            .ok_or(ResolveError::NotFound)?;
        if !posts.iter().any(|(seen, _)| seen.id == post.id) {
            posts.push((post.clone(), account.clone()));
        }
    }
    let resolved = compose::resolve(&txn, subject, &posts, resolution, now).await?;
    app.commit(txn).await?;
    Ok(resolved
        .into_iter()
        .filter_map(|post| {
            let account = visible
                .iter()
                .find(|account| account.id == post.social_account_id)?
                .clone();
            Some((post, account))
        })
        .collect())
}

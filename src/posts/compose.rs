//! The composer (R14) and the release choices (B4): what a person may do with posts, checked
//! against the permission rules and each account's health. All or nothing: a refusal writes none.

use chrono::{DateTime, Duration, Utc};
use entity::{enums::PostState, scheduled_posts, social_accounts};
use rand::RngCore as _;
use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, NotSet, Set};

use super::{publishable, repo};
use crate::access::{self, Action, Owner, Subject};

/// The longest post body accepted.
pub const MAX_BODY_CHARS: usize = 5_000;

/// Why a composer action was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The body is empty or only whitespace.
    #[error("the post has no text")]
    EmptyBody,
    /// The body is longer than [`MAX_BODY_CHARS`].
    #[error("the post is longer than {MAX_BODY_CHARS} characters")]
    BodyTooLong,
    /// No account was named.
    #[error("no account")]
    NoAccount,
    /// The time is in the past.
    #[error("the time is in the past")]
    InThePast,
    /// The time is before 2000 or more than two years ahead: no plan needs it, and times outside
    /// stay clear of chrono's limits and of SQLite's text comparison of times (a year past 9999
    /// would sort before year 2000).
    #[error("the time is out of range")]
    TimeOutOfRange,
    /// The viewer may not schedule (or draft) for these accounts.
    #[error("not allowed")]
    NotAllowed(Vec<i64>),
    /// R14: these accounts are disconnected and cannot publish; a draft works.
    #[error("accounts cannot publish")]
    AccountsDisconnected(Vec<i64>),
    /// The post is not held, waiting for a new time, or failed: nothing to resolve.
    #[error("post not held")]
    NotHeld(Vec<i64>),
    /// `RESCHEDULE` needs a time.
    #[error("a time is required")]
    TimeRequired,
    /// A database failure.
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn owner(account: &social_accounts::Model) -> Option<Owner> {
    Owner::from_columns(account.owner_organization_id, account.owner_user_id)
}

fn may(subject: &Subject, account: &social_accounts::Model, action: Action) -> bool {
    owner(account).is_some_and(|owner| access::may(subject, account.id, owner, action))
}

fn check_body(body: &str) -> Result<(), Refusal> {
    if body.trim().is_empty() {
        return Err(Refusal::EmptyBody);
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(Refusal::BodyTooLong);
    }
    Ok(())
}

/// A little slack for clocks and slow typing: "now" is not "the past".
fn in_the_past(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    at < crate::clock::before(now, Duration::minutes(1))
}

/// The furthest ahead a post may be planned.
pub fn max_ahead() -> Duration {
    Duration::days(2 * 366)
}

/// The earliest time a post may carry.
pub fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(946_684_800, 0).unwrap_or(DateTime::<Utc>::MIN_UTC) // 2000-01-01
}

/// Refuses a time before 2000 or more than [`max_ahead`] from now.
fn check_time(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refusal> {
    if at < earliest() || at > crate::clock::after(now, max_ahead()) {
        return Err(Refusal::TimeOutOfRange);
    }
    Ok(())
}

/// A fresh idempotency key: sent with every publish attempt of one post.
pub fn idempotency_key() -> String {
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    raw.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn insert(
    db: &impl ConnectionTrait,
    account: &social_accounts::Model,
    author: i64,
    body: &str,
    at: Option<DateTime<Utc>>,
    state: PostState,
    now: DateTime<Utc>,
) -> Result<scheduled_posts::Model, DbErr> {
    scheduled_posts::ActiveModel {
        id: NotSet,
        social_account_id: Set(account.id),
        author_id: Set(author),
        body: Set(body.to_owned()),
        scheduled_at: Set(at),
        state: Set(state),
        idempotency_key: Set(idempotency_key()),
        attempts: Set(0),
        lease_until: Set(None),
        not_before: Set(None),
        held_at: Set(None),
        published_at: Set(None),
        external_post_id: Set(None),
        failure_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

/// `schedulePost`: one post per account at `at`. R14: refused as a whole when the viewer may not
/// publish to one of them, or one cannot publish (disconnected; a limited one publishes, R18).
pub async fn schedule(
    db: &impl ConnectionTrait,
    subject: &Subject,
    accounts: &[social_accounts::Model],
    body: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<scheduled_posts::Model>, Refusal> {
    check_body(body)?;
    if accounts.is_empty() {
        return Err(Refusal::NoAccount);
    }
    check_time(at, now)?;
    if in_the_past(at, now) {
        return Err(Refusal::InThePast);
    }
    let not_allowed: Vec<i64> = accounts
        .iter()
        .filter(|account| !may(subject, account, Action::Publish))
        .map(|account| account.id)
        .collect();
    if !not_allowed.is_empty() {
        return Err(Refusal::NotAllowed(not_allowed));
    }
    let cannot: Vec<i64> = accounts
        .iter()
        .filter(|account| !publishable(account.health))
        .map(|account| account.id)
        .collect();
    if !cannot.is_empty() {
        return Err(Refusal::AccountsDisconnected(cannot));
    }
    let mut posts = Vec::with_capacity(accounts.len());
    for account in accounts {
        posts.push(
            insert(
                db,
                account,
                subject.user_id,
                body,
                Some(at),
                PostState::Scheduled,
                now,
            )
            .await?,
        );
    }
    Ok(posts)
}

/// `saveDraft`: always possible for whoever may draft for the account, whatever its health (R14).
pub async fn save_draft(
    db: &impl ConnectionTrait,
    subject: &Subject,
    account: &social_accounts::Model,
    body: &str,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<scheduled_posts::Model, Refusal> {
    check_body(body)?;
    if let Some(at) = at {
        check_time(at, now)?;
    }
    if !may(subject, account, Action::Draft) {
        return Err(Refusal::NotAllowed(vec![account.id]));
    }
    Ok(insert(
        db,
        account,
        subject.user_id,
        body,
        at,
        PostState::Draft,
        now,
    )
    .await?)
}

/// What a person chooses for a held (or late, or failed) post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Send it now (its account must be able to publish).
    PublishNow,
    /// Send it at a new time (held again if its account still cannot publish).
    Reschedule(Option<DateTime<Utc>>),
    /// Keep it as a draft.
    Draft,
}

/// `resolveHeldPost`: applies one choice to one or many posts, all or none.
pub async fn resolve(
    db: &impl ConnectionTrait,
    subject: &Subject,
    posts: &[(scheduled_posts::Model, social_accounts::Model)],
    resolution: Resolution,
    now: DateTime<Utc>,
) -> Result<Vec<scheduled_posts::Model>, Refusal> {
    let resolvable = |post: &scheduled_posts::Model| {
        matches!(
            post.state,
            PostState::Held | PostState::NeedsReschedule | PostState::Failed
        )
    };
    let not_held: Vec<i64> = posts
        .iter()
        .filter(|(post, _)| !resolvable(post))
        .map(|(post, _)| post.id)
        .collect();
    if !not_held.is_empty() {
        return Err(Refusal::NotHeld(not_held));
    }
    let action = match resolution {
        Resolution::Draft => Action::Draft,
        _ => Action::Publish,
    };
    let not_allowed: Vec<i64> = posts
        .iter()
        .filter(|(_, account)| !may(subject, account, action))
        .map(|(post, _)| post.id)
        .collect();
    if !not_allowed.is_empty() {
        return Err(Refusal::NotAllowed(not_allowed));
    }
    if let Resolution::Reschedule(at) = resolution {
        let at = at.ok_or(Refusal::TimeRequired)?;
        check_time(at, now)?;
        if in_the_past(at, now) {
            return Err(Refusal::InThePast);
        }
    }
    if resolution == Resolution::PublishNow {
        let cannot: Vec<i64> = posts
            .iter()
            .filter(|(_, account)| !publishable(account.health))
            .map(|(_, account)| account.id)
            .collect();
        if !cannot.is_empty() {
            return Err(Refusal::AccountsDisconnected(cannot));
        }
    }
    let mut resolved = Vec::with_capacity(posts.len());
    for (post, account) in posts {
        let (state, at) = match resolution {
            Resolution::PublishNow => (PostState::Scheduled, Some(now)),
            Resolution::Reschedule(at) if publishable(account.health) => (PostState::Scheduled, at),
            Resolution::Reschedule(at) => (PostState::Held, at),
            Resolution::Draft => (PostState::Draft, post.scheduled_at),
        };
        let moved = repo::set_state(db, post, state, now).await?;
        let moved = scheduled_posts::ActiveModel {
            id: Set(moved.id),
            scheduled_at: Set(at),
            failure_reason: Set(None),
            ..Default::default()
        }
        .update(db)
        .await?;
        resolved.push(moved);
    }
    Ok(resolved)
}

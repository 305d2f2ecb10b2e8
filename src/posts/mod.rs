//! Held work (R13, R14, B4): posts written in the composer, held while their account cannot
//! publish, released in order when it can again, and published exactly once by the publisher.

pub mod actions;
pub mod compose;
pub mod publisher;
pub mod repo;

use chrono::{DateTime, Utc};
use entity::{enums::Health, enums::PostState, scheduled_posts};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    sea_query::Expr,
};

/// Whether an account in this health can publish: connected, expiring soon, or limited (R18:
/// "connected but limited" publishes through what still works, with a warning everywhere it
/// shows). Only disconnected accounts hold their posts.
pub fn publishable(health: Health) -> bool {
    matches!(
        health,
        Health::Connected | Health::Expiring | Health::Limited
    )
}

/// Holds the account's scheduled posts, and one being published (its worker's result is then
/// ignored), in the caller's transaction: they wait, they are never failed or dropped (R13, B4).
pub async fn hold_account(
    db: &impl ConnectionTrait,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let held = scheduled_posts::Entity::update_many()
        .col_expr(scheduled_posts::Column::State, Expr::value(PostState::Held))
        .col_expr(scheduled_posts::Column::HeldAt, Expr::value(now))
        .col_expr(
            scheduled_posts::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(scheduled_posts::Column::UpdatedAt, Expr::value(now))
        .filter(scheduled_posts::Column::SocialAccountId.eq(account_id))
        .filter(scheduled_posts::Column::State.is_in([PostState::Scheduled, PostState::Publishing]))
        .exec(db)
        .await?;
    Ok(held.rows_affected)
}

/// B4: releases the account's held posts in their scheduled order, in the caller's transaction.
/// A post still within the grace window goes back to `SCHEDULED` (the publisher sends it, late
/// ones first); one whose time passed more than the window ago goes to `NEEDS_RESCHEDULE`.
/// Returns the released posts as they are now.
pub async fn release_account(
    db: &impl ConnectionTrait,
    account_id: i64,
    settings: crate::config::PostSettings,
    now: DateTime<Utc>,
) -> Result<Vec<scheduled_posts::Model>, DbErr> {
    let held = scheduled_posts::Entity::find()
        .filter(scheduled_posts::Column::SocialAccountId.eq(account_id))
        .filter(scheduled_posts::Column::State.eq(PostState::Held))
        .order_by_asc(scheduled_posts::Column::ScheduledAt)
        .order_by_asc(scheduled_posts::Column::Id)
        .all(db)
        .await?;
    let mut released = Vec::with_capacity(held.len());
    for post in held {
        let state = match post.scheduled_at {
            Some(at) if crate::clock::after(at, settings.grace) < now => PostState::NeedsReschedule,
            _ => PostState::Scheduled,
        };
        released.push(repo::set_state(db, &post, state, now).await?);
    }
    Ok(released)
}

//! Status changes of accounts: each one writes the account, its episode, an audit entry and an
//! event row in the caller's transaction, so a change without its event cannot happen (B7, B8).

use chrono::{DateTime, Utc};
use entity::{
    analytics_gaps, disconnect_episodes,
    enums::{AccountKind, DisconnectReason, Health, LimitedReason},
    events, social_accounts,
};
use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, NotSet, Set};

use crate::audit;

/// What becomes of one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Back to full function.
    Connected,
    /// Back, with reduced function (R18).
    Limited(LimitedReason),
    /// Stays (or becomes) disconnected, with the reason the network gave (B7).
    Disconnected(DisconnectReason),
}

impl Verdict {
    /// The health this verdict stores.
    pub fn health(self) -> Health {
        match self {
            Self::Connected => Health::Connected,
            Self::Limited(_) => Health::Limited,
            Self::Disconnected(_) => Health::Disconnected,
        }
    }
}

/// Applies one account's verdict: health, reason, its episode, the audit entry and the event row
/// (B8; the outbox of the live issue publishes the events).
pub async fn apply_verdict(
    db: &impl ConnectionTrait,
    account: &social_accounts::Model,
    verdict: Verdict,
    login_id: i64,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<social_accounts::Model, DbErr> {
    let mut row = social_accounts::ActiveModel {
        id: Set(account.id),
        social_login_id: Set(login_id),
        health: Set(verdict.health()),
        ..Default::default()
    };
    let (action, kind) = match verdict {
        Verdict::Connected | Verdict::Limited(_) => {
            if let Some(episode) = account.current_episode_id {
                disconnect_episodes::ActiveModel {
                    id: Set(episode),
                    ended_at: Set(Some(now)),
                    ended_by: Set(actor),
                    ..Default::default()
                }
                .update(db)
                .await?;
                // B5: analytics are collected again from now.
                close_gap(db, episode, now).await?;
            }
            row.limited_reason = Set(match verdict {
                Verdict::Limited(reason) => Some(reason),
                _ => None,
            });
            row.disconnect_reason = Set(None);
            row.disconnected_at = Set(None);
            row.current_episode_id = Set(None);
            (
                "account.reconnected",
                if matches!(verdict, Verdict::Limited(_)) {
                    "LIMITED"
                } else {
                    "RECONNECTED"
                },
            )
        }
        Verdict::Disconnected(reason) => {
            row.disconnect_reason = Set(Some(reason));
            if account.current_episode_id.is_none() {
                let episode = disconnect_episodes::ActiveModel {
                    id: NotSet,
                    social_account_id: Set(account.id),
                    reason: Set(reason),
                    started_at: Set(now),
                    ended_at: Set(None),
                    ended_by: Set(None),
                    email_sent_at: Set(None),
                    email_attempts: Set(0),
                    recovered_email_sent_at: Set(None),
                    told_user_ids: Set(None),
                }
                .insert(db)
                .await?;
                row.current_episode_id = Set(Some(episode.id));
                row.disconnected_at = Set(Some(now));
                // B5: no analytics from now until the episode ends.
                analytics_gaps::ActiveModel {
                    id: NotSet,
                    social_account_id: Set(account.id),
                    episode_id: Set(episode.id),
                    from: Set(now),
                    to: Set(None),
                }
                .insert(db)
                .await?;
            }
            row.limited_reason = Set(None);
            // R13, B4: its scheduled posts wait, in the same transaction as the disconnect.
            crate::posts::hold_account(db, account.id, now).await?;
            (
                if account.health == Health::Disconnected {
                    "account.still_disconnected"
                } else {
                    "account.disconnected"
                },
                "DISCONNECTED",
            )
        }
    };
    let updated = row.update(db).await?;
    record_account_change(db, &updated, action, kind, actor, now).await?;
    if usable(account.health) != usable(updated.health) {
        follow_page(db, &updated, actor, now).await?;
    }
    Ok(updated)
}

/// Whether an account in this health works (fully or limited): what a linked profile follows.
fn usable(health: Health) -> bool {
    !matches!(health, Health::Disconnected)
}

/// R18: the Instagram business profiles linked to `page` follow it, in the caller's transaction.
/// A page that works again lifts its profiles' limit (`LIMITED` → `CONNECTED`); a page that
/// stopped working limits the profiles that still work (`CONNECTED`/`EXPIRING` → `LIMITED`).
/// A disconnected profile stays as it is: its own login is what it needs.
async fn follow_page(
    db: &impl ConnectionTrait,
    page: &social_accounts::Model,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
    if page.kind != AccountKind::Page {
        return Ok(());
    }
    let page_works = usable(page.health);
    let profiles = social_accounts::Entity::find()
        .filter(social_accounts::Column::LinkedAccountId.eq(page.id))
        .filter(social_accounts::Column::Kind.eq(AccountKind::BusinessProfile))
        .all(db)
        .await?;
    for profile in profiles {
        let (health, reason, action, kind) = match (page_works, profile.health) {
            (true, Health::Limited)
                if profile.limited_reason == Some(LimitedReason::LinkedPageNotAuthorized) =>
            {
                (
                    Health::Connected,
                    None,
                    "account.limit_lifted",
                    "RECONNECTED",
                )
            }
            (false, Health::Connected | Health::Expiring) => (
                Health::Limited,
                Some(LimitedReason::LinkedPageNotAuthorized),
                "account.limited",
                "LIMITED",
            ),
            _ => continue,
        };
        let updated = social_accounts::ActiveModel {
            id: Set(profile.id),
            health: Set(health),
            limited_reason: Set(reason),
            ..Default::default()
        }
        .update(db)
        .await?;
        let detail = serde_json::json!({
            "health": updated.health,
            "reason": updated.disconnect_reason,
            "limitedReason": updated.limited_reason,
            "loginId": updated.social_login_id,
            "linkedPageId": page.id,
        });
        record_account_event(db, &updated, action, kind, actor, detail, now).await?;
    }
    Ok(())
}

async fn close_gap(
    db: &impl ConnectionTrait,
    episode_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, sea_query::Expr};
    analytics_gaps::Entity::update_many()
        .col_expr(analytics_gaps::Column::To, Expr::value(now))
        .filter(analytics_gaps::Column::EpisodeId.eq(episode_id))
        .filter(analytics_gaps::Column::To.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Records a status change of `account`: its audit entry and its event row, with the account's
/// health and reason as detail (B8).
pub async fn record_account_change(
    db: &impl ConnectionTrait,
    account: &social_accounts::Model,
    action: &'static str,
    kind: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let detail = serde_json::json!({
        "health": account.health,
        "reason": account.disconnect_reason,
        "limitedReason": account.limited_reason,
        "loginId": account.social_login_id,
    });
    record_account_event(db, account, action, kind, actor, detail, now).await
}

/// Writes an audit entry and an event row about `account`, in the caller's transaction.
pub async fn record_account_event(
    db: &impl ConnectionTrait,
    account: &social_accounts::Model,
    action: &'static str,
    kind: &str,
    actor: Option<i64>,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit::record(
        db,
        audit::Entry {
            organization_id: account.owner_organization_id,
            actor_user_id: actor,
            action,
            target_type: "social_account",
            target_id: Some(account.id),
            detail: detail.clone(),
        },
        now,
    )
    .await?;
    crate::events::repo::append(
        db,
        events::ActiveModel {
            organization_id: Set(account.owner_organization_id),
            owner_user_id: Set(account.owner_user_id),
            social_account_id: Set(Some(account.id)),
            social_login_id: Set(Some(account.social_login_id)),
            ..crate::events::repo::row(kind, detail, now)
        },
    )
    .await?;
    Ok(())
}

//! Banner dismissals and the episodes the emails of R12 announce.

use chrono::{DateTime, Utc};
use entity::{
    banner_dismissals, disconnect_episodes, enums::OrgRole, memberships, social_accounts,
    social_logins, users,
};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    Set,
    sea_query::{Expr, ExprTrait as _, OnConflict},
};

/// When the user last dismissed the banner.
pub async fn dismissed_at(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(banner_dismissals::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|row| row.dismissed_at))
}

/// Records a dismissal at `at`, replacing an earlier one.
pub async fn dismiss(
    db: &impl ConnectionTrait,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    banner_dismissals::Entity::insert(banner_dismissals::ActiveModel {
        user_id: Set(user_id),
        dismissed_at: Set(at),
    })
    .on_conflict(
        OnConflict::column(banner_dismissals::Column::UserId)
            .update_column(banner_dismissals::Column::DismissedAt)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Open episodes whose disconnect email has not gone out (R12), with fewer than `max_attempts`
/// failed tries, each with its account and login.
pub async fn episodes_to_announce(
    db: &impl ConnectionTrait,
    max_attempts: i32,
) -> Result<
    Vec<(
        disconnect_episodes::Model,
        social_accounts::Model,
        social_logins::Model,
    )>,
    DbErr,
> {
    let episodes = disconnect_episodes::Entity::find()
        .filter(disconnect_episodes::Column::EndedAt.is_null())
        .filter(disconnect_episodes::Column::EmailSentAt.is_null())
        .filter(disconnect_episodes::Column::EmailAttempts.lt(max_attempts))
        .order_by_asc(disconnect_episodes::Column::Id)
        .all(db)
        .await?;
    with_accounts(db, episodes).await
}

/// Ended episodes whose disconnect email went out but whose "recovered" email has not.
pub async fn episodes_recovered(
    db: &impl ConnectionTrait,
) -> Result<
    Vec<(
        disconnect_episodes::Model,
        social_accounts::Model,
        social_logins::Model,
    )>,
    DbErr,
> {
    let episodes = disconnect_episodes::Entity::find()
        .filter(disconnect_episodes::Column::EndedAt.is_not_null())
        .filter(disconnect_episodes::Column::EmailSentAt.is_not_null())
        .filter(disconnect_episodes::Column::RecoveredEmailSentAt.is_null())
        .order_by_asc(disconnect_episodes::Column::Id)
        .all(db)
        .await?;
    with_accounts(db, episodes).await
}

async fn with_accounts(
    db: &impl ConnectionTrait,
    episodes: Vec<disconnect_episodes::Model>,
) -> Result<
    Vec<(
        disconnect_episodes::Model,
        social_accounts::Model,
        social_logins::Model,
    )>,
    DbErr,
> {
    let ids: Vec<i64> = episodes
        .iter()
        .map(|episode| episode.social_account_id)
        .collect();
    let accounts: Vec<(social_accounts::Model, Option<social_logins::Model>)> =
        social_accounts::Entity::find()
            .filter(social_accounts::Column::Id.is_in(ids))
            .find_also_related(social_logins::Entity)
            .all(db)
            .await?;
    Ok(episodes
        .into_iter()
        .filter_map(|episode| {
            accounts
                .iter()
                .find(|(account, _)| account.id == episode.social_account_id)
                .and_then(|(account, login)| {
                    login.clone().map(|login| (episode, account.clone(), login))
                })
        })
        .collect())
}

/// The column that records one of the two emails of an episode.
fn announced_column(recovered: bool) -> disconnect_episodes::Column {
    if recovered {
        disconnect_episodes::Column::RecoveredEmailSentAt
    } else {
        disconnect_episodes::Column::EmailSentAt
    }
}

/// Claims episodes for one email, once: false when another process claimed any of them first.
pub async fn claim_announcement(
    db: &impl ConnectionTrait,
    ids: &[i64],
    now: DateTime<Utc>,
    recovered: bool,
) -> Result<bool, DbErr> {
    let column = announced_column(recovered);
    let claimed = disconnect_episodes::Entity::update_many()
        .col_expr(column, Expr::value(now))
        .filter(disconnect_episodes::Column::Id.is_in(ids.iter().copied()))
        .filter(column.is_null())
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == ids.len() as u64)
}

/// Gives a claim back after a failed send, counting the attempt (retried next pass).
pub async fn release_announcement(
    db: &impl ConnectionTrait,
    ids: &[i64],
    recovered: bool,
) -> Result<(), DbErr> {
    let column = announced_column(recovered);
    disconnect_episodes::Entity::update_many()
        .col_expr(column, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(
            disconnect_episodes::Column::EmailAttempts,
            Expr::col(disconnect_episodes::Column::EmailAttempts).add(1),
        )
        .filter(disconnect_episodes::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Who hears about an account's disconnect (R12): who last connected or reconnected it, while
/// they are still someone who may reconnect it (a member of the owning organization whose role or
/// grants allow it, R3/R8); otherwise every admin of the owning organization; for a personal
/// account, its owner.
pub async fn recipients(
    db: &impl ConnectionTrait,
    account: &social_accounts::Model,
    login: &social_logins::Model,
) -> Result<Vec<users::Model>, DbErr> {
    if let Some(last) = login.last_reconnected_by.or(login.connected_by) {
        let subject = crate::accounts::repo::load_subject(db, last).await?;
        let siblings = crate::accounts::repo::account_owners_by_login(db, &[login.id])
            .await?
            .remove(&login.id)
            .unwrap_or_default();
        if crate::access::may_reconnect_login(&subject, siblings)
            && let Some(user) = users::Entity::find_by_id(last).one(db).await?
        {
            return Ok(vec![user]);
        }
    }
    let ids: Vec<i64> = match account.owner_organization_id {
        Some(org) => memberships::Entity::find()
            .filter(memberships::Column::OrganizationId.eq(org))
            .filter(memberships::Column::Role.is_in([OrgRole::SuperAdmin, OrgRole::Admin]))
            .order_by_asc(memberships::Column::UserId)
            .all(db)
            .await?
            .into_iter()
            .map(|membership| membership.user_id)
            .collect(),
        None => account.owner_user_id.into_iter().collect(),
    };
    users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await
}

/// Records whom the disconnect email of the episodes `ids` told.
pub async fn record_told(
    db: &impl ConnectionTrait,
    ids: &[i64],
    told: &[i64],
) -> Result<(), DbErr> {
    disconnect_episodes::Entity::update_many()
        .col_expr(
            disconnect_episodes::Column::ToldUserIds,
            Expr::value(serde_json::json!(told)),
        )
        .filter(disconnect_episodes::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// When `user_id` last asked others to reconnect `account_id` (`requestReconnect`), from the
/// audit log.
pub async fn last_reconnect_request(
    db: &impl ConnectionTrait,
    user_id: i64,
    account_id: i64,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    use entity::audit_log;
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("account.reconnect_requested"))
        .filter(audit_log::Column::ActorUserId.eq(user_id))
        .filter(audit_log::Column::TargetType.eq("social_account"))
        .filter(audit_log::Column::TargetId.eq(account_id))
        .order_by_desc(audit_log::Column::At)
        .one(db)
        .await?
        .map(|entry| entry.at))
}

//! Changes of who may do what: a user's grant on an account, a user's role in an organization.
//! Each is written with its audit entry and an `ACCESS_CHANGED` event in one transaction, so
//! everything derived from permissions (the status cache, every replica's subscribers) learns of
//! it through the outbox like of any other change (B8).

use entity::{
    account_grants,
    enums::{AccessLevel, OrgRole},
    events, memberships, social_accounts,
};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, DbErr, EntityTrait as _, NotSet, QueryFilter as _, Set,
};

use crate::{app::App, audit};

/// The event kind of a permission change.
pub const ACCESS_CHANGED: &str = "ACCESS_CHANGED";

/// Sets `user_id`'s own grant on the account `account_id` to `level` (`None` removes it).
pub async fn set_grant(
    app: &App,
    actor: Option<i64>,
    account_id: i64,
    user_id: i64,
    level: Option<AccessLevel>,
) -> Result<(), DbErr> {
    let now = app.now();
    let txn = app.begin().await?;
    let Some(account) = social_accounts::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
    else {
        return Err(DbErr::RecordNotFound(format!("account {account_id}")));
    };
    account_grants::Entity::delete_many()
        .filter(account_grants::Column::SocialAccountId.eq(account_id))
        .filter(account_grants::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if let Some(level) = level {
        account_grants::ActiveModel {
            id: NotSet,
            social_account_id: Set(account_id),
            user_id: Set(Some(user_id)),
            team_id: Set(None),
            level: Set(level),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let detail = serde_json::json!({ "userId": user_id, "level": level });
    record(
        &txn,
        account.owner_organization_id,
        Some(account_id),
        user_id,
        actor,
        "access.grant_changed",
        detail,
        now,
    )
    .await?;
    app.commit(txn).await
}

/// Sets `user_id`'s role in the organization `organization_id` (`None`: they leave it).
pub async fn set_membership(
    app: &App,
    actor: Option<i64>,
    organization_id: i64,
    user_id: i64,
    role: Option<OrgRole>,
) -> Result<(), DbErr> {
    let now = app.now();
    let txn = app.begin().await?;
    memberships::Entity::delete_many()
        .filter(memberships::Column::OrganizationId.eq(organization_id))
        .filter(memberships::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if let Some(role) = role {
        memberships::ActiveModel {
            id: NotSet,
            organization_id: Set(organization_id),
            user_id: Set(user_id),
            role: Set(role),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let detail = serde_json::json!({ "userId": user_id, "role": role });
    record(
        &txn,
        Some(organization_id),
        None,
        user_id,
        actor,
        "access.membership_changed",
        detail,
        now,
    )
    .await?;
    app.commit(txn).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "one audit entry and one event, every field of both"
)]
async fn record(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: Option<i64>,
    account_id: Option<i64>,
    user_id: i64,
    actor: Option<i64>,
    action: &'static str,
    detail: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    audit::record(
        db,
        audit::Entry {
            organization_id,
            actor_user_id: actor,
            action,
            target_type: "user",
            target_id: Some(user_id),
            detail: detail.clone(),
        },
        now,
    )
    .await?;
    let event = crate::events::repo::row(ACCESS_CHANGED, detail, now);
    crate::events::repo::append(
        db,
        events::ActiveModel {
            organization_id: Set(organization_id),
            // The user whose permissions changed: their own status is forgotten too (they may
            // have just joined, so no organization of theirs names them yet).
            owner_user_id: Set(Some(user_id)),
            social_account_id: Set(account_id),
            ..event
        },
    )
    .await?;
    Ok(())
}

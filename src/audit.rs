//! B8: the audit log — who did what to which target, when and why.

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, NotSet, Set};

/// One audit entry to write.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The organization concerned, if any.
    pub organization_id: Option<i64>,
    /// The user who acted; `None` for the system (workers, networks).
    pub actor_user_id: Option<i64>,
    /// What happened, as a stable dotted name (`banner.dismissed`, `account.reconnected`).
    pub action: &'static str,
    /// The kind of thing acted on (`user`, `social_account`, `social_login`).
    pub target_type: &'static str,
    /// Its id.
    pub target_id: Option<i64>,
    /// Details; never a token, code or secret.
    pub detail: serde_json::Value,
}

/// Writes `entry` at `at`; call it inside the transaction of the change it records.
pub async fn record(
    db: &impl ConnectionTrait,
    entry: Entry,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        id: NotSet,
        organization_id: Set(entry.organization_id),
        actor_user_id: Set(entry.actor_user_id),
        action: Set(entry.action.to_owned()),
        target_type: Set(entry.target_type.to_owned()),
        target_id: Set(entry.target_id),
        detail: Set(entry.detail),
        at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Up to `limit` entries of `organization_id`, newest first, older than the entry `before` when
/// given (the audit log's pages).
pub async fn page(
    db: &impl ConnectionTrait,
    organization_id: i64,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<audit_log::Model>, DbErr> {
    use sea_orm::{
        ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
    };
    let mut query =
        audit_log::Entity::find().filter(audit_log::Column::OrganizationId.eq(organization_id));
    if let Some(before) = before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

//! Queries for automation rules.

use chrono::{DateTime, Utc};
use entity::{automation_rules, enums::ReviewReason};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, Set,
};

/// The rules of these accounts, by id.
pub async fn rules_of_accounts(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
) -> Result<Vec<automation_rules::Model>, DbErr> {
    automation_rules::Entity::find()
        .filter(automation_rules::Column::SocialAccountId.is_in(account_ids.iter().copied()))
        .order_by_asc(automation_rules::Column::Id)
        .all(db)
        .await
}

/// Records a check: flagged with its reason, or cleared.
pub async fn record_check(
    db: &impl ConnectionTrait,
    rule: &automation_rules::Model,
    problem: Option<ReviewReason>,
    now: DateTime<Utc>,
) -> Result<automation_rules::Model, DbErr> {
    automation_rules::ActiveModel {
        id: Set(rule.id),
        needs_review: Set(problem.is_some()),
        review_reason: Set(problem),
        last_checked_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await
}

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

/// Records a check by the sign-in of `actor`: flagged with its reason, or cleared. A rule newly
/// flagged remembers who flagged it and waits for its review email (sent once per flag); one
/// still flagged keeps its first flagger and its email; a cleared one forgets both.
pub async fn record_check(
    db: &impl ConnectionTrait,
    rule: &automation_rules::Model,
    problem: Option<ReviewReason>,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<automation_rules::Model, DbErr> {
    let mut row = automation_rules::ActiveModel {
        id: Set(rule.id),
        needs_review: Set(problem.is_some()),
        review_reason: Set(problem),
        last_checked_at: Set(Some(now)),
        ..Default::default()
    };
    match (rule.needs_review, problem) {
        (false, Some(_)) => {
            row.flagged_by = Set(Some(actor));
            row.review_emailed_at = Set(None);
        }
        (_, None) => {
            row.flagged_by = Set(None);
            row.review_emailed_at = Set(None);
        }
        (true, Some(_)) => {}
    }
    row.update(db).await
}

/// The rules of `organization_id` on these accounts, flagged or not (`None`: all), in id order.
pub async fn rules_of_organization(
    db: &impl ConnectionTrait,
    organization_id: i64,
    account_ids: &[i64],
    flagged: Option<bool>,
    limit: u64,
) -> Result<Vec<automation_rules::Model>, DbErr> {
    use sea_orm::QuerySelect as _;
    let mut query = automation_rules::Entity::find()
        .filter(automation_rules::Column::OrganizationId.eq(organization_id))
        .filter(automation_rules::Column::SocialAccountId.is_in(account_ids.iter().copied()));
    if let Some(flagged) = flagged {
        query = query.filter(automation_rules::Column::NeedsReview.eq(flagged));
    }
    query
        .order_by_asc(automation_rules::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Flagged rules whose review email has not gone out.
pub async fn reviews_to_announce(
    db: &impl ConnectionTrait,
) -> Result<Vec<automation_rules::Model>, DbErr> {
    automation_rules::Entity::find()
        .filter(automation_rules::Column::NeedsReview.eq(true))
        .filter(automation_rules::Column::ReviewEmailedAt.is_null())
        .order_by_asc(automation_rules::Column::Id)
        .all(db)
        .await
}

/// Claims rules for their review email, once: false when another process claimed any first.
pub async fn claim_review_email(
    db: &impl ConnectionTrait,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let claimed = automation_rules::Entity::update_many()
        .col_expr(
            automation_rules::Column::ReviewEmailedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(automation_rules::Column::Id.is_in(ids.iter().copied()))
        .filter(automation_rules::Column::ReviewEmailedAt.is_null())
        .filter(automation_rules::Column::NeedsReview.eq(true))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == ids.len() as u64)
}

/// Gives a claim back after a send that reached nobody (tried again next pass).
pub async fn release_review_email(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    automation_rules::Entity::update_many()
        .col_expr(
            automation_rules::Column::ReviewEmailedAt,
            sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(automation_rules::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

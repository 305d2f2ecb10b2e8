//! Queries of the keeper: due logins, leases, backoff.

use chrono::{DateTime, Utc};
use entity::{enums::LoginStatus, social_logins};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _,
    sea_query::Expr,
};

/// Connected logins whose access token expires before `until`.
pub async fn expiring_before(
    db: &impl ConnectionTrait,
    until: DateTime<Utc>,
) -> Result<Vec<social_logins::Model>, DbErr> {
    social_logins::Entity::find()
        .filter(social_logins::Column::Status.eq(LoginStatus::Connected))
        .filter(social_logins::Column::TokenExpiresAt.lte(until))
        .all(db)
        .await
}

/// Connected logins whose token carries no expiry and was last seen working before `before` (or
/// never): the keeper probes them.
pub async fn unchecked_since(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<Vec<social_logins::Model>, DbErr> {
    social_logins::Entity::find()
        .filter(social_logins::Column::Status.eq(LoginStatus::Connected))
        .filter(social_logins::Column::TokenExpiresAt.is_null())
        .filter(social_logins::Column::AccessTokenEnc.is_not_null())
        .filter(
            Condition::any()
                .add(social_logins::Column::CheckedAt.is_null())
                .add(social_logins::Column::CheckedAt.lte(before)),
        )
        .all(db)
        .await
}

/// Records a successful probe: the token works now; failures forgotten, the lease given back.
pub async fn checked(
    db: &impl ConnectionTrait,
    login_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    social_logins::Entity::update_many()
        .col_expr(social_logins::Column::CheckedAt, Expr::value(now))
        .col_expr(social_logins::Column::RefreshFailures, Expr::value(0))
        .col_expr(
            social_logins::Column::NextRefreshAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            social_logins::Column::RefreshLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(social_logins::Column::Id.eq(login_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes the refresh lease of a login until `until`, when nobody holds it: the one process that
/// gets it calls the network (single flight across replicas, B1).
pub async fn take_lease(
    db: &impl ConnectionTrait,
    login_id: i64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let taken = social_logins::Entity::update_many()
        .col_expr(social_logins::Column::RefreshLeaseUntil, Expr::value(until))
        .filter(social_logins::Column::Id.eq(login_id))
        .filter(
            Condition::any()
                .add(social_logins::Column::RefreshLeaseUntil.is_null())
                .add(social_logins::Column::RefreshLeaseUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Gives the lease back.
pub async fn release_lease(db: &impl ConnectionTrait, login_id: i64) -> Result<(), DbErr> {
    social_logins::Entity::update_many()
        .col_expr(
            social_logins::Column::RefreshLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(social_logins::Column::Id.eq(login_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a transient failure: no new attempt before `retry_at`, the lease given back.
pub async fn defer(
    db: &impl ConnectionTrait,
    login: &social_logins::Model,
    retry_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    social_logins::Entity::update_many()
        .col_expr(
            social_logins::Column::RefreshFailures,
            Expr::value(login.refresh_failures + 1),
        )
        .col_expr(social_logins::Column::NextRefreshAt, Expr::value(retry_at))
        .col_expr(
            social_logins::Column::RefreshLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(social_logins::Column::Id.eq(login.id))
        .exec(db)
        .await?;
    Ok(())
}

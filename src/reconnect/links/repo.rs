//! The queries of reconnect links, over any connection so they run in the use case's transaction.

use chrono::{DateTime, Utc};
use entity::reconnect_links;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _,
    NotSet, QueryFilter as _, QueryOrder as _, QuerySelect as _, Set, sea_query::Expr,
};

/// A link to record.
pub struct NewLink {
    /// SHA-256 of the token.
    pub token_hash: String,
    /// The account it restores (with, by R7, every account of its login).
    pub social_account_id: i64,
    /// The account's owning organization now.
    pub organization_id: Option<i64>,
    /// The account's owning person now, for a personal account.
    pub owner_user_id: Option<i64>,
    /// Who made it.
    pub created_by: i64,
    /// Whom it is emailed to, if anyone.
    pub recipient_email: Option<String>,
    /// The creator's note, checked.
    pub note: Option<String>,
    /// Now.
    pub created_at: DateTime<Utc>,
    /// End of life.
    pub expires_at: DateTime<Utc>,
}

/// Inserts a link.
pub async fn insert(
    db: &impl ConnectionTrait,
    link: NewLink,
) -> Result<reconnect_links::Model, DbErr> {
    reconnect_links::ActiveModel {
        id: NotSet,
        token_hash: Set(link.token_hash),
        social_account_id: Set(link.social_account_id),
        organization_id: Set(link.organization_id),
        owner_user_id: Set(link.owner_user_id),
        created_by: Set(link.created_by),
        recipient_email: Set(link.recipient_email),
        note: Set(link.note),
        created_at: Set(link.created_at),
        expires_at: Set(link.expires_at),
        emailed_at: Set(None),
        used_at: Set(None),
        used_identity: Set(None),
        used_identity_name: Set(None),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(db)
    .await
}

/// The link whose token hashes to `token_hash`, if any.
pub async fn by_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<reconnect_links::Model>, DbErr> {
    reconnect_links::Entity::find()
        .filter(reconnect_links::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// The link `id`, if any.
pub async fn by_id(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<reconnect_links::Model>, DbErr> {
    reconnect_links::Entity::find_by_id(id).one(db).await
}

/// The links of an account, newest first, at most `limit`.
pub async fn of_account(
    db: &impl ConnectionTrait,
    social_account_id: i64,
    limit: u64,
) -> Result<Vec<reconnect_links::Model>, DbErr> {
    reconnect_links::Entity::find()
        .filter(reconnect_links::Column::SocialAccountId.eq(social_account_id))
        .order_by_desc(reconnect_links::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Marks the link emailed.
pub async fn mark_emailed(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    reconnect_links::Entity::update_many()
        .col_expr(reconnect_links::Column::EmailedAt, Expr::value(now))
        .filter(reconnect_links::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The link `id`, while it is open at `now`: neither used nor revoked, and not expired.
fn open(id: i64, now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(reconnect_links::Column::Id.eq(id))
        .add(reconnect_links::Column::UsedAt.is_null())
        .add(reconnect_links::Column::RevokedAt.is_null())
        .add(reconnect_links::Column::ExpiresAt.gt(now))
}

/// Spends the link once, if it is still open at `now`: false when it was used, revoked or
/// expired meanwhile (a second sign-in through the same link).
pub async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    identity: (&str, &str),
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = reconnect_links::Entity::update_many()
        .col_expr(reconnect_links::Column::UsedAt, Expr::value(now))
        .col_expr(
            reconnect_links::Column::UsedIdentity,
            Expr::value(identity.0.to_owned()),
        )
        .col_expr(
            reconnect_links::Column::UsedIdentityName,
            Expr::value(identity.1.to_owned()),
        )
        .filter(open(id, now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes the link, if it is still open at `now`: false otherwise.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = reconnect_links::Entity::update_many()
        .col_expr(reconnect_links::Column::RevokedAt, Expr::value(now))
        .col_expr(reconnect_links::Column::RevokedBy, Expr::value(by))
        .filter(open(id, now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes links whose expiry lies more than `keep` before `now`; returns how many.
pub async fn prune(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    keep: chrono::Duration,
) -> Result<u64, DbErr> {
    let before = crate::clock::before(now, keep);
    let result = reconnect_links::Entity::delete_many()
        .filter(reconnect_links::Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

//! Banner dismissals.

use chrono::{DateTime, Utc};
use entity::banner_dismissals;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait as _, Set, sea_query::OnConflict};

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

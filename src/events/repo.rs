//! Reads of the outbox.

use entity::events;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _,
};

/// Up to `limit` events after `after`, oldest first.
pub async fn events_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<events::Model>, DbErr> {
    events::Entity::find()
        .filter(events::Column::Id.gt(after))
        .order_by_asc(events::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The id of the newest event, 0 when there is none.
pub async fn newest_id(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(events::Entity::find()
        .order_by_desc(events::Column::Id)
        .one(db)
        .await?
        .map_or(0, |event| event.id))
}

//! The outbox: appending events in commit order, and reading them.

use chrono::{DateTime, Utc};
use entity::events;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, sea_query::SelectStatement,
};

/// The key of the PostgreSQL advisory lock that orders event appends.
const APPEND_LOCK: i64 = 0x7265_6c69_6e6b; // "relink"

/// A new event row of `kind` about nothing in particular (no organization, owner, account or
/// login: set those the event is about with struct update syntax), created at `now`.
pub fn row(kind: &str, payload: serde_json::Value, now: DateTime<Utc>) -> events::ActiveModel {
    use sea_orm::{NotSet, Set};
    events::ActiveModel {
        id: NotSet,
        kind: Set(kind.to_owned()),
        organization_id: Set(None),
        owner_user_id: Set(None),
        social_account_id: Set(None),
        social_login_id: Set(None),
        payload: Set(payload),
        created_at: Set(now),
    }
}

/// Appends an event row in the caller's transaction.
///
/// The relay publishes events in id order and remembers the last id it published, so ids must
/// become visible in the order they were given out. SQLite gives that for free (one writer at a
/// time); on PostgreSQL two transactions could take ids 10 and 11 and commit 11 first, and the
/// relay would move past 10 before it appeared. A transaction-scoped advisory lock taken right
/// before the insert makes the next appender wait until this transaction ends.
pub async fn append(
    db: &impl ConnectionTrait,
    event: events::ActiveModel,
) -> Result<events::Model, DbErr> {
    use sea_orm::ActiveModelTrait as _;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"))
            .await?;
    }
    event.insert(db).await
}

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
    use sea_orm::QuerySelect as _;
    // The primary key's index alone: the status cache asks this on every request.
    Ok(events::Entity::find()
        .select_only()
        .column(events::Column::Id)
        .order_by_desc(events::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0))
}

/// Up to `limit` events after `after` about the accounts of `visible` (a subquery of account
/// ids), of `organization` when given, oldest first: one subscriber's catch-up, filtered in the
/// database rather than row by row.
pub async fn visible_after(
    db: &impl ConnectionTrait,
    visible: SelectStatement,
    organization: Option<i64>,
    after: i64,
    limit: u64,
) -> Result<Vec<events::Model>, DbErr> {
    page(db, Some(visible), organization, after, limit).await
}

/// The events after `after` (of `organization` when given), in id order, at most `limit`.
pub async fn after(
    db: &impl ConnectionTrait,
    organization: Option<i64>,
    after: i64,
    limit: u64,
) -> Result<Vec<events::Model>, DbErr> {
    page(db, None, organization, after, limit).await
}

/// A page of events after `after`, oldest first: of the accounts `visible` selects and of
/// `organization`, when given.
async fn page(
    db: &impl ConnectionTrait,
    visible: Option<SelectStatement>,
    organization: Option<i64>,
    after: i64,
    limit: u64,
) -> Result<Vec<events::Model>, DbErr> {
    let mut query = events::Entity::find().filter(events::Column::Id.gt(after));
    if let Some(visible) = visible {
        query = query.filter(events::Column::SocialAccountId.in_subquery(visible));
    }
    if let Some(organization) = organization {
        query = query.filter(events::Column::OrganizationId.eq(organization));
    }
    query
        .order_by_asc(events::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The id of the oldest event created at or after `since`, if any.
pub async fn oldest_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    Ok(events::Entity::find()
        .filter(events::Column::CreatedAt.gte(since))
        .order_by_asc(events::Column::Id)
        .one(db)
        .await?
        .map(|event| event.id))
}

/// Deletes the events created before `before`; returns how many.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(events::Entity::delete_many()
        .filter(events::Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

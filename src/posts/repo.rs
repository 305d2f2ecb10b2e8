//! Queries of held work: the publisher's claims and outcomes, the planner's pages.

use chrono::{DateTime, Utc};
use entity::{enums::PostState, scheduled_posts};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, Set,
    sea_query::{Expr, ExprTrait as _},
};

/// Moves a post to `state`: a lease and backoff no longer apply; `held_at` only while held.
pub async fn set_state(
    db: &impl ConnectionTrait,
    post: &scheduled_posts::Model,
    state: PostState,
    now: DateTime<Utc>,
) -> Result<scheduled_posts::Model, DbErr> {
    scheduled_posts::ActiveModel {
        id: Set(post.id),
        state: Set(state),
        lease_until: Set(None),
        not_before: Set(None),
        held_at: Set((state == PostState::Held).then_some(post.held_at.unwrap_or(now))),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
}

/// Posts the publisher may take now, oldest scheduled time first: scheduled and due (and past
/// their backoff), or left `PUBLISHING` by a worker whose lease ran out (a crash).
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<scheduled_posts::Model>, DbErr> {
    scheduled_posts::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(scheduled_posts::Column::State.eq(PostState::Scheduled))
                        .add(scheduled_posts::Column::ScheduledAt.lte(now))
                        .add(
                            Condition::any()
                                .add(scheduled_posts::Column::NotBefore.is_null())
                                .add(scheduled_posts::Column::NotBefore.lte(now)),
                        ),
                )
                .add(
                    Condition::all()
                        .add(scheduled_posts::Column::State.eq(PostState::Publishing))
                        .add(scheduled_posts::Column::LeaseUntil.lt(now)),
                ),
        )
        .order_by_asc(scheduled_posts::Column::ScheduledAt)
        .order_by_asc(scheduled_posts::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Takes a post for one publish attempt until `until`, if it is still what [`due`] found: one
/// worker of one process wins. The state is recorded before the network is called.
pub async fn claim(
    db: &impl ConnectionTrait,
    post: &scheduled_posts::Model,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let claimed = scheduled_posts::Entity::update_many()
        .col_expr(
            scheduled_posts::Column::State,
            Expr::value(PostState::Publishing),
        )
        .col_expr(scheduled_posts::Column::LeaseUntil, Expr::value(until))
        .col_expr(
            scheduled_posts::Column::Attempts,
            Expr::col(scheduled_posts::Column::Attempts).add(1),
        )
        .col_expr(scheduled_posts::Column::UpdatedAt, Expr::value(now))
        .filter(scheduled_posts::Column::Id.eq(post.id))
        .filter(
            Condition::any()
                .add(scheduled_posts::Column::State.eq(PostState::Scheduled))
                .add(
                    Condition::all()
                        .add(scheduled_posts::Column::State.eq(PostState::Publishing))
                        .add(scheduled_posts::Column::LeaseUntil.lt(now)),
                ),
        )
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Records what the network said: published, with its id. The network's word is final even if
/// the post was held meanwhile (the idempotency key makes a second send return this same post).
pub async fn published(
    db: &impl ConnectionTrait,
    post_id: i64,
    external_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let updated = scheduled_posts::Entity::update_many()
        .col_expr(
            scheduled_posts::Column::State,
            Expr::value(PostState::Published),
        )
        .col_expr(scheduled_posts::Column::PublishedAt, Expr::value(now))
        .col_expr(
            scheduled_posts::Column::ExternalPostId,
            Expr::value(external_id),
        )
        .col_expr(
            scheduled_posts::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            scheduled_posts::Column::HeldAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(scheduled_posts::Column::UpdatedAt, Expr::value(now))
        .filter(scheduled_posts::Column::Id.eq(post_id))
        .filter(scheduled_posts::Column::State.ne(PostState::Published))
        .exec(db)
        .await?;
    Ok(updated.rows_affected)
}

/// A transient failure: back to `SCHEDULED`, no attempt before `retry_at`.
pub async fn defer(
    db: &impl ConnectionTrait,
    post_id: i64,
    retry_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    scheduled_posts::Entity::update_many()
        .col_expr(
            scheduled_posts::Column::State,
            Expr::value(PostState::Scheduled),
        )
        .col_expr(scheduled_posts::Column::NotBefore, Expr::value(retry_at))
        .col_expr(
            scheduled_posts::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(scheduled_posts::Column::UpdatedAt, Expr::value(now))
        .filter(scheduled_posts::Column::Id.eq(post_id))
        .filter(scheduled_posts::Column::State.eq(PostState::Publishing))
        .exec(db)
        .await?;
    Ok(())
}

/// The network refused the post itself (not the login): `FAILED`, with its reason, for a person.
pub async fn failed(
    db: &impl ConnectionTrait,
    post_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    scheduled_posts::Entity::update_many()
        .col_expr(
            scheduled_posts::Column::State,
            Expr::value(PostState::Failed),
        )
        .col_expr(scheduled_posts::Column::FailureReason, Expr::value(reason))
        .col_expr(
            scheduled_posts::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(scheduled_posts::Column::UpdatedAt, Expr::value(now))
        .filter(scheduled_posts::Column::Id.eq(post_id))
        .filter(scheduled_posts::Column::State.eq(PostState::Publishing))
        .exec(db)
        .await?;
    Ok(())
}

/// What the planner lists.
#[derive(Clone, Debug)]
pub struct PostFilter {
    /// Which accounts' posts.
    pub accounts: PostAccounts,
    /// Only these states; all when empty.
    pub states: Vec<PostState>,
    /// Scheduled at or after.
    pub from: Option<DateTime<Utc>>,
    /// Scheduled before.
    pub to: Option<DateTime<Utc>>,
}

/// Whose posts a planner page shows.
#[derive(Clone, Debug)]
pub enum PostAccounts {
    /// Every account the subject may see (filtered in the database by a subquery).
    VisibleTo(crate::access::Subject),
    /// These accounts, already checked to be visible.
    These(Vec<i64>),
}

/// One page of posts in planner order (scheduled time, then id), after the cursor `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &PostFilter,
    after: Option<(Option<DateTime<Utc>>, i64)>,
    limit: u64,
) -> Result<Vec<scheduled_posts::Model>, DbErr> {
    let accounts = match &filter.accounts {
        PostAccounts::VisibleTo(subject) => scheduled_posts::Column::SocialAccountId.in_subquery(
            crate::accounts::repo::visible_ids(subject, db.get_database_backend()),
        ),
        PostAccounts::These(ids) => {
            scheduled_posts::Column::SocialAccountId.is_in(ids.iter().copied())
        }
    };
    let mut query = scheduled_posts::Entity::find().filter(accounts);
    if !filter.states.is_empty() {
        query = query.filter(scheduled_posts::Column::State.is_in(filter.states.iter().copied()));
    }
    if let Some(from) = filter.from {
        query = query.filter(scheduled_posts::Column::ScheduledAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(scheduled_posts::Column::ScheduledAt.lt(to));
    }
    // Drafts without a time first, then by time, then by id; the same on SQLite and PostgreSQL
    // (which disagree on where NULLs sort, hence the explicit first key).
    let column = scheduled_posts::Column::ScheduledAt;
    match after {
        None => {}
        Some((None, id)) => {
            query = query.filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(column.is_null())
                            .add(scheduled_posts::Column::Id.gt(id)),
                    )
                    .add(column.is_not_null()),
            );
        }
        Some((Some(at), id)) => {
            query = query.filter(column.is_not_null()).filter(
                Condition::any().add(column.gt(at)).add(
                    Condition::all()
                        .add(column.eq(at))
                        .add(scheduled_posts::Column::Id.gt(id)),
                ),
            );
        }
    }
    query
        .order_by_asc(Expr::cust(
            "CASE WHEN scheduled_at IS NULL THEN 0 ELSE 1 END",
        ))
        .order_by_asc(column)
        .order_by_asc(scheduled_posts::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Held posts per account, for `disconnect { heldPostCount }`.
pub async fn held_counts(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
) -> Result<Vec<(i64, i64)>, DbErr> {
    scheduled_posts::Entity::find()
        .select_only()
        .column(scheduled_posts::Column::SocialAccountId)
        .column_as(scheduled_posts::Column::Id.count(), "held")
        .filter(scheduled_posts::Column::SocialAccountId.is_in(account_ids.iter().copied()))
        .filter(scheduled_posts::Column::State.eq(PostState::Held))
        .group_by(scheduled_posts::Column::SocialAccountId)
        .into_tuple()
        .all(db)
        .await
}

/// The posts with these ids (unknown ones left out).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<scheduled_posts::Model>, DbErr> {
    scheduled_posts::Entity::find()
        .filter(scheduled_posts::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

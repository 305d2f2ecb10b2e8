//! Entity for `scheduled_posts`: a post written in the composer for one account (R13, R14, B4).

use sea_orm::entity::prelude::*;

use crate::enums::PostState;

/// A post row. `idempotency_key` is sent to the network with every publish attempt, so a retry
/// after a crash cannot publish twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduled_posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub social_account_id: i64,
    pub author_id: i64,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// When it should go out; drafts may have none.
    pub scheduled_at: Option<DateTimeUtc>,
    pub state: PostState,
    pub idempotency_key: String,
    /// Publish attempts so far.
    #[sea_orm(default_value = 0)]
    pub attempts: i32,
    /// While `Publishing`: the worker holding it, until then.
    pub lease_until: Option<DateTimeUtc>,
    /// No publish attempt before this (backoff after a network outage).
    pub not_before: Option<DateTimeUtc>,
    /// When it was held (its account disconnected).
    pub held_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub external_post_id: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

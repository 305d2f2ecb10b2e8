//! Entity for `sandbox_posts`: what reached the sandbox network, one row per idempotency key, so
//! a test can prove every post went out exactly once.

use sea_orm::entity::prelude::*;

use crate::enums::Network;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network: Network,
    pub asset_external_id: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub idempotency_key: String,
    pub external_post_id: String,
    /// Publish requests that carried this key (more than one: a retry the sandbox deduplicated).
    #[sea_orm(default_value = 1)]
    pub requests: i32,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Entity for `analytics_gaps`: the window of one disconnect episode in which an account's
//! analytics were not collected (B5).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "analytics_gaps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub social_account_id: i64,
    pub episode_id: i64,
    pub from: DateTimeUtc,
    /// Open while the account is still disconnected.
    pub to: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Entity for `account_grants`: access on a social account granted to a user or a team.

use sea_orm::entity::prelude::*;

use crate::enums::AccessLevel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub social_account_id: i64,
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
    pub level: AccessLevel,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Entity for `streams`: a column of a user's dashboard fed by one account (R15).

use sea_orm::entity::prelude::*;

use crate::enums::StreamKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "streams")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_user_id: i64,
    pub social_account_id: i64,
    pub kind: StreamKind,
    pub title: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

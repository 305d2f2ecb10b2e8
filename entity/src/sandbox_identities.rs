//! Entity for `sandbox_identities`: a simulated person who can sign in to one sandbox network.

use sea_orm::entity::prelude::*;

use crate::enums::Network;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network: Network,
    pub external_id: String,
    pub name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

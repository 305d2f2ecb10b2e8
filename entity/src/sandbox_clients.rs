//! Entity for `sandbox_clients`: the OAuth client Relink uses on one sandbox network.

use sea_orm::entity::prelude::*;

use crate::enums::Network;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network: Network,
    pub client_id: String,
    /// Stored in the clear on purpose: the sandbox is a development network and Relink's own
    /// sandbox adapter reads it back to configure itself.
    pub client_secret: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

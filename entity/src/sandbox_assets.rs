//! Entity for `sandbox_assets`: a simulated page, group, profile or channel on a sandbox network.

use sea_orm::entity::prelude::*;

use crate::enums::{AccountKind, Network};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_assets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network: Network,
    pub external_id: String,
    pub kind: AccountKind,
    pub name: String,
    /// For an Instagram business profile: the external id of its Facebook page.
    pub linked_external_id: Option<String>,
    /// For a Facebook group: the external id of the identity that added the app to it.
    pub added_by_external_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

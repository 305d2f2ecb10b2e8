//! Entity for `sandbox_roles`: the role a sandbox identity holds on a sandbox asset.

use sea_orm::entity::prelude::*;

/// A role on a sandbox asset, named like Facebook's page roles.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum SandboxRole {
    #[sea_orm(string_value = "OWNER")]
    #[serde(rename = "OWNER")]
    Owner,
    #[sea_orm(string_value = "ADMIN")]
    #[serde(rename = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "EDITOR")]
    #[serde(rename = "EDITOR")]
    Editor,
    #[sea_orm(string_value = "MEMBER")]
    #[serde(rename = "MEMBER")]
    Member,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_roles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub identity_id: i64,
    pub asset_id: i64,
    pub role: SandboxRole,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

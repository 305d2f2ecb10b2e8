//! Entity for `sandbox_codes`: an authorization code, stored only as its SHA-256 hash.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code_hash: String,
    pub client_id: i64,
    pub identity_id: i64,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scopes: String,
    /// JSON array of the `sandbox_assets` ids granted at consent.
    #[sea_orm(column_type = "JsonBinary")]
    pub granted_asset_ids: Json,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

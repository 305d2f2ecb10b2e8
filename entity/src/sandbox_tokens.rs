//! Entity for `sandbox_tokens`: an access or refresh token, stored only as its SHA-256 hash.

use sea_orm::entity::prelude::*;

/// Whether a sandbox token is an access or a refresh token.
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
pub enum SandboxTokenKind {
    #[sea_orm(string_value = "ACCESS")]
    #[serde(rename = "ACCESS")]
    Access,
    #[sea_orm(string_value = "REFRESH")]
    #[serde(rename = "REFRESH")]
    Refresh,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub token_hash: String,
    pub kind: SandboxTokenKind,
    pub identity_id: i64,
    pub client_id: i64,
    pub scopes: String,
    /// JSON array of the `sandbox_assets` ids granted at consent.
    #[sea_orm(column_type = "JsonBinary")]
    pub granted_asset_ids: Json,
    /// `None`: never expires (Google's refresh tokens).
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The code this token's family started from (kept through refresh rotations), so a reused
    /// code revokes the whole family (RFC 6749 §4.1.2).
    pub issued_from_code: Option<i64>,
    /// The refresh token this one replaced, for rotating networks.
    pub rotated_from: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! One OAuth sign-in attempt: hashed state, encrypted PKCE verifier, what it is for, its life.

use sea_orm::entity::prelude::*;

use crate::enums::Network;

/// An attempt row. The state itself is never stored, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub state_hash: String,
    pub user_id: i64,
    /// `RECONNECT` or `CONNECT`.
    pub purpose: String,
    pub network: Network,
    pub target_account_id: Option<i64>,
    pub organization_id: Option<i64>,
    #[sea_orm(column_type = "Blob")]
    pub pkce_verifier_enc: Vec<u8>,
    pub key_id: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// SHA-256 of the `relink_flow` cookie given to the browser that started the attempt.
    pub flow_hash: Option<String>,
    /// The reconnect link that started the attempt, if one did (issue 15).
    pub link_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

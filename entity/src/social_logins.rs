//! Entity for `social_logins`: an OAuth connection to a network, holding encrypted tokens.

use sea_orm::entity::prelude::*;

use crate::enums::{DisconnectReason, LoginStatus, Network};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "social_logins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network: Network,
    pub external_user_id: String,
    pub display_name: String,
    pub owner_organization_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    #[sea_orm(column_type = "Blob", nullable)]
    pub access_token_enc: Option<Vec<u8>>,
    #[sea_orm(column_type = "Blob", nullable)]
    pub refresh_token_enc: Option<Vec<u8>>,
    pub key_id: Option<String>,
    pub token_expires_at: Option<DateTimeUtc>,
    pub refresh_expires_at: Option<DateTimeUtc>,
    pub scopes: String,
    pub status: LoginStatus,
    pub disconnect_reason: Option<DisconnectReason>,
    pub disconnected_at: Option<DateTimeUtc>,
    pub connected_by: Option<i64>,
    pub connected_at: DateTimeUtc,
    pub last_reconnected_by: Option<i64>,
    pub last_reconnected_at: Option<DateTimeUtc>,
    #[sea_orm(default_value = 0)]
    pub version: i64,
    pub created_at: DateTimeUtc,
    /// Single-flight refresh across processes (B1): who may call the network until when.
    pub refresh_lease_until: Option<DateTimeUtc>,
    /// Transient refresh failures in a row (timeouts, 5xx, 429), for backoff.
    #[sea_orm(default_value = 0)]
    pub refresh_failures: i32,
    /// No refresh attempt before this (backoff after a transient failure).
    pub next_refresh_at: Option<DateTimeUtc>,
    /// When the token was last seen working (stored, refreshed or probed); the keeper probes
    /// tokens without an expiry when this grows old (B1).
    pub checked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

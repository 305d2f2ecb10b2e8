//! Entity for `reconnect_links`: a single-use link that lets whoever holds an account's network
//! login reconnect it without a dashboard seat. The token itself is never stored, only its SHA-256.

use sea_orm::entity::prelude::*;

/// A link row. `Debug` is written by hand so the token's hash never reaches a log line.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconnect_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the token (base64url).
    pub token_hash: String,
    pub social_account_id: i64,
    /// The account's owning organization when the link was made (a move elsewhere voids it).
    pub organization_id: Option<i64>,
    /// The account's owning person when the link was made, for a personal account.
    pub owner_user_id: Option<i64>,
    pub created_by: i64,
    pub recipient_email: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub emailed_at: Option<DateTimeUtc>,
    pub used_at: Option<DateTimeUtc>,
    /// The network identity (external id) that signed in through the link.
    pub used_identity: Option<String>,
    /// That identity's name at the network.
    pub used_identity_name: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<i64>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("id", &self.id)
            .field("token_hash", &"<redacted>")
            .field("social_account_id", &self.social_account_id)
            .field("organization_id", &self.organization_id)
            .field("owner_user_id", &self.owner_user_id)
            .field("created_by", &self.created_by)
            .field("recipient_email", &self.recipient_email)
            .field("note", &self.note)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("emailed_at", &self.emailed_at)
            .field("used_at", &self.used_at)
            .field("used_identity", &self.used_identity)
            .field("used_identity_name", &self.used_identity_name)
            .field("revoked_at", &self.revoked_at)
            .field("revoked_by", &self.revoked_by)
            .finish()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

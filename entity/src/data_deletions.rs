//! Entity for `data_deletions`: data deletion requests a network sent (Facebook's callback), by
//! confirmation code. Who asked is not kept: only the hash of the request's signature, which makes
//! a redelivery find its first answer.

use sea_orm::entity::prelude::*;

/// One data deletion request.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_deletions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The network's slug.
    pub network: String,
    /// The code the network shows the person; the status page's address.
    pub confirmation_code: String,
    /// SHA-256 of the signed request's signature.
    pub signature_hash: String,
    /// `PENDING` until the deletion ran, then `COMPLETED`.
    pub status: String,
    pub requested_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

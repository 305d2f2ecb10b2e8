//! A network says an identity removed Relink (a signed deauthorize callback, B1): fresh and never
//! seen before, it disconnects that identity's logins at once; a stale or replayed one does
//! nothing, so a captured callback cannot disconnect a login reconnected since.

use chrono::{DateTime, Duration, Utc};
use entity::{enums::DisconnectReason, enums::Network, social_accounts, webhook_receipts};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait as _, DatabaseConnection, DbErr, EntityTrait as _,
    QueryFilter as _, Set, sea_query::OnConflict,
};

use super::disconnect;
use crate::app::App;

/// How old a signed callback may be.
pub fn max_age() -> Duration {
    Duration::minutes(5)
}

/// How far ahead of our clock a callback's `issued_at` may be (clock skew).
pub fn max_skew() -> Duration {
    Duration::minutes(1)
}

/// Why a callback changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No adapter for the network the callback names.
    #[error("network not configured")]
    UnknownNetwork,
    /// The signature does not verify with the network app's secret.
    #[error("the signature does not verify: {0}")]
    BadSignature(#[from] crate::networks::signed_request::Invalid),
    /// No `issued_at`, older than [`max_age`] or more than [`max_skew`] in the future.
    #[error("the callback is not fresh")]
    Stale,
    /// The same signed callback was applied already.
    #[error("the callback was already applied")]
    Replayed,
    /// A failure of ours; the network retries on 5xx.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Applies a deauthorize callback of `network` (its `signed_request` form field): verified with
/// the network app's secret, fresh and not applied before, it disconnects the identity's logins
/// at once. Returns the accounts that changed.
pub async fn deauthorize(
    app: &App,
    network: Network,
    signed_request: &str,
) -> Result<Vec<social_accounts::Model>, Refused> {
    let adapter = app.networks.get(network).ok_or(Refused::UnknownNetwork)?;
    let payload = adapter.deauthorized_user(signed_request)?;
    let signature_hash =
        crate::reconnect::state_hash(crate::networks::signed_request::signature(signed_request));
    let now = app.now();
    let issued_at = payload.issued_at;
    let issued = issued_at
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .ok_or(Refused::Stale)?;
    if issued < crate::clock::before(now, max_age())
        || issued > crate::clock::after(now, max_skew())
    {
        return Err(Refused::Stale);
    }
    // One row per signature, across replicas: the second delivery inserts nothing.
    let inserted = webhook_receipts::Entity::insert(webhook_receipts::ActiveModel {
        id: NotSet,
        network: Set(crate::networks::slug(network).to_owned()),
        signature_hash: Set(signature_hash.clone()),
        received_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(webhook_receipts::Column::SignatureHash)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&app.db)
    .await?;
    if inserted == 0 {
        return Err(Refused::Replayed);
    }
    match disconnect::disconnect_identity(
        app,
        network,
        &payload.user_id,
        DisconnectReason::AppDeauthorized,
        now,
    )
    .await
    {
        Ok(changed) => Ok(changed),
        Err(error) => {
            // Not applied: forget the receipt so the network's retry is applied.
            forget(&app.db, &signature_hash).await;
            Err(error.into())
        }
    }
}

/// Removes receipts older than the freshness window: a callback that old is refused anyway.
pub async fn prune_receipts(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let cutoff = crate::clock::before(now, max_age() + max_skew());
    Ok(webhook_receipts::Entity::delete_many()
        .filter(webhook_receipts::Column::ReceivedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

async fn forget(db: &DatabaseConnection, signature_hash: &str) {
    let removed = webhook_receipts::Entity::delete_many()
        .filter(webhook_receipts::Column::SignatureHash.eq(signature_hash))
        .exec(db)
        .await;
    if let Err(error) = removed {
        tracing::warn!(%error, "could not forget the receipt of a callback that failed");
    }
}

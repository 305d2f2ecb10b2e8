//! A network's signed event webhook (TikTok's `authorization.removed`, B1): verified with the app's
//! secret, signed within the freshness window and not applied before, a removal disconnects the
//! identity's logins at once. A redelivery changes nothing, and neither does a late one about a
//! login signed in again since the event; other events are acknowledged and ignored.

use chrono::DateTime;
use entity::{enums::Network, social_logins, webhook_receipts};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait as _, DbErr, EntityTrait as _, QueryFilter as _, Set,
    sea_query::OnConflict,
};

use super::{deauthorize, disconnect};
use crate::{
    app::App,
    networks::webhook::{Event, Invalid},
};

/// What a delivery did.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// The identity's logins were disconnected: this many accounts changed.
    Disconnected(usize),
    /// The same event was applied already.
    Replayed,
    /// An event Relink does not act on.
    Ignored(String),
}

/// Why a delivery changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No adapter for the network the route names.
    #[error("network not configured")]
    UnknownNetwork,
    /// Not verified: no or a bad signature, another app's, or unreadable.
    #[error("the webhook does not verify: {0}")]
    Invalid(#[from] Invalid),
    /// Signed longer ago than the freshness window, or too far in the future.
    #[error("the webhook is not fresh")]
    Stale,
    /// A failure of ours; the network retries on 5xx.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Applies one delivery of `network`'s event webhook (its headers and raw body).
pub async fn apply(
    app: &App,
    network: Network,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<Applied, Refused> {
    let adapter = app.networks.get(network).ok_or(Refused::UnknownNetwork)?;
    let delivery = adapter.webhook(headers, body)?;
    let now = app.now();
    let signed = DateTime::from_timestamp(delivery.signed_at, 0).ok_or(Refused::Stale)?;
    if signed < crate::clock::before(now, deauthorize::max_age())
        || signed > crate::clock::after(now, deauthorize::max_skew())
    {
        return Err(Refused::Stale);
    }
    let (user_id, reason, happened_at) = match delivery.event {
        Event::Deauthorized {
            user_id,
            reason,
            happened_at,
        } => (user_id, reason, happened_at),
        Event::Other { name } => return Ok(Applied::Ignored(name)),
    };
    let receipt = crate::reconnect::state_hash(&format!(
        "{}:{}",
        crate::networks::slug(network),
        delivery.receipt
    ));
    // One row per event, across replicas: a redelivery inserts nothing.
    let inserted = webhook_receipts::Entity::insert(webhook_receipts::ActiveModel {
        id: NotSet,
        network: Set(crate::networks::slug(network).to_owned()),
        signature_hash: Set(receipt.clone()),
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
        return Ok(Applied::Replayed);
    }
    let happened = happened_at.and_then(|at| DateTime::from_timestamp(at, 0));
    let applied = async {
        let logins = social_logins::Entity::find()
            .filter(social_logins::Column::Network.eq(network))
            .filter(social_logins::Column::ExternalUserId.eq(&user_id))
            .all(&app.db)
            .await?;
        let mut changed = 0;
        for login in logins {
            // Signed in again after the event (a redelivery hours later): its tokens are new.
            let signed_in = login.last_reconnected_at.unwrap_or(login.connected_at);
            if happened.is_some_and(|at| signed_in > at) {
                continue;
            }
            let accounts =
                disconnect::disconnect_login(app, login.id, reason, None, Some(login.version), now)
                    .await?;
            changed += accounts.len();
        }
        Ok::<_, DbErr>(changed)
    }
    .await;
    match applied {
        Ok(changed) => Ok(Applied::Disconnected(changed)),
        Err(error) => {
            // Not applied: forget the receipt so the network's retry is.
            let forgotten = webhook_receipts::Entity::delete_many()
                .filter(webhook_receipts::Column::SignatureHash.eq(&receipt))
                .exec(&app.db)
                .await;
            if let Err(forget) = forgotten {
                tracing::warn!(error = %forget, "could not forget the receipt of a webhook that failed");
            }
            Err(error.into())
        }
    }
}

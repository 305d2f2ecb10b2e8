//! Signed event webhooks of live networks (TikTok's `authorization.removed`): what a delivery
//! says once the adapter verified it with the app's secret. Freshness, replays and the disconnect
//! itself are the use case's (`accounts::network_events`).

use entity::enums::DisconnectReason;

/// A verified delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// When the network signed it (Unix seconds): deliveries outside the freshness window are
    /// refused, so a captured one cannot be replayed later.
    pub signed_at: i64,
    /// What identifies the event across deliveries (a redelivery carries the same), for the
    /// receipt that makes applying it idempotent.
    pub receipt: String,
    /// What happened.
    pub event: Event,
}

/// What a delivery reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The identity's authorization of Relink's app ended at the network: its logins disconnect.
    Deauthorized {
        /// The identity's id at the network.
        user_id: String,
        /// The disconnect it means.
        reason: DisconnectReason,
        /// When it happened at the network (Unix seconds), when it says: a login signed in again
        /// after that is not touched by a late (re)delivery.
        happened_at: Option<i64>,
    },
    /// An event Relink does not act on (acknowledged, nothing changes).
    Other {
        /// Its name.
        name: String,
    },
}

/// Why a delivery is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Invalid {
    /// The network sends no event webhooks to Relink.
    #[error("this network sends no event webhooks")]
    NotSent,
    /// No signature header, or a body we cannot read.
    #[error("malformed webhook")]
    Malformed,
    /// The signature does not verify with the app secret.
    #[error("bad signature")]
    BadSignature,
    /// Signed, but for another app than ours.
    #[error("the webhook names another app")]
    OtherApp,
}

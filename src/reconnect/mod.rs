//! The reconnect flow (R3–R8, R17, R18, R20, B2, B8): start a sign-in at the network, finish it
//! with the network's answer, and apply the article's rules in one transaction.

pub mod attempts;
pub mod connect;
pub mod finish;
pub mod repo;
pub mod rules;
pub mod start;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use entity::social_accounts;
use sea_orm::{DatabaseConnection, DbErr};
use sha2::{Digest as _, Sha256};

use crate::{crypto::TokenCipher, networks::Networks};

/// How long a started sign-in may take.
pub fn attempt_lifetime() -> Duration {
    Duration::minutes(10)
}

/// What the flow needs.
#[derive(Clone, Copy)]
pub struct Services<'a> {
    /// The database.
    pub db: &'a DatabaseConnection,
    /// Seals tokens and verifiers at rest.
    pub cipher: &'a TokenCipher,
    /// The network adapters.
    pub networks: &'a Networks,
    /// Held posts: the grace window of their release (B4).
    pub posts: crate::posts::Settings,
}

/// Why a step of the flow refused; each maps to a stable user-error code.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// Unknown id, or one the user may not see.
    #[error("not found")]
    NotFound,
    /// R3: the user may not reconnect this account (or lost the right since the start).
    #[error("not allowed to reconnect")]
    NotAllowed,
    /// R17: only an organization's super admins and admins add accounts to it (or lost the right
    /// since the start).
    #[error("not allowed to connect accounts to the organization")]
    ConnectNotAllowed,
    /// Unknown, used, another user's or another network's `state`.
    #[error("state invalid")]
    StateInvalid,
    /// The attempt is older than ten minutes.
    #[error("state expired")]
    StateExpired,
    /// The person denied access at the network's prompt.
    #[error("access denied at the network")]
    AccessDenied,
    /// The network refused the code.
    #[error("the network refused: {0}")]
    NetworkRefused(String),
    /// The network timed out or failed; nothing changed, try again.
    #[error("the network is unavailable")]
    NetworkUnavailable,
    /// A rule of the article refused the identity (R5, R6, R20).
    #[error("refused by a rule: {0:?}")]
    Refused(rules::Refusal),
    /// No adapter for the network.
    #[error("network not configured")]
    NetworkNotConfigured,
    /// A failure of ours.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbErr> for FlowError {
    fn from(error: DbErr) -> Self {
        Self::Internal(anyhow::Error::new(error))
    }
}

/// What a finished sign-in did.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Accounts that are connected (or limited) again.
    pub reconnected: Vec<social_accounts::Model>,
    /// Accounts of the login the network did not grant, with their reason.
    pub still_disconnected: Vec<social_accounts::Model>,
    /// B6: automation rules of those accounts that no longer work, flagged for review.
    pub rules_to_review: Vec<entity::automation_rules::Model>,
    /// B4: held posts released by this sign-in: back to `SCHEDULED` (going out in order), or
    /// `NEEDS_RESCHEDULE` when their time passed more than the grace window ago.
    pub released_posts: Vec<entity::scheduled_posts::Model>,
}

/// The stored form of a `state`: its SHA-256, so a database leak gives no usable state.
pub fn state_hash(state: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(state.as_bytes()))
}

//! Expected refusals, returned in mutation payloads as `userErrors { code field message }`.

use async_graphql::{Enum, SimpleObject};

/// Codes of expected refusals in mutation payloads.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum UserErrorCode {
    /// The account is disconnected (R14).
    AccountDisconnected,
    /// The viewer may not schedule or publish to one of the accounts.
    PublishNotAllowed,
    /// The viewer may not write posts for the account.
    DraftNotAllowed,
    /// The post has no text.
    PostEmpty,
    /// The post is longer than the limit.
    PostTooLong,
    /// No account was chosen.
    NoAccount,
    /// The time has passed.
    ScheduledInPast,
    /// Rescheduling needs a time.
    TimeRequired,
    /// Only held, late (`NEEDS_RESCHEDULE`) or failed posts can be resolved.
    PostNotHeld,
    /// The viewer may not reconnect this account (R3).
    ReconnectNotAllowed,
    /// Only the organization's super admins and admins may connect accounts to it (R17).
    ConnectNotAllowed,
    /// The network signed in another identity than the one needed (B2, R20).
    WrongIdentity,
    /// A page comes back only through an identity with admin rights on it (R6).
    PageAdminRequired,
    /// A group comes back only with the login that added it (R5).
    OriginalLoginRequired,
    /// The OAuth state is unknown, used, or another user's.
    StateInvalid,
    /// The OAuth state is older than ten minutes.
    StateExpired,
    /// The network refused the sign-in or the code.
    NetworkRefused,
    /// Only admins (or an account's OWNER) may disconnect it.
    DisconnectNotAllowed,
    /// The person said no at the network's prompt.
    AccessDenied,
    /// The network did not answer in time or failed; nothing changed, try again.
    NetworkUnavailable,
    /// This server is not set up to reach the network (`RELINK_NETWORKS_FILE`); an operator must
    /// configure it. Nothing changed.
    NetworkNotConfigured,
    /// A reconnect link's email address is not one plain address of at most 254 characters.
    InvalidEmail,
    /// A note is longer than 1,000 characters or holds control characters.
    NoteInvalid,
    /// A reconnect link's lifetime is outside one hour to seven days.
    ExpiresInOutOfRange,
    /// The reconnect link is used, revoked or expired already.
    LinkNotOpen,
}

/// An expected refusal, in a mutation payload.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// Stable code.
    pub code: UserErrorCode,
    /// Path of the input field at fault, if one is.
    pub field: Option<Vec<String>>,
    /// What happened and what to do.
    pub message: String,
}

impl UserError {
    /// A refusal with no input field at fault.
    pub fn new(code: UserErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
        }
    }
}

//! Reconnect links (issue 15): someone who may reconnect an account (R3, R8) hands a single-use
//! link to whoever holds its network login — the agency's client, the page owner — who then
//! reconnects it without a dashboard seat, on the creator's authority and for that one login only.
//!
//! The token is 256 random bits; only its SHA-256 is stored. A link is OPEN until it is used
//! (one successful sign-in), revoked, or expires (at most seven days), and it is void as soon as
//! its account is deleted, moves to another owner, or its creator may no longer reconnect it.

pub mod manage;
pub mod open;
pub mod repo;
pub mod used;

use chrono::{DateTime, Duration, Utc};
use entity::reconnect_links;

use crate::{config::Secret, notices::note::NoteError};

/// How long a link lives when its creator does not say.
pub fn default_lifetime() -> Duration {
    Duration::hours(72)
}

/// The shortest lifetime a creator may ask for.
pub fn min_lifetime() -> Duration {
    Duration::hours(1)
}

/// The longest lifetime a creator may ask for.
pub fn max_lifetime() -> Duration {
    Duration::days(7)
}

/// How long a closed link (expired, used or revoked) stays listed before the pruner removes it;
/// the audit log keeps its history.
pub fn keep_after_expiry() -> Duration {
    Duration::days(30)
}

/// Removes links that expired more than [`keep_after_expiry`] ago (used, revoked or not): the
/// pruner's pass. Returns how many went.
pub async fn prune(
    db: &impl sea_orm::ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let pruned = repo::prune(db, now, keep_after_expiry()).await?;
    if pruned > 0 {
        tracing::info!(pruned, "expired reconnect links pruned");
    }
    Ok(pruned)
}

/// The longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// The length of a token: 32 bytes in unpadded base64url.
pub const TOKEN_LEN: usize = 43;

/// The state of a link, as its list shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// It may still be used.
    Open,
    /// A sign-in through it reconnected the login.
    Used,
    /// Its time ran out unused.
    Expired,
    /// Someone who may reconnect the account revoked it.
    Revoked,
}

/// The state of `link` at `now`: used and revoked are final, then the expiry decides.
pub fn state_of(link: &reconnect_links::Model, now: DateTime<Utc>) -> LinkState {
    if link.used_at.is_some() {
        LinkState::Used
    } else if link.revoked_at.is_some() {
        LinkState::Revoked
    } else if link.expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Open
    }
}

/// A link's lifetime, checked: between [`min_lifetime`] and [`max_lifetime`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetime(Duration);

impl Lifetime {
    /// Reads a lifetime in seconds; `None` is the default of 72 hours.
    pub fn from_seconds(seconds: Option<i64>) -> Result<Self, LinkError> {
        let Some(seconds) = seconds else {
            return Ok(Self(default_lifetime()));
        };
        if seconds < min_lifetime().num_seconds() || seconds > max_lifetime().num_seconds() {
            return Err(LinkError::LifetimeOutOfRange);
        }
        Ok(Self(Duration::seconds(seconds)))
    }

    /// The duration.
    pub fn duration(self) -> Duration {
        self.0
    }
}

/// A recipient's email address, checked: one `local@domain` of at most [`MAX_EMAIL_LEN`]
/// characters, no spaces, no control characters, no display name, a dotted domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient(String);

impl Recipient {
    /// Checks `text` (trimmed); an empty address is no address.
    pub fn parse(text: &str) -> Result<Option<Self>, LinkError> {
        if text.len() > MAX_EMAIL_LEN + 64 {
            return Err(LinkError::InvalidEmail);
        }
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let valid = text.chars().count() <= MAX_EMAIL_LEN
            && text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.chars().count() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && domain
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
            })
            && !text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c));
        if !valid {
            return Err(LinkError::InvalidEmail);
        }
        Ok(Some(Self(text.to_owned())))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many link pages one client IP may open at once, before [`GUESS_REFILL_PER_SECOND`]
/// limits it: a person needs two (the page and its button), a guesser needs 2^256.
pub const GUESS_BURST: u32 = 20;

/// How fast a client IP's link page budget refills.
pub const GUESS_REFILL_PER_SECOND: u32 = 1;

/// The limiter of link page requests per client IP.
pub fn guess_limiter() -> crate::ratelimit::RateLimiter {
    crate::ratelimit::RateLimiter::new(GUESS_BURST, GUESS_REFILL_PER_SECOND)
}

/// A fresh token: 256 random bits, base64url.
pub fn new_token() -> Secret {
    Secret::new(super::random_secret())
}

/// The stored form of a token: its SHA-256, base64url.
pub fn token_hash(token: &str) -> String {
    super::state_hash(token)
}

/// Whether `token` has the shape of one of ours (43 base64url characters); anything else is
/// refused before the database is asked.
pub fn has_token_shape(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// Compares two hashes in time that depends on their length only.
pub fn same_hash(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// The link page's path for `token`.
pub fn url(public_url: &str, token: &Secret) -> String {
    format!("{public_url}/connect/{}", token.expose())
}

/// Why a link operation was refused; each refusal the user can act on has a stable code.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Unknown id, or one the user may not see.
    #[error("not found")]
    NotFound,
    /// R3: the user may not reconnect the account, so may not hand out a link to it either.
    #[error("not allowed to reconnect")]
    NotAllowed,
    /// The recipient's address is not one.
    #[error("invalid email address")]
    InvalidEmail,
    /// The note is too long or holds control characters.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The lifetime is outside one hour to seven days.
    #[error("lifetime out of range")]
    LifetimeOutOfRange,
    /// The link is used, revoked or expired already.
    #[error("the link is not open")]
    NotOpen,
    /// A failure of ours.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for LinkError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Internal(error.into())
    }
}

#[cfg(test)]
mod tests;

//! The reconnect flow (R3–R8, R17, R18, R20, B2, B8): start a sign-in at the network, finish it
//! with the network's answer, and apply the article's rules in one transaction.

pub mod attempts;
pub mod connect;
pub mod finish;
pub mod follow_up;
pub mod links;
pub mod repo;
pub mod rules;
pub mod start;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use entity::social_accounts;
use sea_orm::DbErr;
use sha2::{Digest as _, Sha256};

/// How long a started sign-in may take.
pub fn attempt_lifetime() -> Duration {
    Duration::minutes(10)
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
    /// The callback reached a browser that did not start this sign-in (no or another
    /// `relink_flow` cookie): nothing is spent; a signed-in client may finish it with
    /// `completeReconnect`, which requires the starter.
    #[error("not the browser that started the sign-in")]
    OtherBrowser,
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

impl FlowError {
    /// The stable code of a refusal the user can act on (the GraphQL user error's `code`, the
    /// callback's `code=`); `None` for what is not theirs (unknown ids, our failures).
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::NotFound | Self::Internal(_) => return None,
            Self::NotAllowed => "RECONNECT_NOT_ALLOWED",
            Self::ConnectNotAllowed => "CONNECT_NOT_ALLOWED",
            Self::StateInvalid | Self::OtherBrowser => "STATE_INVALID",
            Self::StateExpired => "STATE_EXPIRED",
            Self::AccessDenied => "ACCESS_DENIED",
            Self::NetworkRefused(_) => "NETWORK_REFUSED",
            Self::NetworkUnavailable => "NETWORK_UNAVAILABLE",
            Self::NetworkNotConfigured => "NETWORK_NOT_CONFIGURED",
            Self::Refused(rules::Refusal::WrongIdentity { .. }) => "WRONG_IDENTITY",
            Self::Refused(rules::Refusal::PageAdminRequired { .. }) => "PAGE_ADMIN_REQUIRED",
            Self::Refused(rules::Refusal::OriginalLoginRequired { .. }) => {
                "ORIGINAL_LOGIN_REQUIRED"
            }
        })
    }
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

/// What of an [`Outcome`] the viewer may not see: the cascade (R7, R8) reaches accounts the
/// reconnecting user has no permission for, and their names, posts and rules stay hidden.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    /// Accounts reconnected or still disconnected that the viewer cannot see.
    pub accounts: usize,
    /// Released posts of such accounts.
    pub released_posts: usize,
}

impl Outcome {
    /// Only what `subject` may view, and how much was left out.
    pub fn visible_to(self, subject: &crate::access::Subject) -> (Self, Hidden) {
        let sees = |account: &social_accounts::Model| {
            crate::access::Owner::from_columns(account.owner_organization_id, account.owner_user_id)
                .is_some_and(|owner| {
                    crate::access::may(subject, account.id, owner, crate::access::Action::View)
                })
        };
        let visible: std::collections::HashSet<i64> = self
            .reconnected
            .iter()
            .chain(&self.still_disconnected)
            .filter(|account| sees(account))
            .map(|account| account.id)
            .collect();
        let total = self.reconnected.len() + self.still_disconnected.len();
        let posts = self.released_posts.len();
        let shown = Self {
            reconnected: keep(self.reconnected, |account| visible.contains(&account.id)),
            still_disconnected: keep(self.still_disconnected, |account| {
                visible.contains(&account.id)
            }),
            rules_to_review: keep(self.rules_to_review, |rule| {
                visible.contains(&rule.social_account_id)
            }),
            released_posts: keep(self.released_posts, |post| {
                visible.contains(&post.social_account_id)
            }),
        };
        let hidden = Hidden {
            accounts: total - shown.reconnected.len() - shown.still_disconnected.len(),
            released_posts: posts - shown.released_posts.len(),
        };
        (shown, hidden)
    }
}

fn keep<T>(mut items: Vec<T>, wanted: impl Fn(&T) -> bool) -> Vec<T> {
    items.retain(|item| wanted(item));
    items
}

/// Who finishes a sign-in, and what proves they may.
#[derive(Clone, Copy, Debug)]
pub enum Finisher<'a> {
    /// The browser on the OAuth callback, with the `relink_flow` cookie it carries, if any: only
    /// the browser that started the attempt completes it there (login CSRF, RFC 9700 §4.7).
    Browser(Option<&'a str>),
    /// A signed-in user calling `completeReconnect`: only the user who started it.
    User(i64),
}

/// The name of the cookie that binds a sign-in to the browser that started it.
pub const FLOW_COOKIE: &str = "relink_flow";

/// The `Set-Cookie` value that hands `flow` to the browser starting a sign-in: only the callback
/// path sees it, scripts cannot read it, it rides along on the network's top-level redirect
/// (`SameSite=Lax`) and lives as long as the attempt.
pub fn flow_set_cookie(flow: &crate::config::Secret, secure: bool) -> String {
    format!(
        "{FLOW_COOKIE}={}; Path=/oauth/callback; Max-Age={}; HttpOnly; SameSite=Lax{}",
        flow.expose(),
        attempt_lifetime().num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `relink_flow` value of a `Cookie` header, if any.
pub fn flow_from_cookies(header: &str) -> Option<&str> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == FLOW_COOKIE && !value.is_empty()).then_some(value)
    })
}

/// A fresh random secret of 32 bytes, base64url (a `state` or a flow cookie).
pub(crate) fn random_secret() -> String {
    use rand::RngCore as _;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The stored form of a `state`: its SHA-256, so a database leak gives no usable state.
pub fn state_hash(state: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(state.as_bytes()))
}

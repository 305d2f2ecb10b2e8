//! The tables: each family's documented error answers in order, then the OAuth rows every family
//! shares. A row's class is what that answer means for the login.

use entity::enums::DisconnectReason;

use super::{Class, Family, Rule, Signal};
use Class::{ActionAtNetwork, MissingPermission, RateLimited, Reconnect, Rejected, Transient};
use DisconnectReason as R;
use Signal::{Code, Codes, Says, Status, Subcode, Text, TextWithStatus};

const fn rule(signal: Signal, class: Class) -> Rule {
    Rule { signal, class }
}

/// OAuth token endpoints (RFC 6749 §5.2), shared by every family after its own rows.
pub(super) static OAUTH: &[Rule] = &[
    rule(Text("invalid_grant"), Reconnect(R::TokenRevoked)),
    rule(Text("access_denied"), Reconnect(R::TokenRevoked)),
    rule(Text("temporarily_unavailable"), Transient),
    rule(Text("server_error"), Transient),
    rule(Text("invalid_client"), Rejected),
    rule(Text("unauthorized_client"), Rejected),
    rule(Text("invalid_scope"), Rejected),
    rule(Text("unsupported_grant_type"), Rejected),
    rule(Text("invalid_request"), Rejected),
];

/// Graph API error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
static META: &[Rule] = &[
    rule(Subcode(190, 458), Reconnect(R::AppDeauthorized)),
    rule(Subcode(190, 459), ActionAtNetwork),
    rule(Subcode(190, 460), Reconnect(R::PasswordChanged)),
    rule(Subcode(190, 463), Reconnect(R::TokenExpired)),
    rule(Subcode(190, 464), ActionAtNetwork),
    rule(Subcode(190, 467), Reconnect(R::TokenRevoked)),
    rule(Subcode(190, 492), Reconnect(R::PageRoleLost)),
    // Instagram's expired tokens carry no subcode, only the words.
    rule(Says("session has expired"), Reconnect(R::TokenExpired)),
    rule(Code(190), Reconnect(R::TokenRevoked)),
    rule(Code(102), Reconnect(R::TokenRevoked)),
    rule(Code(10), MissingPermission),
    rule(Codes(200, 299), MissingPermission),
    rule(Code(3), MissingPermission),
    // Code 1 is also the token endpoint's answer to a wrong app secret: our setup, not an outage.
    rule(Says("error validating client secret"), Rejected),
    rule(Code(1), Transient),
    rule(Code(2), Transient),
    rule(Code(368), Transient),
    rule(Code(4), RateLimited),
    rule(Code(17), RateLimited),
    rule(Code(32), RateLimited),
    rule(Code(341), RateLimited),
    rule(Code(613), RateLimited),
    rule(Codes(80001, 80014), RateLimited),
    rule(Code(506), Rejected),
    rule(Code(100), Rejected),
];

/// LinkedIn (learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling).
static LINKEDIN: &[Rule] = &[
    rule(Code(65600), Reconnect(R::TokenRevoked)),
    rule(Code(65601), Reconnect(R::TokenRevoked)),
    rule(Code(65602), Reconnect(R::TokenExpired)),
    rule(Text("REVOKED_ACCESS_TOKEN"), Reconnect(R::TokenRevoked)),
    rule(Text("EXPIRED_ACCESS_TOKEN"), Reconnect(R::TokenExpired)),
    rule(Text("INVALID_ACCESS_TOKEN"), Reconnect(R::TokenRevoked)),
    rule(Text("ACCESS_DENIED"), MissingPermission),
    // The token endpoint's 401 for the app's own credentials: never the member's login.
    rule(Text("invalid_client"), Rejected),
    rule(Status(403), MissingPermission),
    rule(Status(401), Reconnect(R::TokenRevoked)),
    rule(
        Says("refresh token has expired"),
        Reconnect(R::TokenExpired),
    ),
    // A refresh token LinkedIn no longer honours (revoked by the member, or by LinkedIn).
    rule(
        Says("refresh token is invalid, expired or revoked"),
        Reconnect(R::TokenRevoked),
    ),
];

/// X API v2 problem types (docs.x.com, `https://api.twitter.com/2/problems/…`).
static X: &[Rule] = &[
    rule(
        Text("unsupported-authentication"),
        Reconnect(R::TokenRevoked),
    ),
    rule(Text("client-forbidden"), MissingPermission),
    rule(Text("not-authorized-for-resource"), MissingPermission),
    rule(Text("usage-capped"), RateLimited),
    rule(Text("rate-limit-exceeded"), RateLimited),
    rule(Text("duplicate-content"), Rejected),
    rule(Code(89), Reconnect(R::TokenRevoked)),
    // The token endpoint's answer to a spent (rotated) or revoked refresh token.
    rule(Says("token was invalid"), Reconnect(R::TokenRevoked)),
    rule(Says("duplicate content"), Rejected),
    rule(
        TextWithStatus("Unauthorized", 401),
        Reconnect(R::TokenRevoked),
    ),
];

/// Google APIs (developers.google.com/youtube/v3/docs/errors; OAuth `invalid_grant`).
static GOOGLE: &[Rule] = &[
    rule(Text("authError"), Reconnect(R::TokenRevoked)),
    rule(Text("UNAUTHENTICATED"), Reconnect(R::TokenRevoked)),
    rule(Text("quotaExceeded"), RateLimited),
    rule(Text("rateLimitExceeded"), RateLimited),
    rule(Text("userRateLimitExceeded"), RateLimited),
    rule(Text("uploadRateLimitExceeded"), RateLimited),
    rule(Text("uploadLimitExceeded"), RateLimited),
    rule(Text("insufficientPermissions"), MissingPermission),
    rule(Text("ACCESS_TOKEN_SCOPE_INSUFFICIENT"), MissingPermission),
    rule(Text("youtubeSignupRequired"), ActionAtNetwork),
    rule(Text("forbidden"), MissingPermission),
    rule(Text("backendError"), Transient),
    rule(Text("internalError"), Transient),
];

/// TikTok (developers.tiktok.com/doc/tiktok-api-v2-error-handling, oauth-error-handling).
static TIKTOK: &[Rule] = &[
    rule(Text("access_token_invalid"), Reconnect(R::TokenRevoked)),
    rule(Text("access_token_expired"), Reconnect(R::TokenExpired)),
    // Also sent with HTTP 401: a missing scope, not a dead token.
    rule(Text("scope_not_authorized"), MissingPermission),
    rule(Text("scope_permission_missed"), MissingPermission),
    rule(Text("rate_limit_exceeded"), RateLimited),
    rule(Text("reached_active_user_cap"), RateLimited),
    rule(Text("spam_risk_too_many_posts"), RateLimited),
    rule(Text("spam_risk_user_banned_from_posting"), ActionAtNetwork),
    rule(Text("internal_error"), Transient),
    rule(Text("invalid_params"), Rejected),
    rule(
        Text("unaudited_client_can_only_post_to_private_accounts"),
        Rejected,
    ),
];

/// Pinterest API v5 (`{"code", "message"}`).
static PINTEREST: &[Rule] = &[
    rule(Code(2), Reconnect(R::TokenRevoked)),
    rule(Code(29), MissingPermission),
    rule(Code(1), Rejected),
    rule(Status(401), Reconnect(R::TokenRevoked)),
    rule(Status(403), MissingPermission),
];

impl Family {
    /// The family's own rows, before the shared OAuth ones.
    pub fn rules(self) -> &'static [Rule] {
        match self {
            Self::Meta => META,
            Self::Linkedin => LINKEDIN,
            Self::X => X,
            Self::Google => GOOGLE,
            Self::Tiktok => TIKTOK,
            Self::Pinterest => PINTEREST,
        }
    }
}

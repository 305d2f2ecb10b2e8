//! Opaque global ids (Relay): the type and the row id, base64url-encoded.

use async_graphql::ID;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

/// The kinds of object a global id can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A `SocialAccount`.
    SocialAccount,
    /// A `SocialLogin`.
    SocialLogin,
    /// A `User`.
    User,
    /// An `Organization`.
    Organization,
    /// An `AutomationRule`.
    AutomationRule,
    /// A `ScheduledPost`.
    ScheduledPost,
    /// A `Stream`.
    Stream,
    /// A `ReconnectLink`.
    ReconnectLink,
}

impl Kind {
    const ALL: [Self; 7] = [
        Self::SocialAccount,
        Self::SocialLogin,
        Self::User,
        Self::Organization,
        Self::ScheduledPost,
        Self::Stream,
        Self::ReconnectLink,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::SocialAccount => "SocialAccount",
            Self::SocialLogin => "SocialLogin",
            Self::User => "User",
            Self::Organization => "Organization",
            Self::AutomationRule => "AutomationRule",
            Self::ScheduledPost => "ScheduledPost",
            Self::Stream => "Stream",
            Self::ReconnectLink => "ReconnectLink",
        }
    }
}

/// The global id of a row.
pub fn encode(kind: Kind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Reads a global id; `None` when it is not one of ours.
pub fn decode(id: &str) -> Option<(Kind, i64)> {
    let raw = URL_SAFE_NO_PAD.decode(id.trim()).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    let (name, number) = text.split_once(':')?;
    let kind = Kind::ALL.into_iter().find(|kind| kind.name() == name)?;
    let id: i64 = number.parse().ok()?;
    (id > 0).then_some((kind, id))
}

/// Reads a global id that must be of `kind`; any other id reads as unknown.
pub fn decode_as(kind: Kind, id: &str) -> Option<i64> {
    decode(id)
        .filter(|(found, _)| *found == kind)
        .map(|(_, id)| id)
}

/// A connection cursor for a row id.
pub fn cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:{id}"))
}

/// Reads a cursor.
pub fn decode_cursor(cursor: &str) -> Option<i64> {
    let raw = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    std::str::from_utf8(&raw)
        .ok()?
        .strip_prefix("cursor:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_kinds_and_garbage() {
        let id = encode(Kind::SocialAccount, 42);
        assert_eq!(decode(&id), Some((Kind::SocialAccount, 42)));
        assert_eq!(decode_as(Kind::SocialAccount, &id), Some(42));
        assert_eq!(decode_as(Kind::User, &id), None);
        assert_eq!(decode("42"), None);
        assert_eq!(decode(""), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("SocialAccount:-1")), None);
        assert_eq!(decode_cursor(&cursor(7)), Some(7));
        assert_eq!(decode_cursor("garbage"), None);
    }
}

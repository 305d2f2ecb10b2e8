//! The enums of accounts as the schema shows them: networks, kinds, health, reasons, flags.

use async_graphql::Enum;
use entity::enums::Health;

/// A social network.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Network")]
pub enum Network {
    Facebook,
    Instagram,
    Linkedin,
    X,
    Youtube,
    Tiktok,
    Pinterest,
}

/// What kind of thing a social account is at its network.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AccountKind")]
pub enum AccountKind {
    Profile,
    Page,
    Group,
    BusinessProfile,
    CompanyPage,
    Channel,
    /// A Pinterest board (pins go to a board).
    Board,
}

/// How well an account is connected.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Health")]
pub enum ConnectionHealth {
    /// Working.
    Connected,
    /// Working, but its token runs out soon and cannot be refreshed: reconnect before then.
    Expiring,
    /// Connected with reduced function (R18: an Instagram profile without its page).
    Limited,
    /// Not working: posts are held, streams and analytics stop (R1).
    Disconnected,
}

/// Why an account was disconnected (B7).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::DisconnectReason")]
pub enum DisconnectReason {
    TokenExpired,
    TokenRevoked,
    PasswordChanged,
    ScopeMissing,
    PageRoleLost,
    AppDeauthorized,
    DisconnectedByAdmin,
    /// The person must fix their account at the network first (e.g. Facebook's security check).
    ActionAtNetwork,
    /// The network no longer offers this kind of account to apps (Facebook groups).
    NetworkDiscontinued,
    Unknown,
}

/// Why an account is limited.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::LimitedReason")]
pub enum LimitedReason {
    /// R18: the Instagram business profile's linked Facebook page is not authorized.
    LinkedPageNotAuthorized,
}

/// R16: how an account shows in the admin list.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AccountFlag {
    /// Disconnected: the red exclamation.
    Red,
    /// Expiring soon or limited: look at it.
    Yellow,
    /// Working.
    None,
}

impl AccountFlag {
    /// The flag of a health state.
    pub fn of(health: Health) -> Self {
        match health {
            Health::Disconnected => Self::Red,
            Health::Expiring | Health::Limited => Self::Yellow,
            Health::Connected => Self::None,
        }
    }
}

//! String-backed enums stored as `varchar(32)` columns and serialized with SCREAMING_SNAKE names.

use sea_orm::entity::prelude::*;

/// Role of a user inside an organization.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum OrgRole {
    #[sea_orm(string_value = "SUPER_ADMIN")]
    #[serde(rename = "SUPER_ADMIN")]
    SuperAdmin,
    #[sea_orm(string_value = "ADMIN")]
    #[serde(rename = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "MEMBER")]
    #[serde(rename = "MEMBER")]
    Member,
}

/// Level of access granted on a social account; declaration order is privilege order (lowest first).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AccessLevel {
    #[sea_orm(string_value = "LIMITED")]
    #[serde(rename = "LIMITED")]
    Limited,
    #[sea_orm(string_value = "EDITOR")]
    #[serde(rename = "EDITOR")]
    Editor,
    #[sea_orm(string_value = "ADVANCED")]
    #[serde(rename = "ADVANCED")]
    Advanced,
    #[sea_orm(string_value = "OWNER")]
    #[serde(rename = "OWNER")]
    Owner,
}

/// Social network a login or account belongs to.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Network {
    #[sea_orm(string_value = "FACEBOOK")]
    #[serde(rename = "FACEBOOK")]
    Facebook,
    #[sea_orm(string_value = "INSTAGRAM")]
    #[serde(rename = "INSTAGRAM")]
    Instagram,
    #[sea_orm(string_value = "LINKEDIN")]
    #[serde(rename = "LINKEDIN")]
    Linkedin,
    #[sea_orm(string_value = "X")]
    #[serde(rename = "X")]
    X,
    #[sea_orm(string_value = "YOUTUBE")]
    #[serde(rename = "YOUTUBE")]
    Youtube,
    #[sea_orm(string_value = "TIKTOK")]
    #[serde(rename = "TIKTOK")]
    Tiktok,
    #[sea_orm(string_value = "PINTEREST")]
    #[serde(rename = "PINTEREST")]
    Pinterest,
}

impl Network {
    /// The network as it appears in paths (`facebook`, `x`, ...): Relink's callback and the
    /// sandbox network's routes use the same names.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Facebook => "facebook",
            Self::Instagram => "instagram",
            Self::Linkedin => "linkedin",
            Self::X => "x",
            Self::Youtube => "youtube",
            Self::Tiktok => "tiktok",
            Self::Pinterest => "pinterest",
        }
    }

    /// The network's name as people write it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Facebook => "Facebook",
            Self::Instagram => "Instagram",
            Self::Linkedin => "LinkedIn",
            Self::X => "X",
            Self::Youtube => "YouTube",
            Self::Tiktok => "TikTok",
            Self::Pinterest => "Pinterest",
        }
    }

    /// Reads a path segment back: exactly a [`Network::slug`], nothing else.
    pub fn from_slug(slug: &str) -> Option<Self> {
        <Self as sea_orm::Iterable>::iter().find(|network| network.slug() == slug)
    }
}

/// Kind of social account (profile, page, group, ...).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AccountKind {
    #[sea_orm(string_value = "PROFILE")]
    #[serde(rename = "PROFILE")]
    Profile,
    #[sea_orm(string_value = "PAGE")]
    #[serde(rename = "PAGE")]
    Page,
    #[sea_orm(string_value = "GROUP")]
    #[serde(rename = "GROUP")]
    Group,
    #[sea_orm(string_value = "BUSINESS_PROFILE")]
    #[serde(rename = "BUSINESS_PROFILE")]
    BusinessProfile,
    #[sea_orm(string_value = "COMPANY_PAGE")]
    #[serde(rename = "COMPANY_PAGE")]
    CompanyPage,
    #[sea_orm(string_value = "CHANNEL")]
    #[serde(rename = "CHANNEL")]
    Channel,
    /// A Pinterest board: where pins go, the identity's own or one it collaborates on.
    #[sea_orm(string_value = "BOARD")]
    #[serde(rename = "BOARD")]
    Board,
}

/// Health of a social account.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Health {
    #[sea_orm(string_value = "CONNECTED")]
    #[serde(rename = "CONNECTED")]
    Connected,
    #[sea_orm(string_value = "EXPIRING")]
    #[serde(rename = "EXPIRING")]
    Expiring,
    #[sea_orm(string_value = "LIMITED")]
    #[serde(rename = "LIMITED")]
    Limited,
    #[sea_orm(string_value = "DISCONNECTED")]
    #[serde(rename = "DISCONNECTED")]
    Disconnected,
}

/// Status of a social login (the OAuth connection).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum LoginStatus {
    #[sea_orm(string_value = "CONNECTED")]
    #[serde(rename = "CONNECTED")]
    Connected,
    #[sea_orm(string_value = "DISCONNECTED")]
    #[serde(rename = "DISCONNECTED")]
    Disconnected,
}

/// Why a login or account got disconnected.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum DisconnectReason {
    #[sea_orm(string_value = "TOKEN_EXPIRED")]
    #[serde(rename = "TOKEN_EXPIRED")]
    TokenExpired,
    #[sea_orm(string_value = "TOKEN_REVOKED")]
    #[serde(rename = "TOKEN_REVOKED")]
    TokenRevoked,
    #[sea_orm(string_value = "PASSWORD_CHANGED")]
    #[serde(rename = "PASSWORD_CHANGED")]
    PasswordChanged,
    #[sea_orm(string_value = "SCOPE_MISSING")]
    #[serde(rename = "SCOPE_MISSING")]
    ScopeMissing,
    #[sea_orm(string_value = "PAGE_ROLE_LOST")]
    #[serde(rename = "PAGE_ROLE_LOST")]
    PageRoleLost,
    #[sea_orm(string_value = "APP_DEAUTHORIZED")]
    #[serde(rename = "APP_DEAUTHORIZED")]
    AppDeauthorized,
    #[sea_orm(string_value = "DISCONNECTED_BY_ADMIN")]
    #[serde(rename = "DISCONNECTED_BY_ADMIN")]
    DisconnectedByAdmin,
    /// The person must fix their account at the network (a security check, an unconfirmed
    /// account, a posting ban) before any sign-in works again.
    #[sea_orm(string_value = "ACTION_AT_NETWORK")]
    #[serde(rename = "ACTION_AT_NETWORK")]
    ActionAtNetwork,
    /// The network no longer offers this kind of account to apps (Facebook groups, April 2024).
    #[sea_orm(string_value = "NETWORK_DISCONTINUED")]
    #[serde(rename = "NETWORK_DISCONTINUED")]
    NetworkDiscontinued,
    #[sea_orm(string_value = "UNKNOWN")]
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

/// Why a social account is in the `Limited` health state.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum LimitedReason {
    #[sea_orm(string_value = "LINKED_PAGE_NOT_AUTHORIZED")]
    #[serde(rename = "LINKED_PAGE_NOT_AUTHORIZED")]
    LinkedPageNotAuthorized,
}

/// What an automation rule does with an account's incoming items (R19).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AutomationKind {
    #[sea_orm(string_value = "AUTO_TAG")]
    #[serde(rename = "AUTO_TAG")]
    AutoTag,
    #[sea_orm(string_value = "AUTO_ASSIGN")]
    #[serde(rename = "AUTO_ASSIGN")]
    AutoAssign,
}

/// Why an automation rule needs a person to look at it after a reconnect (B6).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ReviewReason {
    /// The account did not come back.
    #[sea_orm(string_value = "ACCOUNT_DISCONNECTED")]
    #[serde(rename = "ACCOUNT_DISCONNECTED")]
    AccountDisconnected,
    /// The network no longer grants a permission the rule needs.
    #[sea_orm(string_value = "SCOPE_MISSING")]
    #[serde(rename = "SCOPE_MISSING")]
    ScopeMissing,
    /// The user the rule assigns to can no longer see the account.
    #[sea_orm(string_value = "ASSIGNEE_LOST_ACCESS")]
    #[serde(rename = "ASSIGNEE_LOST_ACCESS")]
    AssigneeLostAccess,
}

/// Where a post stands (R13, B4). A post of an account that cannot publish is `Held`, never
/// failed or dropped.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum PostState {
    #[sea_orm(string_value = "DRAFT")]
    #[serde(rename = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SCHEDULED")]
    #[serde(rename = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "HELD")]
    #[serde(rename = "HELD")]
    Held,
    #[sea_orm(string_value = "PUBLISHING")]
    #[serde(rename = "PUBLISHING")]
    Publishing,
    #[sea_orm(string_value = "PUBLISHED")]
    #[serde(rename = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "NEEDS_RESCHEDULE")]
    #[serde(rename = "NEEDS_RESCHEDULE")]
    NeedsReschedule,
    #[sea_orm(string_value = "FAILED")]
    #[serde(rename = "FAILED")]
    Failed,
}

/// What a stream shows (R15).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum StreamKind {
    /// The account's own posts.
    #[sea_orm(string_value = "POSTS")]
    #[serde(rename = "POSTS")]
    Posts,
    /// Mentions of the account.
    #[sea_orm(string_value = "MENTIONS")]
    #[serde(rename = "MENTIONS")]
    Mentions,
}

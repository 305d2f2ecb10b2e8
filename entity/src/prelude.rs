//! Re-exports of every entity under its table-style name (`Users`, `SocialAccounts`, ...).

pub use super::account_grants::Entity as AccountGrants;
pub use super::analytics_gaps::Entity as AnalyticsGaps;
pub use super::audit_log::Entity as AuditLog;
pub use super::banner_dismissals::Entity as BannerDismissals;
pub use super::data_deletions::Entity as DataDeletions;
pub use super::disconnect_episodes::Entity as DisconnectEpisodes;
pub use super::events::Entity as Events;
pub use super::memberships::Entity as Memberships;
pub use super::network_incidents::Entity as NetworkIncidents;
pub use super::organizations::Entity as Organizations;
pub use super::reconnect_links::Entity as ReconnectLinks;
pub use super::sandbox_assets::Entity as SandboxAssets;
pub use super::sandbox_clients::Entity as SandboxClients;
pub use super::sandbox_codes::Entity as SandboxCodes;
pub use super::sandbox_identities::Entity as SandboxIdentities;
pub use super::sandbox_posts::Entity as SandboxPosts;
pub use super::sandbox_roles::Entity as SandboxRoles;
pub use super::sandbox_tokens::Entity as SandboxTokens;
pub use super::scheduled_posts::Entity as ScheduledPosts;
pub use super::social_accounts::Entity as SocialAccounts;
pub use super::social_logins::Entity as SocialLogins;
pub use super::streams::Entity as Streams;
pub use super::team_members::Entity as TeamMembers;
pub use super::teams::Entity as Teams;
pub use super::users::Entity as Users;
pub use super::webhook_receipts::Entity as WebhookReceipts;

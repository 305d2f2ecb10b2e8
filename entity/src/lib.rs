//! SeaORM entities for the Relink schema: one module per table, plus shared enums.

pub mod enums;
pub mod prelude;

pub mod account_grants;
pub mod analytics_gaps;
pub mod audit_log;
pub mod automation_rules;
pub mod banner_dismissals;
pub mod data_deletions;
pub mod disconnect_episodes;
pub mod events;
pub mod memberships;
pub mod network_incidents;
pub mod oauth_attempts;
pub mod organizations;
pub mod reconnect_links;
pub mod sandbox_assets;
pub mod sandbox_clients;
pub mod sandbox_codes;
pub mod sandbox_identities;
pub mod sandbox_posts;
pub mod sandbox_roles;
pub mod sandbox_tokens;
pub mod scheduled_posts;
pub mod social_accounts;
pub mod social_logins;
pub mod streams;
pub mod team_members;
pub mod teams;
pub mod users;
pub mod webhook_receipts;

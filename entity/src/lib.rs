//! SeaORM entities for the Relink schema: one module per table, plus shared enums.

pub mod enums;
pub mod prelude;

pub mod account_grants;
pub mod audit_log;
pub mod banner_dismissals;
pub mod disconnect_episodes;
pub mod events;
pub mod memberships;
pub mod organizations;
pub mod social_accounts;
pub mod social_logins;
pub mod team_members;
pub mod teams;
pub mod users;

//! Database migrations for Relink, runnable on both SQLite and PostgreSQL.
#![expect(
    elided_lifetimes_in_paths,
    reason = "sea-orm-migration's trait takes `&SchemaManager`; async_trait needs the same spelling"
)]

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261129_000001_create_people;
mod m20261129_000002_create_social_logins_and_accounts;
mod m20261129_000003_create_disconnect_tracking;
mod m20261129_000004_create_audit_and_events;
mod m20261129_000005_create_sandbox;
mod m20261129_000006_create_oauth_attempts;
mod m20261129_000007_create_automation_rules;
mod m20261129_000008_add_refresh_lease;
mod m20261129_000009_add_episode_emails;
mod m20261129_000010_add_login_checked_at;
mod m20261129_000011_create_posts_streams_gaps;
mod m20261202_000012_add_flow_binding;
mod m20261202_000013_index_events_for_replay;
mod m20261202_000014_create_webhook_receipts;
mod m20261202_000015_unique_logins_and_accounts;
mod m20261202_000016_create_network_incidents;
mod m20261202_000017_create_data_deletions;
mod m20261203_000018_add_rule_reviews_and_told;
mod m20261203_000019_create_reconnect_links;

/// Runs the Relink schema migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_people::Migration),
            Box::new(m20261129_000002_create_social_logins_and_accounts::Migration),
            Box::new(m20261129_000003_create_disconnect_tracking::Migration),
            Box::new(m20261129_000004_create_audit_and_events::Migration),
            Box::new(m20261129_000005_create_sandbox::Migration),
            Box::new(m20261129_000006_create_oauth_attempts::Migration),
            Box::new(m20261129_000007_create_automation_rules::Migration),
            Box::new(m20261129_000008_add_refresh_lease::Migration),
            Box::new(m20261129_000009_add_episode_emails::Migration),
            Box::new(m20261129_000010_add_login_checked_at::Migration),
            Box::new(m20261129_000011_create_posts_streams_gaps::Migration),
            Box::new(m20261202_000012_add_flow_binding::Migration),
            Box::new(m20261202_000013_index_events_for_replay::Migration),
            Box::new(m20261202_000014_create_webhook_receipts::Migration),
            Box::new(m20261202_000015_unique_logins_and_accounts::Migration),
            Box::new(m20261202_000016_create_network_incidents::Migration),
            Box::new(m20261202_000017_create_data_deletions::Migration),
            Box::new(m20261203_000018_add_rule_reviews_and_told::Migration),
            Box::new(m20261203_000019_create_reconnect_links::Migration),
        ]
    }
}

//! Migration step 9: what the disconnect emails need (R12): retries and the "recovered" email.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DisconnectEpisodes {
    Table,
    EmailAttempts,
    RecoveredEmailSentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            DisconnectEpisodes::Table,
            vec![
                integer(DisconnectEpisodes::EmailAttempts)
                    .default(0)
                    .to_owned(),
                timestamp_with_time_zone_null(DisconnectEpisodes::RecoveredEmailSentAt),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            DisconnectEpisodes::Table,
            vec![
                DisconnectEpisodes::EmailAttempts,
                DisconnectEpisodes::RecoveredEmailSentAt,
            ],
        )
        .await
    }
}

//! Migration step 9: what the disconnect emails need (R12): retries and the "recovered" email.

use sea_orm_migration::{prelude::*, schema::*};

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
        // One column per statement: SQLite alters one column at a time.
        for column in [
            integer(DisconnectEpisodes::EmailAttempts)
                .default(0)
                .to_owned(),
            timestamp_with_time_zone_null(DisconnectEpisodes::RecoveredEmailSentAt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(DisconnectEpisodes::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            DisconnectEpisodes::EmailAttempts,
            DisconnectEpisodes::RecoveredEmailSentAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DisconnectEpisodes::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

//! Migration step 17: Facebook's data deletion requests, by confirmation code, so the status page
//! can answer without saying who asked, and a redelivered request (the same signature) gets the
//! same code.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{ENUM_LEN, create_index, drop_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataDeletions {
    Table,
    Id,
    Network,
    ConfirmationCode,
    SignatureHash,
    Status,
    RequestedAt,
    CompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataDeletions::Table)
                    .col(big_pk_auto(DataDeletions::Id))
                    .col(string_len(DataDeletions::Network, ENUM_LEN))
                    .col(string_len(DataDeletions::ConfirmationCode, 64))
                    .col(string(DataDeletions::SignatureHash))
                    .col(string_len(DataDeletions::Status, ENUM_LEN))
                    .col(timestamp_with_time_zone(DataDeletions::RequestedAt))
                    .col(timestamp_with_time_zone_null(DataDeletions::CompletedAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_data_deletions_confirmation_code",
            DataDeletions::Table,
            vec![DataDeletions::ConfirmationCode],
            true,
        )
        .await?;
        create_index(
            manager,
            "ux_data_deletions_signature_hash",
            DataDeletions::Table,
            vec![DataDeletions::SignatureHash],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, DataDeletions::Table).await
    }
}

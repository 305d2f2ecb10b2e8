//! Migration step 14: signed webhooks already applied (the hash of their signature), so a replay
//! within the freshness window does nothing, on every replica.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_index, drop_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookReceipts {
    Table,
    Id,
    Network,
    SignatureHash,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookReceipts::Table)
                    .col(big_pk_auto(WebhookReceipts::Id))
                    .col(string_len(
                        WebhookReceipts::Network,
                        crate::helpers::ENUM_LEN,
                    ))
                    .col(string(WebhookReceipts::SignatureHash))
                    .col(timestamp_with_time_zone(WebhookReceipts::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_webhook_receipts_signature_hash",
            WebhookReceipts::Table,
            vec![WebhookReceipts::SignatureHash],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_webhook_receipts_received_at",
            WebhookReceipts::Table,
            vec![WebhookReceipts::ReceivedAt],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, WebhookReceipts::Table).await
    }
}

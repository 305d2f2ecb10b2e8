//! Migration step 18: who hears of what (R12, R19/B6). An automation rule knows its owner, who
//! flagged it (the reconnecting user) and when its review email went out; a disconnect episode
//! knows whom its email told, so the "recovered" email goes to each of them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AutomationRules {
    Table,
    CreatedBy,
    FlaggedBy,
    ReviewEmailedAt,
}

#[derive(DeriveIden)]
enum DisconnectEpisodes {
    Table,
    ToldUserIds,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            AutomationRules::Table,
            vec![
                big_integer_null(AutomationRules::CreatedBy),
                big_integer_null(AutomationRules::FlaggedBy),
                timestamp_with_time_zone_null(AutomationRules::ReviewEmailedAt),
            ],
        )
        .await?;
        add_columns(
            manager,
            DisconnectEpisodes::Table,
            vec![json_binary_null(DisconnectEpisodes::ToldUserIds)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            DisconnectEpisodes::Table,
            vec![DisconnectEpisodes::ToldUserIds],
        )
        .await?;
        drop_columns(
            manager,
            AutomationRules::Table,
            vec![
                AutomationRules::CreatedBy,
                AutomationRules::FlaggedBy,
                AutomationRules::ReviewEmailedAt,
            ],
        )
        .await
    }
}

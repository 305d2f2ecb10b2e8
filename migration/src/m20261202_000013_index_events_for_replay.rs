//! Migration step 13: the indexes of a bounded replay — a subscriber catching up reads the events
//! of the accounts it may see (by account, in id order), and the pruning job deletes events older
//! than the retention window (by time).

use sea_orm_migration::prelude::*;

use crate::helpers::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    SocialAccountId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(
            manager,
            "ix_events_social_account_id_id",
            Events::Table,
            vec![Events::SocialAccountId, Events::Id],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_events_created_at",
            Events::Table,
            vec![Events::CreatedAt],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_events_social_account_id_id", "ix_events_created_at"] {
            manager
                .drop_index(Index::drop().name(name).table(Events::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

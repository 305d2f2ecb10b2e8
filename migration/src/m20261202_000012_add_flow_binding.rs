//! Migration step 12: an attempt remembers the browser that started it (the hash of its
//! `relink_flow` cookie), so the OAuth callback completes it only in that browser (login CSRF).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthAttempts {
    Table,
    FlowHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            OauthAttempts::Table,
            vec![string_null(OauthAttempts::FlowHash)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, OauthAttempts::Table, vec![OauthAttempts::FlowHash]).await
    }
}

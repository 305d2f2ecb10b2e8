//! Migration step 8: what the keeper needs to refresh each login once (lease) and back off.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_columns, drop_columns};

use crate::m20261129_000002_create_social_logins_and_accounts::SocialLogins;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Keeper {
    RefreshLeaseUntil,
    RefreshFailures,
    NextRefreshAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            SocialLogins::Table,
            vec![
                timestamp_with_time_zone_null(Keeper::RefreshLeaseUntil),
                integer(Keeper::RefreshFailures).default(0).to_owned(),
                timestamp_with_time_zone_null(Keeper::NextRefreshAt),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            SocialLogins::Table,
            vec![
                Keeper::RefreshLeaseUntil,
                Keeper::RefreshFailures,
                Keeper::NextRefreshAt,
            ],
        )
        .await
    }
}

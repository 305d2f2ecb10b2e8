//! Migration step 8: what the keeper needs to refresh each login once (lease) and back off.

use sea_orm_migration::{prelude::*, schema::*};

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
        // One column per statement: SQLite alters one column at a time.
        for column in [
            timestamp_with_time_zone_null(Keeper::RefreshLeaseUntil),
            integer(Keeper::RefreshFailures).default(0).to_owned(),
            timestamp_with_time_zone_null(Keeper::NextRefreshAt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(SocialLogins::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Keeper::RefreshLeaseUntil,
            Keeper::RefreshFailures,
            Keeper::NextRefreshAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SocialLogins::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

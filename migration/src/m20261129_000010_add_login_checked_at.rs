//! Migration step 10: when the keeper last saw a login's token work (B1: tokens that carry no
//! expiry are probed, since nothing else would notice their revocation).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SocialLogins {
    Table,
    CheckedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            SocialLogins::Table,
            vec![timestamp_with_time_zone_null(SocialLogins::CheckedAt)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, SocialLogins::Table, vec![SocialLogins::CheckedAt]).await
    }
}

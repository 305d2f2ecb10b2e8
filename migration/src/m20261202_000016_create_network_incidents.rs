//! Migration step 16: network incidents. Many logins of one network failing at once with
//! inconclusive errors is an outage, not a wave of disconnects: the open incident holds
//! disconnects and emails for that network until calls succeed again. `open_network` is the
//! network while the incident is open and NULL once closed, so a unique index allows one open
//! incident per network across replicas (NULLs are distinct) and keeps the closed ones as history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_index, drop_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NetworkIncidents {
    Table,
    Id,
    Network,
    OpenNetwork,
    OpenedAt,
    ClosedAt,
    FailingLogins,
    Message,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NetworkIncidents::Table)
                    .col(big_pk_auto(NetworkIncidents::Id))
                    .col(string_len(
                        NetworkIncidents::Network,
                        crate::helpers::ENUM_LEN,
                    ))
                    .col(string_len_null(
                        NetworkIncidents::OpenNetwork,
                        crate::helpers::ENUM_LEN,
                    ))
                    .col(timestamp_with_time_zone(NetworkIncidents::OpenedAt))
                    .col(timestamp_with_time_zone_null(NetworkIncidents::ClosedAt))
                    .col(integer(NetworkIncidents::FailingLogins))
                    .col(string(NetworkIncidents::Message))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_network_incidents_open_network",
            NetworkIncidents::Table,
            vec![NetworkIncidents::OpenNetwork],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, NetworkIncidents::Table).await
    }
}

//! Migration step 3: disconnect episodes and banner dismissals.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{ENUM_LEN, create_index, drop_table, fk};
use crate::m20261129_000001_create_people::Users;
use crate::m20261129_000002_create_social_logins_and_accounts::SocialAccounts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum DisconnectEpisodes {
    Table,
    Id,
    SocialAccountId,
    Reason,
    StartedAt,
    EndedAt,
    EndedBy,
    EmailSentAt,
}

#[derive(DeriveIden)]
enum BannerDismissals {
    Table,
    UserId,
    DismissedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(DisconnectEpisodes::Table)
                    .col(big_pk_auto(DisconnectEpisodes::Id))
                    .col(big_integer(DisconnectEpisodes::SocialAccountId))
                    .col(string_len(DisconnectEpisodes::Reason, ENUM_LEN))
                    .col(timestamp_with_time_zone(DisconnectEpisodes::StartedAt))
                    .col(timestamp_with_time_zone_null(DisconnectEpisodes::EndedAt))
                    .col(big_integer_null(DisconnectEpisodes::EndedBy))
                    .col(timestamp_with_time_zone_null(
                        DisconnectEpisodes::EmailSentAt,
                    ))
                    .foreign_key(&mut fk(
                        "fk_disconnect_episodes_social_account_id",
                        DisconnectEpisodes::Table,
                        DisconnectEpisodes::SocialAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_disconnect_episodes_ended_by",
                        DisconnectEpisodes::Table,
                        DisconnectEpisodes::EndedBy,
                        Users::Table,
                        Users::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_disconnect_episodes_social_account_id_ended_at",
            DisconnectEpisodes::Table,
            vec![
                DisconnectEpisodes::SocialAccountId,
                DisconnectEpisodes::EndedAt,
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(BannerDismissals::Table)
                    .col(big_integer(BannerDismissals::UserId).primary_key())
                    .col(timestamp_with_time_zone(BannerDismissals::DismissedAt))
                    .foreign_key(&mut fk(
                        "fk_banner_dismissals_user_id",
                        BannerDismissals::Table,
                        BannerDismissals::UserId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, BannerDismissals::Table).await?;
        drop_table(manager, DisconnectEpisodes::Table).await?;
        Ok(())
    }
}

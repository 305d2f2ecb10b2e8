//! Migration step 11: held work (R13–R15, B4, B5): scheduled posts, streams, analytics gaps, and
//! the posts that reached the sandbox network.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{ENUM_LEN, create_index, drop_table, fk};
use crate::m20261129_000001_create_people::Users;
use crate::m20261129_000002_create_social_logins_and_accounts::SocialAccounts;
use crate::m20261129_000003_create_disconnect_tracking::DisconnectEpisodes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScheduledPosts {
    Table,
    Id,
    SocialAccountId,
    AuthorId,
    Body,
    ScheduledAt,
    State,
    IdempotencyKey,
    Attempts,
    LeaseUntil,
    NotBefore,
    HeldAt,
    PublishedAt,
    ExternalPostId,
    FailureReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Streams {
    Table,
    Id,
    OwnerUserId,
    SocialAccountId,
    Kind,
    Title,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AnalyticsGaps {
    Table,
    Id,
    SocialAccountId,
    EpisodeId,
    From,
    To,
}

#[derive(DeriveIden)]
enum SandboxPosts {
    Table,
    Id,
    Network,
    AssetExternalId,
    Body,
    IdempotencyKey,
    ExternalPostId,
    Requests,
    PublishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        manager
            .create_table(
                Table::create()
                    .table(ScheduledPosts::Table)
                    .col(big_pk_auto(ScheduledPosts::Id))
                    .col(big_integer(ScheduledPosts::SocialAccountId))
                    .col(big_integer(ScheduledPosts::AuthorId))
                    .col(text(ScheduledPosts::Body))
                    .col(timestamp_with_time_zone_null(ScheduledPosts::ScheduledAt))
                    .col(string_len(ScheduledPosts::State, ENUM_LEN))
                    .col(string_len(ScheduledPosts::IdempotencyKey, 64))
                    .col(integer(ScheduledPosts::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(ScheduledPosts::LeaseUntil))
                    .col(timestamp_with_time_zone_null(ScheduledPosts::NotBefore))
                    .col(timestamp_with_time_zone_null(ScheduledPosts::HeldAt))
                    .col(timestamp_with_time_zone_null(ScheduledPosts::PublishedAt))
                    .col(string_null(ScheduledPosts::ExternalPostId))
                    .col(string_null(ScheduledPosts::FailureReason))
                    .col(timestamp_with_time_zone(ScheduledPosts::CreatedAt))
                    .col(timestamp_with_time_zone(ScheduledPosts::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_scheduled_posts_social_account_id",
                        ScheduledPosts::Table,
                        ScheduledPosts::SocialAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_scheduled_posts_author_id",
                        ScheduledPosts::Table,
                        ScheduledPosts::AuthorId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_scheduled_posts_idempotency_key",
            ScheduledPosts::Table,
            vec![ScheduledPosts::IdempotencyKey],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_scheduled_posts_state_scheduled_at",
            ScheduledPosts::Table,
            vec![ScheduledPosts::State, ScheduledPosts::ScheduledAt],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_scheduled_posts_social_account_id",
            ScheduledPosts::Table,
            vec![ScheduledPosts::SocialAccountId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Streams::Table)
                    .col(big_pk_auto(Streams::Id))
                    .col(big_integer(Streams::OwnerUserId))
                    .col(big_integer(Streams::SocialAccountId))
                    .col(string_len(Streams::Kind, ENUM_LEN))
                    .col(string(Streams::Title))
                    .col(timestamp_with_time_zone(Streams::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_streams_owner_user_id",
                        Streams::Table,
                        Streams::OwnerUserId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_streams_social_account_id",
                        Streams::Table,
                        Streams::SocialAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_streams_owner_user_id",
            Streams::Table,
            vec![Streams::OwnerUserId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AnalyticsGaps::Table)
                    .col(big_pk_auto(AnalyticsGaps::Id))
                    .col(big_integer(AnalyticsGaps::SocialAccountId))
                    .col(big_integer(AnalyticsGaps::EpisodeId))
                    .col(timestamp_with_time_zone(AnalyticsGaps::From))
                    .col(timestamp_with_time_zone_null(AnalyticsGaps::To))
                    .foreign_key(&mut fk(
                        "fk_analytics_gaps_social_account_id",
                        AnalyticsGaps::Table,
                        AnalyticsGaps::SocialAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_analytics_gaps_episode_id",
                        AnalyticsGaps::Table,
                        AnalyticsGaps::EpisodeId,
                        DisconnectEpisodes::Table,
                        DisconnectEpisodes::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_analytics_gaps_episode_id",
            AnalyticsGaps::Table,
            vec![AnalyticsGaps::EpisodeId],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_analytics_gaps_social_account_id",
            AnalyticsGaps::Table,
            vec![AnalyticsGaps::SocialAccountId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxPosts::Table)
                    .col(big_pk_auto(SandboxPosts::Id))
                    .col(string_len(SandboxPosts::Network, ENUM_LEN))
                    .col(string(SandboxPosts::AssetExternalId))
                    .col(text(SandboxPosts::Body))
                    .col(string_len(SandboxPosts::IdempotencyKey, 64))
                    .col(string(SandboxPosts::ExternalPostId))
                    .col(integer(SandboxPosts::Requests).default(1))
                    .col(timestamp_with_time_zone(SandboxPosts::PublishedAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_sandbox_posts_network_idempotency_key",
            SandboxPosts::Table,
            vec![SandboxPosts::Network, SandboxPosts::IdempotencyKey],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, SandboxPosts::Table).await?;
        drop_table(manager, AnalyticsGaps::Table).await?;
        drop_table(manager, Streams::Table).await?;
        drop_table(manager, ScheduledPosts::Table).await
    }
}

//! Migration step 2: social logins, social accounts and the grants on them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{ENUM_LEN, create_index, drop_table, fk};
use crate::m20261129_000001_create_people::{Organizations, Teams, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum SocialLogins {
    Table,
    Id,
    Network,
    ExternalUserId,
    DisplayName,
    OwnerOrganizationId,
    OwnerUserId,
    AccessTokenEnc,
    RefreshTokenEnc,
    KeyId,
    TokenExpiresAt,
    RefreshExpiresAt,
    Scopes,
    Status,
    DisconnectReason,
    DisconnectedAt,
    ConnectedBy,
    ConnectedAt,
    LastReconnectedBy,
    LastReconnectedAt,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum SocialAccounts {
    Table,
    Id,
    Network,
    Kind,
    ExternalId,
    Name,
    AvatarUrl,
    OwnerOrganizationId,
    OwnerUserId,
    SocialLoginId,
    OriginalLoginExternalId,
    LinkedAccountId,
    Health,
    LimitedReason,
    DisconnectReason,
    DisconnectedAt,
    CurrentEpisodeId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccountGrants {
    Table,
    Id,
    SocialAccountId,
    UserId,
    TeamId,
    Level,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(SocialLogins::Table)
                    .col(big_pk_auto(SocialLogins::Id))
                    .col(string_len(SocialLogins::Network, ENUM_LEN))
                    .col(string(SocialLogins::ExternalUserId))
                    .col(string(SocialLogins::DisplayName))
                    .col(big_integer_null(SocialLogins::OwnerOrganizationId))
                    .col(big_integer_null(SocialLogins::OwnerUserId))
                    .col(blob_null(SocialLogins::AccessTokenEnc))
                    .col(blob_null(SocialLogins::RefreshTokenEnc))
                    .col(string_null(SocialLogins::KeyId))
                    .col(timestamp_with_time_zone_null(SocialLogins::TokenExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        SocialLogins::RefreshExpiresAt,
                    ))
                    .col(string(SocialLogins::Scopes))
                    .col(string_len(SocialLogins::Status, ENUM_LEN))
                    .col(string_len_null(SocialLogins::DisconnectReason, ENUM_LEN))
                    .col(timestamp_with_time_zone_null(SocialLogins::DisconnectedAt))
                    .col(big_integer_null(SocialLogins::ConnectedBy))
                    .col(timestamp_with_time_zone(SocialLogins::ConnectedAt))
                    .col(big_integer_null(SocialLogins::LastReconnectedBy))
                    .col(timestamp_with_time_zone_null(
                        SocialLogins::LastReconnectedAt,
                    ))
                    .col(big_integer(SocialLogins::Version).default(0i64))
                    .col(timestamp_with_time_zone(SocialLogins::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_social_logins_owner_organization_id",
                        SocialLogins::Table,
                        SocialLogins::OwnerOrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_social_logins_owner_user_id",
                        SocialLogins::Table,
                        SocialLogins::OwnerUserId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_social_logins_connected_by",
                        SocialLogins::Table,
                        SocialLogins::ConnectedBy,
                        Users::Table,
                        Users::Id,
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_social_logins_last_reconnected_by",
                        SocialLogins::Table,
                        SocialLogins::LastReconnectedBy,
                        Users::Table,
                        Users::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_social_logins_network_external_user_id",
            SocialLogins::Table,
            vec![SocialLogins::Network, SocialLogins::ExternalUserId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_social_logins_owner_organization_id",
            SocialLogins::Table,
            vec![SocialLogins::OwnerOrganizationId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_social_logins_owner_user_id",
            SocialLogins::Table,
            vec![SocialLogins::OwnerUserId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_social_logins_status_token_expires_at",
            SocialLogins::Table,
            vec![SocialLogins::Status, SocialLogins::TokenExpiresAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SocialAccounts::Table)
                    .col(big_pk_auto(SocialAccounts::Id))
                    .col(string_len(SocialAccounts::Network, ENUM_LEN))
                    .col(string_len(SocialAccounts::Kind, ENUM_LEN))
                    .col(string(SocialAccounts::ExternalId))
                    .col(string(SocialAccounts::Name))
                    .col(string_null(SocialAccounts::AvatarUrl))
                    .col(big_integer_null(SocialAccounts::OwnerOrganizationId))
                    .col(big_integer_null(SocialAccounts::OwnerUserId))
                    .col(big_integer(SocialAccounts::SocialLoginId))
                    .col(string(SocialAccounts::OriginalLoginExternalId))
                    .col(big_integer_null(SocialAccounts::LinkedAccountId))
                    .col(string_len(SocialAccounts::Health, ENUM_LEN))
                    .col(string_len_null(SocialAccounts::LimitedReason, ENUM_LEN))
                    .col(string_len_null(SocialAccounts::DisconnectReason, ENUM_LEN))
                    .col(timestamp_with_time_zone_null(
                        SocialAccounts::DisconnectedAt,
                    ))
                    .col(big_integer_null(SocialAccounts::CurrentEpisodeId))
                    .col(timestamp_with_time_zone(SocialAccounts::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_social_accounts_owner_organization_id",
                        SocialAccounts::Table,
                        SocialAccounts::OwnerOrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_social_accounts_owner_user_id",
                        SocialAccounts::Table,
                        SocialAccounts::OwnerUserId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_social_accounts_social_login_id",
                        SocialAccounts::Table,
                        SocialAccounts::SocialLoginId,
                        SocialLogins::Table,
                        SocialLogins::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_social_accounts_linked_account_id",
                        SocialAccounts::Table,
                        SocialAccounts::LinkedAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_social_accounts_owner_organization_id_id",
            SocialAccounts::Table,
            vec![SocialAccounts::OwnerOrganizationId, SocialAccounts::Id],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_social_accounts_owner_user_id",
            SocialAccounts::Table,
            vec![SocialAccounts::OwnerUserId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_social_accounts_social_login_id",
            SocialAccounts::Table,
            vec![SocialAccounts::SocialLoginId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_social_accounts_health",
            SocialAccounts::Table,
            vec![SocialAccounts::Health],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_social_accounts_network_external_id",
            SocialAccounts::Table,
            vec![SocialAccounts::Network, SocialAccounts::ExternalId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccountGrants::Table)
                    .col(big_pk_auto(AccountGrants::Id))
                    .col(big_integer(AccountGrants::SocialAccountId))
                    .col(big_integer_null(AccountGrants::UserId))
                    .col(big_integer_null(AccountGrants::TeamId))
                    .col(string_len(AccountGrants::Level, ENUM_LEN))
                    .col(timestamp_with_time_zone(AccountGrants::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_account_grants_social_account_id",
                        AccountGrants::Table,
                        AccountGrants::SocialAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_account_grants_user_id",
                        AccountGrants::Table,
                        AccountGrants::UserId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_account_grants_team_id",
                        AccountGrants::Table,
                        AccountGrants::TeamId,
                        Teams::Table,
                        Teams::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_account_grants_user_id",
            AccountGrants::Table,
            vec![AccountGrants::UserId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_account_grants_team_id",
            AccountGrants::Table,
            vec![AccountGrants::TeamId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_account_grants_social_account_id",
            AccountGrants::Table,
            vec![AccountGrants::SocialAccountId],
            false,
        )
        .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, AccountGrants::Table).await?;
        drop_table(manager, SocialAccounts::Table).await?;
        drop_table(manager, SocialLogins::Table).await?;
        Ok(())
    }
}

//! Migration step 5: the built-in sandbox network's own tables (B9), apart from Relink's.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{ENUM_LEN, create_index, drop_table, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SandboxIdentities {
    Table,
    Id,
    Network,
    ExternalId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SandboxAssets {
    Table,
    Id,
    Network,
    ExternalId,
    Kind,
    Name,
    LinkedExternalId,
    AddedByExternalId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SandboxRoles {
    Table,
    Id,
    IdentityId,
    AssetId,
    Role,
}

#[derive(DeriveIden)]
enum SandboxClients {
    Table,
    Id,
    Network,
    ClientId,
    ClientSecret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SandboxCodes {
    Table,
    Id,
    CodeHash,
    ClientId,
    IdentityId,
    RedirectUri,
    CodeChallenge,
    Scopes,
    GrantedAssetIds,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SandboxTokens {
    Table,
    Id,
    TokenHash,
    Kind,
    IdentityId,
    ClientId,
    Scopes,
    GrantedAssetIds,
    ExpiresAt,
    RevokedAt,
    IssuedFromCode,
    RotatedFrom,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(SandboxIdentities::Table)
                    .col(big_pk_auto(SandboxIdentities::Id))
                    .col(string_len(SandboxIdentities::Network, ENUM_LEN))
                    .col(string(SandboxIdentities::ExternalId))
                    .col(string(SandboxIdentities::Name))
                    .col(timestamp_with_time_zone(SandboxIdentities::CreatedAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_sandbox_identities_network_external_id",
            SandboxIdentities::Table,
            vec![SandboxIdentities::Network, SandboxIdentities::ExternalId],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_sandbox_identities_external_id",
            SandboxIdentities::Table,
            vec![SandboxIdentities::ExternalId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxAssets::Table)
                    .col(big_pk_auto(SandboxAssets::Id))
                    .col(string_len(SandboxAssets::Network, ENUM_LEN))
                    .col(string(SandboxAssets::ExternalId))
                    .col(string_len(SandboxAssets::Kind, ENUM_LEN))
                    .col(string(SandboxAssets::Name))
                    .col(string_null(SandboxAssets::LinkedExternalId))
                    .col(string_null(SandboxAssets::AddedByExternalId))
                    .col(timestamp_with_time_zone(SandboxAssets::CreatedAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_sandbox_assets_network_external_id",
            SandboxAssets::Table,
            vec![SandboxAssets::Network, SandboxAssets::ExternalId],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxRoles::Table)
                    .col(big_pk_auto(SandboxRoles::Id))
                    .col(big_integer(SandboxRoles::IdentityId))
                    .col(big_integer(SandboxRoles::AssetId))
                    .col(string_len(SandboxRoles::Role, ENUM_LEN))
                    .foreign_key(&mut fk(
                        "fk_sandbox_roles_identity_id",
                        SandboxRoles::Table,
                        SandboxRoles::IdentityId,
                        SandboxIdentities::Table,
                        SandboxIdentities::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sandbox_roles_asset_id",
                        SandboxRoles::Table,
                        SandboxRoles::AssetId,
                        SandboxAssets::Table,
                        SandboxAssets::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_sandbox_roles_identity_id_asset_id",
            SandboxRoles::Table,
            vec![SandboxRoles::IdentityId, SandboxRoles::AssetId],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_sandbox_roles_asset_id",
            SandboxRoles::Table,
            vec![SandboxRoles::AssetId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxClients::Table)
                    .col(big_pk_auto(SandboxClients::Id))
                    .col(string_len(SandboxClients::Network, ENUM_LEN))
                    .col(string(SandboxClients::ClientId))
                    .col(string(SandboxClients::ClientSecret))
                    .col(timestamp_with_time_zone(SandboxClients::CreatedAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_sandbox_clients_client_id",
            SandboxClients::Table,
            vec![SandboxClients::ClientId],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxCodes::Table)
                    .col(big_pk_auto(SandboxCodes::Id))
                    .col(string(SandboxCodes::CodeHash))
                    .col(big_integer(SandboxCodes::ClientId))
                    .col(big_integer(SandboxCodes::IdentityId))
                    .col(text(SandboxCodes::RedirectUri))
                    .col(string(SandboxCodes::CodeChallenge))
                    .col(text(SandboxCodes::Scopes))
                    .col(json_binary(SandboxCodes::GrantedAssetIds))
                    .col(timestamp_with_time_zone(SandboxCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(SandboxCodes::UsedAt))
                    .col(timestamp_with_time_zone(SandboxCodes::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_sandbox_codes_client_id",
                        SandboxCodes::Table,
                        SandboxCodes::ClientId,
                        SandboxClients::Table,
                        SandboxClients::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sandbox_codes_identity_id",
                        SandboxCodes::Table,
                        SandboxCodes::IdentityId,
                        SandboxIdentities::Table,
                        SandboxIdentities::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_sandbox_codes_code_hash",
            SandboxCodes::Table,
            vec![SandboxCodes::CodeHash],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxTokens::Table)
                    .col(big_pk_auto(SandboxTokens::Id))
                    .col(string(SandboxTokens::TokenHash))
                    .col(string_len(SandboxTokens::Kind, ENUM_LEN))
                    .col(big_integer(SandboxTokens::IdentityId))
                    .col(big_integer(SandboxTokens::ClientId))
                    .col(text(SandboxTokens::Scopes))
                    .col(json_binary(SandboxTokens::GrantedAssetIds))
                    .col(timestamp_with_time_zone_null(SandboxTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(SandboxTokens::RevokedAt))
                    .col(big_integer_null(SandboxTokens::IssuedFromCode))
                    .col(big_integer_null(SandboxTokens::RotatedFrom))
                    .col(timestamp_with_time_zone(SandboxTokens::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_sandbox_tokens_identity_id",
                        SandboxTokens::Table,
                        SandboxTokens::IdentityId,
                        SandboxIdentities::Table,
                        SandboxIdentities::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sandbox_tokens_client_id",
                        SandboxTokens::Table,
                        SandboxTokens::ClientId,
                        SandboxClients::Table,
                        SandboxClients::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sandbox_tokens_issued_from_code",
                        SandboxTokens::Table,
                        SandboxTokens::IssuedFromCode,
                        SandboxCodes::Table,
                        SandboxCodes::Id,
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sandbox_tokens_rotated_from",
                        SandboxTokens::Table,
                        SandboxTokens::RotatedFrom,
                        SandboxTokens::Table,
                        SandboxTokens::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_sandbox_tokens_token_hash",
            SandboxTokens::Table,
            vec![SandboxTokens::TokenHash],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_sandbox_tokens_identity_id",
            SandboxTokens::Table,
            vec![SandboxTokens::IdentityId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_sandbox_tokens_issued_from_code",
            SandboxTokens::Table,
            vec![SandboxTokens::IssuedFromCode],
            false,
        )
        .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, SandboxTokens::Table).await?;
        drop_table(manager, SandboxCodes::Table).await?;
        drop_table(manager, SandboxClients::Table).await?;
        drop_table(manager, SandboxRoles::Table).await?;
        drop_table(manager, SandboxAssets::Table).await?;
        drop_table(manager, SandboxIdentities::Table).await?;
        Ok(())
    }
}

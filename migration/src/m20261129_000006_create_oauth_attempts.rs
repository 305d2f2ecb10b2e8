//! Migration step 6: OAuth sign-in attempts (state hash, PKCE verifier, target, 10-minute life).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{ENUM_LEN, create_index, drop_table, fk};
use crate::m20261129_000001_create_people::{Organizations, Users};
use crate::m20261129_000002_create_social_logins_and_accounts::SocialAccounts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthAttempts {
    Table,
    Id,
    StateHash,
    UserId,
    Purpose,
    Network,
    TargetAccountId,
    OrganizationId,
    PkceVerifierEnc,
    KeyId,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(OauthAttempts::Table)
                    .col(big_pk_auto(OauthAttempts::Id))
                    .col(string_len(OauthAttempts::StateHash, 64))
                    .col(big_integer(OauthAttempts::UserId))
                    .col(string_len(OauthAttempts::Purpose, ENUM_LEN))
                    .col(string_len(OauthAttempts::Network, ENUM_LEN))
                    .col(big_integer_null(OauthAttempts::TargetAccountId))
                    .col(big_integer_null(OauthAttempts::OrganizationId))
                    .col(blob(OauthAttempts::PkceVerifierEnc))
                    .col(string_len(OauthAttempts::KeyId, 64))
                    .col(timestamp_with_time_zone(OauthAttempts::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OauthAttempts::UsedAt))
                    .col(timestamp_with_time_zone(OauthAttempts::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_oauth_attempts_user_id",
                        OauthAttempts::Table,
                        OauthAttempts::UserId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_oauth_attempts_target_account_id",
                        OauthAttempts::Table,
                        OauthAttempts::TargetAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_oauth_attempts_organization_id",
                        OauthAttempts::Table,
                        OauthAttempts::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_oauth_attempts_state_hash",
            OauthAttempts::Table,
            vec![OauthAttempts::StateHash],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, OauthAttempts::Table).await
    }
}

//! Migration step 19: reconnect links (issue 15) — a single-use link, stored as the SHA-256 of its
//! token, that lets whoever holds an account's network login reconnect it without a dashboard
//! seat; and the sign-in attempt that such a link started.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_columns, create_index, drop_columns, drop_table, fk};
use crate::m20261129_000001_create_people::{Organizations, Users};
use crate::m20261129_000002_create_social_logins_and_accounts::SocialAccounts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReconnectLinks {
    Table,
    Id,
    TokenHash,
    SocialAccountId,
    OrganizationId,
    OwnerUserId,
    CreatedBy,
    RecipientEmail,
    Note,
    CreatedAt,
    ExpiresAt,
    EmailedAt,
    UsedAt,
    UsedIdentity,
    UsedIdentityName,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum OauthAttempts {
    Table,
    LinkId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(ReconnectLinks::Table)
                    .col(big_pk_auto(ReconnectLinks::Id))
                    .col(string_len(ReconnectLinks::TokenHash, 64))
                    .col(big_integer(ReconnectLinks::SocialAccountId))
                    .col(big_integer_null(ReconnectLinks::OrganizationId))
                    .col(big_integer_null(ReconnectLinks::OwnerUserId))
                    .col(big_integer(ReconnectLinks::CreatedBy))
                    .col(string_len_null(ReconnectLinks::RecipientEmail, 254))
                    .col(text_null(ReconnectLinks::Note))
                    .col(timestamp_with_time_zone(ReconnectLinks::CreatedAt))
                    .col(timestamp_with_time_zone(ReconnectLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ReconnectLinks::EmailedAt))
                    .col(timestamp_with_time_zone_null(ReconnectLinks::UsedAt))
                    .col(string_null(ReconnectLinks::UsedIdentity))
                    .col(string_null(ReconnectLinks::UsedIdentityName))
                    .col(timestamp_with_time_zone_null(ReconnectLinks::RevokedAt))
                    .col(big_integer_null(ReconnectLinks::RevokedBy))
                    // A deleted account takes its links with it: they can never be used again.
                    .foreign_key(&mut fk(
                        "fk_reconnect_links_social_account_id",
                        ReconnectLinks::Table,
                        ReconnectLinks::SocialAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reconnect_links_organization_id",
                        ReconnectLinks::Table,
                        ReconnectLinks::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reconnect_links_created_by",
                        ReconnectLinks::Table,
                        ReconnectLinks::CreatedBy,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reconnect_links_revoked_by",
                        ReconnectLinks::Table,
                        ReconnectLinks::RevokedBy,
                        Users::Table,
                        Users::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_reconnect_links_token_hash",
            ReconnectLinks::Table,
            vec![ReconnectLinks::TokenHash],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_reconnect_links_social_account_id",
            ReconnectLinks::Table,
            vec![ReconnectLinks::SocialAccountId],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_reconnect_links_expires_at",
            ReconnectLinks::Table,
            vec![ReconnectLinks::ExpiresAt],
            false,
        )
        .await?;
        // SQLite cannot add a foreign key to a table that exists: the link id is checked in code.
        add_columns(
            manager,
            OauthAttempts::Table,
            vec![big_integer_null(OauthAttempts::LinkId)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, OauthAttempts::Table, vec![OauthAttempts::LinkId]).await?;
        drop_table(manager, ReconnectLinks::Table).await
    }
}

//! Migration step 7: automation rules (auto-tag, auto-assign) re-checked after a reconnect (B6).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{ENUM_LEN, create_index, drop_table, fk};
use crate::m20261129_000001_create_people::Organizations;
use crate::m20261129_000002_create_social_logins_and_accounts::SocialAccounts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AutomationRules {
    Table,
    Id,
    OrganizationId,
    SocialAccountId,
    Kind,
    Name,
    Config,
    NeedsReview,
    ReviewReason,
    LastCheckedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        manager
            .create_table(
                Table::create()
                    .table(AutomationRules::Table)
                    .col(big_pk_auto(AutomationRules::Id))
                    .col(big_integer(AutomationRules::OrganizationId))
                    .col(big_integer(AutomationRules::SocialAccountId))
                    .col(string_len(AutomationRules::Kind, ENUM_LEN))
                    .col(string(AutomationRules::Name))
                    .col(json_binary(AutomationRules::Config))
                    .col(boolean(AutomationRules::NeedsReview).default(false))
                    .col(string_len_null(AutomationRules::ReviewReason, ENUM_LEN))
                    .col(timestamp_with_time_zone_null(
                        AutomationRules::LastCheckedAt,
                    ))
                    .col(timestamp_with_time_zone(AutomationRules::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_automation_rules_organization_id",
                        AutomationRules::Table,
                        AutomationRules::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_automation_rules_social_account_id",
                        AutomationRules::Table,
                        AutomationRules::SocialAccountId,
                        SocialAccounts::Table,
                        SocialAccounts::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_automation_rules_social_account_id",
            AutomationRules::Table,
            vec![AutomationRules::SocialAccountId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, AutomationRules::Table).await
    }
}

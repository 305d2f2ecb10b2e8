//! Migration step 1: users, organizations, memberships, teams and team members.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{ENUM_LEN, create_index, drop_table, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    Name,
    AvatarUrl,
    ExternalSubject,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Organizations {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    OrganizationId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Teams {
    Table,
    Id,
    OrganizationId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    Id,
    TeamId,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::Name))
                    .col(string_null(Users::AvatarUrl))
                    .col(string_uniq(Users::ExternalSubject))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(big_pk_auto(Organizations::Id))
                    .col(string(Organizations::Name))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(big_pk_auto(Memberships::Id))
                    .col(big_integer(Memberships::OrganizationId))
                    .col(big_integer(Memberships::UserId))
                    .col(string_len(Memberships::Role, ENUM_LEN))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_memberships_organization_id",
                        Memberships::Table,
                        Memberships::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_memberships_user_id",
                        Memberships::Table,
                        Memberships::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_memberships_organization_id_user_id",
            Memberships::Table,
            vec![Memberships::OrganizationId, Memberships::UserId],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_memberships_user_id",
            Memberships::Table,
            vec![Memberships::UserId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(big_pk_auto(Teams::Id))
                    .col(big_integer(Teams::OrganizationId))
                    .col(string(Teams::Name))
                    .col(timestamp_with_time_zone(Teams::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_teams_organization_id",
                        Teams::Table,
                        Teams::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_teams_organization_id",
            Teams::Table,
            vec![Teams::OrganizationId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .col(big_pk_auto(TeamMembers::Id))
                    .col(big_integer(TeamMembers::TeamId))
                    .col(big_integer(TeamMembers::UserId))
                    .foreign_key(&mut fk(
                        "fk_team_members_team_id",
                        TeamMembers::Table,
                        TeamMembers::TeamId,
                        Teams::Table,
                        Teams::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_team_members_user_id",
                        TeamMembers::Table,
                        TeamMembers::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ux_team_members_team_id_user_id",
            TeamMembers::Table,
            vec![TeamMembers::TeamId, TeamMembers::UserId],
            true,
        )
        .await?;
        create_index(
            manager,
            "ix_team_members_user_id",
            TeamMembers::Table,
            vec![TeamMembers::UserId],
            false,
        )
        .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, TeamMembers::Table).await?;
        drop_table(manager, Teams::Table).await?;
        drop_table(manager, Memberships::Table).await?;
        drop_table(manager, Organizations::Table).await?;
        drop_table(manager, Users::Table).await?;
        Ok(())
    }
}

//! Migration step 4: the audit log and the event outbox.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_index, drop_table, fk};
use crate::m20261129_000001_create_people::{Organizations, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OrganizationId,
    ActorUserId,
    Action,
    TargetType,
    TargetId,
    Detail,
    At,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Kind,
    OrganizationId,
    OwnerUserId,
    SocialAccountId,
    SocialLoginId,
    Payload,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::SetNull;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(big_integer_null(AuditLog::OrganizationId))
                    .col(big_integer_null(AuditLog::ActorUserId))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::TargetType))
                    .col(big_integer_null(AuditLog::TargetId))
                    .col(json_binary(AuditLog::Detail))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .foreign_key(&mut fk(
                        "fk_audit_log_organization_id",
                        AuditLog::Table,
                        AuditLog::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_audit_log_actor_user_id",
                        AuditLog::Table,
                        AuditLog::ActorUserId,
                        Users::Table,
                        Users::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_audit_log_organization_id_id",
            AuditLog::Table,
            vec![AuditLog::OrganizationId, AuditLog::Id],
            false,
        )
        .await?;
        create_index(
            manager,
            "ix_audit_log_target_type_target_id",
            AuditLog::Table,
            vec![AuditLog::TargetType, AuditLog::TargetId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Id))
                    .col(string(Events::Kind))
                    .col(big_integer_null(Events::OrganizationId))
                    .col(big_integer_null(Events::OwnerUserId))
                    .col(big_integer_null(Events::SocialAccountId))
                    .col(big_integer_null(Events::SocialLoginId))
                    .col(json_binary(Events::Payload))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_events_organization_id",
                        Events::Table,
                        Events::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_events_organization_id_id",
            Events::Table,
            vec![Events::OrganizationId, Events::Id],
            false,
        )
        .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Events::Table).await?;
        drop_table(manager, AuditLog::Table).await?;
        Ok(())
    }
}

//! Migration step 15: one login per identity and owner, one account per network asset and owner.
//! Connects used to read, then insert; two at once (PostgreSQL) could add the same identity or
//! page twice. Partial unique indexes (an owner is an organization or a user, never both) make
//! the database refuse the second, and the code inserts with `ON CONFLICT DO NOTHING`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SocialLogins {
    Table,
    Network,
    ExternalUserId,
    OwnerOrganizationId,
    OwnerUserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum SocialAccounts {
    Table,
    Network,
    ExternalId,
    OwnerOrganizationId,
    OwnerUserId,
}

/// The four indexes: name, table, the identity columns, the owner column.
fn indexes() -> [(&'static str, TableRef, [DynIden; 2], DynIden); 4] {
    [
        (
            "ux_social_logins_org_identity",
            SocialLogins::Table.into_table_ref(),
            [
                SocialLogins::Network.into_iden(),
                SocialLogins::ExternalUserId.into_iden(),
            ],
            SocialLogins::OwnerOrganizationId.into_iden(),
        ),
        (
            "ux_social_logins_user_identity",
            SocialLogins::Table.into_table_ref(),
            [
                SocialLogins::Network.into_iden(),
                SocialLogins::ExternalUserId.into_iden(),
            ],
            SocialLogins::OwnerUserId.into_iden(),
        ),
        (
            "ux_social_accounts_org_asset",
            SocialAccounts::Table.into_table_ref(),
            [
                SocialAccounts::Network.into_iden(),
                SocialAccounts::ExternalId.into_iden(),
            ],
            SocialAccounts::OwnerOrganizationId.into_iden(),
        ),
        (
            "ux_social_accounts_user_asset",
            SocialAccounts::Table.into_table_ref(),
            [
                SocialAccounts::Network.into_iden(),
                SocialAccounts::ExternalId.into_iden(),
            ],
            SocialAccounts::OwnerUserId.into_iden(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, [network, external], owner) in indexes() {
            // Duplicates made before this step stop it with a message that says what to merge,
            // rather than a bare constraint error.
            let duplicates = Query::select()
                .expr(Expr::col(network.clone()))
                .from(table.clone())
                .and_where(Expr::col(owner.clone()).is_not_null())
                .group_by_columns([network.clone(), external.clone(), owner.clone()])
                .and_having(Expr::col(network.clone()).count().gt(1))
                .to_owned();
            let found = manager.get_connection().query_all(&duplicates).await?;
            if !found.is_empty() {
                return Err(DbErr::Migration(format!(
                    "{name}: {} identities or assets are stored twice for one owner; merge them \
                     (move the accounts to one login, delete the other) and migrate again",
                    found.len()
                )));
            }
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(network)
                        .col(external)
                        .col(owner.clone())
                        .unique()
                        .and_where(Expr::col(owner).is_not_null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _, _) in indexes() {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

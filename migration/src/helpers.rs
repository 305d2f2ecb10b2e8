//! Small builders shared by the migration steps (foreign keys, indexes, drops).

use sea_orm_migration::prelude::*;

/// Length of the varchar columns holding enum values.
pub(crate) const ENUM_LEN: u32 = 32;

/// A named foreign key `from_table(from_col) -> to_table(to_col)` with the given on-delete action.
pub(crate) fn fk<FT, FC, TT, TC>(
    name: &str,
    from_table: FT,
    from_col: FC,
    to_table: TT,
    to_col: TC,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    FT: IntoTableRef,
    FC: IntoIden,
    TT: IntoTableRef,
    TC: IntoIden,
{
    ForeignKey::create()
        .name(name)
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(on_delete)
        .to_owned()
}

/// Creates a (possibly unique) index named `name` on `table(cols...)`.
pub(crate) async fn create_index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: Vec<C>,
    unique: bool,
) -> Result<(), DbErr>
where
    T: IntoTableRef,
    C: IntoIndexColumn,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}

/// Drops `table`; its indexes go with it on both SQLite and PostgreSQL.
pub(crate) async fn drop_table<T>(manager: &SchemaManager<'_>, table: T) -> Result<(), DbErr>
where
    T: IntoTableRef,
{
    manager
        .drop_table(Table::drop().table(table).to_owned())
        .await
}

/// Adds columns to `table`, one statement each (SQLite alters one column at a time).
pub(crate) async fn add_columns<T>(
    manager: &SchemaManager<'_>,
    table: T,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr>
where
    T: IntoTableRef,
{
    let table = table.into_table_ref();
    for mut column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table.clone())
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Drops columns of `table`, one statement each.
pub(crate) async fn drop_columns<T, C>(
    manager: &SchemaManager<'_>,
    table: T,
    columns: Vec<C>,
) -> Result<(), DbErr>
where
    T: IntoTableRef,
    C: IntoIden,
{
    let table = table.into_table_ref();
    for column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table.clone())
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

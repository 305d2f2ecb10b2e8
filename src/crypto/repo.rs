//! Queries for the startup key check: which key ids hold tokens, and one token of each.

use entity::social_logins::{self, Column};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _,
};

/// The table whose tokens are checked; part of each token's associated data.
pub(super) const TABLE: &str = "social_logins";

/// One stored ciphertext and the slot it was sealed for.
pub(super) struct StoredToken {
    pub(super) row_id: i64,
    pub(super) column: &'static str,
    pub(super) bytes: Vec<u8>,
}

/// Every distinct key id in `social_logins`, sorted.
pub(super) async fn stored_key_ids(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    social_logins::Entity::find()
        .select_only()
        .column(Column::KeyId)
        .distinct()
        .filter(Column::KeyId.is_not_null())
        .order_by_asc(Column::KeyId)
        .into_tuple::<String>()
        .all(db)
        .await
}

/// The first token sealed by `key_id`: the access token, or the refresh token when the row
/// has none.
pub(super) async fn sample_token(
    db: &impl ConnectionTrait,
    key_id: &str,
) -> Result<Option<StoredToken>, DbErr> {
    let row = social_logins::Entity::find()
        .select_only()
        .columns([Column::Id, Column::AccessTokenEnc, Column::RefreshTokenEnc])
        .filter(Column::KeyId.eq(key_id))
        .filter(
            Condition::any()
                .add(Column::AccessTokenEnc.is_not_null())
                .add(Column::RefreshTokenEnc.is_not_null()),
        )
        .order_by_asc(Column::Id)
        .into_tuple::<(i64, Option<Vec<u8>>, Option<Vec<u8>>)>()
        .one(db)
        .await?;
    Ok(row.and_then(|(row_id, access, refresh)| {
        let (column, bytes) = match (access, refresh) {
            (Some(bytes), _) => ("access_token_enc", bytes),
            (None, Some(bytes)) => ("refresh_token_enc", bytes),
            (None, None) => return None,
        };
        Some(StoredToken {
            row_id,
            column,
            bytes,
        })
    }))
}

//! Sandbox tokens for the demo's connected logins, so the demo publishes and refreshes.

use chrono::{DateTime, Utc};
use entity::{enums::LoginStatus, social_logins};
use sea_orm::{ActiveModelTrait as _, DatabaseConnection, EntityTrait as _, Set};

use crate::{config::Secret, db};

/// Gives every connected login without tokens whose identity the sandbox network plays real
/// sandbox tokens (sealed at rest like any other), as if it had just been reconnected: the demo
/// data then publishes, refreshes and shows streams. A login's recorded expiry is kept, so the
/// demo's EXPIRING accounts stay so. Returns how many logins got tokens.
pub async fn connect_sandbox_logins(
    db: &DatabaseConnection,
    cipher: &crate::crypto::TokenCipher,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let logins = social_logins::Entity::find()
        .filter(social_logins::Column::Status.eq(LoginStatus::Connected))
        .filter(social_logins::Column::AccessTokenEnc.is_null())
        .all(db)
        .await?;
    let mut connected = 0;
    for login in logins {
        let Some(issued) = relink_sandbox::tokens_for(
            db,
            login.network,
            &login.external_user_id,
            &login.scopes,
            now,
        )
        .await?
        else {
            continue;
        };
        let tokens = crate::networks::TokenSet {
            access: Secret::new(issued.access.expose()),
            refresh: issued.refresh.map(|refresh| Secret::new(refresh.expose())),
            expires_in: issued.expires_in.map(crate::networks::token_lifetime),
            refresh_expires_in: None,
            scopes: login.scopes.split(' ').map(str::to_owned).collect(),
        };
        let txn = db::begin_write(db).await?;
        if !crate::reconnect::repo::store_tokens(&txn, cipher, &login, &tokens, None, now).await? {
            continue;
        }
        if login.token_expires_at.is_some() {
            social_logins::ActiveModel {
                id: Set(login.id),
                token_expires_at: Set(login.token_expires_at),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        txn.commit().await?;
        connected += 1;
    }
    Ok(connected)
}

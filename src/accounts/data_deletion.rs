//! Facebook's data deletion callback: a person removed Relink at the network and asked for their
//! data to be deleted. Verified with the app secret and fresh like the deauthorize callback, it
//! deletes what Relink holds about that person at the network — their identity data:
//!
//! - every sign-in of theirs (each login of that network user id, whichever owner) is
//!   disconnected (`APP_DEAUTHORIZED`, through the usual path: episodes, held posts, events), then
//!   its access and refresh tokens are wiped with their expiry, lease and key, its granted scopes
//!   emptied, its display name replaced by a placeholder and its network user id by a
//!   pseudonym (`deleted-{login id}`) that no sign-in can match;
//! - the accounts' record of who added them (`original_login_external_id`, R5) and the audit
//!   entries of those sign-ins that named the person's id get the same pseudonym.
//!
//! The accounts themselves (pages, business profiles) are the organization's, not the person's:
//! they stay, disconnected, so their owners see what to reconnect. The request is kept by
//! confirmation code only — its status page says what happened and when, never to whom — and a
//! redelivery of the same signed request answers the same code.

use chrono::{DateTime, Utc};
use entity::{
    audit_log, data_deletions, enums::DisconnectReason, enums::Network, social_accounts,
    social_logins,
};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ColumnTrait as _, EntityTrait as _,
    QueryFilter as _, Set, sea_query::OnConflict,
};

use super::{
    deauthorize::{Refused, max_age, max_skew},
    disconnect,
};
use crate::app::App;

/// A request not yet carried out (a failure of ours stopped it; the redelivery finishes it).
pub const PENDING: &str = "PENDING";
/// A request carried out.
pub const COMPLETED: &str = "COMPLETED";

/// A fresh confirmation code: 20 lowercase hex characters (80 random bits).
fn confirmation_code() -> String {
    use rand::Rng as _;
    let bytes: [u8; 10] = rand::rng().random();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `code` has the shape of a confirmation code (the status page looks up nothing else).
pub fn is_code(code: &str) -> bool {
    code.len() == 20
        && code
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Applies a data deletion request of `network` (its `signed_request` form field) and returns the
/// request as recorded, with its confirmation code. A redelivery returns the first answer (and
/// finishes a request a failure of ours left pending).
pub async fn request(
    app: &App,
    network: Network,
    signed_request: &str,
) -> Result<data_deletions::Model, Refused> {
    let adapter = app.networks.get(network).ok_or(Refused::UnknownNetwork)?;
    let payload = adapter.deauthorized_user(signed_request)?;
    let signature_hash =
        crate::reconnect::state_hash(crate::networks::signed_request::signature(signed_request));
    let now = app.now();
    let known = data_deletions::Entity::find()
        .filter(data_deletions::Column::SignatureHash.eq(&signature_hash))
        .one(&app.db)
        .await?;
    let recorded = match known {
        Some(row) => row,
        None => {
            let issued = payload
                .issued_at
                .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
                .ok_or(Refused::Stale)?;
            if issued < crate::clock::before(now, max_age())
                || issued > crate::clock::after(now, max_skew())
            {
                return Err(Refused::Stale);
            }
            record(app, network, &signature_hash, now).await?
        }
    };
    if recorded.status == COMPLETED {
        return Ok(recorded);
    }
    erase(app, network, &payload.user_id, now).await?;
    let mut done: data_deletions::ActiveModel = recorded.into();
    done.status = Set(COMPLETED.to_owned());
    done.completed_at = Set(Some(app.now()));
    Ok(done.update(&app.db).await?)
}

/// Records the request (one row per signature across replicas) and returns the row.
async fn record(
    app: &App,
    network: Network,
    signature_hash: &str,
    now: DateTime<Utc>,
) -> Result<data_deletions::Model, Refused> {
    data_deletions::Entity::insert(data_deletions::ActiveModel {
        id: NotSet,
        network: Set(crate::networks::slug(network).to_owned()),
        confirmation_code: Set(confirmation_code()),
        signature_hash: Set(signature_hash.to_owned()),
        status: Set(PENDING.to_owned()),
        requested_at: Set(now),
        completed_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(data_deletions::Column::SignatureHash)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&app.db)
    .await?;
    data_deletions::Entity::find()
        .filter(data_deletions::Column::SignatureHash.eq(signature_hash))
        .one(&app.db)
        .await?
        .ok_or_else(|| Refused::Db(sea_orm::DbErr::RecordNotFound("data deletion".to_owned())))
}

/// Disconnects and scrubs every login of `external_user_id` at `network` (see the module).
async fn erase(
    app: &App,
    network: Network,
    external_user_id: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    disconnect::disconnect_identity(
        app,
        network,
        external_user_id,
        DisconnectReason::AppDeauthorized,
        now,
    )
    .await?;
    let txn = app.begin().await?;
    let logins = social_logins::Entity::find()
        .filter(social_logins::Column::Network.eq(network))
        .filter(social_logins::Column::ExternalUserId.eq(external_user_id))
        .all(&txn)
        .await?;
    for login in &logins {
        let pseudonym = format!("deleted-{}", login.id);
        social_logins::ActiveModel {
            id: Set(login.id),
            external_user_id: Set(pseudonym.clone()),
            display_name: Set(format!("Deleted {} user", crate::networks::label(network))),
            access_token_enc: Set(None),
            refresh_token_enc: Set(None),
            key_id: Set(None),
            token_expires_at: Set(None),
            refresh_expires_at: Set(None),
            scopes: Set(String::new()),
            version: Set(login.version + 1),
            refresh_lease_until: Set(None),
            next_refresh_at: Set(None),
            checked_at: Set(None),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        social_accounts::Entity::update_many()
            .col_expr(
                social_accounts::Column::OriginalLoginExternalId,
                sea_orm::sea_query::Expr::value(pseudonym.clone()),
            )
            .filter(social_accounts::Column::Network.eq(network))
            .filter(social_accounts::Column::OriginalLoginExternalId.eq(external_user_id))
            .exec(&txn)
            .await?;
        for entry in audit_log::Entity::find()
            .filter(audit_log::Column::TargetType.eq("social_login"))
            .filter(audit_log::Column::TargetId.eq(login.id))
            .all(&txn)
            .await?
        {
            if entry.detail.get("identity").and_then(|v| v.as_str()) != Some(external_user_id) {
                continue;
            }
            let mut detail = entry.detail.clone();
            detail["identity"] = serde_json::Value::String(pseudonym.clone());
            audit_log::ActiveModel {
                id: Set(entry.id),
                detail: Set(detail),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
    }
    crate::audit::record(
        &txn,
        crate::audit::Entry {
            organization_id: None,
            actor_user_id: None,
            action: "identity.data_deleted",
            target_type: "network",
            target_id: None,
            detail: serde_json::json!({ "network": network, "logins": logins.len() }),
        },
        now,
    )
    .await?;
    app.commit(txn).await?;
    tracing::info!(
        network = crate::networks::slug(network),
        logins = logins.len(),
        "deleted a person's tokens and identity data at their request"
    );
    Ok(())
}

/// The request behind a confirmation code, if any.
pub async fn status(
    app: &App,
    code: &str,
) -> Result<Option<data_deletions::Model>, sea_orm::DbErr> {
    if !is_code(code) {
        return Ok(None);
    }
    data_deletions::Entity::find()
        .filter(data_deletions::Column::ConfirmationCode.eq(code))
        .one(&app.db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_codes_are_fresh_and_only_their_shape_is_looked_up() {
        let (a, b) = (confirmation_code(), confirmation_code());
        assert!(is_code(&a) && is_code(&b), "{a} {b}");
        assert_ne!(a, b);
        for other in [
            "",
            "ABCDEF0123456789abcd",
            "0123456789abcdef012",
            "../../etc/passwd0000",
        ] {
            assert!(!is_code(other), "{other}");
        }
    }
}

//! Disconnects (B7): a login that stopped working takes all its accounts with it, in one
//! transaction with their episodes, audit entries and events, and only once.

use chrono::{DateTime, Utc};
use entity::{
    enums::{DisconnectReason, Health, LoginStatus, Network},
    social_accounts, social_logins,
};
use sea_orm::{ColumnTrait as _, DbErr, EntityTrait as _, QueryFilter as _};

use super::status::{Verdict, apply_verdict};
use crate::{
    access::{self, Action, Owner, Subject},
    accounts,
    app::App,
    audit,
};

/// Disconnects the login and every account of it that is not disconnected yet, for `reason`.
/// A login already disconnected is left as it is (a second report disconnects nothing twice).
/// With `seen_version`, the caller learned of the failure from tokens it read at that version:
/// when the login was written since (a person reconnected it), the failure is about tokens that
/// are gone and nothing is disconnected. Returns the accounts that changed.
pub async fn disconnect_login(
    app: &App,
    login_id: i64,
    reason: DisconnectReason,
    actor: Option<i64>,
    seen_version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<social_accounts::Model>, DbErr> {
    let txn = app.begin().await?;
    let Some(login) = social_logins::Entity::find_by_id(login_id)
        .one(&txn)
        .await?
    else {
        return Ok(Vec::new());
    };
    if login.status == LoginStatus::Disconnected
        || seen_version.is_some_and(|seen| seen != login.version)
    {
        return Ok(Vec::new());
    }
    // Conditional on the version read: a sign-in committed in between wins.
    let written = social_logins::Entity::update_many()
        .col_expr(
            social_logins::Column::Status,
            sea_orm::sea_query::Expr::value(LoginStatus::Disconnected),
        )
        .col_expr(
            social_logins::Column::DisconnectReason,
            sea_orm::sea_query::Expr::value(Some(reason)),
        )
        .col_expr(
            social_logins::Column::DisconnectedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .col_expr(
            social_logins::Column::Version,
            sea_orm::sea_query::Expr::value(login.version + 1),
        )
        .filter(social_logins::Column::Id.eq(login.id))
        .filter(social_logins::Column::Version.eq(login.version))
        .exec(&txn)
        .await?;
    if written.rows_affected == 0 {
        return Ok(Vec::new());
    }
    audit::record(
        &txn,
        audit::Entry {
            organization_id: login.owner_organization_id,
            actor_user_id: actor,
            action: "login.disconnected",
            target_type: "social_login",
            target_id: Some(login.id),
            detail: serde_json::json!({ "reason": reason }),
        },
        now,
    )
    .await?;
    let accounts = social_accounts::Entity::find()
        .filter(social_accounts::Column::SocialLoginId.eq(login.id))
        .filter(social_accounts::Column::Health.ne(Health::Disconnected))
        .all(&txn)
        .await?;
    let mut changed = Vec::with_capacity(accounts.len());
    for account in accounts {
        changed.push(
            apply_verdict(
                &txn,
                &account,
                Verdict::Disconnected(reason),
                login.id,
                actor,
                now,
            )
            .await?,
        );
    }
    app.commit(txn).await?;
    tracing::info!(login.id = login.id, reason = ?reason, accounts = changed.len(), "login disconnected");
    Ok(changed)
}

/// Disconnects the logins of `external_user_id` at `network` (a deauthorize callback names the
/// identity, which may have authorized Relink for several owners).
pub async fn disconnect_identity(
    app: &App,
    network: Network,
    external_user_id: &str,
    reason: DisconnectReason,
    now: DateTime<Utc>,
) -> Result<Vec<social_accounts::Model>, DbErr> {
    let logins = social_logins::Entity::find()
        .filter(social_logins::Column::Network.eq(network))
        .filter(social_logins::Column::ExternalUserId.eq(external_user_id))
        .all(&app.db)
        .await?;
    let mut changed = Vec::new();
    for login in logins {
        changed.extend(disconnect_login(app, login.id, reason, None, None, now).await?);
    }
    Ok(changed)
}

/// Why an admin's disconnect changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum AdminDisconnectError {
    /// Unknown, or an account the viewer may not see (the two read alike).
    #[error("not found")]
    NotFound,
    /// The viewer sees the account but may not administer it.
    #[error("not allowed to disconnect the account")]
    NotAllowed,
    /// A failure of ours.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl AdminDisconnectError {
    /// The stable code of a refusal the viewer can act on; `None` for the others.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::NotAllowed => Some("DISCONNECT_NOT_ALLOWED"),
            Self::NotFound | Self::Db(_) => None,
        }
    }
}

/// `disconnectSocialAccount`: an admin (of the organization, or an OWNER of the account) takes
/// one account offline (`DISCONNECTED_BY_ADMIN`); its login stays connected. The viewer's roles
/// and grants are read again under the account's lock, so a right lost a moment ago refuses.
/// Disconnecting an account already disconnected returns it unchanged.
pub async fn disconnect_account_by_admin(
    app: &App,
    viewer: &Subject,
    account_id: i64,
) -> Result<social_accounts::Model, AdminDisconnectError> {
    let now = app.now();
    let txn = app.begin().await?;
    accounts::repo::lock_account(&txn, account_id).await?;
    let subject = accounts::repo::load_subject(&txn, viewer.user_id).await?;
    let account = accounts::repo::find_visible(&txn, &subject, account_id)
        .await?
        .ok_or(AdminDisconnectError::NotFound)?;
    let owner = Owner::from_columns(account.owner_organization_id, account.owner_user_id)
        .ok_or(AdminDisconnectError::NotFound)?;
    if !access::may(&subject, account.id, owner, Action::Administer) {
        return Err(AdminDisconnectError::NotAllowed);
    }
    let changed = if account.health == Health::Disconnected {
        account
    } else {
        let verdict = Verdict::Disconnected(DisconnectReason::DisconnectedByAdmin);
        apply_verdict(
            &txn,
            &account,
            verdict,
            account.social_login_id,
            Some(subject.user_id),
            now,
        )
        .await?
    };
    app.commit(txn).await?;
    Ok(changed)
}

//! Refreshing a token before it expires (B1): single flight, and every write conditional on the
//! version read.

use chrono::{DateTime, Utc};
use entity::{enums::DisconnectReason, social_logins};
use sea_orm::EntityTrait as _;

use crate::{accounts::disconnect, audit, clock::after, networks::RefreshWith, reconnect};

use super::{Keeper, Leased, backoff, repo};

/// What one refresh attempt did. The order is that of `metrics::REFRESH_OUTCOMES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// The token is not due (or was just refreshed by someone else): nothing to do.
    NotDue,
    /// Another process holds the lease and is refreshing it.
    Busy,
    /// New tokens stored.
    Refreshed,
    /// The network refused the refresh token: the login is disconnected (once).
    Disconnected,
    /// Timeout, 5xx or 429: tried again later, nothing disconnected.
    Deferred,
    /// The login has no refresh token (Facebook-like): only warnings apply.
    NotRefreshable,
    /// A person reconnected the login while the network answered: their tokens stay, the
    /// refreshed ones are given back to the network.
    Superseded,
}

/// Whether a login holds what its network renews tokens with: a refresh token, or an access token
/// that is still alive (an expired one cannot be extended).
pub(super) fn refreshable(
    with: RefreshWith,
    login: &social_logins::Model,
    now: DateTime<Utc>,
) -> bool {
    match with {
        RefreshWith::RefreshToken => login.refresh_token_enc.is_some(),
        RefreshWith::AccessToken => {
            login.access_token_enc.is_some() && login.token_expires_at.is_some_and(|at| at > now)
        }
        RefreshWith::Nothing => false,
    }
}

impl Keeper {
    /// Whether a person's sign-in wrote `read` since it was read (its tokens replaced ours).
    async fn superseded(&self, read: &social_logins::Model) -> anyhow::Result<bool> {
        Ok(social_logins::Entity::find_by_id(read.id)
            .one(&self.app.db)
            .await?
            .is_some_and(|now| {
                now.version != read.version && now.status == entity::enums::LoginStatus::Connected
            }))
    }

    /// What renews the login's tokens (a network without an adapter: a refresh token, as before).
    pub(super) fn renews_with(&self, login: &social_logins::Model) -> RefreshWith {
        self.app
            .networks
            .get(login.network)
            .map_or(RefreshWith::RefreshToken, |adapter| adapter.refresh_with())
    }

    pub(super) fn due(&self, login: &social_logins::Model, now: DateTime<Utc>) -> bool {
        let keeper = &self.app.settings.keeper;
        let margin = match self.renews_with(login) {
            // A token renewed with itself (Facebook, Instagram) dies at expiry and nothing brings it
            // back: renew it from the start of the expiry warning, so an outage of hours or days
            // costs nothing. Instagram accepts it only once the token is a day old, which a
            // 60-day token in its last week always is.
            RefreshWith::AccessToken => keeper.refresh_margin.max(keeper.expiry_warning),
            RefreshWith::RefreshToken | RefreshWith::Nothing => keeper.refresh_margin,
        };
        login
            .token_expires_at
            .is_some_and(|at| at <= after(now, margin))
    }

    /// Refreshes one login if it is due: one caller per process at a time, one process at a
    /// time through the lease; the login is read again under both, so a refresh done meanwhile
    /// is not repeated.
    pub async fn refresh_login(&self, login_id: i64) -> anyhow::Result<Refresh> {
        let outcome = self.refresh_login_once(login_id).await?;
        self.app.meters.refresh(outcome as usize);
        Ok(outcome)
    }

    async fn refresh_login_once(&self, login_id: i64) -> anyhow::Result<Refresh> {
        let lock = self.lock_for(login_id).await;
        let _held = lock.lock().await;
        let now = self.app.clock.now();
        let login = match self
            .lease(login_id, now, |login| {
                if login.status != entity::enums::LoginStatus::Connected || !self.due(login, now) {
                    Some(Refresh::NotDue)
                } else if login.key_id.is_none() {
                    Some(Refresh::NotRefreshable)
                } else if let Some(with) = self
                    .app
                    .networks
                    .get(login.network)
                    .map(|a| a.refresh_with())
                    && !refreshable(with, login, now)
                {
                    Some(Refresh::NotRefreshable)
                } else {
                    None
                }
            })
            .await?
        {
            Leased::Held(login) => *login,
            Leased::NotFound => return Ok(Refresh::NotDue),
            Leased::Early(outcome) => return Ok(outcome),
            Leased::BackingOff => return Ok(Refresh::Deferred),
            Leased::Busy => return Ok(Refresh::Busy),
        };
        let Some(adapter) = self.app.networks.get(login.network) else {
            repo::release_lease(&self.app.db, login.id).await?;
            return Ok(Refresh::Deferred);
        };
        let renewing = match adapter.refresh_with() {
            RefreshWith::RefreshToken => self.app.cipher.refresh_token(&login)?,
            RefreshWith::AccessToken => self.app.cipher.access_token(&login)?,
            RefreshWith::Nothing => None,
        };
        let Some(refresh_token) = renewing else {
            repo::release_lease(&self.app.db, login.id).await?;
            return Ok(Refresh::NotRefreshable);
        };
        let result = adapter.refresh(&refresh_token).await;
        match crate::incidents::judge(&self.app, login.network, login.id, result).await? {
            Ok(tokens) => {
                let txn = self.app.begin().await?;
                if !reconnect::repo::store_tokens(
                    &txn,
                    &self.app.cipher,
                    &login,
                    &tokens,
                    None,
                    now,
                )
                .await?
                {
                    // The login was written since it was read under the lease (a sign-in): its
                    // tokens are newer than ours. Ours are revoked rather than left valid.
                    drop(txn);
                    repo::release_lease(&self.app.db, login.id).await?;
                    for token in std::iter::once(&tokens.access).chain(tokens.refresh.as_ref()) {
                        if let Err(error) = adapter.revoke(token).await {
                            tracing::warn!(login.id = login.id, %error, "could not revoke superseded tokens");
                        }
                    }
                    return Ok(Refresh::Superseded);
                }
                repo::release_lease(&txn, login.id).await?;
                audit::record(
                    &txn,
                    audit::Entry {
                        organization_id: login.owner_organization_id,
                        actor_user_id: None,
                        action: "login.refreshed",
                        target_type: "social_login",
                        target_id: Some(login.id),
                        detail: serde_json::json!({ "rotated": tokens.refresh.is_some() }),
                    },
                    now,
                )
                .await?;
                self.app.commit(txn).await?;
                Ok(Refresh::Refreshed)
            }
            Err(error) if error.disconnect_reason().is_some() => {
                repo::release_lease(&self.app.db, login.id).await?;
                let said = error
                    .disconnect_reason()
                    .unwrap_or(DisconnectReason::Unknown);
                let reason = if said == DisconnectReason::TokenRevoked
                    && login.refresh_expires_at.is_some_and(|at| at <= now)
                {
                    DisconnectReason::TokenExpired
                } else {
                    said
                };
                let changed = disconnect::disconnect_login(
                    &self.app,
                    login.id,
                    reason,
                    None,
                    Some(login.version),
                    now,
                )
                .await?;
                if changed.is_empty() && self.superseded(&login).await? {
                    return Ok(Refresh::Superseded);
                }
                Ok(Refresh::Disconnected)
            }
            Err(error) => {
                // B1: a network that is down or slow never disconnects anyone.
                tracing::warn!(login.id = login.id, %error, "refresh failed for now; backing off");
                repo::defer(
                    &self.app.db,
                    &login,
                    after(now, backoff(login.refresh_failures)),
                )
                .await?;
                audit::record(
                    &self.app.db,
                    audit::Entry {
                        organization_id: login.owner_organization_id,
                        actor_user_id: None,
                        action: "login.refresh_failed",
                        target_type: "social_login",
                        target_id: Some(login.id),
                        detail: serde_json::json!({ "error": error.to_string(), "failures": login.refresh_failures + 1 }),
                    },
                    now,
                )
                .await?;
                Ok(Refresh::Deferred)
            }
        }
    }
}

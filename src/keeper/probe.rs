//! Probes of tokens that carry no expiry (B1): nothing else notices their silent revocation.

use chrono::{DateTime, Utc};
use entity::{enums::DisconnectReason, social_logins};

use crate::{
    accounts::disconnect,
    clock::{after, before},
};

use super::{Keeper, Leased, backoff, repo};

/// What one probe of a token without expiry did (B1). The order is that of
/// `metrics::PROBE_OUTCOMES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Not due, not connected, or checked meanwhile by someone else.
    NotDue,
    /// Another process holds the login's lease.
    Busy,
    /// The network accepted the token.
    Working,
    /// The network rejected the token: the login is disconnected (once).
    Disconnected,
    /// Timeout, 5xx or 429: probed again later, nothing disconnected.
    Deferred,
}

impl Keeper {
    fn probe_due(&self, login: &social_logins::Model, now: DateTime<Utc>) -> bool {
        login.status == entity::enums::LoginStatus::Connected
            && login.token_expires_at.is_none()
            && login
                .checked_at
                .is_none_or(|at| at <= before(now, self.app.settings.keeper.probe_interval))
    }

    /// Probes one login whose token carries no expiry (Facebook page tokens, for one): asks the
    /// network who the token belongs to. Nothing else would notice a revocation that came
    /// without a deauthorize callback. Single flight like a refresh: the same lock and lease.
    pub async fn probe_login(&self, login_id: i64) -> anyhow::Result<Probe> {
        let outcome = self.probe_login_once(login_id).await?;
        self.app.meters.probe(outcome as usize);
        Ok(outcome)
    }

    async fn probe_login_once(&self, login_id: i64) -> anyhow::Result<Probe> {
        let lock = self.lock_for(login_id).await;
        let _held = lock.lock().await;
        let now = self.app.clock.now();
        let login = match self
            .lease(login_id, now, |login| {
                (!self.probe_due(login, now)).then_some(Probe::NotDue)
            })
            .await?
        {
            Leased::Held(login) => *login,
            Leased::NotFound => return Ok(Probe::NotDue),
            Leased::Early(outcome) => return Ok(outcome),
            Leased::BackingOff => return Ok(Probe::Deferred),
            Leased::Busy => return Ok(Probe::Busy),
        };
        let (Some(access_token), Some(adapter)) = (
            self.app.cipher.access_token(&login)?,
            self.app.networks.get(login.network),
        ) else {
            repo::release_lease(&self.app.db, login.id).await?;
            return Ok(Probe::Deferred);
        };
        let result = adapter.identity(&access_token).await;
        match crate::incidents::judge(&self.app, login.network, login.id, result).await? {
            Ok(_) => {
                repo::checked(&self.app.db, login.id, now).await?;
                Ok(Probe::Working)
            }
            Err(error) if error.disconnect_reason().is_some() => {
                repo::release_lease(&self.app.db, login.id).await?;
                disconnect::disconnect_login(
                    &self.app,
                    login.id,
                    error
                        .disconnect_reason()
                        .unwrap_or(DisconnectReason::Unknown),
                    None,
                    Some(login.version),
                    now,
                )
                .await?;
                Ok(Probe::Disconnected)
            }
            Err(error) => {
                tracing::warn!(login.id = login.id, %error, "token probe failed for now; backing off");
                repo::defer(
                    &self.app.db,
                    &login,
                    after(now, backoff(login.refresh_failures)),
                )
                .await?;
                Ok(Probe::Deferred)
            }
        }
    }
}

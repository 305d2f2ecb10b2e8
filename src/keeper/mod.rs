//! The keeper (B1): refreshes tokens before they expire, once per login across tasks and replicas;
//! warns before a token that cannot be refreshed runs out; disconnects only on a real refusal.

pub mod repo;

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use entity::{
    enums::{DisconnectReason, Health},
    social_accounts, social_logins,
};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, DatabaseConnection, EntityTrait as _,
    QueryFilter as _, Set,
};
use tokio::sync::Mutex;

use crate::{
    accounts::{disconnect, status::record_account_change},
    audit,
    clock::{SharedClock, after, before},
    crypto::TokenCipher,
    db,
    events::EventBus,
    metrics::Meters,
    networks::{NetworkError, Networks},
    reconnect,
};

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

/// What taking a login's lease found.
enum Leased<T> {
    /// The login is gone.
    NotFound,
    /// The caller's own reason not to call the network (not due, not refreshable…).
    Early(T),
    /// A transient failure's backoff is still running.
    BackingOff,
    /// Another process holds the lease.
    Busy,
    /// Ours, with the login as read under the lease.
    Held(Box<social_logins::Model>),
}

/// Settings of the keeper.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Refresh this long before expiry.
    pub refresh_margin: Duration,
    /// Warn this long before a token that cannot be refreshed runs out.
    pub expiry_warning: Duration,
    /// How long one refresh may hold its lease.
    pub lease: Duration,
    /// Probe a token that carries no expiry when it was last seen working this long ago.
    pub probe_interval: Duration,
}

/// The keeper of one process.
#[derive(Clone)]
pub struct Keeper {
    db: DatabaseConnection,
    cipher: Arc<TokenCipher>,
    networks: Networks,
    bus: EventBus,
    clock: SharedClock,
    settings: Settings,
    meters: Meters,
    locks: Arc<Mutex<HashMap<i64, Arc<Mutex<()>>>>>,
}

/// How long to wait after `failures` transient failures in a row: 1, 2, 4 … 64 minutes. The
/// publisher backs off the same way.
pub fn backoff(failures: i32) -> Duration {
    Duration::minutes(1i64 << failures.clamp(0, 6))
}

impl Keeper {
    /// A keeper over these services.
    pub fn new(
        db: DatabaseConnection,
        cipher: Arc<TokenCipher>,
        networks: Networks,
        bus: EventBus,
        clock: SharedClock,
        settings: Settings,
        meters: Meters,
    ) -> Self {
        Self {
            db,
            cipher,
            networks,
            bus,
            clock,
            settings,
            meters,
            locks: Arc::default(),
        }
    }

    async fn lock_for(&self, login_id: i64) -> Arc<Mutex<()>> {
        self.locks.lock().await.entry(login_id).or_default().clone()
    }

    /// Takes the login's lease for one call to the network, when `early` (the caller's reasons
    /// not to call) says nothing and no backoff is running; then reads the login again under the
    /// lease and asks `early` again: another replica may have refreshed between the first read
    /// and the lease, and its rotated refresh token is the only one the network still takes.
    async fn lease<T>(
        &self,
        login_id: i64,
        now: DateTime<Utc>,
        early: impl Fn(&social_logins::Model) -> Option<T>,
    ) -> anyhow::Result<Leased<T>> {
        let Some(login) = social_logins::Entity::find_by_id(login_id)
            .one(&self.db)
            .await?
        else {
            return Ok(Leased::NotFound);
        };
        if let Some(outcome) = early(&login) {
            return Ok(Leased::Early(outcome));
        }
        if login.next_refresh_at.is_some_and(|at| at > now) {
            return Ok(Leased::BackingOff);
        }
        if !repo::take_lease(&self.db, login.id, now, after(now, self.settings.lease)).await? {
            return Ok(Leased::Busy);
        }
        let again = social_logins::Entity::find_by_id(login_id)
            .one(&self.db)
            .await?;
        match again.map(|login| (early(&login), login)) {
            Some((None, login)) => Ok(Leased::Held(Box::new(login))),
            Some((Some(outcome), _)) => {
                repo::release_lease(&self.db, login_id).await?;
                Ok(Leased::Early(outcome))
            }
            None => Ok(Leased::NotFound),
        }
    }

    fn probe_due(&self, login: &social_logins::Model, now: DateTime<Utc>) -> bool {
        login.status == entity::enums::LoginStatus::Connected
            && login.token_expires_at.is_none()
            && login
                .checked_at
                .is_none_or(|at| at <= before(now, self.settings.probe_interval))
    }

    /// Probes one login whose token carries no expiry (Facebook page tokens, for one): asks the
    /// network who the token belongs to. Nothing else would notice a revocation that came
    /// without a deauthorize callback. Single flight like a refresh: the same lock and lease.
    pub async fn probe_login(&self, login_id: i64) -> anyhow::Result<Probe> {
        let outcome = self.probe_login_once(login_id).await?;
        self.meters.probe(outcome as usize);
        Ok(outcome)
    }

    async fn probe_login_once(&self, login_id: i64) -> anyhow::Result<Probe> {
        let lock = self.lock_for(login_id).await;
        let _held = lock.lock().await;
        let now = self.clock.now();
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
            self.cipher.access_token(&login)?,
            self.networks.get(login.network),
        ) else {
            repo::release_lease(&self.db, login.id).await?;
            return Ok(Probe::Deferred);
        };
        match adapter.identity(&access_token).await {
            Ok(_) => {
                repo::checked(&self.db, login.id, now).await?;
                Ok(Probe::Working)
            }
            Err(NetworkError::Refused(_) | NetworkError::InvalidToken) => {
                repo::release_lease(&self.db, login.id).await?;
                disconnect::disconnect_login(
                    &self.db,
                    login.id,
                    DisconnectReason::TokenRevoked,
                    None,
                    Some(login.version),
                    now,
                )
                .await?;
                self.bus.wake();
                Ok(Probe::Disconnected)
            }
            Err(error) => {
                tracing::warn!(login.id = login.id, %error, "token probe failed for now; backing off");
                repo::defer(
                    &self.db,
                    &login,
                    after(now, backoff(login.refresh_failures)),
                )
                .await?;
                Ok(Probe::Deferred)
            }
        }
    }

    /// Whether a person's sign-in wrote `read` since it was read (its tokens replaced ours).
    async fn superseded(&self, read: &social_logins::Model) -> anyhow::Result<bool> {
        Ok(social_logins::Entity::find_by_id(read.id)
            .one(&self.db)
            .await?
            .is_some_and(|now| {
                now.version != read.version && now.status == entity::enums::LoginStatus::Connected
            }))
    }

    fn due(&self, login: &social_logins::Model, now: DateTime<Utc>) -> bool {
        login
            .token_expires_at
            .is_some_and(|at| at <= after(now, self.settings.refresh_margin))
    }

    /// Refreshes one login if it is due: one caller per process at a time, one process at a
    /// time through the lease; the login is read again under both, so a refresh done meanwhile
    /// is not repeated.
    pub async fn refresh_login(&self, login_id: i64) -> anyhow::Result<Refresh> {
        let outcome = self.refresh_login_once(login_id).await?;
        self.meters.refresh(outcome as usize);
        Ok(outcome)
    }

    async fn refresh_login_once(&self, login_id: i64) -> anyhow::Result<Refresh> {
        let lock = self.lock_for(login_id).await;
        let _held = lock.lock().await;
        let now = self.clock.now();
        let login = match self
            .lease(login_id, now, |login| {
                if login.status != entity::enums::LoginStatus::Connected || !self.due(login, now) {
                    Some(Refresh::NotDue)
                } else if login.refresh_token_enc.is_none() || login.key_id.is_none() {
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
        let Some(refresh_token) = self.cipher.refresh_token(&login)? else {
            repo::release_lease(&self.db, login.id).await?;
            return Ok(Refresh::NotRefreshable);
        };
        let Some(adapter) = self.networks.get(login.network) else {
            repo::release_lease(&self.db, login.id).await?;
            return Ok(Refresh::Deferred);
        };
        match adapter.refresh(&refresh_token).await {
            Ok(tokens) => {
                let txn = db::begin_write(&self.db).await?;
                if !reconnect::repo::store_tokens(&txn, &self.cipher, &login, &tokens, None, now)
                    .await?
                {
                    // The login was written since it was read under the lease (a sign-in): its
                    // tokens are newer than ours. Ours are revoked rather than left valid.
                    drop(txn);
                    repo::release_lease(&self.db, login.id).await?;
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
                txn.commit().await?;
                Ok(Refresh::Refreshed)
            }
            Err(NetworkError::Refused(_) | NetworkError::InvalidToken) => {
                repo::release_lease(&self.db, login.id).await?;
                let reason = if login.refresh_expires_at.is_some_and(|at| at <= now) {
                    DisconnectReason::TokenExpired
                } else {
                    DisconnectReason::TokenRevoked
                };
                let changed = disconnect::disconnect_login(
                    &self.db,
                    login.id,
                    reason,
                    None,
                    Some(login.version),
                    now,
                )
                .await?;
                self.bus.wake();
                if changed.is_empty() && self.superseded(&login).await? {
                    return Ok(Refresh::Superseded);
                }
                Ok(Refresh::Disconnected)
            }
            Err(error) => {
                // B1: a network that is down or slow never disconnects anyone.
                tracing::warn!(login.id = login.id, %error, "refresh failed for now; backing off");
                repo::defer(
                    &self.db,
                    &login,
                    after(now, backoff(login.refresh_failures)),
                )
                .await?;
                audit::record(
                    &self.db,
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

    /// One pass: refresh what is due, warn about what will run out, disconnect what has, probe
    /// tokens without expiry that were not seen working lately.
    pub async fn run_once(&self) -> anyhow::Result<()> {
        let now = self.clock.now();
        let horizon = after(
            now,
            self.settings
                .expiry_warning
                .max(self.settings.refresh_margin),
        );
        for login in repo::expiring_before(&self.db, horizon).await? {
            let refreshable = login.refresh_token_enc.is_some();
            if refreshable && self.due(&login, now) {
                self.refresh_login(login.id).await?;
            } else if !refreshable && login.token_expires_at.is_some_and(|at| at <= now) {
                disconnect::disconnect_login(
                    &self.db,
                    login.id,
                    DisconnectReason::TokenExpired,
                    None,
                    Some(login.version),
                    now,
                )
                .await?;
                self.bus.wake();
            } else if !refreshable {
                self.warn_expiring(&login, now).await?;
            }
        }
        for login in
            repo::unchecked_since(&self.db, before(now, self.settings.probe_interval)).await?
        {
            self.probe_login(login.id).await?;
        }
        self.meters.keeper_pass();
        Ok(())
    }

    /// B1: accounts of a login whose token cannot be refreshed and runs out soon turn EXPIRING,
    /// once, with an event, so the banner's restore list offers the reconnect in time.
    async fn warn_expiring(
        &self,
        login: &social_logins::Model,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let txn = db::begin_write(&self.db).await?;
        let accounts = social_accounts::Entity::find()
            .filter(social_accounts::Column::SocialLoginId.eq(login.id))
            .filter(social_accounts::Column::Health.eq(Health::Connected))
            .all(&txn)
            .await?;
        for account in &accounts {
            let updated = social_accounts::ActiveModel {
                id: Set(account.id),
                health: Set(Health::Expiring),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            record_account_change(&txn, &updated, "account.expiring", "EXPIRING", None, now)
                .await?;
        }
        txn.commit().await?;
        if !accounts.is_empty() {
            self.bus.wake();
        }
        Ok(())
    }
}

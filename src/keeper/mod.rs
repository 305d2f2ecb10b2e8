//! The keeper (B1): refreshes tokens before they expire, once per login across tasks and replicas;
//! warns before a token that cannot be refreshed runs out; disconnects only on a real refusal.

mod probe;
mod refresh;
pub mod repo;

pub use probe::Probe;
pub use refresh::Refresh;

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use entity::{
    enums::{DisconnectReason, Health},
    social_accounts, social_logins,
};
use sea_orm::{ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, QueryFilter as _, Set};
use tokio::sync::Mutex;

use crate::{
    accounts::{disconnect, status::record_account_change},
    app::App,
    clock::{after, before},
};

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

/// The keeper of one process.
#[derive(Clone)]
pub struct Keeper {
    app: App,
    locks: Arc<Mutex<HashMap<i64, Arc<Mutex<()>>>>>,
}

/// How long to wait after `failures` transient failures in a row: 1, 2, 4 … 64 minutes. The
/// publisher backs off the same way. Kept rather than `backon`: the wait is stored on the row
/// (`next_refresh_at`) so that every replica honours it and a restart keeps it, where `backon`
/// retries a future in one process's memory.
pub fn backoff(failures: i32) -> Duration {
    Duration::minutes(1i64 << failures.clamp(0, 6))
}

impl Keeper {
    /// A keeper over the context.
    pub fn new(app: App) -> Self {
        Self {
            app,
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
            .one(&self.app.db)
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
        if !repo::take_lease(
            &self.app.db,
            login.id,
            now,
            after(now, self.app.settings.keeper.lease),
        )
        .await?
        {
            return Ok(Leased::Busy);
        }
        let again = social_logins::Entity::find_by_id(login_id)
            .one(&self.app.db)
            .await?;
        match again.map(|login| (early(&login), login)) {
            Some((None, login)) => Ok(Leased::Held(Box::new(login))),
            Some((Some(outcome), _)) => {
                repo::release_lease(&self.app.db, login_id).await?;
                Ok(Leased::Early(outcome))
            }
            None => Ok(Leased::NotFound),
        }
    }

    /// One pass: refresh what is due, warn about what will run out, disconnect what has, probe
    /// tokens without expiry that were not seen working lately.
    pub async fn run_once(&self) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let now = self.app.clock.now();
        let horizon = after(
            now,
            self.app
                .settings
                .keeper
                .expiry_warning
                .max(self.app.settings.keeper.refresh_margin),
        );
        for login in repo::expiring_before(&self.app.db, horizon).await? {
            let refreshable = refresh::refreshable(self.renews_with(&login), &login, now);
            if refreshable && self.due(&login, now) {
                self.refresh_login(login.id).await?;
            } else if !refreshable && login.token_expires_at.is_some_and(|at| at <= now) {
                disconnect::disconnect_login(
                    &self.app,
                    login.id,
                    DisconnectReason::TokenExpired,
                    None,
                    Some(login.version),
                    now,
                )
                .await?;
            } else if !refreshable {
                self.warn_expiring(&login, now).await?;
            }
        }
        for login in repo::unchecked_since(
            &self.app.db,
            before(now, self.app.settings.keeper.probe_interval),
        )
        .await?
        {
            self.probe_login(login.id).await?;
        }
        self.app.meters.keeper_pass(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// B1: accounts of a login whose token cannot be refreshed and runs out soon turn EXPIRING,
    /// once, with an event, so the banner's restore list offers the reconnect in time.
    async fn warn_expiring(
        &self,
        login: &social_logins::Model,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let txn = self.app.begin().await?;
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
        self.app.commit(txn).await?;
        Ok(())
    }
}

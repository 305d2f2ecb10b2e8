//! The one application context: what every use case, worker, handler and resolver reaches the
//! outside world through. Cheap to clone (every part is a handle); built once by
//! [`crate::server::Server`], and by nothing else.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use crate::{
    auth::TokenKeys,
    clock::SharedClock,
    config::{Config, Settings},
    crypto::TokenCipher,
    db::StatementCounter,
    events::EventBus,
    mail::Mailer,
    metrics::Meters,
    networks::Networks,
    ratelimit::RateLimiter,
};

/// The context: database, clock, keys, networks, the event bus, mail, meters and settings.
#[derive(Clone)]
pub struct App {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The clock (a manual one in tests).
    pub clock: SharedClock,
    /// Seals tokens and verifiers at rest.
    pub cipher: Arc<TokenCipher>,
    /// The network adapters.
    pub networks: Networks,
    /// The event bus (outbox relay): a use case wakes it after its commit.
    pub bus: EventBus,
    /// Where emails go.
    pub mailer: Mailer,
    /// The counters `/metrics` shows.
    pub meters: Meters,
    /// Every setting as configured.
    pub config: Arc<Config>,
    /// The settings the domain reads, in its units.
    pub settings: Settings,
    /// Where browsers and networks reach this server, without a trailing slash.
    pub public_url: Arc<str>,
    /// The one outbound HTTP client: no redirects, timeouts.
    pub http_client: reqwest::Client,
    /// Dashboard token keys.
    pub keys: Arc<TokenKeys>,
    /// SQL statements run so far.
    pub statements: StatementCounter,
    /// The per-caller rate limit by query cost.
    pub rate_limiter: Arc<RateLimiter>,
    /// Requests for reconnect link pages per client IP, so tokens cannot be guessed at speed.
    pub link_guesses: Arc<RateLimiter>,
    /// This process's recent network calls, judged for incidents.
    pub incidents: crate::incidents::Watch,
    /// What each viewer's status is made of, forgotten on every event that may change it.
    pub status_cache: Arc<crate::notices::cache::StatusCache>,
}

impl App {
    /// The current time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Opens a use case's write transaction (see [`crate::db::begin_write`]).
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        crate::db::begin_write(&self.db).await
    }

    /// Commits a use case's transaction and wakes the event relay, so the events it wrote reach
    /// the subscribers now: the last step of every use case that writes, so no caller can forget
    /// the wake. (Waking when nothing was written costs one outbox read.)
    pub async fn commit(&self, txn: DatabaseTransaction) -> Result<(), DbErr> {
        txn.commit().await?;
        self.bus.committed();
        Ok(())
    }
}

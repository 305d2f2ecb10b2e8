//! The database: connect (embedded SQLite by default, PostgreSQL by URL), tune, migrate, count.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context as _;
use migration::{Migrator, MigratorTrait as _};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::SqliteJournalMode,
};

use crate::config::Config;

/// The embedded database file inside the data folder.
pub const SQLITE_FILE: &str = "relink.db";

/// Counts SQL statements; tests read it to prove there is no N+1, `/metrics` will export it.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Statements run since start.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The URL to connect to: `DATABASE_URL`, or the SQLite file in the data folder.
pub fn database_url(config: &Config) -> anyhow::Result<String> {
    if let Some(url) = &config.database_url {
        return Ok(url.0.clone());
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "RELINK_DATA_DIR: cannot create {}",
            config.data_dir.display()
        )
    })?;
    let path = config.data_dir.join(SQLITE_FILE);
    Ok(format!("sqlite://{}?mode=rwc", path.display()))
}

/// Opens the pool. SQLite gets WAL, a 5 s busy timeout and foreign keys on every connection;
/// PostgreSQL plans every execution for its parameters.
pub async fn connect(config: &Config) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let url = database_url(config)?;
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(config.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // A ping before every checkout doubles the round trips; a dead connection fails its
        // statement and is replaced by the pool anyway.
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
        })
        // Statements are prepared once per connection; after five runs PostgreSQL may keep a
        // generic plan, blind to the parameters. For the visibility filter (an `OR` of a few
        // ids against an `ORDER BY id` page) that plan walks every account in id order: 24–65
        // ms a page of 10,000 accounts instead of 0.3 ms. Plan each execution for its values.
        .map_sqlx_postgres_opts(|opts| opts.options([("plan_cache_mode", "force_custom_plan")]));
    let mut db = Database::connect(options)
        .await
        .context("DATABASE_URL: cannot connect to the database")?;
    let counter = StatementCounter::default();
    let count = counter.0.clone();
    db.set_metric_callback(move |_info| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    Ok((db, counter))
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("applying migrations")
}

/// Whether the database answers at all (readiness).
pub async fn answers(db: &DatabaseConnection) -> bool {
    use sea_orm::ConnectionTrait as _;
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// True when every migration is applied (readiness).
pub async fn migrations_applied(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

/// Begins a write transaction. On SQLite it starts IMMEDIATE, so a transaction that reads
/// before it writes takes the write lock first and cannot fail later with SQLITE_BUSY.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
        }
        _ => db.begin().await,
    }
}

/// Whether the connection is PostgreSQL.
pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// The connection pool's use: connections open, of which idle, and the most it opens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open now.
    pub open: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// How much of its pool the database connection uses now.
pub fn pool_use(db: &DatabaseConnection) -> PoolUse {
    fn of<D: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<D>) -> PoolUse {
        PoolUse {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => of(db.get_postgres_connection_pool()),
        sea_orm::DbBackend::Sqlite => of(db.get_sqlite_connection_pool()),
        _ => PoolUse::default(),
    }
}

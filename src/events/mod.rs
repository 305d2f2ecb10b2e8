//! The event bus: events are rows written in the transaction of their change (the outbox); after
//! commit, the relay reads the new rows in id order and broadcasts them to this process's
//! subscribers. Subscribers resume from the last id they saw by reading the rows after it.
//!
//! With PostgreSQL, a commit also sends `NOTIFY relink_events`, and every replica's relay
//! `LISTEN`s, so an event committed on one replica reaches subscribers on all of them at once.

pub mod repo;

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use entity::{events, social_accounts};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait as _,
    sqlx::postgres::PgListener,
};

use crate::accounts;
use tokio::sync::{Notify, broadcast};

/// How many events a slow subscriber may fall behind before it re-reads from the table.
const CHANNEL_CAPACITY: usize = 1024;

/// The bus of one process.
#[derive(Clone)]
pub struct EventBus(Arc<Inner>);

/// An event as subscribers receive it: the row, the account as it is after the change, and who may
/// see it — resolved once per event, so each subscriber only looks itself up.
#[derive(Clone, Debug)]
pub struct Published {
    /// The outbox row.
    pub event: events::Model,
    /// The account it is about, after the change.
    pub account: Option<social_accounts::Model>,
    /// The users who may see that account now.
    pub audience: HashSet<i64>,
}

/// Resolves an event's account and audience.
pub async fn resolve(db: &impl ConnectionTrait, event: events::Model) -> Result<Published, DbErr> {
    let account = match event.social_account_id {
        Some(id) => social_accounts::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let audience = match &account {
        Some(account) => accounts::repo::viewers_of(db, account).await?,
        None => HashSet::new(),
    };
    Ok(Published {
        event,
        account,
        audience,
    })
}

/// How many stored events one subscriber reads at a time while catching up.
pub const CATCH_UP_PAGE: u64 = 500;

/// The next page of stored events after `after` that `user_id` may see now (of `organization`
/// when given), each with its account: filtered in the database by the viewer's visible
/// accounts, three statements a page whatever the number of events.
pub async fn catch_up(
    db: &impl ConnectionTrait,
    user_id: i64,
    organization: Option<i64>,
    after: i64,
) -> Result<Vec<Published>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let subject = accounts::repo::load_subject(db, user_id).await?;
    let rows = repo::visible_after(
        db,
        accounts::repo::visible_ids(&subject, db.get_database_backend()),
        organization,
        after,
        CATCH_UP_PAGE,
    )
    .await?;
    let ids: HashSet<i64> = rows
        .iter()
        .filter_map(|event| event.social_account_id)
        .collect();
    let accounts: std::collections::HashMap<i64, social_accounts::Model> =
        social_accounts::Entity::find()
            .filter(social_accounts::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|account| (account.id, account))
            .collect();
    Ok(rows
        .into_iter()
        .map(|event| Published {
            account: event
                .social_account_id
                .and_then(|id| accounts.get(&id).cloned()),
            audience: HashSet::from([user_id]),
            event,
        })
        .collect())
}

/// The next page of stored events after `after` (of `organization` when given), each with its
/// account and its audience now: for a subscription shared by every viewer, whose sockets each
/// check the audience. One statement a page plus two an event; only read to catch up.
pub async fn catch_up_all(
    db: &impl ConnectionTrait,
    organization: Option<i64>,
    after: i64,
) -> Result<Vec<Published>, DbErr> {
    let mut page = Vec::new();
    for event in repo::after(db, organization, after, CATCH_UP_PAGE).await? {
        page.push(resolve(db, event).await?);
    }
    Ok(page)
}

/// Whether a subscriber may resume after the event `after`: the cursor must lie inside the
/// retention window (events older than `retention` are, or are about to be, deleted), or be `0`
/// while the very first event is still kept. Older cursors reload instead of replaying.
pub async fn cursor_is_fresh(
    db: &impl ConnectionTrait,
    after: i64,
    now: chrono::DateTime<chrono::Utc>,
    retention: chrono::Duration,
) -> Result<bool, DbErr> {
    if after >= repo::newest_id(db).await? {
        return Ok(true);
    }
    let kept_since = crate::clock::before(now, retention);
    Ok(repo::oldest_since(db, kept_since)
        .await?
        .is_some_and(|oldest| after >= oldest || (after == 0 && oldest == 1)))
}

/// Deletes the events older than `retention`: subscribers resume within that window, older
/// cursors reload. Returns how many went.
pub async fn prune(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    retention: chrono::Duration,
) -> Result<u64, DbErr> {
    let pruned = repo::prune(db, crate::clock::before(now, retention)).await?;
    if pruned > 0 {
        tracing::info!(pruned, "pruned events older than the retention window");
    }
    Ok(pruned)
}

struct Inner {
    sender: broadcast::Sender<Arc<Published>>,
    wake: Notify,
    published: AtomicI64,
    sent: std::sync::atomic::AtomicU64,
    /// Set with PostgreSQL: wakes the relays of the other replicas too.
    notifier: std::sync::OnceLock<DatabaseConnection>,
    /// Told of each event before any subscriber (the status cache's invalidation).
    observers: std::sync::RwLock<Vec<Observer>>,
    /// Commits this process made, and how many of them the relay has published: equal, every
    /// event this process wrote has been handed to the observers.
    commits: std::sync::atomic::AtomicU64,
    handled: std::sync::atomic::AtomicU64,
}

/// Something told of every event before it is broadcast.
pub type Observer = Arc<dyn Fn(&Published) + Send + Sync>;

/// The PostgreSQL channel of committed events.
pub const CHANNEL: &str = "relink_events";

impl Default for EventBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self(Arc::new(Inner {
            sender,
            wake: Notify::new(),
            published: AtomicI64::new(0),
            sent: std::sync::atomic::AtomicU64::new(0),
            notifier: std::sync::OnceLock::new(),
            observers: std::sync::RwLock::default(),
            commits: std::sync::atomic::AtomicU64::new(0),
            handled: std::sync::atomic::AtomicU64::new(0),
        }))
    }
}

impl EventBus {
    /// Tells the relay that this process committed (and wakes it, see [`EventBus::wake`]).
    pub fn committed(&self) {
        self.0.commits.fetch_add(1, Ordering::SeqCst);
        self.wake();
    }

    /// Whether the relay has published every event of this process's commits so far. With one
    /// process on the database (the embedded SQLite), that is every committed event.
    pub fn caught_up_locally(&self) -> bool {
        self.0.handled.load(Ordering::SeqCst) == self.0.commits.load(Ordering::SeqCst)
    }

    /// Tells the relay that events were committed (and, with PostgreSQL, every other replica).
    pub fn wake(&self) {
        self.0.wake.notify_one();
        if let Some(db) = self.0.notifier.get().cloned() {
            tokio::spawn(async move {
                if let Err(error) = db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await {
                    tracing::warn!(%error, "could not notify the other replicas");
                }
            });
        }
    }

    /// Tells `observer` of every event from now on, before any subscriber receives it.
    pub fn observe(&self, observer: Observer) {
        self.0
            .observers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(observer);
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.0.sender.subscribe()
    }

    /// How many events this process broadcast since start.
    pub fn sent(&self) -> u64 {
        self.0.sent.load(Ordering::Relaxed)
    }

    /// The id of the last event broadcast.
    pub fn published(&self) -> i64 {
        self.0.published.load(Ordering::SeqCst)
    }

    /// The newest event id: the last one broadcast, or a newer one committed and not broadcast
    /// yet. A subscription "from now" takes the events after it. (The last broadcast, should the
    /// table not answer: then a few events committed just before may come too, none is lost.)
    pub async fn newest(&self, db: &DatabaseConnection) -> i64 {
        let published = self.published();
        match repo::newest_id(db).await {
            Ok(newest) => published.max(newest),
            Err(error) => {
                tracing::warn!(%error, "could not read the newest event id");
                published
            }
        }
    }

    /// Starts from the newest stored event: older ones are read by subscribers that resume.
    pub async fn start_at_newest(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let newest = repo::newest_id(db).await?;
        self.0.published.store(newest, Ordering::SeqCst);
        Ok(())
    }

    /// Broadcasts every committed event after the last one published; returns how many.
    pub async fn publish_pending(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let mut sent = 0;
        // Commits counted before the read are in what it reads.
        let commits = self.0.commits.load(Ordering::SeqCst);
        loop {
            let batch = repo::events_after(db, self.published(), 500).await?;
            let Some(last) = batch.last().map(|event| event.id) else {
                self.0.handled.fetch_max(commits, Ordering::SeqCst);
                return Ok(sent);
            };
            for event in batch {
                let published = resolve(db, event).await?;
                for observer in self
                    .0
                    .observers
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .iter()
                {
                    observer(&published);
                }
                // No subscriber is not an error: the row stays for those who resume.
                let _ = self.0.sender.send(Arc::new(published));
                self.0.sent.fetch_add(1, Ordering::Relaxed);
                sent += 1;
            }
            self.0.published.store(last, Ordering::SeqCst);
        }
    }

    /// The relay: publishes on every wake, on every notification of another replica
    /// (PostgreSQL), and every second as a safety net.
    pub async fn run_relay(self, db: DatabaseConnection) {
        let mut listener = if db.get_database_backend() == DbBackend::Postgres {
            let _ = self.0.notifier.set(db.clone());
            match listen(&db).await {
                Ok(listener) => Some(listener),
                Err(error) => {
                    tracing::warn!(%error, "cannot LISTEN for other replicas' events; polling every second");
                    None
                }
            }
        } else {
            None
        };
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = self.0.wake.notified() => {}
                _ = tick.tick() => {}
                notified = next_notification(&mut listener) => {
                    if let Err(error) = notified {
                        tracing::warn!(%error, "LISTEN connection lost; reconnecting");
                        listener = listen(&db).await.ok();
                    }
                }
            }
            if let Err(error) = self.publish_pending(&db).await {
                tracing::warn!(%error, "event relay could not read the outbox; retrying");
            }
        }
    }
}

async fn listen(db: &DatabaseConnection) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// The next notification; never resolves without a listener.
async fn next_notification(listener: &mut Option<PgListener>) -> Result<(), sea_orm::sqlx::Error> {
    match listener {
        Some(listener) => listener.recv().await.map(|_| ()),
        None => std::future::pending().await,
    }
}

//! The event bus: events are rows written in the transaction of their change (the outbox); after
//! commit, the relay reads the new rows in id order and broadcasts them to this process's
//! subscribers. Subscribers resume from the last id they saw by reading the rows after it.

pub mod repo;

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use entity::events;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{Notify, broadcast};

/// How many events a slow subscriber may fall behind before it re-reads from the table.
const CHANNEL_CAPACITY: usize = 1024;

/// The bus of one process.
#[derive(Clone)]
pub struct EventBus(Arc<Inner>);

struct Inner {
    sender: broadcast::Sender<Arc<events::Model>>,
    wake: Notify,
    published: AtomicI64,
}

impl Default for EventBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self(Arc::new(Inner {
            sender,
            wake: Notify::new(),
            published: AtomicI64::new(0),
        }))
    }
}

impl EventBus {
    /// Tells the relay that events were committed.
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<events::Model>> {
        self.0.sender.subscribe()
    }

    /// The id of the last event broadcast.
    pub fn published(&self) -> i64 {
        self.0.published.load(Ordering::SeqCst)
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
        loop {
            let batch = repo::events_after(db, self.published(), 500).await?;
            let Some(last) = batch.last().map(|event| event.id) else {
                return Ok(sent);
            };
            for event in batch {
                // No subscriber is not an error: the row stays for those who resume.
                let _ = self.0.sender.send(Arc::new(event));
                sent += 1;
            }
            self.0.published.store(last, Ordering::SeqCst);
        }
    }

    /// The relay: publishes on every wake, and every second for commits of other processes.
    pub async fn run_relay(self, db: DatabaseConnection) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = self.0.wake.notified() => {}
                _ = tick.tick() => {}
            }
            if let Err(error) = self.publish_pending(&db).await {
                tracing::warn!(%error, "event relay could not read the outbox; retrying");
            }
        }
    }
}

//! The process's counters, shared by the HTTP layer, the keeper and the postman; `GET /metrics`
//! (`http::metrics`) renders them in Prometheus format.

use std::sync::{
    Arc,
    atomic::{AtomicI64, AtomicU64, Ordering},
};

/// Counters of one server. Cloning shares them.
#[derive(Clone, Default)]
pub struct Meters(Arc<Values>);

#[derive(Default)]
struct Values {
    sockets: AtomicI64,
    sockets_opened: AtomicU64,
    slow_readers_dropped: AtomicU64,
    keeper_passes: AtomicU64,
    refreshes: [AtomicU64; REFRESH_OUTCOMES.len()],
    probes: [AtomicU64; PROBE_OUTCOMES.len()],
    emails_sent: AtomicU64,
    emails_failed: AtomicU64,
    worker_panics: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

/// The outcomes of a refresh, as labelled in `relink_token_refreshes_total`.
pub const REFRESH_OUTCOMES: [&str; 7] = [
    "not_due",
    "busy",
    "refreshed",
    "disconnected",
    "deferred",
    "not_refreshable",
    "superseded",
];

/// The outcomes of a probe, as labelled in `relink_token_probes_total`.
pub const PROBE_OUTCOMES: [&str; 5] = ["not_due", "busy", "working", "disconnected", "deferred"];

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Meters {
    /// A subscription socket opened; the guard counts it closed when dropped.
    pub fn socket_opened(&self) -> SocketGuard {
        self.0.sockets.fetch_add(1, Ordering::Relaxed);
        bump(&self.0.sockets_opened);
        SocketGuard(self.clone())
    }

    /// Sockets open now.
    pub fn open_sockets(&self) -> i64 {
        self.0.sockets.load(Ordering::Relaxed)
    }

    /// Sockets opened since start.
    pub fn sockets_opened(&self) -> u64 {
        read(&self.0.sockets_opened)
    }

    /// A socket was dropped because its client stopped reading.
    pub fn slow_reader_dropped(&self) {
        bump(&self.0.slow_readers_dropped);
    }

    /// Sockets dropped because their client stopped reading.
    pub fn slow_readers_dropped(&self) -> u64 {
        read(&self.0.slow_readers_dropped)
    }

    /// The keeper finished a pass.
    pub fn keeper_pass(&self) {
        bump(&self.0.keeper_passes);
    }

    /// Keeper passes since start.
    pub fn keeper_passes(&self) -> u64 {
        read(&self.0.keeper_passes)
    }

    /// A refresh ended with the outcome at this index of [`REFRESH_OUTCOMES`].
    pub fn refresh(&self, outcome: usize) {
        if let Some(counter) = self.0.refreshes.get(outcome) {
            bump(counter);
        }
    }

    /// Refreshes by outcome, in the order of [`REFRESH_OUTCOMES`].
    pub fn refreshes(&self) -> Vec<u64> {
        self.0.refreshes.iter().map(read).collect()
    }

    /// A probe ended with the outcome at this index of [`PROBE_OUTCOMES`].
    pub fn probe(&self, outcome: usize) {
        if let Some(counter) = self.0.probes.get(outcome) {
            bump(counter);
        }
    }

    /// Probes by outcome, in the order of [`PROBE_OUTCOMES`].
    pub fn probes(&self) -> Vec<u64> {
        self.0.probes.iter().map(read).collect()
    }

    /// A pass of the worker `name` panicked (and was caught).
    pub fn worker_panicked(&self, name: &'static str) {
        *self
            .0
            .worker_panics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(name)
            .or_default() += 1;
    }

    /// Caught panics per worker since start.
    pub fn worker_panics(&self) -> Vec<(&'static str, u64)> {
        self.0
            .worker_panics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(name, count)| (*name, *count))
            .collect()
    }

    /// An email went out (or failed to).
    pub fn email(&self, sent: bool) {
        bump(if sent {
            &self.0.emails_sent
        } else {
            &self.0.emails_failed
        });
    }

    /// Emails sent and failed since start.
    pub fn emails(&self) -> (u64, u64) {
        (read(&self.0.emails_sent), read(&self.0.emails_failed))
    }
}

/// Held for the life of a socket.
pub struct SocketGuard(Meters);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        (self.0).0.sockets.fetch_sub(1, Ordering::Relaxed);
    }
}

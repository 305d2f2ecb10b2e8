//! The status cache (the performance issue's hot path): what each viewer's `reconnectStatus` is
//! made of, and every request's viewer (the user and their permissions), kept in memory so that
//! a status request in the steady state runs one indexed statement (the newest event's id) on
//! PostgreSQL and none on the embedded SQLite, and any other request skips the viewer's three.
//!
//! Exactness rests on one rule of the codebase: every change a status depends on — an account's
//! health, a reconnect, a dismissal, a grant or a membership — writes an event in its transaction
//! (the outbox). The relay hands each event to [`StatusCache::forget`] before any subscriber sees
//! it, on every replica (PostgreSQL's NOTIFY wakes their relays). A snapshot is served only when
//! the relay has handled every committed event (the newest id in the table equals the bus's
//! watermark), so a request that follows a write, here or on another replica, never reads a
//! snapshot older than that write. Changes made to the database behind Relink's back (no event)
//! are seen within [`MAX_AGE`].

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use entity::{social_logins, users};

use super::Inputs;
use crate::{
    access::{Owner, Subject},
    events::Published,
};

/// The longest a snapshot is served, a safety net for changes made without an event.
pub const MAX_AGE: Duration = Duration::from_secs(10);

/// At most this many viewers are kept; past it the cache starts afresh (a dashboard's viewers
/// are a few thousand; an attacker's tokens cannot grow it without bound).
pub const MAX_VIEWERS: usize = 100_000;

/// Everything one viewer's status request reads.
#[derive(Debug)]
pub struct Snapshot {
    /// The viewer.
    pub user: users::Model,
    /// Their roles and grants.
    pub subject: Subject,
    /// The status's inputs.
    pub inputs: Inputs,
    /// The accounts of each login on the restore list, with their owners (R8's
    /// `viewerCanReconnect`).
    pub siblings: HashMap<i64, Vec<(i64, Owner)>>,
    /// The users who last reconnected those logins (R4's `lastReconnectedBy`).
    pub reconnectors: HashMap<i64, users::Model>,
    /// The logins of the restore list, by id.
    pub logins: HashMap<i64, social_logins::Model>,
    loaded: Instant,
}

impl Snapshot {
    /// A snapshot loaded now.
    pub fn new(
        user: users::Model,
        subject: Subject,
        inputs: Inputs,
        siblings: HashMap<i64, Vec<(i64, Owner)>>,
        reconnectors: HashMap<i64, users::Model>,
    ) -> Self {
        let logins = inputs.logins.clone();
        Self {
            user,
            subject,
            inputs,
            siblings,
            reconnectors,
            logins,
            loaded: Instant::now(),
        }
    }
}

/// A signed-in user and their permissions, as every request's guards read them.
#[derive(Debug)]
pub struct CachedViewer {
    /// The user row.
    pub user: users::Model,
    /// Their roles and grants.
    pub subject: Subject,
    loaded: Instant,
}

impl CachedViewer {
    /// A viewer loaded now.
    pub fn new(user: users::Model, subject: Subject) -> Self {
        Self {
            user,
            subject,
            loaded: Instant::now(),
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Bumped by every event: a snapshot computed across an event is not stored.
    generation: u64,
    /// By the token's subject (the identity provider's user id).
    by_subject: HashMap<String, Arc<Snapshot>>,
    /// The viewers of every request (not only the status's), by the token's subject.
    viewers: HashMap<String, Arc<CachedViewer>>,
}

/// Something kept, with when it was loaded.
trait Loaded {
    fn loaded(&self) -> Instant;
}

impl Loaded for Snapshot {
    fn loaded(&self) -> Instant {
        self.loaded
    }
}

impl Loaded for CachedViewer {
    fn loaded(&self) -> Instant {
        self.loaded
    }
}

/// What `shelf` keeps for `sub`, unless it is older than [`MAX_AGE`].
fn fresh<T: Loaded>(shelf: &HashMap<String, Arc<T>>, sub: &str) -> Option<Arc<T>> {
    shelf
        .get(sub)
        .filter(|kept| kept.loaded().elapsed() < MAX_AGE)
        .cloned()
}

/// Keeps `value` for `sub`; a full shelf starts afresh first.
fn keep<T>(shelf: &mut HashMap<String, Arc<T>>, sub: &str, value: Arc<T>) {
    if shelf.len() >= MAX_VIEWERS {
        shelf.clear();
    }
    shelf.insert(sub.to_owned(), value);
}

/// Whether an event may change what the cache keeps for `user_id` with permissions `subject`.
fn concerns(event: &Published, user_id: i64, subject: &Subject) -> bool {
    event.audience.contains(&user_id)
        || event.event.owner_user_id == Some(user_id)
        || event
            .event
            .organization_id
            .is_some_and(|org| subject.org_roles.contains_key(&org))
}

/// The cache of one process.
#[derive(Default)]
pub struct StatusCache(Mutex<Inner>);

impl std::fmt::Debug for StatusCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusCache").finish_non_exhaustive()
    }
}

impl StatusCache {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The generation to hand back to [`StatusCache::put`] after loading.
    pub fn generation(&self) -> u64 {
        self.inner().generation
    }

    /// The snapshot of the token subject `sub`, unless it is older than [`MAX_AGE`].
    pub fn get(&self, sub: &str) -> Option<Arc<Snapshot>> {
        fresh(&self.inner().by_subject, sub)
    }

    /// Keeps `snapshot`, loaded from generation `generation` on: not when an event came in
    /// meanwhile (it may have been loaded before that event's change).
    pub fn put(&self, sub: &str, snapshot: Arc<Snapshot>, generation: u64) {
        let mut inner = self.inner();
        if inner.generation == generation {
            keep(&mut inner.by_subject, sub, snapshot);
        }
    }

    /// The viewer of the token subject `sub`, unless it is older than [`MAX_AGE`].
    pub fn viewer(&self, sub: &str) -> Option<Arc<CachedViewer>> {
        fresh(&self.inner().viewers, sub)
    }

    /// Keeps a viewer loaded from generation `generation` on (see [`StatusCache::put`]).
    pub fn put_viewer(&self, sub: &str, viewer: Arc<CachedViewer>, generation: u64) {
        let mut inner = self.inner();
        if inner.generation == generation {
            keep(&mut inner.viewers, sub, viewer);
        }
    }

    /// Forgets what `event` may change: the snapshots and viewers of everyone who may see its
    /// account, of the user it names, and of every member of its organization.
    pub fn forget(&self, event: &Published) {
        let mut inner = self.inner();
        inner.generation = inner.generation.wrapping_add(1);
        inner
            .by_subject
            .retain(|_, kept| !concerns(event, kept.user.id, &kept.subject));
        inner
            .viewers
            .retain(|_, kept| !concerns(event, kept.user.id, &kept.subject));
    }

    /// Forgets everything (another replica's change of unknown reach, or a test's).
    pub fn clear(&self) {
        let mut inner = self.inner();
        inner.generation = inner.generation.wrapping_add(1);
        inner.by_subject.clear();
        inner.viewers.clear();
    }

    /// How many viewers are kept.
    pub fn len(&self) -> usize {
        self.inner().by_subject.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

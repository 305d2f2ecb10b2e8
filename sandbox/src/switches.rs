//! Switches a test (or a person trying things) flips on the running sandbox, in memory only:
//! publish answers held back (a crash between the network's commit and Relink's), a token
//! endpoint that fails every nth request (a refresh storm against an overloaded network), refresh
//! answers held back (a reconnect racing the keeper), and a lying `expires_in`.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use axum::{
    Json,
    extract::{Path, State},
};
use serde_json::{Value, json};

use super::SandboxState;

/// Answers held back while closed: a network that has done its part (recorded a post, rotated
/// a refresh token) but whose answer has not arrived yet.
#[derive(Default)]
struct Gate {
    closed: AtomicBool,
    opened: tokio::sync::Notify,
    waiting: std::sync::atomic::AtomicUsize,
}

impl Gate {
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    fn open(&self) {
        self.closed.store(false, Ordering::SeqCst);
        self.opened.notify_waiters();
    }

    async fn pass(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        self.wait_open().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    async fn wait_open(&self) {
        while self.closed.load(Ordering::SeqCst) {
            let opened = self.opened.notified();
            if !self.closed.load(Ordering::SeqCst) {
                break;
            }
            opened.await;
        }
    }
}

/// Switches a test (or a person trying things) flips on the running sandbox; not persisted.
#[derive(Clone, Default)]
pub struct Switches {
    publishing: Arc<Gate>,
    refreshes: Arc<Gate>,
    fail_every: Arc<AtomicU64>,
    token_requests: Arc<AtomicU64>,
    advertised_expires_in: Arc<AtomicU64>,
    feed_requests: Arc<AtomicU64>,
}

impl Switches {
    /// Whether this token request should fail like an overloaded network (503): every nth one
    /// while the switch is set.
    pub(super) fn token_request_fails(&self) -> bool {
        let every = self.fail_every.load(Ordering::SeqCst);
        let count = self.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
        every > 0 && count.is_multiple_of(every)
    }

    pub(super) async fn wait_if_stalled(&self) {
        self.publishing.pass().await;
    }

    /// Waits while refresh answers are held back (the new tokens already issued).
    pub(super) async fn wait_if_refresh_stalled(&self) {
        self.refreshes.pass().await;
    }

    /// Counts a request to an asset's feed (what a network's app quota would count).
    pub(super) fn count_feed_request(&self) {
        self.feed_requests.fetch_add(1, Ordering::SeqCst);
    }

    /// The `expires_in` a token answer claims, when a test made the network lie about it.
    pub(super) fn advertised_expires_in(&self) -> Option<u64> {
        Some(self.advertised_expires_in.load(Ordering::SeqCst)).filter(|seconds| *seconds > 0)
    }
}

/// `POST /sandbox/admin/publishing/stall` · `/resume`: hold publish answers back (after the post
/// is recorded) or let them go.
pub(super) async fn stall(State(state): State<SandboxState>) -> Json<Value> {
    state.sandbox.publishing.close();
    Json(json!({ "stalled": true }))
}

/// See [`stall`].
pub(super) async fn resume(State(state): State<SandboxState>) -> Json<Value> {
    state.sandbox.publishing.open();
    Json(json!({ "stalled": false }))
}

/// `POST /sandbox/admin/token-endpoint/fail-every/{n}`: every nth token request answers 503, as
/// an overloaded network does (0 turns it off). For refresh storms: nothing may disconnect.
pub(super) async fn fail_every(
    State(state): State<SandboxState>,
    Path(every): Path<u64>,
) -> Json<Value> {
    state.sandbox.fail_every.store(every, Ordering::SeqCst);
    Json(json!({ "failEvery": every }))
}

/// `POST /sandbox/admin/token-endpoint/stall-refresh` · `/resume-refresh`: refresh answers are
/// held back after the new tokens are issued (and a rotated refresh token is dead), so a test can
/// reconnect the login while the keeper waits for its answer.
pub(super) async fn stall_refresh(State(state): State<SandboxState>) -> Json<Value> {
    state.sandbox.refreshes.close();
    Json(json!({ "refreshStalled": true }))
}

/// See [`stall_refresh`].
pub(super) async fn resume_refresh(State(state): State<SandboxState>) -> Json<Value> {
    state.sandbox.refreshes.open();
    Json(json!({ "refreshStalled": false }))
}

/// `GET /sandbox/admin/api-requests`: how many feed requests the sandbox answered since start (a
/// network app's quota, for checking that Relink asks once per account and request).
pub(super) async fn api_requests(State(state): State<SandboxState>) -> Json<Value> {
    Json(json!({ "feed": state.sandbox.feed_requests.load(Ordering::SeqCst) }))
}

/// `GET /sandbox/admin/token-endpoint`: how many refresh answers are held back right now.
pub(super) async fn token_endpoint(State(state): State<SandboxState>) -> Json<Value> {
    Json(json!({
        "refreshStalled": state.sandbox.refreshes.closed.load(Ordering::SeqCst),
        "refreshesWaiting": state.sandbox.refreshes.waiting.load(Ordering::SeqCst),
    }))
}

/// `POST /sandbox/admin/token-endpoint/expires-in/{seconds}`: token answers claim this
/// `expires_in` (0 turns it off), as a network with a bug might: Relink must not believe a
/// lifetime past what a date can hold.
pub(super) async fn expires_in(
    State(state): State<SandboxState>,
    Path(seconds): Path<u64>,
) -> Json<Value> {
    state
        .sandbox
        .advertised_expires_in
        .store(seconds, Ordering::SeqCst);
    Json(json!({ "expiresIn": seconds }))
}

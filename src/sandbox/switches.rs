//! Switches a test (or a person trying things) flips on the running sandbox, in memory only:
//! publish answers held back (a crash between the network's commit and Relink's), and a token
//! endpoint that fails every nth request (a refresh storm against an overloaded network).

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use axum::{
    Json,
    extract::{Path, State},
};
use serde_json::{Value, json};

use crate::http::AppState;

/// Switches a test (or a person trying things) flips on the running sandbox; not persisted.
#[derive(Clone, Default)]
pub struct Switches {
    stall: Arc<AtomicBool>,
    resumed: Arc<tokio::sync::Notify>,
    fail_every: Arc<AtomicU64>,
    token_requests: Arc<AtomicU64>,
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
        while self.stall.load(Ordering::SeqCst) {
            let resumed = self.resumed.notified();
            if !self.stall.load(Ordering::SeqCst) {
                break;
            }
            resumed.await;
        }
    }
}

/// `POST /sandbox/admin/publishing/stall` · `/resume`: hold publish answers back (after the post
/// is recorded) or let them go.
pub(super) async fn stall(State(state): State<AppState>) -> Json<Value> {
    state.sandbox.stall.store(true, Ordering::SeqCst);
    Json(json!({ "stalled": true }))
}

/// See [`stall`].
pub(super) async fn resume(State(state): State<AppState>) -> Json<Value> {
    state.sandbox.stall.store(false, Ordering::SeqCst);
    state.sandbox.resumed.notify_waiters();
    Json(json!({ "stalled": false }))
}

/// `POST /sandbox/admin/token-endpoint/fail-every/{n}`: every nth token request answers 503, as
/// an overloaded network does (0 turns it off). For refresh storms: nothing may disconnect.
pub(super) async fn fail_every(
    State(state): State<AppState>,
    Path(every): Path<u64>,
) -> Json<Value> {
    state.sandbox.fail_every.store(every, Ordering::SeqCst);
    Json(json!({ "failEvery": every }))
}

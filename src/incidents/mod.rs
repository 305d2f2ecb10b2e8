//! Network incidents (beyond every peer): when many logins of one network fail at once with
//! inconclusive errors (an outage, throttling, answers we cannot place), that is the network's
//! trouble, not a wave of dead tokens. Relink opens an incident for the network, holds every
//! disconnect and email for it while it lasts (even answers that would otherwise say "reconnect":
//! a network in trouble says odd things), shows it in the API and over the subscriptions, and
//! closes it when calls succeed again.
//!
//! Each process watches the outcomes of its own calls in a sliding window (in memory); the open
//! incident itself is a row, one per network across replicas, and every replica reads it before
//! it would disconnect or email.

pub mod repo;

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, Utc};
use entity::enums::Network;

use crate::{app::App, networks::NetworkError};

/// The event kind of an incident that opened.
pub const OPENED: &str = "NETWORK_INCIDENT_OPENED";

/// The event kind of an incident that closed.
pub const CLOSED: &str = "NETWORK_INCIDENT_CLOSED";

/// Whether an event opens or closes an incident (what the incident and reconnect-status
/// subscriptions follow besides the viewer's own accounts).
pub fn is_incident_event(kind: &str) -> bool {
    kind == OPENED || kind == CLOSED
}

/// Successful calls in a row that close an open incident.
pub const CLOSE_AFTER_SUCCESSES: u32 = 3;

/// The most calls a window remembers per network (the oldest go first).
const WINDOW_CALLS: usize = 10_000;

/// When a network's failures make an incident.
#[derive(Clone, Copy, Debug)]
pub struct IncidentSettings {
    /// At least this many distinct logins failed inconclusively within the window…
    pub min_logins: usize,
    /// …and at least this share (percent) of the network's calls in the window failed.
    pub failure_percent: u8,
    /// The sliding window.
    pub window: Duration,
}

/// What one call to a network came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It worked.
    Worked,
    /// An outage, throttling, or an answer we could not place: says nothing about the login.
    Inconclusive,
    /// A definite answer about the login (a dead token, a missing permission).
    Definite,
}

impl Outcome {
    /// The outcome of a call's result.
    pub fn of<T>(result: &Result<T, NetworkError>) -> Self {
        match result {
            Ok(_) => Self::Worked,
            Err(error) if error.is_inconclusive() => Self::Inconclusive,
            Err(_) => Self::Definite,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Call {
    at: DateTime<Utc>,
    login_id: i64,
    failed: bool,
}

#[derive(Debug, Default)]
struct Window {
    calls: VecDeque<Call>,
    successes_in_a_row: u32,
}

/// What the window says after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    /// Nothing to do.
    Quiet,
    /// Failures are widespread: open an incident (if none is open).
    Widespread {
        /// Distinct logins that failed within the window.
        failing_logins: usize,
    },
    /// Enough calls worked in a row: close an open incident.
    Recovered,
}

/// The calls of this process, per network, within the window.
#[derive(Clone, Debug, Default)]
pub struct Watch(Arc<Mutex<HashMap<Network, Window>>>);

impl Watch {
    fn observe(
        &self,
        network: Network,
        login_id: i64,
        outcome: Outcome,
        now: DateTime<Utc>,
        settings: IncidentSettings,
    ) -> Signal {
        let mut windows = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = windows.entry(network).or_default();
        let failed = outcome == Outcome::Inconclusive;
        window.calls.push_back(Call {
            at: now,
            login_id,
            failed,
        });
        let since = crate::clock::before(now, settings.window);
        while window
            .calls
            .front()
            .is_some_and(|call| call.at < since || window.calls.len() > WINDOW_CALLS)
        {
            window.calls.pop_front();
        }
        match outcome {
            Outcome::Worked => {
                window.successes_in_a_row = window.successes_in_a_row.saturating_add(1);
                if window.successes_in_a_row >= CLOSE_AFTER_SUCCESSES {
                    // Counted afresh: a network that works reads the incident table once per
                    // few calls, not on every one.
                    window.successes_in_a_row = 0;
                    return Signal::Recovered;
                }
                Signal::Quiet
            }
            Outcome::Definite => Signal::Quiet,
            Outcome::Inconclusive => {
                window.successes_in_a_row = 0;
                let failures = window.calls.iter().filter(|call| call.failed).count();
                let failing_logins = window
                    .calls
                    .iter()
                    .filter(|call| call.failed)
                    .map(|call| call.login_id)
                    .collect::<HashSet<_>>()
                    .len();
                // failures / calls ≥ percent / 100, in integers (no overflow: both ≤ 10,000).
                let widespread = failures.saturating_mul(100)
                    >= window
                        .calls
                        .len()
                        .saturating_mul(usize::from(settings.failure_percent));
                if widespread && failing_logins >= settings.min_logins {
                    Signal::Widespread { failing_logins }
                } else {
                    Signal::Quiet
                }
            }
        }
    }
}

/// Records a call's outcome: opens the network's incident when failures are widespread, closes it
/// when calls work again. Never fails the caller's work: trouble recording is logged.
pub async fn record(app: &App, network: Network, login_id: i64, outcome: Outcome) {
    let now = app.now();
    let signal = app
        .incidents
        .observe(network, login_id, outcome, now, app.settings.incidents);
    let result = match signal {
        Signal::Quiet => Ok(()),
        Signal::Widespread { failing_logins } => open(app, network, failing_logins, now).await,
        Signal::Recovered => close(app, network, now).await,
    };
    if let Err(error) = result {
        tracing::warn!(network = network.slug(), %error, "could not record a network incident");
    }
}

/// What people read while a network is in trouble.
pub fn message(network: Network) -> String {
    format!(
        "{} is having problems. Relink holds your posts and keeps trying; nothing needs reconnecting because of it.",
        network.label()
    )
}

async fn open(
    app: &App,
    network: Network,
    failing_logins: usize,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let txn = app.begin().await?;
    if repo::open(&txn, network, failing_logins, &message(network), now).await? {
        tracing::warn!(
            network = network.slug(),
            failing_logins,
            "network incident opened: holding disconnects and emails for this network"
        );
        app.commit(txn).await
    } else {
        Ok(())
    }
}

async fn close(app: &App, network: Network, now: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    // Most calls meet no incident: one indexed read before opening a transaction.
    if !repo::is_open(&app.db, network).await? {
        return Ok(());
    }
    let txn = app.begin().await?;
    if repo::close(&txn, network, now).await? {
        tracing::info!(
            network = network.slug(),
            "network incident closed: calls work again"
        );
        app.commit(txn).await
    } else {
        Ok(())
    }
}

/// Records a call's result for the network's incident and reads it through the incident: while the
/// network has one open, an answer that would disconnect the login is held as the network's
/// trouble instead (backed off and tried again), so an outage never disconnects anyone.
pub async fn judge<T>(
    app: &App,
    network: Network,
    login_id: i64,
    result: Result<T, NetworkError>,
) -> Result<Result<T, NetworkError>, sea_orm::DbErr> {
    record(app, network, login_id, Outcome::of(&result)).await;
    match result {
        Err(error) if error.disconnect_reason().is_some() && holds(app, network).await? => {
            tracing::warn!(
                network = network.slug(),
                login.id = login_id,
                %error,
                "held during the network's incident instead of disconnecting"
            );
            Ok(Err(NetworkError::Unavailable(format!(
                "held during {}'s incident: {error}",
                network.label()
            ))))
        }
        other => Ok(other),
    }
}

/// Whether the network has an open incident: while it does, nothing of it disconnects or emails.
pub async fn holds(app: &App, network: Network) -> Result<bool, sea_orm::DbErr> {
    repo::is_open(&app.db, network).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> IncidentSettings {
        IncidentSettings {
            min_logins: 5,
            failure_percent: 50,
            window: Duration::minutes(5),
        }
    }

    #[test]
    fn widespread_failures_of_many_logins_signal_an_incident_and_successes_close_it() {
        let watch = Watch::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        for login in 1..=4 {
            let signal = watch.observe(Network::X, login, Outcome::Inconclusive, now, settings());
            assert_eq!(signal, Signal::Quiet, "{login} logins are not enough");
        }
        assert_eq!(
            watch.observe(Network::X, 5, Outcome::Inconclusive, now, settings()),
            Signal::Widespread { failing_logins: 5 }
        );
        // Another network is untouched.
        assert_eq!(
            watch.observe(Network::Facebook, 5, Outcome::Inconclusive, now, settings()),
            Signal::Quiet
        );
        for _ in 1..CLOSE_AFTER_SUCCESSES {
            assert_eq!(
                watch.observe(Network::X, 1, Outcome::Worked, now, settings()),
                Signal::Quiet
            );
        }
        assert_eq!(
            watch.observe(Network::X, 1, Outcome::Worked, now, settings()),
            Signal::Recovered
        );
        assert_eq!(
            watch.observe(Network::X, 1, Outcome::Worked, now, settings()),
            Signal::Quiet,
            "counted afresh after a recovery"
        );
    }

    #[test]
    fn one_login_failing_often_or_failures_drowned_in_successes_are_no_incident() {
        let watch = Watch::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        for _ in 0..50 {
            assert_eq!(
                watch.observe(Network::X, 1, Outcome::Inconclusive, now, settings()),
                Signal::Quiet
            );
        }
        let watch = Watch::default();
        for login in 0..100 {
            watch.observe(Network::X, login, Outcome::Worked, now, settings());
        }
        for login in 0..10 {
            assert_eq!(
                watch.observe(Network::X, login, Outcome::Inconclusive, now, settings()),
                Signal::Quiet,
                "10 failures among 110 calls"
            );
        }
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let watch = Watch::default();
        let start = DateTime::<Utc>::UNIX_EPOCH;
        for login in 1..=4 {
            watch.observe(Network::X, login, Outcome::Inconclusive, start, settings());
        }
        let later = start + Duration::minutes(6);
        assert_eq!(
            watch.observe(Network::X, 5, Outcome::Inconclusive, later, settings()),
            Signal::Quiet
        );
    }
}

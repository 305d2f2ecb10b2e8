//! `GET /metrics`: Prometheus text format, for the team that runs Relink.

use std::{
    fmt::Write as _,
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
};

use axum::{extract::State, http::header, response::IntoResponse};
use entity::enums::Health;

use super::AppState;

/// Counters kept by the HTTP layer.
#[derive(Clone, Default)]
pub struct Meters(Arc<MeterValues>);

#[derive(Default)]
struct MeterValues {
    sockets: AtomicI64,
    sockets_opened: AtomicU64,
    slow_readers_dropped: AtomicU64,
}

impl Meters {
    /// A subscription socket opened; the guard counts it closed when dropped.
    pub fn socket_opened(&self) -> SocketGuard {
        self.0.sockets.fetch_add(1, Ordering::Relaxed);
        self.0.sockets_opened.fetch_add(1, Ordering::Relaxed);
        SocketGuard(self.clone())
    }

    /// Sockets open now.
    pub fn open_sockets(&self) -> i64 {
        self.0.sockets.load(Ordering::Relaxed)
    }

    /// A socket was dropped because its client stopped reading.
    pub fn slow_reader_dropped(&self) {
        self.0.slow_readers_dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// Held for the life of a socket.
pub struct SocketGuard(Meters);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        (self.0).0.sockets.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The metrics page.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    let by_health = crate::accounts::repo::count_by_health(&state.db).await;
    let _ = writeln!(
        out,
        "# HELP relink_accounts Social accounts by connection health.\n# TYPE relink_accounts gauge"
    );
    match by_health {
        Ok(rows) => {
            use sea_orm::Iterable as _;
            for health in Health::iter() {
                let count = rows
                    .iter()
                    .find(|(h, _)| *h == health)
                    .map_or(0, |(_, n)| *n);
                let _ = writeln!(
                    out,
                    "relink_accounts{{health=\"{}\"}} {count}",
                    health_label(health)
                );
            }
        }
        Err(error) => tracing::warn!(%error, "metrics: cannot count accounts"),
    }
    let meters = &state.meters.0;
    let lines = [
        (
            "relink_events_published_total",
            "counter",
            "Events the relay broadcast since start.",
            state.bus.sent() as i64,
        ),
        (
            "relink_subscription_sockets",
            "gauge",
            "Subscription sockets open now.",
            meters.sockets.load(Ordering::Relaxed),
        ),
        (
            "relink_subscription_sockets_opened_total",
            "counter",
            "Subscription sockets opened since start.",
            meters.sockets_opened.load(Ordering::Relaxed) as i64,
        ),
        (
            "relink_subscription_slow_readers_dropped_total",
            "counter",
            "Sockets dropped because the client stopped reading.",
            meters.slow_readers_dropped.load(Ordering::Relaxed) as i64,
        ),
        (
            "relink_sql_statements_total",
            "counter",
            "SQL statements run since start.",
            state.statements.get() as i64,
        ),
    ];
    for (name, kind, help, value) in lines {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

fn health_label(health: Health) -> &'static str {
    match health {
        Health::Connected => "CONNECTED",
        Health::Expiring => "EXPIRING",
        Health::Limited => "LIMITED",
        Health::Disconnected => "DISCONNECTED",
    }
}

//! `GET /metrics`: Prometheus text format, for the team that runs Relink, on a listener of its
//! own (`RELINK_METRICS_ADDR`): the counts span every tenant, so the public listener answers 404.

use std::fmt::Write as _;

use axum::{extract::State, http::header, response::IntoResponse};
use entity::enums::Health;

use crate::app::App;

/// The metrics listener's routes: `/metrics`, nothing else.
pub fn router(app: App) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(app)
}

/// The metrics page.
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    let mut out = String::new();
    let by_health = crate::accounts::repo::count_by_health(&app.db, None).await;
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
    let meters = &app.meters;
    let (emails_sent, emails_failed) = meters.emails();
    let lines = [
        (
            "relink_events_published_total",
            "counter",
            "Events the relay broadcast since start.",
            app.bus.sent() as i64,
        ),
        (
            "relink_subscription_sockets",
            "gauge",
            "Subscription sockets open now.",
            meters.open_sockets(),
        ),
        (
            "relink_subscription_sockets_opened_total",
            "counter",
            "Subscription sockets opened since start.",
            meters.sockets_opened() as i64,
        ),
        (
            "relink_subscription_slow_readers_dropped_total",
            "counter",
            "Sockets dropped because the client stopped reading.",
            meters.slow_readers_dropped() as i64,
        ),
        (
            "relink_keeper_passes_total",
            "counter",
            "Passes of the keeper (refresh, warn, probe) since start.",
            meters.keeper_passes() as i64,
        ),
        (
            "relink_emails_sent_total",
            "counter",
            "Emails handed to SMTP or written to the outbox since start.",
            emails_sent as i64,
        ),
        (
            "relink_emails_failed_total",
            "counter",
            "Emails that could not be sent (retried later) since start.",
            emails_failed as i64,
        ),
        (
            "relink_sql_statements_total",
            "counter",
            "SQL statements run since start.",
            app.statements.get() as i64,
        ),
    ];
    for (name, kind, help, value) in lines {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    let labelled = [
        (
            "relink_token_refreshes_total",
            "Token refreshes by outcome since start.",
            &crate::metrics::REFRESH_OUTCOMES[..],
            meters.refreshes(),
        ),
        (
            "relink_token_probes_total",
            "Probes of tokens without expiry by outcome since start.",
            &crate::metrics::PROBE_OUTCOMES[..],
            meters.probes(),
        ),
    ];
    for (name, help, outcomes, counts) in labelled {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (outcome, count) in outcomes.iter().zip(counts) {
            let _ = writeln!(out, "{name}{{outcome=\"{outcome}\"}} {count}");
        }
    }
    let _ = writeln!(
        out,
        "# HELP relink_worker_panics_total Panics caught in background workers since start (each worker runs on).\n# TYPE relink_worker_panics_total counter"
    );
    for worker in ["keeper", "postman", "publisher", "pruner", "relay"] {
        let count = meters
            .worker_panics()
            .into_iter()
            .find(|(name, _)| *name == worker)
            .map_or(0, |(_, count)| count);
        let _ = writeln!(
            out,
            "relink_worker_panics_total{{worker=\"{worker}\"}} {count}"
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

//! `GET /metrics`: Prometheus text (0.0.4), or OpenMetrics text to a scraper that asks for it in
//! `Accept`, for the team that runs Relink, on a listener of its own (`RELINK_METRICS_ADDR`): the counts span every tenant, so the public
//! listener answers 404. The process's meters (`crate::metrics`) with what is read at scrape
//! time: accounts by health, events published, SQL statements run and the pool's use.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use entity::enums::Health;
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _},
    metrics::{counter::ConstCounter, family::Family, gauge::ConstGauge, gauge::Gauge},
    registry::Registry,
};

use crate::{app::App, db};

/// The media type of OpenMetrics text.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The media type of Prometheus text.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HealthLabel {
    health: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: &'static str,
}

struct Exporter {
    app: App,
    registry: Registry,
    accounts: Family<HealthLabel, Gauge>,
}

/// The metrics listener's routes: `/metrics`, nothing else.
pub fn router(app: App) -> axum::Router {
    let accounts = Family::<HealthLabel, Gauge>::default();
    let mut registry = app.meters.registry();
    registry.register(
        "relink_accounts",
        "Social accounts by connection health",
        accounts.clone(),
    );
    registry.register_collector(Box::new(AtScrape(app.clone())));
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(Arc::new(Exporter {
            app,
            registry,
            accounts,
        }))
}

/// The metrics page.
async fn metrics(State(exporter): State<Arc<Exporter>>, headers: HeaderMap) -> Response {
    match crate::accounts::repo::count_by_health(&exporter.app.db, None).await {
        Ok(rows) => {
            for health in [
                Health::Connected,
                Health::Expiring,
                Health::Limited,
                Health::Disconnected,
            ] {
                let count = rows
                    .iter()
                    .find(|(h, _)| *h == health)
                    .map_or(0, |(_, n)| *n);
                exporter
                    .accounts
                    .get_or_create(&HealthLabel {
                        health: health_label(health),
                    })
                    .set(count);
            }
        }
        Err(error) => tracing::warn!(%error, "metrics: cannot count accounts"),
    }
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("application/openmetrics-text"));
    let mut out = String::new();
    let (encoded, content_type) = if openmetrics {
        (
            prometheus_client::encoding::text::encode(&mut out, &exporter.registry),
            OPENMETRICS,
        )
    } else {
        (
            prometheus_client::encoding::prometheus_text::encode(&mut out, &exporter.registry),
            PROMETHEUS_TEXT,
        )
    };
    if let Err(error) = encoded {
        tracing::error!(%error, "metrics: cannot encode");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    ([(header::CONTENT_TYPE, content_type)], out).into_response()
}

/// What is read from the process at each scrape.
struct AtScrape(App);

impl std::fmt::Debug for AtScrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtScrape")
    }
}

impl Collector for AtScrape {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let published = ConstCounter::new(self.0.bus.sent());
        published.encode(encoder.encode_descriptor(
            "relink_events_published",
            "Events the relay broadcast since start",
            None,
            published.metric_type(),
        )?)?;
        let statements = ConstCounter::new(self.0.statements.get());
        statements.encode(encoder.encode_descriptor(
            "relink_sql_statements",
            "SQL statements run since start",
            None,
            statements.metric_type(),
        )?)?;
        let pool = db::pool_use(&self.0.db);
        let mut family = encoder.encode_descriptor(
            "relink_db_pool_connections",
            "Database pool connections by state (in_use, idle) and the pool's maximum",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (state, value) in [
            ("in_use", pool.open.saturating_sub(pool.idle)),
            ("idle", pool.idle),
            ("max", pool.max),
        ] {
            ConstGauge::new(i64::from(value))
                .encode(family.encode_family(&PoolState { state })?)?;
        }
        Ok(())
    }
}

fn health_label(health: Health) -> &'static str {
    match health {
        Health::Connected => "CONNECTED",
        Health::Expiring => "EXPIRING",
        Health::Limited => "LIMITED",
        Health::Disconnected => "DISCONNECTED",
    }
}

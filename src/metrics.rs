//! The process's meters, kept in `prometheus-client`'s types (the OpenMetrics client of the
//! Prometheus project) and shared by the HTTP layer, the subscriptions, the keeper and the
//! postman; `GET /metrics` (`http::metrics`) encodes them with what it reads at scrape time.
//!
//! Labels are bounded: routes are the router's patterns, statuses and methods are few, and a
//! GraphQL operation is labelled by its name only while fewer than [`MAX_OPERATION_NAMES`] names
//! have been seen (a client chooses them); any other is `other`.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::{Registry, Unit},
};

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

/// The workers, as labelled in `relink_worker_panics_total` (each shows, at 0 until it panics).
pub const WORKERS: [&str; 5] = ["keeper", "postman", "publisher", "pruner", "relay"];

/// How many distinct GraphQL operation names get a label of their own.
pub const MAX_OPERATION_NAMES: usize = 200;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Worker {
    worker: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

/// Meters of one server. Cloning shares them.
#[derive(Clone)]
pub struct Meters(Arc<Handles>);

struct Handles {
    sockets: Gauge,
    shared_subscriptions: Gauge,
    sockets_opened: Counter,
    slow_readers_dropped: Counter,
    keeper_passes: Counter,
    keeper_pass_seconds: Histogram,
    refreshes: Family<Outcome, Counter>,
    probes: Family<Outcome, Counter>,
    emails_sent: Counter,
    emails_failed: Counter,
    worker_panics: Family<Worker, Counter>,
    http_requests: Family<Route, Histogram>,
    graphql_operations: Family<Operation, Histogram>,
    operation_names: Mutex<HashSet<String>>,
    event_delivery_seconds: Histogram,
    /// The newest event a frame was written for, and the longest commit-to-frame time of its
    /// frames so far: the time to its last frame.
    last_event: Mutex<(i64, f64)>,
    event_last_frame_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
}

/// 1 ms … ~16 s: requests, operations and keeper passes.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Meters {
    fn default() -> Self {
        let handles = Handles {
            sockets: Gauge::default(),
            shared_subscriptions: Gauge::default(),
            sockets_opened: Counter::default(),
            slow_readers_dropped: Counter::default(),
            keeper_passes: Counter::default(),
            keeper_pass_seconds: latency(),
            refreshes: Family::default(),
            probes: Family::default(),
            emails_sent: Counter::default(),
            emails_failed: Counter::default(),
            worker_panics: Family::default(),
            http_requests: Family::new_with_constructor(latency),
            graphql_operations: Family::new_with_constructor(latency),
            operation_names: Mutex::new(HashSet::new()),
            // 1 ms … ~65 s: a frame waits for the relay, or for a replica's NOTIFY.
            event_delivery_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 17)),
            last_event: Mutex::new((0, 0.0)),
            event_last_frame_seconds: Gauge::default(),
        };
        // Every labelled outcome shows from the start, at 0.
        for outcome in REFRESH_OUTCOMES {
            drop(handles.refreshes.get_or_create(&Outcome { outcome }));
        }
        for outcome in PROBE_OUTCOMES {
            drop(handles.probes.get_or_create(&Outcome { outcome }));
        }
        for worker in WORKERS {
            drop(handles.worker_panics.get_or_create(&Worker { worker }));
        }
        Self(Arc::new(handles))
    }
}

impl Meters {
    /// A subscription socket opened; the guard counts it closed when dropped.
    pub fn socket_opened(&self) -> SocketGuard {
        self.0.sockets.inc();
        self.0.sockets_opened.inc();
        SocketGuard(self.clone())
    }

    /// Sockets open now.
    pub fn open_sockets(&self) -> i64 {
        self.0.sockets.get()
    }

    /// A socket was dropped because its client stopped reading.
    pub fn slow_reader_dropped(&self) {
        self.0.slow_readers_dropped.inc();
    }

    /// The keeper finished a pass that took `seconds`.
    pub fn keeper_pass(&self, seconds: f64) {
        self.0.keeper_passes.inc();
        self.0.keeper_pass_seconds.observe(seconds);
    }

    /// A refresh ended with the outcome at this index of [`REFRESH_OUTCOMES`].
    pub fn refresh(&self, outcome: usize) {
        if let Some(outcome) = REFRESH_OUTCOMES.get(outcome).copied() {
            self.0.refreshes.get_or_create(&Outcome { outcome }).inc();
        }
    }

    /// A probe ended with the outcome at this index of [`PROBE_OUTCOMES`].
    pub fn probe(&self, outcome: usize) {
        if let Some(outcome) = PROBE_OUTCOMES.get(outcome).copied() {
            self.0.probes.get_or_create(&Outcome { outcome }).inc();
        }
    }

    /// A pass of the worker `name` panicked (and was caught).
    pub fn worker_panicked(&self, name: &'static str) {
        self.0
            .worker_panics
            .get_or_create(&Worker { worker: name })
            .inc();
    }

    /// Caught panics of the worker `name` since start.
    pub fn worker_panics(&self, name: &'static str) -> u64 {
        self.0
            .worker_panics
            .get_or_create(&Worker { worker: name })
            .get()
    }

    /// An email went out (or failed to).
    pub fn email(&self, sent: bool) {
        if sent {
            self.0.emails_sent.inc();
        } else {
            self.0.emails_failed.inc();
        }
    }

    /// An HTTP request to `route` (the router's pattern) answered `status` after `seconds`.
    pub fn http_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = match method {
            "GET" => "GET",
            "POST" => "POST",
            "HEAD" => "HEAD",
            "OPTIONS" => "OPTIONS",
            _ => "OTHER",
        };
        self.0
            .http_requests
            .get_or_create(&Route {
                method,
                route: route.to_owned(),
                status,
            })
            .observe(seconds);
    }

    /// A GraphQL operation (by its `operationName`, `anonymous` without one) took `seconds`.
    pub fn graphql_operation(&self, name: Option<&str>, seconds: f64) {
        let operation = self.operation_label(name);
        self.0
            .graphql_operations
            .get_or_create(&Operation { operation })
            .observe(seconds);
    }

    fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".to_owned();
        };
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !valid {
            return "other".to_owned();
        }
        let mut seen = self
            .0
            .operation_names
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    /// An event reached a subscriber's socket `seconds` after its commit.
    pub fn event_delivered(&self, seconds: f64) {
        self.0.event_delivery_seconds.observe(seconds.max(0.0));
    }

    /// A shared subscription started; the guard counts it stopped when dropped.
    pub fn shared_subscription_started(&self) -> SharedSubscriptionGuard {
        self.0.shared_subscriptions.inc();
        SharedSubscriptionGuard(self.clone())
    }

    /// A frame of the event `event` was written to a subscriber's socket `seconds` after the
    /// event's commit, by the server's clock: counted as a delivery, and as the time to the
    /// event's last frame so far when it is the newest event.
    pub fn event_frame_written(&self, event: i64, seconds: f64) {
        let seconds = seconds.max(0.0);
        self.event_delivered(seconds);
        let mut last = self
            .0
            .last_event
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if event > last.0 {
            *last = (event, seconds);
        } else if event == last.0 && seconds > last.1 {
            last.1 = seconds;
        } else {
            return;
        }
        self.0.event_last_frame_seconds.set(last.1);
    }

    /// A registry over these meters (each registered by a shared handle), for `/metrics` to add
    /// what it reads at scrape time to and encode.
    pub fn registry(&self) -> Registry {
        let handles = &self.0;
        let mut registry = Registry::default();
        registry.register(
            "relink_subscription_sockets",
            "Subscription sockets open now",
            handles.sockets.clone(),
        );
        registry.register(
            "relink_subscriptions_shared",
            "Subscriptions running once for every socket of a sign-in that asks for them",
            handles.shared_subscriptions.clone(),
        );
        registry.register(
            "relink_subscription_sockets_opened",
            "Subscription sockets opened since start",
            handles.sockets_opened.clone(),
        );
        registry.register(
            "relink_subscription_slow_readers_dropped",
            "Sockets dropped because the client stopped reading",
            handles.slow_readers_dropped.clone(),
        );
        registry.register(
            "relink_keeper_passes",
            "Passes of the keeper (refresh, warn, probe) since start",
            handles.keeper_passes.clone(),
        );
        registry.register_with_unit(
            "relink_keeper_pass_duration",
            "How long a pass of the keeper took",
            Unit::Seconds,
            handles.keeper_pass_seconds.clone(),
        );
        registry.register(
            "relink_token_refreshes",
            "Token refreshes by outcome since start",
            handles.refreshes.clone(),
        );
        registry.register(
            "relink_token_probes",
            "Probes of tokens without expiry by outcome since start",
            handles.probes.clone(),
        );
        registry.register(
            "relink_emails_sent",
            "Emails handed to SMTP or written to the outbox since start",
            handles.emails_sent.clone(),
        );
        registry.register(
            "relink_emails_failed",
            "Emails that could not be sent (retried later) since start",
            handles.emails_failed.clone(),
        );
        registry.register(
            "relink_worker_panics",
            "Panics caught in background workers since start (each worker runs on)",
            handles.worker_panics.clone(),
        );
        registry.register_with_unit(
            "relink_http_request_duration",
            "HTTP requests by method, route pattern and status",
            Unit::Seconds,
            handles.http_requests.clone(),
        );
        registry.register_with_unit(
            "relink_graphql_operation_duration",
            "GraphQL operations over HTTP by operation name",
            Unit::Seconds,
            handles.graphql_operations.clone(),
        );
        registry.register_with_unit(
            "relink_event_delivery_lag",
            "From an event's commit to its frame for a subscriber",
            Unit::Seconds,
            handles.event_delivery_seconds.clone(),
        );
        registry.register_with_unit(
            "relink_event_last_frame",
            "From the newest event's commit to the last frame written for it so far (shared subscriptions)",
            Unit::Seconds,
            handles.event_last_frame_seconds.clone(),
        );
        registry
    }
}

/// Held for the life of a socket.
pub struct SocketGuard(Meters);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        (self.0).0.sockets.dec();
    }
}

/// Held for the life of a shared subscription.
pub struct SharedSubscriptionGuard(Meters);

impl Drop for SharedSubscriptionGuard {
    fn drop(&mut self) {
        (self.0).0.shared_subscriptions.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_cannot_grow_the_operation_labels_without_bound() {
        let meters = Meters::default();
        for index in 0..MAX_OPERATION_NAMES + 50 {
            meters.graphql_operation(Some(&format!("Op{index}")), 0.001);
        }
        meters.graphql_operation(Some("not a name!"), 0.001);
        meters.graphql_operation(Some(&"x".repeat(65)), 0.001);
        meters.graphql_operation(None, 0.001);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &meters.registry()).expect("encode");
        let labels: HashSet<&str> = text
            .lines()
            .filter(|line| line.starts_with("relink_graphql_operation_duration_seconds_count"))
            .filter_map(|line| line.split("operation=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(
            labels.len(),
            MAX_OPERATION_NAMES + 2,
            "the names, other, anonymous"
        );
        assert!(labels.contains("other") && labels.contains("anonymous"));
        assert!(labels.contains("Op0") && !labels.contains("Op250"));
    }

    #[test]
    fn every_outcome_and_worker_shows_at_zero_from_the_start() {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &Meters::default().registry())
            .expect("encode");
        for outcome in REFRESH_OUTCOMES {
            assert!(
                text.contains(&format!(
                    "relink_token_refreshes_total{{outcome=\"{outcome}\"}} 0"
                )),
                "{text}"
            );
        }
        for worker in WORKERS {
            assert!(text.contains(&format!(
                "relink_worker_panics_total{{worker=\"{worker}\"}} 0"
            )));
        }
    }
}

//! The settings the domain reads, derived once from [`Config`] when the server is built, so a
//! duration that does not fit refuses the start instead of surprising a worker later.

use anyhow::Context as _;
use chrono::Duration;

use super::Config;

/// What the use cases and workers read from the configuration, in the domain's units.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Held work (B4).
    pub posts: PostSettings,
    /// The keeper's refreshes, warnings and probes.
    pub keeper: KeeperSettings,
    /// How long events are kept to resume a subscription from.
    pub event_retention: Duration,
    /// When a network's failures make an incident.
    pub incidents: crate::incidents::IncidentSettings,
}

/// Settings of held work.
#[derive(Clone, Copy, Debug)]
pub struct PostSettings {
    /// B4: a held post whose time passed more than this before the reconnect is not published
    /// late; it waits for a person in `NEEDS_RESCHEDULE`.
    pub grace: Duration,
    /// How long one publish attempt may hold a post before another worker may retry it (with the
    /// same idempotency key, so the network sees one post).
    pub lease: Duration,
}

/// Settings of the keeper.
#[derive(Clone, Copy, Debug)]
pub struct KeeperSettings {
    /// Refresh this long before expiry.
    pub refresh_margin: Duration,
    /// Warn this long before a token that cannot be refreshed runs out.
    pub expiry_warning: Duration,
    /// How long one refresh may hold its lease.
    pub lease: Duration,
    /// Probe a token that carries no expiry when it was last seen working this long ago.
    pub probe_interval: Duration,
}

impl Settings {
    /// Converts the configured durations; one that does not fit names its setting.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let duration = |value: std::time::Duration, name: &str| {
            Duration::from_std(value).with_context(|| format!("{name}: too long"))
        };
        Ok(Self {
            posts: PostSettings {
                grace: duration(config.held_post_grace, "RELINK_HELD_POST_GRACE")?,
                lease: duration(config.publish_lease, "RELINK_PUBLISH_LEASE")?,
            },
            keeper: KeeperSettings {
                refresh_margin: duration(config.refresh_margin, "RELINK_REFRESH_MARGIN")?,
                expiry_warning: duration(config.expiry_warning, "RELINK_EXPIRY_WARNING")?,
                lease: Duration::seconds(60),
                probe_interval: duration(config.probe_interval, "RELINK_PROBE_INTERVAL")?,
            },
            event_retention: duration(config.event_retention, "RELINK_EVENT_RETENTION")?,
            incidents: crate::incidents::IncidentSettings {
                min_logins: usize::try_from(config.incident_min_logins).unwrap_or(usize::MAX),
                failure_percent: config.incident_failure_percent,
                window: duration(config.incident_window, "RELINK_INCIDENT_WINDOW")?,
            },
        })
    }
}

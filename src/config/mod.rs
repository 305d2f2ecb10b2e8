//! Typed configuration: every setting is a flag with an environment twin, read once at start.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Args;

mod settings;
mod values;

pub use settings::{KeeperSettings, PostSettings, Settings};
pub use values::{
    DatabaseUrl, LogFormat, MetricsAddr, SandboxMode, Secret, parse_duration, parse_metrics_addr,
};

/// Every setting of the server. Tests build it in code with [`Config::for_tests`].
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "RELINK_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub addr: SocketAddr,

    /// Folder for the embedded database, generated keys and the email outbox.
    #[arg(long, env = "RELINK_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// PostgreSQL (or SQLite) URL; when unset, an embedded SQLite file in the data folder is used.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<DatabaseUrl>,

    /// Largest number of pooled database connections.
    #[arg(
        long,
        env = "RELINK_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,

    /// Do not load the demo organization into an empty database.
    #[arg(long, env = "RELINK_NO_DEMO", global = true)]
    pub no_demo: bool,

    /// HS256 secret for dashboard JWTs (at least 32 bytes); generated into the data folder when unset.
    #[arg(long, env = "RELINK_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// PEM file with an RS256 public key: tokens are then verified with it (and `relink token` is off).
    #[arg(long, env = "RELINK_JWT_PUBLIC_KEY_FILE", global = true)]
    pub jwt_public_key_file: Option<PathBuf>,

    /// JWK Set file (RFC 7517) of your identity provider's RS256 public keys: a token's `kid` picks
    /// its key; an unknown `kid` re-reads the file (at most every 30 s), so keys rotate without a
    /// restart. Instead of `RELINK_JWT_PUBLIC_KEY_FILE`.
    #[arg(long, env = "RELINK_JWT_JWKS_FILE", global = true)]
    pub jwt_jwks_file: Option<PathBuf>,

    /// How often the JWK Set file is read again even when every `kid` is known: a key removed
    /// from it stops verifying tokens from then on.
    #[arg(long, env = "RELINK_JWT_JWKS_REFRESH", default_value = "5m", value_parser = parse_duration, global = true)]
    pub jwt_jwks_refresh: Duration,

    /// Required `iss` claim of dashboard JWTs.
    #[arg(
        long,
        env = "RELINK_JWT_ISSUER",
        default_value = "relink",
        global = true
    )]
    pub jwt_issuer: String,

    /// Required `aud` claim of dashboard JWTs.
    #[arg(
        long,
        env = "RELINK_JWT_AUDIENCE",
        default_value = "relink-dashboard",
        global = true
    )]
    pub jwt_audience: String,

    /// Clock leeway for `exp` and `nbf`, at most 60 seconds.
    #[arg(long, env = "RELINK_JWT_LEEWAY_SECS", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u64).range(0..=60))]
    pub jwt_leeway_secs: u64,

    /// Serve GraphiQL at `/` (on by default).
    #[arg(long, env = "RELINK_NO_PLAYGROUND", global = true)]
    pub no_playground: bool,

    /// Refuse introspection queries and field suggestions (for production).
    #[arg(long, env = "RELINK_NO_INTROSPECTION", global = true)]
    pub no_introspection: bool,

    /// Largest accepted request body.
    #[arg(long, env = "RELINK_BODY_LIMIT_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub body_limit_bytes: usize,

    /// Longest time one GraphQL request may run.
    #[arg(long, env = "RELINK_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration, global = true)]
    pub request_timeout: Duration,

    /// Deepest accepted query.
    #[arg(long, env = "RELINK_MAX_DEPTH", default_value_t = 12, global = true)]
    pub max_depth: usize,

    /// Highest accepted query cost (a connection costs `first` times its children).
    #[arg(
        long,
        env = "RELINK_MAX_COMPLEXITY",
        default_value_t = 5_000,
        global = true
    )]
    pub max_complexity: usize,

    /// How long in-flight requests may finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "RELINK_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration, global = true)]
    pub shutdown_grace: Duration,

    /// The address browsers and networks reach this server at (OAuth redirect URIs, email links,
    /// webhooks); defaults to `http://` and the bound address.
    #[arg(long, env = "RELINK_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Browser origins allowed to open subscription sockets (comma-separated); the public URL's
    /// origin is always allowed. Clients that send no `Origin` (servers, CLIs) are not browsers.
    #[arg(
        long,
        env = "RELINK_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub allowed_origins: Vec<String>,

    /// Keys for tokens at rest: `id:base64key[,id:base64key…]`, the first encrypts; generated into
    /// the data folder when unset. Older keys stay listed to read what they wrote.
    #[arg(long, env = "RELINK_TOKEN_KEYS", global = true, hide_env_values = true)]
    pub token_keys: Option<Secret>,

    /// The built-in sandbox network at `/sandbox` (auto: on with the embedded database only).
    #[arg(long, env = "RELINK_SANDBOX", value_enum, default_value_t = SandboxMode::Auto, global = true)]
    pub sandbox: SandboxMode,

    /// Per-network settings (TOML: mode sandbox|live|off, client id, secret's environment variable,
    /// endpoints, scopes); unset, the sandbox plays every network when it is on.
    #[arg(long, env = "RELINK_NETWORKS_FILE", global = true)]
    pub networks_file: Option<PathBuf>,

    /// Values for the environment variables the networks file names (`client_secret_env`), looked
    /// up before the process environment: how tests and embedders hand secrets over without
    /// touching the environment. Never read from the command line.
    #[arg(skip)]
    pub network_secrets: std::collections::BTreeMap<String, Secret>,

    /// Timeout of every call to a network (token exchange, identity, assets).
    #[arg(long, env = "RELINK_NETWORK_TIMEOUT", default_value = "10s", value_parser = parse_duration, global = true)]
    pub network_timeout: Duration,

    /// SMTP server for the emails of R12 (`smtp://user:pass@host:25`); unset, emails are written as
    /// `.eml` files into the data folder's `outbox`.
    #[arg(long, env = "SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// Sender of Relink's emails.
    #[arg(
        long,
        env = "RELINK_EMAIL_FROM",
        default_value = "Relink <relink@localhost>",
        global = true
    )]
    pub email_from: String,

    /// How often the keeper looks for tokens to refresh and to warn about.
    #[arg(long, env = "RELINK_KEEPER_INTERVAL", default_value = "60s", value_parser = parse_duration, global = true)]
    pub keeper_interval: Duration,

    /// Refresh an access token this long before it expires (B1).
    #[arg(long, env = "RELINK_REFRESH_MARGIN", default_value = "10m", value_parser = parse_duration, global = true)]
    pub refresh_margin: Duration,

    /// Warn this long before a token that cannot be refreshed runs out (B1; health EXPIRING).
    #[arg(long, env = "RELINK_EXPIRY_WARNING", default_value = "7d", value_parser = parse_duration, global = true)]
    pub expiry_warning: Duration,

    /// Probe a token that carries no expiry (nothing else notices its silent revocation) when it
    /// was last seen working this long ago (B1).
    #[arg(long, env = "RELINK_PROBE_INTERVAL", default_value = "6h", value_parser = parse_duration, global = true)]
    pub probe_interval: Duration,

    /// A network incident opens when at least this many logins of one network failed with
    /// inconclusive errors (outage, throttling, unplaceable answers) within the incident window…
    #[arg(long, env = "RELINK_INCIDENT_MIN_LOGINS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100_000), global = true)]
    pub incident_min_logins: u32,

    /// …and at least this share (percent) of the network's calls in the window failed.
    #[arg(long, env = "RELINK_INCIDENT_FAILURE_PERCENT", default_value_t = 50, value_parser = clap::value_parser!(u8).range(1..=100), global = true)]
    pub incident_failure_percent: u8,

    /// The sliding window of a network's recent calls that incidents are judged on.
    #[arg(long, env = "RELINK_INCIDENT_WINDOW", default_value = "5m", value_parser = parse_duration, global = true)]
    pub incident_window: Duration,

    /// B4: a held post whose time passed more than this before its account is reconnected goes
    /// to NEEDS_RESCHEDULE instead of going out late.
    #[arg(long, env = "RELINK_HELD_POST_GRACE", default_value = "24h", value_parser = parse_duration, global = true)]
    pub held_post_grace: Duration,

    /// How often the publisher sends due posts.
    #[arg(long, env = "RELINK_PUBLISH_INTERVAL", default_value = "10s", value_parser = parse_duration, global = true)]
    pub publish_interval: Duration,

    /// How long one publish attempt holds its post; after a crash, the post is retried (with the
    /// same idempotency key) once this runs out.
    #[arg(long, env = "RELINK_PUBLISH_LEASE", default_value = "60s", value_parser = parse_duration, global = true)]
    pub publish_lease: Duration,

    /// Per-user rate limit: a bucket of this many query-cost points (0 turns it off); a request
    /// costs its complexity; an empty bucket answers 429 `RATE_LIMITED` with `Retry-After`.
    #[arg(
        long,
        env = "RELINK_RATE_LIMIT",
        default_value_t = 50_000,
        global = true
    )]
    pub rate_limit: u32,

    /// Points per second that flow back into each user's bucket.
    #[arg(
        long,
        env = "RELINK_RATE_LIMIT_REFILL",
        default_value_t = 500,
        global = true
    )]
    pub rate_limit_refill: u32,

    /// Subscription sockets: a WebSocket ping this often; a client silent for two intervals, or
    /// unable to take a message within two, is dropped; expired tokens are noticed at least this often.
    #[arg(long, env = "RELINK_WS_KEEPALIVE", default_value = "15s", value_parser = parse_duration, global = true)]
    pub ws_keepalive: Duration,

    /// Open subscription sockets one user may hold (more are refused at `connection_init`, 4429).
    #[arg(
        long,
        env = "RELINK_WS_MAX_SOCKETS_PER_USER",
        default_value_t = 16,
        global = true
    )]
    pub ws_max_sockets_per_user: usize,

    /// Subscriptions one socket may run at once (more get an `error` for that id).
    #[arg(
        long,
        env = "RELINK_WS_MAX_SUBSCRIPTIONS",
        default_value_t = 32,
        global = true
    )]
    pub ws_max_subscriptions: usize,

    /// Subscription sockets that have not sent an accepted `connection_init` yet, per client IP
    /// (more are refused with 429 at the upgrade).
    #[arg(
        long,
        env = "RELINK_WS_MAX_ANONYMOUS_SOCKETS",
        default_value_t = 16,
        global = true
    )]
    pub ws_max_anonymous_sockets: usize,

    /// How long a new subscription socket may take to send `connection_init` (4408 after).
    #[arg(long, env = "RELINK_WS_INIT_TIMEOUT", default_value = "10s", value_parser = parse_duration, global = true)]
    pub ws_init_timeout: Duration,

    /// Proxies whose `X-Forwarded-For` names the client (comma-separated IPs); requests from
    /// anyone else are the client themselves. Rate limits and socket caps of anonymous clients
    /// count per client IP.
    #[arg(
        long,
        env = "RELINK_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// How long events are kept for subscribers to resume from (`after`); older cursors answer
    /// `CURSOR_EXPIRED` and the client reloads. A job deletes older events.
    #[arg(long, env = "RELINK_EVENT_RETENTION", default_value = "7d", value_parser = parse_duration, global = true)]
    pub event_retention: Duration,

    /// Where `/metrics` is served: its own listener, never the public one (`off` disables it). If
    /// the address is taken, the server logs a warning and runs without metrics.
    #[arg(long, env = "RELINK_METRICS_ADDR", default_value = "127.0.0.1:9464", value_parser = parse_metrics_addr, global = true)]
    pub metrics_addr: MetricsAddr,

    /// Log format.
    #[arg(long, env = "RELINK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

impl Config {
    /// Whether the sandbox network is on.
    pub fn sandbox_enabled(&self) -> bool {
        match self.sandbox {
            SandboxMode::On => true,
            SandboxMode::Off => false,
            SandboxMode::Auto => self.database_url.is_none(),
        }
    }

    /// The settings tests start from: port 0, the given data folder, no demo data.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            db_max_connections: 8,
            no_demo: true,
            jwt_secret: Some(Secret::new(
                "test-secret-test-secret-test-secret-0123456789",
            )),
            jwt_public_key_file: None,
            jwt_jwks_file: None,
            jwt_jwks_refresh: Duration::from_secs(300),
            jwt_issuer: "relink".to_owned(),
            jwt_audience: "relink-dashboard".to_owned(),
            jwt_leeway_secs: 30,
            no_playground: false,
            no_introspection: false,
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_depth: 12,
            max_complexity: 5_000,
            shutdown_grace: Duration::from_secs(5),
            log_format: LogFormat::Text,
            public_url: None,
            allowed_origins: Vec::new(),
            token_keys: None,
            sandbox: SandboxMode::On,
            networks_file: None,
            network_secrets: std::collections::BTreeMap::new(),
            network_timeout: Duration::from_secs(5),
            keeper_interval: Duration::from_secs(3600),
            smtp_url: None,
            email_from: "Relink <relink@localhost>".to_owned(),
            refresh_margin: Duration::from_secs(600),
            expiry_warning: Duration::from_secs(7 * 86_400),
            probe_interval: Duration::from_secs(6 * 3_600),
            incident_min_logins: 5,
            incident_failure_percent: 50,
            incident_window: Duration::from_secs(300),
            held_post_grace: Duration::from_secs(24 * 3_600),
            publish_interval: Duration::from_secs(3_600),
            publish_lease: Duration::from_secs(60),
            rate_limit: 50_000,
            rate_limit_refill: 500,
            ws_keepalive: Duration::from_secs(15),
            ws_max_sockets_per_user: 16,
            ws_max_subscriptions: 32,
            ws_max_anonymous_sockets: 16,
            ws_init_timeout: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
            event_retention: Duration::from_secs(7 * 86_400),
            metrics_addr: MetricsAddr(Some(SocketAddr::from(([127, 0, 0, 1], 0)))),
        }
    }
}

//! `Server::build` wires the one application context ([`App`]) from the configuration, builds
//! the workers and the routes over it, and binds the listener (port 0 in tests);
//! `run_until_stopped` serves.

mod parts;
mod workers;

pub use parts::shutdown_signal;

use std::{future::Future, sync::Arc};

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    app::App,
    auth::TokenKeys,
    clock::{SharedClock, SystemClock},
    config::{Config, Settings},
    crypto::{self, TokenCipher},
    db::{self, StatementCounter},
    demo,
    events::EventBus,
    graphql,
    http::{self, HttpState},
    keeper::Keeper,
    mail::Mailer,
    networks,
    notices::email::Postman,
    posts::publisher::Publisher,
};

/// A built server, listening, not yet serving.
pub struct Server {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    publisher: Publisher,
    stopping: tokio::sync::watch::Sender<bool>,
    state: HttpState,
    keeper: Keeper,
    postman: Postman,
}

impl Server {
    /// Builds with the system clock.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Connects and migrates the database, loads the demo data into an empty one (unless
    /// `--no-demo`), prepares keys and schema, and binds the listener.
    pub async fn build_with_clock(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        let keys = TokenKeys::from_config(&config)?;
        let (db, statements) = db::connect(&config).await?;
        db::migrate(&db).await?;
        let mut demo_loaded = false;
        if !config.no_demo && demo::is_empty(&db).await? {
            demo::seed(&db, clock.now())
                .await
                .context("loading the demo data")?;
            demo_loaded = true;
            tracing::info!("loaded the demo organization Northwind Coffee");
        }
        if config.sandbox_enabled() && relink_sandbox::is_empty(&db).await? {
            // Idempotent: `seed` checks again inside its transaction (another replica may win).
            if relink_sandbox::seed(&db, clock.now())
                .await
                .context("loading the sandbox identities")?
            {
                tracing::info!("loaded the sandbox network's identities and clients");
            }
        }
        // Refuse to start with keys that cannot read the tokens already stored.
        let cipher = Arc::new(TokenCipher::from_config(&config)?);
        crypto::check_stored(&db, &cipher).await?;
        if demo_loaded && config.sandbox_enabled() {
            let connected = crate::demo::connect_sandbox_logins(&db, &cipher, clock.now())
                .await
                .context("giving the demo logins sandbox tokens")?;
            tracing::info!(
                logins = connected,
                "the demo's connected logins hold sandbox tokens"
            );
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("RELINK_ADDR: cannot listen on {}", config.addr))?;
        let bound = listener.local_addr().context("reading the bound address")?;
        let metrics_listener = parts::bind_metrics(config.metrics_addr.0).await;
        let public_url: Arc<str> = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
            .trim_end_matches('/')
            .into();
        let http_client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.network_timeout)
            .timeout(config.network_timeout)
            .user_agent(concat!("relink/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        let settings = networks::settings::load(
            config.networks_file.as_deref(),
            config.sandbox_enabled(),
            |name| {
                config
                    .network_secrets
                    .get(name)
                    .map(|secret| secret.expose().to_owned())
                    .or_else(|| std::env::var(name).ok())
            },
        )?;
        let networks =
            parts::configured_networks(&settings, &db, &public_url, &http_client).await?;
        let meters = crate::metrics::Meters::default();
        let mailer = Mailer::from_config(&config, meters.clone())?;
        let bus = EventBus::default();
        bus.start_at_newest(&db)
            .await
            .context("reading the event outbox")?;
        let status_cache = Arc::new(crate::notices::cache::StatusCache::default());
        let forget = status_cache.clone();
        bus.observe(Arc::new(move |event| forget.forget(event)));
        let app = App {
            settings: Settings::from_config(&config)?,
            rate_limiter: Arc::new(crate::ratelimit::RateLimiter::new(
                config.rate_limit,
                config.rate_limit_refill,
            )),
            link_guesses: Arc::new(crate::reconnect::links::guess_limiter()),
            config: Arc::new(config),
            db,
            clock,
            cipher,
            networks,
            bus,
            mailer,
            meters,
            public_url,
            http_client,
            keys: Arc::new(keys),
            statements,
            incidents: crate::incidents::Watch::default(),
            status_cache,
        };
        // Facebook removed the Groups API on 22 April 2024: with the real Facebook, group accounts
        // can never publish again (the sandbox keeps its groups).
        if settings.iter().any(|setting| {
            setting.network == entity::enums::Network::Facebook
                && setting.mode == networks::settings::Mode::Live
        }) {
            crate::accounts::discontinued::facebook_groups(&app)
                .await
                .context("disconnecting the Facebook groups Facebook discontinued")?;
        }
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        let state = HttpState {
            schema: graphql::build_schema(app.clone()),
            app: app.clone(),
            sockets: crate::http::socket::SocketSlots::default(),
            shared: crate::http::socket::SharedSubscriptions::default(),
            stopping: stopping_rx,
        };
        let keeper = Keeper::new(app.clone());
        let postman = Postman::new(app.clone());
        let publisher = Publisher::new(app);
        Ok(Self {
            listener,
            metrics_listener,
            publisher,
            stopping,
            state,
            keeper,
            postman,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|addr| addr.port())
            .unwrap_or_default()
    }

    /// The port of the metrics listener, when it runs.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
            .map(|addr| addr.port())
    }

    /// The application context.
    pub fn app(&self) -> App {
        self.state.app.clone()
    }

    /// The database pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.state.app.db
    }

    /// The statement counter.
    pub fn statements(&self) -> StatementCounter {
        self.state.app.statements.clone()
    }

    /// The event bus (outbox relay).
    pub fn bus(&self) -> EventBus {
        self.state.app.bus.clone()
    }

    /// The keeper (token refresh and expiry warnings).
    pub fn keeper(&self) -> Keeper {
        self.keeper.clone()
    }

    /// The publisher of due posts.
    pub fn publisher(&self) -> Publisher {
        self.publisher.clone()
    }

    /// The email worker.
    pub fn postman(&self) -> Postman {
        self.postman.clone()
    }

    /// The cipher of tokens at rest.
    pub fn cipher(&self) -> Arc<TokenCipher> {
        self.state.app.cipher.clone()
    }

    /// The token keys.
    pub fn keys(&self) -> Arc<TokenKeys> {
        self.state.app.keys.clone()
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish within the grace
    /// period and closes the database pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let grace = self.state.app.config.shutdown_grace;
        let workers = self.spawn_workers();
        let db = self.state.app.db.clone();
        let meters = self.state.app.meters.clone();
        // The sandbox network (B9) is mounted beside Relink with state of its own.
        let sandbox = self.state.app.config.sandbox_enabled().then(|| {
            relink_sandbox::router(relink_sandbox::SandboxState {
                db: self.state.app.db.clone(),
                clock: Arc::new(parts::SandboxClock(self.state.app.clock.clone())),
                public_url: self.state.app.public_url.clone(),
                http_client: self.state.app.http_client.clone(),
                sandbox: relink_sandbox::Switches::default(),
            })
        });
        let metrics = self
            .metrics_listener
            .map(|listener| parts::serve_metrics(listener, self.state.app.clone(), &self.stopping));
        let stopping = self.stopping;
        let mut stopped = stopping.subscribe();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests, closing sockets");
            // Sockets close with 1001 so their clients reconnect to another replica.
            let _ = stopping.send(true);
        };
        // Frames and answers go out as written, not held back for the peer's delayed ACK.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY could not be set");
            }
        });
        let server = axum::serve(
            listener,
            http::router(self.state, sandbox)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(signal);
        let deadline = async move {
            let _ = stopped.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        };
        let drained = async {
            // Upgraded sockets outlive the HTTP server: wait for their close frames to go out.
            server.await.context("serving HTTP")?;
            while meters.open_sockets() > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            anyhow::Ok(())
        };
        tokio::select! {
            result = drained => result?,
            () = deadline => tracing::warn!(?grace, "grace period over; dropping unfinished requests"),
        }
        for worker in workers {
            worker.abort();
        }
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        db.close().await.context("closing the database pool")?;
        tracing::info!("stopped");
        Ok(())
    }
}

//! The parts `App` is built from that need the outside world: the network adapters of the
//! networks file, the metrics listener, and the signals that stop the server.

use std::sync::Arc;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::networks::{
    self, Networks,
    sandbox::SandboxAdapter,
    settings::{Mode, NetworkSettings},
};

/// Serves `/metrics` on its own listener until the server stops.
pub(super) fn serve_metrics(
    listener: TcpListener,
    app: crate::app::App,
    stopping: &tokio::sync::watch::Sender<bool>,
) -> tokio::task::JoinHandle<()> {
    let mut stopped = stopping.subscribe();
    let router = crate::http::metrics::router(app);
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.wait_for(|stopping| *stopping).await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(%error, "the metrics listener stopped");
        }
    })
}

/// The adapter of every configured network: the sandbox's (B9) with its own client credentials,
/// or a live network's with the app from the networks file.
pub(super) async fn configured_networks(
    settings: &[NetworkSettings],
    db: &DatabaseConnection,
    public_url: &str,
    http: &reqwest::Client,
) -> anyhow::Result<Networks> {
    let mut networks = Networks::default();
    for setting in settings {
        match setting.mode {
            Mode::Sandbox => {
                let (client_id, secret) = relink_sandbox::client_credentials(db, setting.network)
                    .await?
                    .with_context(|| format!("the sandbox has no app for {:?}", setting.network))?;
                networks.insert(Arc::new(SandboxAdapter::new(
                    setting.network,
                    public_url,
                    client_id,
                    crate::config::Secret::new(secret.expose()),
                    setting.scopes.clone(),
                    http.clone(),
                )));
            }
            Mode::Live => {
                let app = setting.live.clone().with_context(|| {
                    format!(
                        "{}: a live network without its app",
                        networks::slug(setting.network)
                    )
                })?;
                networks.insert(networks::live::adapter(
                    setting.network,
                    app,
                    setting.scopes.clone(),
                    public_url,
                    http,
                ));
            }
            // Settings hold no network that is off.
            Mode::Off => {}
        }
    }
    Ok(networks)
}

/// Relink's clock, as the sandbox network reads it (a manual one in tests).
pub(super) struct SandboxClock(pub(super) crate::clock::SharedClock);

impl relink_sandbox::Clock for SandboxClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
}

/// Binds the metrics listener (`RELINK_METRICS_ADDR`). Metrics are worth a warning, not a
/// refused start: when the address is taken, Relink serves without them.
pub(super) async fn bind_metrics(addr: Option<std::net::SocketAddr>) -> Option<TcpListener> {
    let addr = addr?;
    match TcpListener::bind(addr).await {
        Ok(listener) => Some(listener),
        Err(error) => {
            tracing::warn!(%addr, %error, "RELINK_METRICS_ADDR: cannot listen; serving without /metrics");
            None
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

//! The real networks: one adapter per network beside the sandbox's, each speaking that network's
//! documented wire format through the shared [`api`] part (bounded answers, one classification of
//! failures, tokens read defensively). Endpoints, API versions and scopes come from the networks
//! file; the app secret from the environment variable it names.

pub mod api;
pub mod facebook;
pub mod instagram;
pub mod linkedin;
pub mod pinterest;
pub mod tiktok;
pub mod x;
pub mod youtube;

use std::sync::Arc;

use entity::enums::Network;

use self::api::Api;
use super::{NetworkAdapter, NetworkError, classify::Family, settings::LiveApp, slug};
use crate::config::Secret;

/// What every live adapter holds: its app, what it asks for, where the network sends people back.
#[derive(Debug)]
pub struct Common {
    /// The network.
    pub network: Network,
    /// The registered app and its endpoints.
    pub app: LiveApp,
    /// The permissions to ask for.
    pub scopes: Vec<String>,
    /// Relink's callback, `{public_url}/oauth/callback/{network}`.
    pub redirect_url: String,
    /// The network's API.
    pub api: Api,
}

impl Common {
    /// An API path under the configured `api_url`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.app.api_url, path.trim_start_matches('/'))
    }

    /// The app secret.
    pub fn secret(&self) -> &Secret {
        &self.app.client_secret
    }

    /// Revokes a token at an RFC 7009 endpoint with the app's credentials (HTTP Basic).
    pub async fn revoke_basic(&self, token: &Secret) -> Result<(), NetworkError> {
        let Some(url) = &self.app.revoke_url else {
            return Ok(());
        };
        let request = self
            .api
            .http
            .post(url)
            .basic_auth(&self.app.client_id, Some(self.secret().expose()))
            .form(&[("token", token.expose())]);
        self.api.send(request).await.map(drop)
    }
}

/// The family of answers each network speaks.
pub fn family(network: Network) -> Family {
    match network {
        Network::Facebook | Network::Instagram => Family::Meta,
        Network::Linkedin => Family::Linkedin,
        Network::X => Family::X,
        Network::Youtube => Family::Google,
        Network::Tiktok => Family::Tiktok,
        Network::Pinterest => Family::Pinterest,
    }
}

/// The live adapter of a network configured with `mode = "live"`.
pub fn adapter(
    network: Network,
    app: LiveApp,
    scopes: Vec<String>,
    public_url: &str,
    http: &reqwest::Client,
) -> Arc<dyn NetworkAdapter> {
    let common = Common {
        network,
        app,
        scopes,
        redirect_url: format!("{public_url}/oauth/callback/{}", slug(network)),
        api: Api {
            http: http.clone(),
            family: family(network),
        },
    };
    match network {
        Network::Facebook => Arc::new(facebook::Facebook::new(common)),
        Network::Instagram => instagram::adapter(common),
        Network::Linkedin => Arc::new(linkedin::Linkedin::new(common)),
        Network::X => Arc::new(x::X::new(common)),
        Network::Youtube => Arc::new(youtube::Youtube::new(common)),
        Network::Tiktok => Arc::new(tiktok::Tiktok::new(common)),
        Network::Pinterest => Arc::new(pinterest::Pinterest::new(common)),
    }
}

//! Per-network configuration: which networks Relink reaches, and how.
//!
//! Without `RELINK_NETWORKS_FILE`, every network is played by the built-in sandbox when it is on,
//! and no network is configured otherwise. The file (TOML, one table per network slug) sets each
//! network's mode and overrides:
//!
//! ```toml
//! [facebook]
//! mode = "live"                              # sandbox | live | off
//! client_id = "1234567890"
//! client_secret_env = "FACEBOOK_APP_SECRET"  # the secret stays in the environment, never the file
//! scopes = ["pages_show_list", "pages_manage_posts"]
//! # authorize_url, token_url, revoke_url, api_url default to the network's documented endpoints
//!
//! [x]
//! mode = "sandbox"
//! scopes = ["tweet.read", "tweet.write", "users.read", "offline.access"]
//! ```
//!
//! Everything is checked before the server starts: a live network needs its client id, a secret
//! that is set, and HTTPS endpoints (plain HTTP only on loopback), and an adapter for its API.

use std::{collections::BTreeMap, path::Path};

use entity::enums::Network;
use serde::Deserialize;

use super::{from_slug, slug};
use crate::config::Secret;

mod defaults;

use defaults::live_endpoints;
pub use defaults::{default_scopes, default_version, live_scopes};

/// How Relink reaches one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The built-in sandbox network plays it (B9).
    Sandbox,
    /// The network itself, with a registered app.
    Live,
    /// Not reached at all: reconnects of its accounts are refused as not configured.
    Off,
}

/// One network's resolved settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSettings {
    /// The network.
    pub network: Network,
    /// Sandbox or live (networks that are off have no settings).
    pub mode: Mode,
    /// The permissions to ask for.
    pub scopes: Vec<String>,
    /// For a live network: its app and endpoints.
    pub live: Option<LiveApp>,
}

/// A live network's registered app and endpoints. `Debug` never shows the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveApp {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret, read from the environment.
    pub client_secret: Secret,
    /// Authorization endpoint.
    pub authorize_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// Revocation endpoint, when the network has one.
    pub revoke_url: Option<String>,
    /// Base URL of the network's API (identity, assets).
    pub api_url: String,
    /// The API version the adapter speaks: Facebook's Graph `v25.0`, LinkedIn's `LinkedIn-Version`.
    pub api_version: Option<String>,
    /// Instagram only: sign in through Instagram Login (`graph.instagram.com`) rather than
    /// Facebook Login (the page's `instagram_business_account`).
    pub instagram_login: bool,
    /// LinkedIn only: how long to wait before asking once more when a token fresh from consent is
    /// answered `REVOKED_ACCESS_TOKEN` (LinkedIn's propagation delay); `None` for the adapter's own.
    pub consent_retry: Option<std::time::Duration>,
    /// TikTok and YouTube: who sees a post Relink publishes (TikTok's `privacy_level`, YouTube's
    /// `privacyStatus`); the most private by default, as unaudited apps may post nothing else.
    pub post_privacy: Option<String>,
    /// YouTube only: the origins (`https://cdn.example.com`) Relink may download a post's video
    /// from to upload it. Empty: YouTube posts are refused, as Relink fetches no URL it was not
    /// told to trust.
    pub media_origins: Vec<reqwest::Url>,
}

/// A setting that cannot work, named so the operator can fix it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("RELINK_NETWORKS_FILE: {0}")]
pub struct Invalid(pub String);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    mode: Option<Mode>,
    client_id: Option<String>,
    client_secret_env: Option<String>,
    authorize_url: Option<String>,
    token_url: Option<String>,
    revoke_url: Option<String>,
    api_url: Option<String>,
    api_version: Option<String>,
    login: Option<String>,
    consent_retry_ms: Option<u64>,
    post_privacy: Option<String>,
    media_origins: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
}

/// Reads and checks the networks file (if any). `env` looks up the variables that hold secrets.
pub fn load(
    file: Option<&Path>,
    sandbox_on: bool,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<NetworkSettings>, Invalid> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|error| Invalid(format!("cannot read {}: {error}", path.display())))?,
        None => String::new(),
    };
    resolve(&text, sandbox_on, env)
}

/// Resolves the file's text into each network's settings.
pub fn resolve(
    text: &str,
    sandbox_on: bool,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<NetworkSettings>, Invalid> {
    use sea_orm::Iterable as _;
    let tables: BTreeMap<String, Entry> =
        toml::from_str(text).map_err(|error| Invalid(error.message().to_owned()))?;
    let mut entries = std::collections::HashMap::new();
    for (name, entry) in tables {
        let network = from_slug(&name).ok_or_else(|| {
            let known: Vec<_> = Network::iter().map(slug).collect();
            Invalid(format!(
                "unknown network `{name}` (known: {})",
                known.join(", ")
            ))
        })?;
        entries.insert(network, entry);
    }
    let mut resolved = Vec::new();
    for network in Network::iter() {
        let mut entry = entries.remove(&network).unwrap_or_default();
        let default_mode = if sandbox_on { Mode::Sandbox } else { Mode::Off };
        let mode = entry.mode.unwrap_or(default_mode);
        let name = slug(network);
        let scopes = match entry.scopes.take() {
            Some(scopes) if scopes.is_empty() || scopes.iter().any(|s| s.trim().is_empty()) => {
                return Err(Invalid(format!("{name}: scopes must be non-empty names")));
            }
            Some(scopes) => Some(scopes),
            None => None,
        };
        let live = match mode {
            Mode::Off => continue,
            Mode::Sandbox => {
                if !sandbox_on {
                    return Err(Invalid(format!(
                        "{name}: mode is \"sandbox\" but the sandbox is off (RELINK_SANDBOX)"
                    )));
                }
                if let Some(field) = entry.live_only_field() {
                    return Err(Invalid(format!(
                        "{name}: `{field}` applies to mode \"live\" only; the sandbox brings its own app"
                    )));
                }
                None
            }
            Mode::Live => Some(live_app(network, entry, &env)?),
        };
        let scopes = scopes.unwrap_or_else(|| {
            let defaults = match &live {
                Some(app) => live_scopes(network, app.instagram_login),
                None => default_scopes(network),
            };
            defaults.iter().map(|scope| (*scope).to_owned()).collect()
        });
        resolved.push(NetworkSettings {
            network,
            mode,
            scopes,
            live,
        });
    }
    Ok(resolved)
}

impl Entry {
    fn live_only_field(&self) -> Option<&'static str> {
        [
            ("client_id", self.client_id.is_some()),
            ("client_secret_env", self.client_secret_env.is_some()),
            ("authorize_url", self.authorize_url.is_some()),
            ("token_url", self.token_url.is_some()),
            ("revoke_url", self.revoke_url.is_some()),
            ("api_url", self.api_url.is_some()),
            ("api_version", self.api_version.is_some()),
            ("login", self.login.is_some()),
            ("consent_retry_ms", self.consent_retry_ms.is_some()),
            ("post_privacy", self.post_privacy.is_some()),
            ("media_origins", self.media_origins.is_some()),
        ]
        .into_iter()
        .find_map(|(field, set)| set.then_some(field))
    }
}

fn live_app(
    network: Network,
    entry: Entry,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<LiveApp, Invalid> {
    let name = slug(network);
    let client_id = entry
        .client_id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| Invalid(format!("{name}: mode \"live\" needs `client_id`")))?;
    let variable = entry.client_secret_env.ok_or_else(|| {
        Invalid(format!(
            "{name}: mode \"live\" needs `client_secret_env`, the environment variable holding the app secret"
        ))
    })?;
    let client_secret = env(&variable)
        .filter(|secret| !secret.is_empty())
        .map(Secret::new)
        .ok_or_else(|| {
            Invalid(format!(
                "{name}: the environment variable {variable} is not set"
            ))
        })?;
    let instagram_login = match (network, entry.login.as_deref()) {
        (_, None) => false,
        (Network::Instagram, Some("facebook")) => false,
        (Network::Instagram, Some("instagram")) => true,
        (Network::Instagram, Some(other)) => {
            return Err(Invalid(format!(
                "{name}: `login` is \"facebook\" or \"instagram\", not \"{other}\""
            )));
        }
        (_, Some(_)) => {
            return Err(Invalid(format!(
                "{name}: `login` applies to instagram only"
            )));
        }
    };
    let consent_retry = match (network, entry.consent_retry_ms) {
        (_, None) => None,
        (Network::Linkedin, Some(ms)) if ms <= 60_000 => Some(std::time::Duration::from_millis(ms)),
        (Network::Linkedin, Some(_)) => {
            return Err(Invalid(format!(
                "{name}: `consent_retry_ms` is at most 60000"
            )));
        }
        (_, Some(_)) => {
            return Err(Invalid(format!(
                "{name}: `consent_retry_ms` applies to linkedin only"
            )));
        }
    };
    let post_privacy = match (network, entry.post_privacy) {
        (_, None) => None,
        (Network::Tiktok | Network::Youtube, Some(level)) => {
            let known = privacy_levels(network);
            if !known.contains(&level.as_str()) {
                return Err(Invalid(format!(
                    "{name}: `post_privacy` is one of {}, not \"{level}\"",
                    known.join(", ")
                )));
            }
            Some(level)
        }
        (_, Some(_)) => {
            return Err(Invalid(format!(
                "{name}: `post_privacy` applies to tiktok and youtube only"
            )));
        }
    };
    let media_origins = match (network, entry.media_origins) {
        (_, None) => Vec::new(),
        (Network::Youtube, Some(origins)) => origins
            .iter()
            .map(|origin| media_origin(name, origin))
            .collect::<Result<_, _>>()?,
        (_, Some(_)) => {
            return Err(Invalid(format!(
                "{name}: `media_origins` applies to youtube only (the other networks fetch media themselves)"
            )));
        }
    };
    let api_version = match entry.api_version {
        Some(version) => Some(check_version(name, network, version)?),
        None => default_version(network).map(str::to_owned),
    };
    let defaults = live_endpoints(network, api_version.as_deref(), instagram_login);
    // Endpoints are called as written (TikTok's and Pinterest's end in `/`); only the API base
    // loses its trailing `/`, as paths are joined to it.
    let endpoint = |field: &str, given: Option<String>, default: Option<String>| {
        let url = given
            .or(default)
            .ok_or_else(|| Invalid(format!("{name}: mode \"live\" needs `{field}`")))?;
        check_url(name, field, &url)?;
        Ok::<_, Invalid>(if field == "api_url" {
            url.trim_end_matches('/').to_owned()
        } else {
            url
        })
    };
    let revoke_url = match entry.revoke_url.or(defaults.revoke) {
        Some(url) => Some(endpoint("revoke_url", Some(url), None)?),
        None => None,
    };
    Ok(LiveApp {
        client_id,
        client_secret,
        authorize_url: endpoint(
            "authorize_url",
            entry.authorize_url,
            Some(defaults.authorize),
        )?,
        token_url: endpoint("token_url", entry.token_url, Some(defaults.token))?,
        revoke_url,
        api_url: endpoint("api_url", entry.api_url, Some(defaults.api))?,
        api_version,
        instagram_login,
        consent_retry,
        post_privacy,
        media_origins,
    })
}

/// The privacy levels a network's posts take.
pub fn privacy_levels(network: Network) -> &'static [&'static str] {
    match network {
        Network::Tiktok => &[
            "SELF_ONLY",
            "MUTUAL_FOLLOW_FRIENDS",
            "FOLLOWER_OF_CREATOR",
            "PUBLIC_TO_EVERYONE",
        ],
        Network::Youtube => &["private", "unlisted", "public"],
        _ => &[],
    }
}

/// An origin media may be fetched from: scheme, host and port only, checked as any endpoint.
fn media_origin(network: &str, origin: &str) -> Result<reqwest::Url, Invalid> {
    check_url(network, "media_origins", origin)?;
    let url = reqwest::Url::parse(origin)
        .map_err(|error| Invalid(format!("{network}: `media_origins`: {error}")))?;
    if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(Invalid(format!(
            "{network}: `media_origins` holds origins only (scheme, host, port): {origin}"
        )));
    }
    Ok(url)
}

fn check_version(name: &str, network: Network, version: String) -> Result<String, Invalid> {
    let fits = match network {
        Network::Facebook | Network::Instagram => version
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(major, minor)| {
                !major.is_empty()
                    && !minor.is_empty()
                    && major.len() <= 3
                    && minor.len() <= 2
                    && (major.chars().chain(minor.chars())).all(|c| c.is_ascii_digit())
            }),
        Network::Linkedin => version.len() == 6 && version.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    };
    if fits {
        Ok(version)
    } else {
        Err(Invalid(format!(
            "{name}: `api_version` \"{version}\" is not a version this network names (Facebook: v25.0, LinkedIn: 202610; others have none)"
        )))
    }
}

/// Tokens travel over these URLs: HTTPS, except on this machine (tests, local networks).
fn check_url(network: &str, field: &str, url: &str) -> Result<(), Invalid> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| Invalid(format!("{network}: `{field}` is not a URL ({error})")))?;
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(Invalid(format!(
            "{network}: `{field}` must use https (plain http only on loopback): {url}"
        ))),
    }
}

#[cfg(test)]
mod tests;

//! Dashboard sign-in: JWTs with a pinned algorithm, required claims and a clock we control.

use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
    sync::{Mutex, PoisonError, RwLock},
};

use anyhow::Context as _;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation,
    jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm},
};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The file in the data folder that holds a generated HS256 secret.
pub const SECRET_FILE: &str = "jwt-hs256.secret";

/// Why a token was refused. All of them answer `UNAUTHENTICATED`; the kind is only logged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer` header (or `connection_init` payload).
    #[error("no bearer token")]
    Missing,
    /// Malformed, forged, wrong algorithm, wrong issuer or audience, or a required claim missing.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not valid yet")]
    NotYetValid,
    /// The token is valid but names no user of this database.
    #[error("unknown user")]
    UnknownUser,
}

/// The claims Relink reads from a verified token.
#[derive(Clone, Debug, Deserialize)]
pub struct Claims {
    /// The user's subject at the identity provider (`users.external_subject`).
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: Option<i64>,
    /// When the person signed in (OpenID Connect's `auth_time`), seconds since the epoch: a
    /// refreshed token keeps it, a new sign-in moves it.
    #[serde(default)]
    pub auth_time: Option<i64>,
}

impl Claims {
    /// When the token stops being valid.
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// R9: when the sign-in this token belongs to happened (`auth_time`, else `iat`); `None`
    /// when the token says neither (then every token counts as the same sign-in).
    pub fn signed_in_at(&self) -> Option<DateTime<Utc>> {
        self.auth_time
            .or(self.iat)
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
    }
}

#[derive(Serialize)]
struct IssuedClaims<'a> {
    sub: &'a str,
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    auth_time: i64,
}

/// How tokens are verified: one key, or a JWK Set picked by `kid`.
enum Decoding {
    Single(DecodingKey),
    Jwks(Jwks),
}

/// An identity provider's JWK Set, re-read from its file when a token names an unknown `kid`
/// and, whatever the tokens say, once `refresh` has passed since the last read: a key the
/// provider removed stops verifying from then on.
struct Jwks {
    path: PathBuf,
    keys: RwLock<HashMap<String, DecodingKey>>,
    read_at: Mutex<DateTime<Utc>>,
    refresh: chrono::Duration,
}

/// How often an unknown `kid` may make us read the JWK Set file again.
const JWKS_REREAD_AFTER: i64 = 30;

impl Jwks {
    fn load(path: &Path) -> anyhow::Result<HashMap<String, DecodingKey>> {
        let text = fs::read_to_string(path)
            .with_context(|| format!("RELINK_JWT_JWKS_FILE: cannot read {}", path.display()))?;
        let set: JwkSet = serde_json::from_str(&text).with_context(|| {
            format!("RELINK_JWT_JWKS_FILE: {} is not a JWK Set", path.display())
        })?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
            let rs256 = jwk
                .common
                .key_algorithm
                .is_none_or(|alg| alg == KeyAlgorithm::RS256);
            let (true, true, Some(kid)) = (rsa, rs256, jwk.common.key_id.clone()) else {
                tracing::warn!(kid = ?jwk.common.key_id, "RELINK_JWT_JWKS_FILE: a key that is not RS256 with a kid is ignored");
                continue;
            };
            keys.insert(kid, DecodingKey::from_jwk(jwk).context("an RS256 JWK")?);
        }
        anyhow::ensure!(
            !keys.is_empty(),
            "RELINK_JWT_JWKS_FILE: {} holds no RS256 key with a kid",
            path.display()
        );
        Ok(keys)
    }

    /// The key of `kid`: the set is read again when its last read is `refresh` old, or when
    /// `kid` is unknown and the last read is more than 30 seconds old.
    fn key(&self, kid: &str, now: DateTime<Utc>) -> Option<DecodingKey> {
        let known = |keys: &HashMap<String, DecodingKey>| keys.get(kid).cloned();
        let mut read_at = self.read_at.lock().unwrap_or_else(PoisonError::into_inner);
        let age = now - *read_at;
        if age < self.refresh
            && let Some(key) = known(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
        {
            return Some(key);
        }
        if age < self.refresh && age.num_seconds() < JWKS_REREAD_AFTER {
            return None;
        }
        *read_at = now;
        match Self::load(&self.path) {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "re-read the identity provider's JWK Set");
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
            }
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "cannot re-read the JWK Set; keeping the keys we have"
            ),
        }
        known(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Keys and rules for dashboard tokens.
pub struct TokenKeys {
    encoding: Option<EncodingKey>,
    decoding: Decoding,
    validation: Validation,
    algorithm: Algorithm,
    issuer: String,
    audience: String,
    leeway: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("keys", &"[redacted]")
            .finish()
    }
}

impl TokenKeys {
    /// Builds the keys from config: an RS256 public key file, an HS256 secret, or a secret
    /// generated into (and later read from) the data folder.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        anyhow::ensure!(
            config.jwt_public_key_file.is_none() || config.jwt_jwks_file.is_none(),
            "set RELINK_JWT_PUBLIC_KEY_FILE or RELINK_JWT_JWKS_FILE, not both"
        );
        let (algorithm, encoding, decoding) = match &config.jwt_public_key_file {
            None if config.jwt_jwks_file.is_some() => {
                let path = config.jwt_jwks_file.clone().unwrap_or_default();
                let keys = Jwks::load(&path)?;
                let jwks = Jwks {
                    path,
                    keys: RwLock::new(keys),
                    // The first token's clock reading starts the timer: tests move that clock.
                    read_at: Mutex::new(DateTime::<Utc>::MIN_UTC),
                    refresh: chrono::Duration::from_std(config.jwt_jwks_refresh)
                        .unwrap_or(chrono::Duration::minutes(5)),
                };
                (Algorithm::RS256, None, Decoding::Jwks(jwks))
            }
            Some(path) => {
                let pem = fs::read(path).with_context(|| {
                    format!("RELINK_JWT_PUBLIC_KEY_FILE: cannot read {}", path.display())
                })?;
                let key = DecodingKey::from_rsa_pem(&pem).with_context(|| {
                    format!(
                        "RELINK_JWT_PUBLIC_KEY_FILE: {} is not an RSA public key in PEM",
                        path.display()
                    )
                })?;
                (Algorithm::RS256, None, Decoding::Single(key))
            }
            None => {
                let secret = match &config.jwt_secret {
                    Some(secret) => secret.expose().as_bytes().to_vec(),
                    None => load_or_create_secret(&config.data_dir)?,
                };
                anyhow::ensure!(
                    secret.len() >= 32,
                    "RELINK_JWT_SECRET must be at least 32 bytes long"
                );
                (
                    Algorithm::HS256,
                    Some(EncodingKey::from_secret(&secret).context("HS256 key")?),
                    Decoding::Single(DecodingKey::from_secret(&secret).context("HS256 key")?),
                )
            }
        };
        let leeway = i64::try_from(config.jwt_leeway_secs.min(60)).unwrap_or(60);
        // Algorithm pinned; `exp`, `iss`, `aud`, `sub` must be present. Time claims are checked
        // below against our own clock so tests can move time.
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[config.jwt_issuer.as_str()]);
        validation.set_audience(&[config.jwt_audience.as_str()]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        Ok(Self {
            encoding,
            decoding,
            validation,
            algorithm,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway,
        })
    }

    /// Whether this server can sign tokens (not when it only holds an RS256 public key).
    pub fn can_issue(&self) -> bool {
        self.encoding.is_some()
    }

    /// Signs a token for a new sign-in of `subject` at `now` (its `auth_time`), valid for `ttl`.
    pub fn issue(
        &self,
        subject: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        self.issue_for_sign_in(subject, now, now, ttl)
    }

    /// Signs a token for `subject` at `now`, valid for `ttl`, belonging to the sign-in of
    /// `signed_in_at` (a refresh keeps it, R9).
    pub fn issue_for_sign_in(
        &self,
        subject: &str,
        signed_in_at: DateTime<Utc>,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        let key = self
            .encoding
            .as_ref()
            .context("this server verifies RS256 tokens of an identity provider and cannot sign")?;
        let claims = IssuedClaims {
            sub: subject,
            iss: &self.issuer,
            aud: &self.audience,
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: crate::clock::after(now, ttl).timestamp(),
            auth_time: signed_in_at.timestamp(),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, key)
            .context("signing the token")
    }

    /// Verifies signature, algorithm, issuer, audience and the time claims at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AuthError> {
        let invalid =
            |error: jsonwebtoken::errors::Error| AuthError::Invalid(format!("{:?}", error.kind()));
        let data = match &self.decoding {
            Decoding::Single(key) => jsonwebtoken::decode::<Claims>(token, key, &self.validation),
            Decoding::Jwks(jwks) => {
                let kid = jsonwebtoken::decode_header(token)
                    .map_err(invalid)?
                    .kid
                    .ok_or_else(|| AuthError::Invalid("no kid in the token".to_owned()))?;
                let key = jwks
                    .key(&kid, now)
                    .ok_or_else(|| AuthError::Invalid(format!("unknown kid {kid}")))?;
                jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            }
        }
        .map_err(invalid)?;
        let claims = data.claims;
        let now = now.timestamp();
        if claims.exp + self.leeway <= now {
            return Err(AuthError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf - self.leeway > now) {
            return Err(AuthError::NotYetValid);
        }
        if claims.sub.is_empty() {
            return Err(AuthError::Invalid("empty sub".to_owned()));
        }
        Ok(claims)
    }
}

/// Reads the generated secret, or makes 64 random bytes and writes them (mode 0600).
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(SECRET_FILE);
    if path.exists() {
        let text = fs::read_to_string(&path)
            .with_context(|| format!("cannot read the JWT secret at {}", path.display()))?;
        return URL_SAFE_NO_PAD
            .decode(text.trim())
            .with_context(|| format!("the JWT secret at {} is not base64url", path.display()));
    }
    fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
    let mut secret = vec![0u8; 64];
    rand::rng().fill_bytes(&mut secret);
    write_private(&path, URL_SAFE_NO_PAD.encode(&secret).as_bytes())?;
    tracing::info!(path = %path.display(), "generated a JWT signing secret");
    Ok(secret)
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests;

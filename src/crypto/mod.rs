//! Tokens at rest: AES-256-GCM with a fresh nonce per write, a key id stored beside each
//! ciphertext, and the row and column bound in as associated data (the README's Security
//! section).

use std::fmt;

use aes_gcm::{
    Aes256Gcm, KeyInit as _, Nonce,
    aead::{Aead as _, Payload},
};
use anyhow::Context as _;
use rand::RngCore as _;
use sea_orm::ConnectionTrait;

use crate::config::{Config, Secret};

mod keys;
mod repo;

pub use keys::{KEY_LEN, KEYS_FILE, KeySource};

/// Length of the random nonce that starts every sealed token.
pub const NONCE_LEN: usize = 12;

/// Version tag of the associated-data layout, so a future layout cannot collide with this one.
const AAD_VERSION: u8 = 1;

/// Why a stored token could not be opened; never carries the token or a key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The token was sealed with a key id that is not configured.
    #[error("no token key with id `{0}` is configured")]
    UnknownKey(String),
    /// Wrong key under that id, another row's or column's ciphertext, or altered bytes.
    #[error("the stored token does not decrypt (wrong key, wrong row or column, or altered bytes)")]
    Corrupt,
}

/// Where a ciphertext lives; bound in as associated data so it opens only in that place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot<'a> {
    /// Table name, e.g. `social_logins`.
    pub table: &'a str,
    /// Primary key of the row.
    pub row_id: i64,
    /// Column name, e.g. `access_token_enc`.
    pub column: &'a str,
}

impl Slot<'_> {
    /// The associated data: a version byte, then the table, row id and column, each string
    /// prefixed by its length so no two slots encode alike whatever their names contain.
    fn associated_data(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(1 + 8 + self.table.len() + 8 + 8 + self.column.len());
        aad.push(AAD_VERSION);
        aad.extend_from_slice(&(self.table.len() as u64).to_be_bytes());
        aad.extend_from_slice(self.table.as_bytes());
        aad.extend_from_slice(&self.row_id.to_be_bytes());
        aad.extend_from_slice(&(self.column.len() as u64).to_be_bytes());
        aad.extend_from_slice(self.column.as_bytes());
        aad
    }
}

/// A sealed token: store `key_id` in the row's `key_id` and `bytes` in the token column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the key that sealed it.
    pub key_id: String,
    /// Random 12-byte nonce followed by the ciphertext and its 16-byte tag.
    pub bytes: Vec<u8>,
}

/// One usable key.
#[derive(Clone)]
struct Entry {
    id: String,
    cipher: Aes256Gcm,
}

/// Seals tokens with the current key and opens them with any configured key (rotation: the new
/// key goes first, older keys stay listed until nothing they wrote is left).
#[derive(Clone)]
pub struct TokenCipher {
    current: Entry,
    older: Vec<Entry>,
    source: KeySource,
}

impl fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ids only: the ciphers hold the expanded keys.
        let older: Vec<&str> = self.older.iter().map(|entry| entry.id.as_str()).collect();
        f.debug_struct("TokenCipher")
            .field("current", &self.current.id)
            .field("older", &older)
            .field("source", &self.source)
            .finish()
    }
}

impl TokenCipher {
    /// Builds the cipher from `RELINK_TOKEN_KEYS`, or from the `token-keys` file of the data
    /// folder (generated with one key on first start) when the variable is unset.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.token_keys {
            Some(text) => Self::parse(text.expose(), KeySource::Env),
            None => {
                let (text, path) = keys::read_or_create_file(&config.data_dir)?;
                Self::parse(&text, KeySource::File(path))
            }
        }
    }

    /// Parses the key text; errors name the source and never contain a key.
    fn parse(text: &str, source: KeySource) -> anyhow::Result<Self> {
        let mut entries = keys::parse(text)
            .map_err(|problem| anyhow::anyhow!("{source}: {problem}"))?
            .into_iter()
            .map(|raw| Entry {
                cipher: Aes256Gcm::new(&raw.bytes.into()),
                id: raw.id,
            });
        let current = entries
            .next()
            .with_context(|| format!("{source}: no key given"))?;
        Ok(Self {
            current,
            older: entries.collect(),
            source,
        })
    }

    /// Id of the key that seals new tokens.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Where the keys came from (for startup logs and error messages).
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// Encrypts a token for one slot with the current key and a fresh random nonce.
    pub fn seal(&self, plaintext: &Secret, slot: &Slot<'_>) -> Sealed {
        // Random 96-bit nonces stay collision-safe for billions of writes per key; rotating
        // keys resets the count.
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.expose().as_bytes(),
            aad: &slot.associated_data(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(&Nonce::from(nonce), payload)
            .expect("AES-GCM refuses only messages over 64 GiB, and tokens are a few KB");
        let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Sealed {
            key_id: self.current.id.clone(),
            bytes,
        }
    }

    /// A login's access token, if it holds one.
    pub fn access_token(
        &self,
        login: &entity::social_logins::Model,
    ) -> Result<Option<Secret>, CryptoError> {
        self.login_token(login, login.access_token_enc.as_deref(), "access_token_enc")
    }

    /// A login's refresh token, if it holds one.
    pub fn refresh_token(
        &self,
        login: &entity::social_logins::Model,
    ) -> Result<Option<Secret>, CryptoError> {
        self.login_token(
            login,
            login.refresh_token_enc.as_deref(),
            "refresh_token_enc",
        )
    }

    fn login_token(
        &self,
        login: &entity::social_logins::Model,
        sealed: Option<&[u8]>,
        column: &'static str,
    ) -> Result<Option<Secret>, CryptoError> {
        let (Some(sealed), Some(key_id)) = (sealed, login.key_id.as_deref()) else {
            return Ok(None);
        };
        let slot = Slot {
            table: "social_logins",
            row_id: login.id,
            column,
        };
        self.open(key_id, sealed, &slot).map(Some)
    }

    /// Decrypts a token sealed by key `key_id` for exactly this slot.
    pub fn open(&self, key_id: &str, bytes: &[u8], slot: &Slot<'_>) -> Result<Secret, CryptoError> {
        let entry = std::iter::once(&self.current)
            .chain(&self.older)
            .find(|entry| entry.id == key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        let (nonce, ciphertext) = bytes
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(CryptoError::Corrupt)?;
        let payload = Payload {
            msg: ciphertext,
            aad: &slot.associated_data(),
        };
        let plaintext = entry
            .cipher
            .decrypt(&Nonce::from(*nonce), payload)
            .map_err(|_| CryptoError::Corrupt)?;
        String::from_utf8(plaintext)
            .map(Secret::new)
            .map_err(|_| CryptoError::Corrupt)
    }
}

/// Refuses to start when the configured keys cannot open the stored tokens: for every key id
/// in `social_logins`, one of its tokens must decrypt. Starting anyway would disconnect every
/// login on its next refresh, so a wrong or missing key must stop the server instead.
pub async fn check_stored(db: &impl ConnectionTrait, cipher: &TokenCipher) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let key_ids = repo::stored_key_ids(db)
        .await
        .context("reading the key ids of stored tokens")?;
    for key_id in key_ids {
        let Some(sample) = repo::sample_token(db, &key_id)
            .await
            .context("reading a stored token")?
        else {
            continue;
        };
        let slot = Slot {
            table: repo::TABLE,
            row_id: sample.row_id,
            column: sample.column,
        };
        match cipher.open(&key_id, &sample.bytes, &slot) {
            Ok(_) => {}
            Err(CryptoError::UnknownKey(_)) => problems.push(format!(
                "key `{key_id}` is not configured but encrypted {}.{} of row {}",
                repo::TABLE,
                sample.column,
                sample.row_id
            )),
            Err(CryptoError::Corrupt) => problems.push(format!(
                "key `{key_id}` does not decrypt {}.{} of row {} (a different key under that id?)",
                repo::TABLE,
                sample.column,
                sample.row_id
            )),
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{} cannot decrypt the stored tokens: {}. The server refuses to start rather than lose \
         them: restore the keys that wrote them (list the new key first, then the old ones).",
        cipher.source,
        problems.join("; ")
    )
}

#[cfg(test)]
mod tests;

//! Token keys as text (`id:base64key[,id:base64key…]`): parsing, and the generated `token-keys` file.

use std::{
    fmt, fs,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use base64::{
    Engine as _, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig, general_purpose::STANDARD},
};
use rand::RngCore as _;

use crate::auth::write_private;

/// The file in the data folder that holds generated token keys when `RELINK_TOKEN_KEYS` is unset.
pub const KEYS_FILE: &str = "token-keys";

/// Length of an AES-256 key in bytes.
pub const KEY_LEN: usize = 32;

/// Longest accepted key id. A 32-byte key in base64 is at least 43 characters, so an id within
/// this limit can be echoed in messages without the risk of echoing a key pasted in its place.
const MAX_ID_LEN: usize = 32;

/// Operators paste keys from `openssl rand -base64 32` or from URL-safe tools, with or without
/// padding; accept all of them rather than fail a deploy on an `=`.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_ANY: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_ANY: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Where the token keys were read from; named in error messages instead of any key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// The `RELINK_TOKEN_KEYS` variable (or its `--token-keys` flag).
    Env,
    /// The generated `token-keys` file in the data folder.
    File(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env => f.write_str("RELINK_TOKEN_KEYS"),
            Self::File(path) => write!(
                f,
                "the token-keys file {} (used because RELINK_TOKEN_KEYS is unset)",
                path.display()
            ),
        }
    }
}

/// One parsed key: its id and its 32 bytes.
pub(super) struct RawKey {
    pub(super) id: String,
    pub(super) bytes: [u8; KEY_LEN],
}

/// Parses `id:base64key[,id:base64key…]`, first key first. The error says what is wrong and
/// where, but never repeats an entry, since an entry may be a key.
pub(super) fn parse(text: &str) -> Result<Vec<RawKey>, String> {
    const FORMAT: &str = "expected `id:base64key[,id:base64key…]` with 32-byte keys";
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("no key given; {FORMAT}"));
    }
    let mut keys: Vec<RawKey> = Vec::new();
    for (index, entry) in text.split(',').enumerate() {
        let n = index + 1;
        let Some((id, encoded)) = entry.trim().split_once(':') else {
            return Err(format!("entry {n} has no `:`; {FORMAT}"));
        };
        let id = id.trim();
        if !valid_id(id) {
            return Err(format!(
                "entry {n}: a key id must be 1 to {MAX_ID_LEN} characters of A-Z, a-z, 0-9, `_` or `-`"
            ));
        }
        if keys.iter().any(|key| key.id == id) {
            return Err(format!("key id `{id}` appears twice"));
        }
        let encoded = encoded.trim();
        let decoded = STANDARD_ANY
            .decode(encoded)
            .or_else(|_| URL_SAFE_ANY.decode(encoded))
            // The decoder's own error quotes the offending byte, which is part of a key.
            .map_err(|_| format!("key `{id}` is not valid base64"))?;
        let bytes = <[u8; KEY_LEN]>::try_from(decoded.as_slice()).map_err(|_| {
            format!(
                "key `{id}` decodes to {} bytes, expected {KEY_LEN}",
                decoded.len()
            )
        })?;
        keys.push(RawKey {
            id: id.to_owned(),
            bytes,
        });
    }
    Ok(keys)
}

/// Whether `id` is a usable key id (it is stored in `social_logins.key_id` and shown in logs).
fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads the `token-keys` file of the data folder, or generates one key `k1` into it (mode 0600).
/// Returns the file's text and its path.
pub(super) fn read_or_create_file(data_dir: &Path) -> anyhow::Result<(String, PathBuf)> {
    let path = data_dir.join(KEYS_FILE);
    if !path.exists() {
        fs::create_dir_all(data_dir).with_context(|| {
            format!(
                "RELINK_DATA_DIR: cannot create the data folder {}",
                data_dir.display()
            )
        })?;
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        let text = format!("k1:{}\n", STANDARD.encode(key));
        match write_private(&path, text.as_bytes()) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "generated a key for tokens at rest");
                return Ok((text, path));
            }
            // Another process starting at the same time may have written it first: use theirs.
            Err(_) if path.exists() => {}
            Err(error) => return Err(error.context("cannot write the token-keys file")),
        }
    }
    warn_if_shared(&path);
    let text = fs::read_to_string(&path)
        .with_context(|| format!("cannot read the token-keys file {}", path.display()))?;
    Ok((text, path))
}

/// Logs when the key file is readable by others: the keys would decrypt every stored token.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the token-keys file is readable by other users; run chmod 600 on it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

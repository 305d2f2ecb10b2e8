//! Facebook's documented `signed_request` format (deauthorize and data-deletion callbacks):
//! `base64url(HMAC-SHA256(payload_b64, app_secret)).payload_b64`. The sandbox signs with it, Relink
//! verifies it.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::Deserialize;
use sha2::Sha256;

/// The fields of a verified request that Relink uses.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Payload {
    /// `HMAC-SHA256`; anything else is refused.
    pub algorithm: String,
    /// The network's id of the identity that removed the app.
    pub user_id: String,
    /// When the network signed it.
    #[serde(default)]
    pub issued_at: Option<i64>,
}

/// Why a signed request is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Invalid {
    /// Not `signature.payload`, not base64url, not JSON, or another algorithm.
    #[error("malformed signed_request")]
    Malformed,
    /// The signature does not match the app secret.
    #[error("bad signature")]
    BadSignature,
    /// The network sends no signed callbacks of this kind.
    #[error("this network sends no signed callbacks")]
    NotSent,
}

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of every length, so this cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    }
}

/// The signature part of a signed request (its first segment), which identifies one delivery.
pub fn signature(signed_request: &str) -> &str {
    signed_request
        .trim()
        .split_once('.')
        .map_or("", |(signature, _)| signature)
}

/// Verifies a signed request with `secret` (constant-time comparison) and reads its payload.
pub fn verify(signed_request: &str, secret: &str) -> Result<Payload, Invalid> {
    let (signature, payload) = signed_request
        .trim()
        .split_once('.')
        .ok_or(Invalid::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Invalid::Malformed)?;
    let mut mac = mac(secret);
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| Invalid::BadSignature)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| Invalid::Malformed)?;
    let payload: Payload = serde_json::from_slice(&json).map_err(|_| Invalid::Malformed)?;
    if !payload.algorithm.eq_ignore_ascii_case("HMAC-SHA256") {
        return Err(Invalid::Malformed);
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_request_verifies_only_with_its_secret_and_untouched() {
        let signed = relink_sandbox::sign_request(
            r#"{"algorithm":"HMAC-SHA256","user_id":"fb-nora","issued_at":1}"#,
            "app-secret",
        );
        let payload = verify(&signed, "app-secret").expect("valid");
        assert_eq!(payload.user_id, "fb-nora");
        assert_eq!(verify(&signed, "other-secret"), Err(Invalid::BadSignature));
        let tampered = signed.replace(&signed[signed.len() - 4..], "AAAA");
        assert!(verify(&tampered, "app-secret").is_err());
        assert_eq!(verify("no-dot", "app-secret"), Err(Invalid::Malformed));
        let plain =
            relink_sandbox::sign_request(r#"{"algorithm":"none","user_id":"x"}"#, "app-secret");
        assert_eq!(verify(&plain, "app-secret"), Err(Invalid::Malformed));
    }
}

//! Random codes and tokens, their SHA-256 hashes, PKCE S256 and Facebook-style signed requests.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};

/// A fresh random value (32 bytes, base64url): codes, tokens and client secrets.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The hex SHA-256 of a code or token: only this is stored, so a database dump grants nothing.
pub fn hash(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The S256 code challenge of a PKCE verifier (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` matches the stored S256 `challenge`.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    constant_time_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes())
}

/// Compares without stopping at the first difference, so timing does not leak a secret.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// A Facebook `signed_request`: `base64url(HMAC-SHA256(payload_b64, secret)).payload_b64`. The
/// sandbox signs as the network does, on its own: Relink's verifier is tested against this, not
/// against itself.
pub fn signed_request(payload_json: &str, secret: &str) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let payload = URL_SAFE_NO_PAD.encode(payload_json.as_bytes());
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC-SHA256 takes keys of any length")
    };
    mac.update(payload.as_bytes());
    format!(
        "{}.{payload}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256_challenge(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(verifier_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!verifier_matches(
            "other",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn signed_request_has_signature_and_payload() {
        let signed = signed_request(r#"{"user_id":"fb-nora"}"#, "secret");
        let (signature, payload) = signed.split_once('.').unwrap_or_default();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(signature).map(|s| s.len()).ok(),
            Some(32)
        );
        assert_eq!(
            URL_SAFE_NO_PAD.decode(payload).ok(),
            Some(br#"{"user_id":"fb-nora"}"#.to_vec())
        );
    }
}

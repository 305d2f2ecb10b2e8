//! Token verification refuses every malformed, forged or mistimed token (the checklist in the README's Security section: JWT).

use super::*;
use crate::config::{Config, Secret};

const RSA_PRIVATE: &str = include_str!("../../tests/fixtures/jwt-test-rs256.key");
const RSA_PUBLIC: &str = include_str!("../../tests/fixtures/jwt-test-rs256.pub");

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn hs_keys() -> TokenKeys {
    let config = Config::for_tests(std::env::temp_dir());
    TokenKeys::from_config(&config).expect("keys")
}

fn sign_raw(claims: &serde_json::Value, header: Header, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&header, claims, key).expect("encode")
}

fn test_secret() -> EncodingKey {
    EncodingKey::from_secret(b"test-secret-test-secret-test-secret-0123456789").expect("key")
}

fn claims(exp_in: i64) -> serde_json::Value {
    serde_json::json!({
        "sub": "northwind|ada", "iss": "relink", "aud": "relink-dashboard",
        "iat": now().timestamp(), "nbf": now().timestamp(), "exp": now().timestamp() + exp_in,
    })
}

#[test]
fn an_issued_token_verifies_until_it_expires() {
    let keys = hs_keys();
    let token = keys
        .issue("northwind|ada", now(), Duration::hours(12))
        .expect("issue");
    let claims = keys.verify(&token, now()).expect("valid");
    assert_eq!(claims.sub, "northwind|ada");
    // Within the leeway it still passes; past it, it is expired.
    assert!(
        keys.verify(&token, now() + Duration::hours(12) + Duration::seconds(10))
            .is_ok()
    );
    assert_eq!(
        keys.verify(&token, now() + Duration::hours(12) + Duration::seconds(31))
            .err(),
        Some(AuthError::Expired)
    );
}

#[test]
fn a_token_used_before_nbf_is_refused() {
    let keys = hs_keys();
    let token = keys
        .issue("northwind|ada", now(), Duration::hours(1))
        .expect("issue");
    assert_eq!(
        keys.verify(&token, now() - Duration::minutes(5)).err(),
        Some(AuthError::NotYetValid)
    );
}

#[test]
fn wrong_audience_issuer_or_missing_claims_are_refused() {
    let keys = hs_keys();
    for (field, value) in [
        ("aud", serde_json::json!("someone-else")),
        ("iss", serde_json::json!("evil")),
    ] {
        let mut body = claims(3600);
        body[field] = value;
        let token = sign_raw(&body, Header::new(Algorithm::HS256), &test_secret());
        assert!(
            matches!(keys.verify(&token, now()), Err(AuthError::Invalid(_))),
            "{field}"
        );
    }
    for field in ["exp", "iss", "aud", "sub"] {
        let mut body = claims(3600);
        body.as_object_mut().map(|map| map.remove(field));
        let token = sign_raw(&body, Header::new(Algorithm::HS256), &test_secret());
        assert!(keys.verify(&token, now()).is_err(), "missing {field}");
    }
}

#[test]
fn forged_and_alg_none_tokens_are_refused() {
    let keys = hs_keys();
    let forged = sign_raw(
        &claims(3600),
        Header::new(Algorithm::HS256),
        &EncodingKey::from_secret(b"another-secret-another-secret-another").expect("key"),
    );
    assert!(matches!(
        keys.verify(&forged, now()),
        Err(AuthError::Invalid(_))
    ));

    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims(3600).to_string());
    assert!(keys.verify(&format!("{header}.{body}."), now()).is_err());
    assert!(keys.verify("not-a-jwt", now()).is_err());
    assert!(keys.verify("", now()).is_err());
}

#[test]
fn rs256_verification_refuses_an_hs256_token_signed_with_the_public_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let public = dir.path().join("key.pub");
    std::fs::write(&public, RSA_PUBLIC).expect("write");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.jwt_public_key_file = Some(public);
    let keys = TokenKeys::from_config(&config).expect("keys");
    assert!(!keys.can_issue());

    let rs_signed = sign_raw(
        &claims(3600),
        Header::new(Algorithm::RS256),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa"),
    );
    assert_eq!(
        keys.verify(&rs_signed, now()).expect("valid").sub,
        "northwind|ada"
    );

    // The classic HS/RS confusion: the public key used as an HMAC secret.
    let confused = sign_raw(
        &claims(3600),
        Header::new(Algorithm::HS256),
        &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()).expect("key"),
    );
    assert!(keys.verify(&confused, now()).is_err());
}

#[test]
fn a_short_secret_is_refused_and_a_generated_one_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.jwt_secret = Some(Secret::new("too-short"));
    let error = TokenKeys::from_config(&config).expect_err("short secret");
    assert!(error.to_string().contains("RELINK_JWT_SECRET"));

    config.jwt_secret = None;
    let first = TokenKeys::from_config(&config).expect("generated");
    let token = first.issue("u", now(), Duration::hours(1)).expect("issue");
    let second = TokenKeys::from_config(&config).expect("reloaded");
    assert!(
        second.verify(&token, now()).is_ok(),
        "the generated secret survives a restart"
    );
    assert!(
        !format!("{first:?}")
            .contains(&std::fs::read_to_string(dir.path().join(SECRET_FILE)).expect("file"))
    );
}

const JWKS: &str = include_str!("../../tests/fixtures/jwt-test-jwks.json");

fn signed_with_kid(kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    sign_raw(
        &claims(3600),
        header,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa"),
    )
}

/// The fixture's JWK Set with only the keys whose `kid` is listed.
fn jwks_with(kids: &[&str]) -> String {
    let mut set: serde_json::Value = serde_json::from_str(JWKS).expect("json");
    set["keys"]
        .as_array_mut()
        .expect("keys")
        .retain(|key| kids.contains(&key["kid"].as_str().unwrap_or_default()));
    set.to_string()
}

#[test]
fn a_jwk_set_picks_the_key_by_kid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, JWKS).expect("write");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.jwt_jwks_file = Some(file);
    let keys = TokenKeys::from_config(&config).expect("keys");
    assert!(!keys.can_issue());
    let valid = keys
        .verify(&signed_with_kid(Some("2026-11")), now())
        .expect("valid");
    assert_eq!(valid.sub, "northwind|ada");
    // The other key of the set does not verify this signature; no kid, or an unknown one: refused.
    for kid in [Some("2026-10"), None, Some("2099-01")] {
        assert!(
            keys.verify(&signed_with_kid(kid), now()).is_err(),
            "{kid:?}"
        );
    }
}

#[test]
fn a_new_key_in_the_jwk_set_is_picked_up_without_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks_with(&["2026-10"])).expect("write");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.jwt_jwks_file = Some(file.clone());
    let keys = TokenKeys::from_config(&config).expect("keys");
    let token = signed_with_kid(Some("2026-11"));
    assert!(keys.verify(&token, now()).is_err(), "not published yet");
    // The identity provider publishes its new key; the file is re-read at most every 30 s.
    std::fs::write(&file, jwks_with(&["2026-10", "2026-11"])).expect("rotate");
    assert!(keys.verify(&token, now() + Duration::seconds(10)).is_err());
    let claims = keys
        .verify(&token, now() + Duration::seconds(31))
        .expect("the new key is read");
    assert_eq!(claims.sub, "northwind|ada");
}

#[test]
fn a_key_removed_from_the_jwk_set_stops_verifying_at_the_next_refresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks_with(&["2026-10", "2026-11"])).expect("write");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.jwt_jwks_file = Some(file.clone());
    config.jwt_jwks_refresh = std::time::Duration::from_secs(300);
    let keys = TokenKeys::from_config(&config).expect("keys");
    let token = signed_with_kid(Some("2026-11"));
    assert!(keys.verify(&token, now()).is_ok());
    // The identity provider withdraws the key (it leaked); tokens signed with it keep coming.
    std::fs::write(&file, jwks_with(&["2026-10"])).expect("withdraw");
    assert!(
        keys.verify(&token, now() + Duration::seconds(299)).is_ok(),
        "until the refresh, the key read last still counts"
    );
    assert!(
        keys.verify(&token, now() + Duration::seconds(300)).is_err(),
        "from the refresh on, the removed key verifies nothing"
    );
    assert!(keys.verify(&token, now() + Duration::hours(1)).is_err());
}

#[test]
fn a_jwk_set_that_cannot_work_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, r#"{"keys":[]}"#).expect("write");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.jwt_jwks_file = Some(file.clone());
    let empty = TokenKeys::from_config(&config).expect_err("empty");
    assert!(
        format!("{empty:#}").contains("RELINK_JWT_JWKS_FILE"),
        "{empty:#}"
    );
    std::fs::write(&file, JWKS).expect("write");
    config.jwt_public_key_file = Some(dir.path().join("key.pub"));
    let both = TokenKeys::from_config(&config).expect_err("both");
    assert!(format!("{both:#}").contains("not both"), "{both:#}");
}

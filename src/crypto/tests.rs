//! Sealing and opening tokens, key parsing and rotation, and the startup check on a real database.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::Utc;
use entity::{
    enums::{LoginStatus, Network},
    social_logins,
};
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, IntoActiveModel as _};

use super::*;

const TOKEN: &str = "EAAB-access-token-plaintext";

fn key(id: &str, byte: u8) -> String {
    format!("{id}:{}", STANDARD.encode([byte; KEY_LEN]))
}

fn config_with(dir: &std::path::Path, keys: Option<&str>) -> Config {
    let mut config = Config::for_tests(dir.to_path_buf());
    config.token_keys = keys.map(Secret::new);
    config
}

fn cipher(keys: &str) -> TokenCipher {
    let dir = tempfile::tempdir().expect("tempdir");
    TokenCipher::from_config(&config_with(dir.path(), Some(keys))).expect("cipher")
}

fn slot(row_id: i64, column: &str) -> Slot<'_> {
    Slot {
        table: "social_logins",
        row_id,
        column,
    }
}

#[test]
fn the_same_token_sealed_twice_gives_different_bytes() {
    let cipher = cipher(&key("k1", 1));
    let secret = Secret::new(TOKEN);
    let first = cipher.seal(&secret, &slot(7, "access_token_enc"));
    let second = cipher.seal(&secret, &slot(7, "access_token_enc"));

    assert_ne!(first.bytes, second.bytes);
    assert_ne!(first.bytes[..NONCE_LEN], second.bytes[..NONCE_LEN]);
    for sealed in [&first, &second] {
        let opened = cipher
            .open(&sealed.key_id, &sealed.bytes, &slot(7, "access_token_enc"))
            .expect("opens");
        assert_eq!(opened.expose(), TOKEN);
    }
}

#[test]
fn a_token_moved_to_another_row_or_column_does_not_open() {
    let cipher = cipher(&key("k1", 1));
    let sealed = cipher.seal(&Secret::new(TOKEN), &slot(7, "access_token_enc"));

    let other_row = cipher.open("k1", &sealed.bytes, &slot(8, "access_token_enc"));
    let other_column = cipher.open("k1", &sealed.bytes, &slot(7, "refresh_token_enc"));
    let other_table = cipher.open(
        "k1",
        &sealed.bytes,
        &Slot {
            table: "other",
            row_id: 7,
            column: "access_token_enc",
        },
    );

    assert_eq!(other_row.err(), Some(CryptoError::Corrupt));
    assert_eq!(other_column.err(), Some(CryptoError::Corrupt));
    assert_eq!(other_table.err(), Some(CryptoError::Corrupt));
}

#[test]
fn an_altered_or_truncated_token_does_not_open() {
    let cipher = cipher(&key("k1", 1));
    let sealed = cipher.seal(&Secret::new(TOKEN), &slot(7, "access_token_enc"));

    for index in [0, NONCE_LEN, sealed.bytes.len() - 1] {
        let mut tampered = sealed.bytes.clone();
        tampered[index] ^= 0x01;
        let result = cipher.open("k1", &tampered, &slot(7, "access_token_enc"));
        assert_eq!(result.err(), Some(CryptoError::Corrupt), "byte {index}");
    }
    let truncated = cipher.open("k1", &sealed.bytes[..5], &slot(7, "access_token_enc"));
    assert_eq!(truncated.err(), Some(CryptoError::Corrupt));
}

#[test]
fn a_rotated_cipher_opens_old_tokens_and_seals_with_the_new_key() {
    let old = cipher(&key("k1", 1));
    let rotated = cipher(&format!("{},{}", key("k2", 2), key("k1", 1)));
    let before = old.seal(&Secret::new(TOKEN), &slot(7, "access_token_enc"));

    let opened = rotated
        .open(&before.key_id, &before.bytes, &slot(7, "access_token_enc"))
        .expect("the old key still decrypts");
    let after = rotated.seal(&Secret::new(TOKEN), &slot(7, "access_token_enc"));

    assert_eq!(opened.expose(), TOKEN);
    assert_eq!(rotated.current_key_id(), "k2");
    assert_eq!(after.key_id, "k2");
    assert_eq!(
        old.open(&after.key_id, &after.bytes, &slot(7, "access_token_enc"))
            .err(),
        Some(CryptoError::UnknownKey("k2".to_owned()))
    );
}

#[test]
fn a_cipher_without_the_key_id_reports_an_unknown_key() {
    let sealed = cipher(&key("k1", 1)).seal(&Secret::new(TOKEN), &slot(7, "access_token_enc"));

    let result = cipher(&key("k9", 1)).open("k1", &sealed.bytes, &slot(7, "access_token_enc"));

    assert_eq!(result.err(), Some(CryptoError::UnknownKey("k1".to_owned())));
}

#[test]
fn debug_output_shows_no_key_and_no_token() {
    let encoded_old = STANDARD.encode([1u8; KEY_LEN]);
    let encoded_new = STANDARD.encode([2u8; KEY_LEN]);
    let cipher = cipher(&format!("k2:{encoded_new},k1:{encoded_old}"));
    let sealed = cipher.seal(&Secret::new(TOKEN), &slot(7, "access_token_enc"));
    let error = cipher
        .open("k2", &sealed.bytes, &slot(8, "access_token_enc"))
        .expect_err("wrong row");

    let shown = [
        format!("{cipher:?}"),
        format!("{error:?}"),
        format!("{error}"),
        format!("{:?}", CryptoError::UnknownKey("k3".to_owned())),
    ];

    for text in &shown {
        assert!(!text.contains(&encoded_old), "{text}");
        assert!(!text.contains(&encoded_new), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains("[1, 1, 1"), "{text}");
        assert!(!text.contains("[2, 2, 2"), "{text}");
    }
    assert!(
        shown[0].contains("k2") && shown[0].contains("k1"),
        "{}",
        shown[0]
    );
}

#[test]
fn bad_token_keys_are_refused_naming_the_variable_but_not_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let short = STANDARD.encode([7u8; 16]);
    let cases = [
        format!("k1:{short}"),
        "k1:not*base64!".to_owned(),
        format!("{}:k1", STANDARD.encode([7u8; KEY_LEN])),
        format!("k 1:{}", STANDARD.encode([7u8; KEY_LEN])),
        format!(":{}", STANDARD.encode([7u8; KEY_LEN])),
        format!("{},{}", key("k1", 1), key("k1", 2)),
        STANDARD.encode([7u8; KEY_LEN]),
        String::new(),
    ];

    for keys in cases {
        let error =
            TokenCipher::from_config(&config_with(dir.path(), Some(&keys))).expect_err("refused");
        let message = format!("{error:#}");
        assert!(message.contains("RELINK_TOKEN_KEYS"), "{message}");
        for part in keys.split([',', ':']).filter(|part| part.len() > 8) {
            assert!(!message.contains(part), "{message} leaks {part}");
        }
    }
}

#[test]
fn generated_keys_are_written_once_with_mode_0600_and_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("not-yet-there");
    let config = config_with(&data_dir, None);

    let first = TokenCipher::from_config(&config).expect("generated");
    let text = std::fs::read_to_string(data_dir.join(KEYS_FILE)).expect("key file");
    let second = TokenCipher::from_config(&config).expect("reused");
    let sealed = first.seal(&Secret::new(TOKEN), &slot(1, "access_token_enc"));

    assert_eq!(first.current_key_id(), "k1");
    assert!(text.starts_with("k1:"), "unexpected format");
    assert_eq!(
        std::fs::read_to_string(data_dir.join(KEYS_FILE)).expect("key file"),
        text
    );
    let opened = second
        .open(&sealed.key_id, &sealed.bytes, &slot(1, "access_token_enc"))
        .expect("the second start reads the same key");
    assert_eq!(opened.expose(), TOKEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data_dir.join(KEYS_FILE))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn startup_check_passes_with_the_right_key_and_refuses_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, _) = crate::db::connect(&Config::for_tests(dir.path().to_path_buf()))
        .await
        .expect("connect");
    crate::db::migrate(&db).await.expect("migrate");
    let right = cipher(&key("k1", 1));
    let now = Utc::now();
    let login = social_logins::ActiveModel {
        network: Set(Network::Facebook),
        external_user_id: Set("fb-100".to_owned()),
        display_name: Set("Ada".to_owned()),
        owner_organization_id: Set(None),
        owner_user_id: Set(None),
        connected_by: Set(None),
        scopes: Set(String::new()),
        status: Set(LoginStatus::Connected),
        connected_at: Set(now),
        version: Set(0),
        refresh_failures: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("insert");
    // The id is part of the associated data, so the token is sealed once the row exists.
    let access = right.seal(&Secret::new(TOKEN), &slot(login.id, "access_token_enc"));
    let refresh = right.seal(
        &Secret::new("refresh"),
        &slot(login.id, "refresh_token_enc"),
    );
    let mut row = login.into_active_model();
    row.key_id = Set(Some(access.key_id.clone()));
    row.access_token_enc = Set(Some(access.bytes));
    row.refresh_token_enc = Set(Some(refresh.bytes));
    row.update(&db).await.expect("update");

    let with_right = check_stored(&db, &right).await;
    let with_other_key = check_stored(&db, &cipher(&key("k1", 9))).await;
    let without_key = check_stored(&db, &cipher(&key("k2", 1))).await;

    assert!(with_right.is_ok(), "{with_right:?}");
    for result in [with_other_key, without_key] {
        let message = format!("{:#}", result.expect_err("refused"));
        assert!(message.contains("RELINK_TOKEN_KEYS"), "{message}");
        assert!(message.contains("refuses to start"), "{message}");
        assert!(message.contains("`k1`"), "{message}");
        assert!(
            !message.contains(&STANDARD.encode([1u8; KEY_LEN])),
            "{message}"
        );
        assert!(!message.contains(TOKEN), "{message}");
    }
}

//! The pure parts of reconnect links: states, lifetimes, addresses, token shape and comparison.

use chrono::{DateTime, Duration, Utc};
use entity::reconnect_links;

use super::*;

fn t(hours: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + hours * 3_600, 0).expect("time")
}

fn link() -> reconnect_links::Model {
    reconnect_links::Model {
        id: 1,
        token_hash: token_hash("secret"),
        social_account_id: 2,
        organization_id: Some(3),
        owner_user_id: None,
        created_by: 4,
        recipient_email: None,
        note: None,
        created_at: t(0),
        expires_at: t(72),
        emailed_at: None,
        used_at: None,
        used_identity: None,
        used_identity_name: None,
        revoked_at: None,
        revoked_by: None,
    }
}

#[test]
fn a_link_is_open_until_used_revoked_or_expired() {
    let open = link();
    assert_eq!(state_of(&open, t(1)), LinkState::Open);
    assert_eq!(state_of(&open, t(72)), LinkState::Expired);
    let used = reconnect_links::Model {
        used_at: Some(t(2)),
        ..link()
    };
    assert_eq!(state_of(&used, t(100)), LinkState::Used, "used stays used");
    let revoked = reconnect_links::Model {
        revoked_at: Some(t(2)),
        ..link()
    };
    assert_eq!(state_of(&revoked, t(3)), LinkState::Revoked);
}

#[test]
fn a_lifetime_is_one_hour_to_seven_days_and_72_hours_by_default() {
    assert_eq!(
        Lifetime::from_seconds(None).map(Lifetime::duration).ok(),
        Some(Duration::hours(72))
    );
    assert!(Lifetime::from_seconds(Some(3_600)).is_ok());
    assert!(Lifetime::from_seconds(Some(7 * 86_400)).is_ok());
    for bad in [0, -1, 3_599, 7 * 86_400 + 1, i64::MAX, i64::MIN] {
        assert!(
            matches!(
                Lifetime::from_seconds(Some(bad)),
                Err(LinkError::LifetimeOutOfRange)
            ),
            "{bad}"
        );
    }
}

#[test]
fn a_recipient_is_one_plain_address() {
    assert_eq!(
        Recipient::parse(" owner@shop.example ")
            .ok()
            .flatten()
            .map(|to| to.as_str().to_owned()),
        Some("owner@shop.example".to_owned())
    );
    assert!(matches!(Recipient::parse("  "), Ok(None)));
    let long = format!("{}@example.com", "a".repeat(250));
    for bad in [
        "owner",
        "owner@",
        "@shop.example",
        "owner@shop",
        "a@b@shop.example",
        "Owner <owner@shop.example>",
        "owner@shop.example\r\nBcc: x@y.example",
        "own er@shop.example",
        "owner@shop..example",
        long.as_str(),
    ] {
        assert!(
            matches!(Recipient::parse(bad), Err(LinkError::InvalidEmail)),
            "{bad:?}"
        );
    }
}

#[test]
fn tokens_are_256_bits_of_base64url_and_differ() {
    let (one, two) = (new_token(), new_token());
    assert!(has_token_shape(one.expose()));
    assert_ne!(one.expose(), two.expose());
    assert_eq!(format!("{one:?}"), "[redacted]");
    assert!(!has_token_shape("short"));
    assert!(!has_token_shape(&"a".repeat(TOKEN_LEN + 1)));
    assert!(!has_token_shape(&format!("{}=", "a".repeat(TOKEN_LEN - 1))));
}

#[test]
fn hashes_compare_equal_only_when_equal_and_the_debug_hides_them() {
    let hash = token_hash("secret");
    assert!(same_hash(&hash, &token_hash("secret")));
    assert!(!same_hash(&hash, &token_hash("secreT")));
    assert!(!same_hash(&hash, ""));
    let shown = format!("{:?}", link());
    assert!(!shown.contains(&hash), "{shown}");
}

//! Banner rules with a clock that moves (R9, R11).

use super::*;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

#[test]
fn no_disconnected_account_means_no_banner_and_no_badge() {
    let state = banner_state([], None, t0());
    assert_eq!(
        state,
        BannerState {
            visible: false,
            dismissed_until: None,
            badge_count: 0
        }
    );
    assert!(!banner_state([], Some(t0()), t0()).visible);
}

#[test]
fn a_disconnect_shows_the_banner_until_dismissed() {
    let broke = t0() - Duration::hours(3);
    let state = banner_state([broke], None, t0());
    assert!(state.visible);
    assert_eq!(state.badge_count, 1);

    let dismissed = banner_state([broke], Some(t0()), t0() + Duration::minutes(1));
    assert!(!dismissed.visible);
    assert_eq!(dismissed.dismissed_until, Some(t0() + Duration::hours(24)));
    assert_eq!(
        dismissed.badge_count, 1,
        "the badge stays while the banner is dismissed"
    );
}

#[test]
fn dismissed_banner_returns_after_24_hours() {
    let broke = t0() - Duration::hours(3);
    let just_before = t0() + Duration::hours(24) - Duration::seconds(1);
    assert!(!banner_state([broke], Some(t0()), just_before).visible);
    let at = t0() + Duration::hours(24);
    let state = banner_state([broke], Some(t0()), at);
    assert!(state.visible);
    assert_eq!(state.dismissed_until, None);
}

#[test]
fn a_new_disconnect_after_the_dismissal_brings_the_banner_back_at_once() {
    let old = t0() - Duration::hours(3);
    let new = t0() + Duration::hours(1);
    let state = banner_state([old, new], Some(t0()), t0() + Duration::hours(2));
    assert!(state.visible);
    assert_eq!(state.badge_count, 2);
    // A disconnect at the very moment of dismissal was seen when dismissing.
    assert!(!banner_state([t0()], Some(t0()), t0() + Duration::hours(1)).visible);
}

#[test]
fn the_restore_list_puts_the_longest_broken_first_then_expiring_then_limited() {
    use entity::enums::{AccountKind, Network};
    let account =
        |id: i64, name: &str, health: Health, at: Option<DateTime<Utc>>| social_accounts::Model {
            id,
            network: Network::Facebook,
            kind: AccountKind::Page,
            external_id: format!("p{id}"),
            name: name.to_owned(),
            avatar_url: None,
            owner_organization_id: Some(1),
            owner_user_id: None,
            social_login_id: id,
            original_login_external_id: "u".to_owned(),
            linked_account_id: None,
            health,
            limited_reason: None,
            disconnect_reason: None,
            disconnected_at: at,
            current_episode_id: None,
            created_at: t0(),
        };
    let mut list = vec![
        account(1, "limited", Health::Limited, None),
        account(2, "expiring late", Health::Expiring, None),
        account(3, "broke today", Health::Disconnected, Some(t0())),
        account(4, "expiring soon", Health::Expiring, None),
        account(
            5,
            "broke last week",
            Health::Disconnected,
            Some(t0() - Duration::days(7)),
        ),
    ];
    sort_by_urgency(&mut list, |a| match a.id {
        2 => Some(t0() + Duration::days(6)),
        4 => Some(t0() + Duration::days(1)),
        _ => None,
    });
    let order: Vec<i64> = list.iter().map(|a| a.id).collect();
    assert_eq!(order, vec![5, 3, 4, 2, 1]);
}

#[test]
fn r9_a_dismissal_holds_only_for_the_sign_in_it_was_made_in() {
    let dismissed = Some(t0());
    // The same sign-in (earlier than the dismissal, or the same second): it holds.
    assert_eq!(
        dismissal_for_sign_in(dismissed, Some(t0() - Duration::hours(3))),
        dismissed
    );
    assert_eq!(dismissal_for_sign_in(dismissed, Some(t0())), dismissed);
    // A later sign-in: gone, so the banner shows again.
    assert_eq!(
        dismissal_for_sign_in(dismissed, Some(t0() + Duration::seconds(1))),
        None
    );
    // A token that says nothing of its sign-in keeps the dismissal.
    assert_eq!(dismissal_for_sign_in(dismissed, None), dismissed);
    assert_eq!(dismissal_for_sign_in(None, Some(t0())), None);
}

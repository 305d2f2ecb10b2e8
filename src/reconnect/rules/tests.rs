//! Rules R5, R6, R7, R18, R20/B2 on plain data.

use chrono::DateTime;
use entity::enums::{AccountKind, Health, LoginStatus, Network};

use super::*;

fn login() -> social_logins::Model {
    let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    social_logins::Model {
        id: 1,
        network: Network::Facebook,
        external_user_id: "fb-nora".to_owned(),
        display_name: "Nora Fields".to_owned(),
        owner_organization_id: Some(1),
        owner_user_id: None,
        access_token_enc: None,
        refresh_token_enc: None,
        key_id: None,
        token_expires_at: None,
        refresh_expires_at: None,
        scopes: String::new(),
        status: LoginStatus::Disconnected,
        disconnect_reason: None,
        disconnected_at: None,
        connected_by: None,
        connected_at: at,
        last_reconnected_by: None,
        last_reconnected_at: None,
        version: 0,
        created_at: at,
        refresh_lease_until: None,
        refresh_failures: 0,
        next_refresh_at: None,
        checked_at: None,
    }
}

fn account(id: i64, kind: AccountKind, external: &str) -> social_accounts::Model {
    let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    social_accounts::Model {
        id,
        network: Network::Facebook,
        kind,
        external_id: external.to_owned(),
        name: external.to_owned(),
        avatar_url: None,
        owner_organization_id: Some(1),
        owner_user_id: None,
        social_login_id: 1,
        original_login_external_id: "fb-nora".to_owned(),
        linked_account_id: None,
        health: Health::Disconnected,
        limited_reason: None,
        disconnect_reason: Some(DisconnectReason::PasswordChanged),
        disconnected_at: Some(at),
        current_episode_id: None,
        created_at: at,
    }
}

fn asset(external: &str, kind: AccountKind, role: AssetRole) -> Asset {
    Asset {
        external_id: external.to_owned(),
        kind,
        name: external.to_owned(),
        role,
        linked_external_id: None,
        added_by: None,
    }
}

fn who(id: &str) -> Identity {
    Identity {
        external_id: id.to_owned(),
        name: id.to_owned(),
    }
}

#[test]
fn r7_the_right_identity_reconnects_every_granted_account_of_the_login() {
    let siblings = [
        account(1, AccountKind::Page, "page-a"),
        account(2, AccountKind::Page, "page-b"),
        account(3, AccountKind::Group, "group"),
        account(4, AccountKind::Page, "page-c"),
    ];
    let granted = [
        asset("page-a", AccountKind::Page, AssetRole::Admin),
        asset("page-b", AccountKind::Page, AssetRole::Editor),
        asset("group", AccountKind::Group, AssetRole::Admin),
    ];
    let plan = plan(
        &siblings[0],
        &login(),
        &siblings,
        &who("fb-nora"),
        &granted,
        |_| true,
    )
    .expect("plan");
    assert_eq!(plan.target, Target::SameLogin);
    assert_eq!(
        plan.accounts,
        vec![
            (1, Verdict::Connected),
            (2, Verdict::Disconnected(DisconnectReason::PageRoleLost)),
            (3, Verdict::Connected),
            (4, Verdict::Disconnected(DisconnectReason::ScopeMissing)),
        ]
    );
}

#[test]
fn b2_another_identity_changes_nothing_and_names_both() {
    let mut profile = account(1, AccountKind::Profile, "x-northwind");
    profile.network = Network::X;
    let refusal = plan(
        &profile,
        &login(),
        std::slice::from_ref(&profile),
        &who("x-other"),
        &[],
        |_| true,
    );
    assert_eq!(
        refusal,
        Err(Refusal::WrongIdentity {
            used: "x-other (x-other)".to_owned(),
            needed: "Nora Fields (fb-nora)".to_owned()
        })
    );
}

#[test]
fn r5_a_group_needs_the_login_that_added_it() {
    let group = account(3, AccountKind::Group, "group");
    let granted = [asset("group", AccountKind::Group, AssetRole::Admin)];
    let refusal = plan(
        &group,
        &login(),
        std::slice::from_ref(&group),
        &who("fb-omar"),
        &granted,
        |_| true,
    );
    assert!(
        matches!(refusal, Err(Refusal::OriginalLoginRequired { needed, .. }) if needed == "fb-nora")
    );
}

#[test]
fn r6_another_identity_brings_a_page_back_only_as_its_admin() {
    let page = account(1, AccountKind::Page, "page-a");
    let as_editor = [asset("page-a", AccountKind::Page, AssetRole::Editor)];
    assert!(matches!(
        plan(
            &page,
            &login(),
            std::slice::from_ref(&page),
            &who("fb-omar"),
            &as_editor,
            |_| true
        ),
        Err(Refusal::PageAdminRequired { .. })
    ));
    let as_admin = [asset("page-a", AccountKind::Page, AssetRole::Admin)];
    let plan = plan(
        &page,
        &login(),
        std::slice::from_ref(&page),
        &who("fb-priya"),
        &as_admin,
        |_| true,
    )
    .expect("plan");
    assert_eq!(plan.target, Target::OtherIdentity);
    assert_eq!(plan.accounts, vec![(1, Verdict::Connected)]);
}

#[test]
fn r18_an_instagram_profile_without_its_page_comes_back_limited() {
    let mut profile = account(5, AccountKind::BusinessProfile, "ig-biz");
    profile.linked_account_id = Some(1);
    let mut through_page = asset("ig-biz", AccountKind::BusinessProfile, AssetRole::Owner);
    through_page.linked_external_id = Some("fb-page".to_owned());
    let granted = [through_page];
    let limited = plan(
        &profile,
        &login(),
        std::slice::from_ref(&profile),
        &who("fb-nora"),
        &granted,
        |_| false,
    )
    .expect("plan");
    assert_eq!(
        limited.accounts,
        vec![(5, Verdict::Limited(LimitedReason::LinkedPageNotAuthorized))]
    );
    let full = plan(
        &profile,
        &login(),
        std::slice::from_ref(&profile),
        &who("fb-nora"),
        &granted,
        |_| true,
    )
    .expect("plan");
    assert_eq!(full.accounts, vec![(5, Verdict::Connected)]);
}

#[test]
fn r18_a_page_coming_back_in_the_same_sign_in_counts_for_its_profile() {
    // Page and profile on one login, the page disconnected before the sign-in that grants both.
    let page = account(1, AccountKind::Page, "fb-page");
    let mut profile = account(5, AccountKind::BusinessProfile, "ig-biz");
    profile.linked_account_id = Some(1);
    let mut through_page = asset("ig-biz", AccountKind::BusinessProfile, AssetRole::Owner);
    through_page.linked_external_id = Some("fb-page".to_owned());
    let granted = [
        asset("fb-page", AccountKind::Page, AssetRole::Admin),
        through_page,
    ];
    let both = [page.clone(), profile];
    let planned = plan(&page, &login(), &both, &who("fb-nora"), &granted, |_| false).expect("plan");
    assert_eq!(
        planned.accounts,
        vec![(1, Verdict::Connected), (5, Verdict::Connected)]
    );
    // Without the page's grant the profile stays limited.
    let without = plan(
        &page,
        &login(),
        &both,
        &who("fb-nora"),
        &granted[1..],
        |_| false,
    )
    .expect("plan");
    assert_eq!(
        without.accounts[1],
        (5, Verdict::Limited(LimitedReason::LinkedPageNotAuthorized))
    );
}

#[test]
fn r18_a_profile_granted_through_instagram_login_needs_no_page() {
    let mut profile = account(5, AccountKind::BusinessProfile, "ig-biz");
    profile.linked_account_id = Some(1);
    let granted = [asset(
        "ig-biz",
        AccountKind::BusinessProfile,
        AssetRole::Owner,
    )];
    let planned = plan(
        &profile,
        &login(),
        std::slice::from_ref(&profile),
        &who("fb-nora"),
        &granted,
        |_| false,
    )
    .expect("plan");
    assert_eq!(planned.accounts, vec![(5, Verdict::Connected)]);
}

#[test]
fn a_discontinued_group_stays_discontinued_through_a_sign_in_that_lists_no_groups() {
    let mut group = account(3, AccountKind::Group, "fb-group");
    group.disconnect_reason = Some(DisconnectReason::NetworkDiscontinued);
    let page = account(1, AccountKind::Page, "fb-page");
    let granted = [asset("fb-page", AccountKind::Page, AssetRole::Admin)];
    let planned = plan(
        &page,
        &login(),
        &[page.clone(), group.clone()],
        &who("fb-nora"),
        &granted,
        |_| true,
    )
    .expect("plan");
    assert_eq!(
        planned.accounts,
        vec![
            (1, Verdict::Connected),
            (
                3,
                Verdict::Disconnected(DisconnectReason::NetworkDiscontinued)
            )
        ]
    );
    // Another identity cannot take it either (R5).
    assert!(matches!(
        plan(
            &group,
            &login(),
            &[group.clone()],
            &who("fb-priya"),
            &granted,
            |_| true
        ),
        Err(Refusal::OriginalLoginRequired { .. })
    ));
}

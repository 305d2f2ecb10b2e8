//! The role × level × ownership matrix, written out by hand (R3, R4, R8, R14).

use super::*;

const ORG: i64 = 1;
const OTHER_ORG: i64 = 2;
const ME: i64 = 10;
const SOMEONE_ELSE: i64 = 11;
const ACCOUNT: i64 = 100;

#[derive(Clone, Copy, Debug)]
enum Ownership {
    MyOrganization,
    OtherOrganization,
    PersonalMine,
    PersonalOthers,
}

impl Ownership {
    fn owner(self) -> Owner {
        match self {
            Self::MyOrganization => Owner::Organization(ORG),
            Self::OtherOrganization => Owner::Organization(OTHER_ORG),
            Self::PersonalMine => Owner::User(ME),
            Self::PersonalOthers => Owner::User(SOMEONE_ELSE),
        }
    }
}

const ROLES: [Option<OrgRole>; 4] = [
    None,
    Some(OrgRole::Member),
    Some(OrgRole::Admin),
    Some(OrgRole::SuperAdmin),
];
const LEVELS: [Option<AccessLevel>; 5] = [
    None,
    Some(AccessLevel::Limited),
    Some(AccessLevel::Editor),
    Some(AccessLevel::Advanced),
    Some(AccessLevel::Owner),
];

/// Allowed actions as letters: View, Draft, Publish, Reconnect, Administer.
/// One row per role (none, MEMBER, ADMIN, SUPER_ADMIN), one column per level on the account
/// (none, LIMITED, EDITOR, ADVANCED, OWNER).
fn expected(ownership: Ownership) -> [[&'static str; 5]; 4] {
    match ownership {
        Ownership::MyOrganization => [
            ["", "", "", "", ""],
            ["", "VD", "VDP", "VDPR", "VDPRA"],
            ["VDPRA", "VDPRA", "VDPRA", "VDPRA", "VDPRA"],
            ["VDPRA", "VDPRA", "VDPRA", "VDPRA", "VDPRA"],
        ],
        // Roles and grants in my organization say nothing about another organization's account.
        Ownership::OtherOrganization => [
            ["", "", "", "", ""],
            ["", "", "", "", ""],
            ["", "", "", "", ""],
            ["", "", "", "", ""],
        ],
        Ownership::PersonalMine => [
            ["VDPRA", "VDPRA", "VDPRA", "VDPRA", "VDPRA"],
            ["VDPRA", "VDPRA", "VDPRA", "VDPRA", "VDPRA"],
            ["VDPRA", "VDPRA", "VDPRA", "VDPRA", "VDPRA"],
            ["VDPRA", "VDPRA", "VDPRA", "VDPRA", "VDPRA"],
        ],
        // Even an org super admin cannot use someone's personal account, grant or not.
        Ownership::PersonalOthers => [
            ["", "", "", "", ""],
            ["", "", "", "", ""],
            ["", "", "", "", ""],
            ["", "", "", "", ""],
        ],
    }
}

fn letter(action: Action) -> char {
    match action {
        Action::View => 'V',
        Action::Draft => 'D',
        Action::Publish => 'P',
        Action::Reconnect => 'R',
        Action::Administer => 'A',
    }
}

#[test]
fn every_role_level_and_ownership_combination_allows_exactly_the_expected_actions() {
    let mut checked = 0;
    for ownership in [
        Ownership::MyOrganization,
        Ownership::OtherOrganization,
        Ownership::PersonalMine,
        Ownership::PersonalOthers,
    ] {
        let table = expected(ownership);
        for (row, role) in ROLES.iter().enumerate() {
            for (column, level) in LEVELS.iter().enumerate() {
                let mut subject = Subject::new(ME);
                if let Some(role) = role {
                    subject.org_roles.insert(ORG, *role);
                }
                if let Some(level) = level {
                    subject.grant(ACCOUNT, *level);
                }
                let allowed: String = Action::ALL
                    .into_iter()
                    .filter(|action| may(&subject, ACCOUNT, ownership.owner(), *action))
                    .map(letter)
                    .collect();
                assert_eq!(
                    allowed, table[row][column],
                    "{ownership:?}, role {role:?}, level {level:?}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 4 * 5);
}

#[test]
fn the_highest_of_direct_and_team_grants_wins() {
    let mut subject = Subject::new(ME);
    subject.org_roles.insert(ORG, OrgRole::Member);
    subject.grant(ACCOUNT, AccessLevel::Advanced);
    subject.grant(ACCOUNT, AccessLevel::Limited);
    assert_eq!(subject.levels[&ACCOUNT], AccessLevel::Advanced);
    assert!(may(
        &subject,
        ACCOUNT,
        Owner::Organization(ORG),
        Action::Reconnect
    ));
}

#[test]
fn a_grant_without_membership_gives_nothing() {
    // A member removed from the organization keeps stale grant rows; they must not count.
    let mut subject = Subject::new(ME);
    subject.grant(ACCOUNT, AccessLevel::Owner);
    for action in Action::ALL {
        assert!(!may(&subject, ACCOUNT, Owner::Organization(ORG), action));
    }
}

#[test]
fn r8_permission_on_one_account_of_a_login_is_enough_to_reconnect_the_login() {
    let mut subject = Subject::new(ME);
    subject.org_roles.insert(ORG, OrgRole::Member);
    subject.grant(1, AccessLevel::Editor);
    subject.grant(2, AccessLevel::Advanced);
    let login = [
        (1, Owner::Organization(ORG)),
        (2, Owner::Organization(ORG)),
        (3, Owner::Organization(ORG)),
    ];
    assert!(may_reconnect_login(&subject, login));
    assert!(!may_reconnect_login(
        &subject,
        [(1, Owner::Organization(ORG))]
    ));
    assert!(!may_reconnect_login(
        &subject,
        [(3, Owner::Organization(ORG))]
    ));
}

#[test]
fn owner_columns_must_name_exactly_one_owner() {
    assert_eq!(
        Owner::from_columns(Some(1), None),
        Some(Owner::Organization(1))
    );
    assert_eq!(Owner::from_columns(None, Some(2)), Some(Owner::User(2)));
    assert_eq!(Owner::from_columns(None, None), None);
    assert_eq!(Owner::from_columns(Some(1), Some(2)), None);
}

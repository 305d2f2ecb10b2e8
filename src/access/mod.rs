//! Who may do what: pure rules over org roles, per-account levels and ownership (R3, R4, R8, R14).
//!
//! Nothing here does I/O. The caller loads a [`Subject`] once per request and asks about accounts.

use std::collections::HashMap;

pub use entity::enums::{AccessLevel, OrgRole};

/// Who owns a social account or login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// An organization's account, managed by its members.
    Organization(i64),
    /// A personal account of one user.
    User(i64),
}

impl Owner {
    /// Builds the owner from the two nullable owner columns; `None` when both or neither are set.
    pub fn from_columns(organization_id: Option<i64>, user_id: Option<i64>) -> Option<Self> {
        match (organization_id, user_id) {
            (Some(org), None) => Some(Self::Organization(org)),
            (None, Some(user)) => Some(Self::User(user)),
            _ => None,
        }
    }
}

/// What a user may do with one social account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the account, its health and its restore-list entry.
    View,
    /// Save drafts for it (R14: allowed even while it is disconnected).
    Draft,
    /// Schedule and publish posts to it.
    Publish,
    /// Start the network's sign-in to reconnect it (R3).
    Reconnect,
    /// Manage it: grants, disconnect by admin.
    Administer,
}

impl Action {
    /// Every action, weakest first.
    pub const ALL: [Self; 5] = [
        Self::View,
        Self::Draft,
        Self::Publish,
        Self::Reconnect,
        Self::Administer,
    ];
}

/// The signed-in user as the rules see them: their org roles and their account levels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    /// The user's id.
    pub user_id: i64,
    /// Role per organization the user is a member of.
    pub org_roles: HashMap<i64, OrgRole>,
    /// Highest level per social account, granted directly or through any of the user's teams.
    pub levels: HashMap<i64, AccessLevel>,
}

impl Subject {
    /// A subject with no memberships and no grants.
    pub fn new(user_id: i64) -> Self {
        Self {
            user_id,
            ..Self::default()
        }
    }

    /// Records a grant; the highest level per account wins (direct and team grants add up this way).
    pub fn grant(&mut self, account_id: i64, level: AccessLevel) {
        self.levels
            .entry(account_id)
            .and_modify(|held| *held = (*held).max(level))
            .or_insert(level);
    }

    /// The user's role in `organization_id`, if a member.
    pub fn role_in(&self, organization_id: i64) -> Option<OrgRole> {
        self.org_roles.get(&organization_id).copied()
    }

    /// Super admins and admins administer their organization (R3, R16).
    pub fn is_org_admin(&self, organization_id: i64) -> bool {
        matches!(
            self.role_in(organization_id),
            Some(OrgRole::SuperAdmin | OrgRole::Admin)
        )
    }

    /// Organizations where the user is an admin or super admin.
    pub fn admin_organizations(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .org_roles
            .keys()
            .copied()
            .filter(|org| self.is_org_admin(*org))
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// The least level a member needs for an action on an organization's account.
pub fn required_level(action: Action) -> AccessLevel {
    match action {
        Action::View | Action::Draft => AccessLevel::Limited,
        Action::Publish => AccessLevel::Editor,
        // R3: members with ADVANCED (or higher) may reconnect.
        Action::Reconnect => AccessLevel::Advanced,
        Action::Administer => AccessLevel::Owner,
    }
}

/// May `subject` perform `action` on the account with id `account_id` owned by `owner`?
pub fn may(subject: &Subject, account_id: i64, owner: Owner, action: Action) -> bool {
    match owner {
        // A personal account is its owner's alone (R17); grants on it do not apply.
        Owner::User(user) => user == subject.user_id,
        Owner::Organization(org) => match subject.role_in(org) {
            None => false,
            Some(OrgRole::SuperAdmin | OrgRole::Admin) => true,
            Some(OrgRole::Member) => subject
                .levels
                .get(&account_id)
                .is_some_and(|level| *level >= required_level(action)),
        },
    }
}

/// R8: reconnecting acts on the whole login, so permission to reconnect any one account of it is
/// enough to start the sign-in that restores all of them.
pub fn may_reconnect_login(
    subject: &Subject,
    login_accounts: impl IntoIterator<Item = (i64, Owner)>,
) -> bool {
    login_accounts
        .into_iter()
        .any(|(account_id, owner)| may(subject, account_id, owner, Action::Reconnect))
}

#[cfg(test)]
mod tests;

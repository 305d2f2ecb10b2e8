//! Social logins and accounts: who can see which, their health, and the fix for each disconnect.

pub mod data_deletion;
pub mod deauthorize;
pub mod disconnect;
pub mod discontinued;
pub mod network_events;
pub mod repo;
pub mod status;

use entity::enums::{AccountKind, DisconnectReason, Health, LimitedReason, Network};

/// Which accounts a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountFilter {
    /// Only these health states.
    pub health: Option<Vec<Health>>,
    /// Only these networks.
    pub network: Option<Vec<Network>>,
    /// Only accounts owned by this organization.
    pub organization_id: Option<i64>,
    /// Only personal accounts (`true`, R17: the viewer's own social networks) or only
    /// organization accounts (`false`).
    pub personal: Option<bool>,
}

/// B7: the concrete step that fixes a disconnect, for that reason on that network.
pub fn fix_for(reason: DisconnectReason, network: Network, kind: AccountKind) -> String {
    let network_name = network_label(network);
    let comes_back = match kind {
        // R5: a group only comes back through the login that added it.
        AccountKind::Group => "a group comes back only with the sign-in that originally added it",
        // R7: one sign-in restores everything that shares it.
        _ => "every account of that sign-in comes back at once",
    };
    match reason {
        DisconnectReason::TokenExpired => format!(
            "The {network_name} sign-in expired. Reconnect and sign in to {network_name} again; {comes_back}."
        ),
        DisconnectReason::TokenRevoked => format!(
            "Access was revoked in {network_name}'s settings. Reconnect and approve Relink again in {network_name}'s permission prompt."
        ),
        DisconnectReason::PasswordChanged => format!(
            "The {network_name} password was changed, which ends existing sign-ins. Reconnect and sign in with the new password."
        ),
        DisconnectReason::ScopeMissing => format!(
            "A permission Relink needs was not granted. Reconnect and leave every permission ticked in {network_name}'s prompt."
        ),
        DisconnectReason::PageRoleLost => match kind {
            // R6: a page comes back only through an identity with admin rights on it.
            AccountKind::Page | AccountKind::CompanyPage => format!(
                "The {network_name} identity lost its admin role on this page. Reconnect with an identity that is an admin of the page, or ask a page admin to restore the role."
            ),
            _ => format!(
                "The {network_name} identity lost its role on this account. Restore the role in {network_name}, then reconnect."
            ),
        },
        DisconnectReason::AppDeauthorized => format!(
            "Relink was removed from the apps allowed in {network_name}. Reconnect and approve Relink again."
        ),
        DisconnectReason::DisconnectedByAdmin => {
            "An admin of your organization disconnected this account. Reconnect it when it should publish again.".to_owned()
        }
        DisconnectReason::ActionAtNetwork => format!(
            "{network_name} is asking the account's owner to act: sign in at {network_name} itself and complete what it asks (a security check, confirming the account, an appeal). Then reconnect here."
        ),
        DisconnectReason::NetworkDiscontinued => format!(
            "{network_name} no longer lets apps reach this kind of account, so no reconnect can bring it back. Its held posts can be moved to another account or deleted."
        ),
        DisconnectReason::Unknown => format!(
            "{network_name} stopped accepting the sign-in. Reconnect and sign in to {network_name} again."
        ),
    }
}

/// R18: what a limited account still does and what it lacks, and the step that lifts the limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limitation {
    /// What works as usual.
    pub kept: &'static [&'static str],
    /// What is missing until the limit is lifted.
    pub lost: &'static [&'static str],
    /// The step that lifts it.
    pub fix: String,
}

/// R18: the limit of an account, for its reason. Only an Instagram business profile reached
/// through a Facebook page is ever limited (the sandbox, and Facebook Login in live mode; through
/// Instagram Login no page stands in between, so nothing is lost without one). The profile keeps
/// its own sign-in: its posts publish and its stream shows its own media. What Meta serves only
/// through the linked page is what it lacks.
pub fn limitation_for(reason: LimitedReason, page_name: Option<&str>) -> Limitation {
    match reason {
        LimitedReason::LinkedPageNotAuthorized => Limitation {
            kept: &[
                "Publishing: scheduled posts go out with the profile's own sign-in",
                "The stream of the profile's own posts",
            ],
            lost: &[
                "Insights: Instagram reports a business profile's analytics through its linked Facebook page",
                "Comments and mentions: moderated through the linked Facebook page",
            ],
            fix: match page_name {
                Some(page) => format!(
                    "Log in with Facebook and authorize the page {page}: the profile gets its full function back at once."
                ),
                None => "Log in with Facebook and authorize the Facebook page linked to this profile: the profile gets its full function back at once.".to_owned(),
            },
        },
    }
}

/// The network's name as people write it.
pub use crate::networks::label as network_label;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_fix_that_names_the_network() {
        for reason in <DisconnectReason as sea_orm::Iterable>::iter() {
            let fix = fix_for(reason, Network::Linkedin, AccountKind::CompanyPage);
            assert!(fix.len() > 20, "{reason:?}");
            if reason != DisconnectReason::DisconnectedByAdmin {
                assert!(fix.contains("LinkedIn"), "{reason:?}: {fix}");
            }
        }
    }

    #[test]
    fn groups_and_pages_get_the_rule_that_applies_to_them() {
        let group = fix_for(
            DisconnectReason::TokenExpired,
            Network::Facebook,
            AccountKind::Group,
        );
        assert!(group.contains("originally added"), "{group}");
        let page = fix_for(
            DisconnectReason::PageRoleLost,
            Network::Facebook,
            AccountKind::Page,
        );
        assert!(page.contains("admin of the page"), "{page}");
    }
}

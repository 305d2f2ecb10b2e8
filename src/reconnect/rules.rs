//! The article's rules for a sign-in that came back from the network, as pure functions:
//! right identity (R20, B2), groups (R5), page admins (R6), Instagram's page (R18), cascade (R7).

use entity::{
    enums::{AccountKind, DisconnectReason, LimitedReason},
    social_accounts, social_logins,
};

use crate::networks::{Asset, AssetRole, Identity};

/// Why a sign-in changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// B2 / R20: the network signed in another identity than the login's.
    WrongIdentity {
        /// Who signed in.
        used: String,
        /// Who must sign in.
        needed: String,
    },
    /// R6: a page comes back only through an identity with admin rights on it.
    PageAdminRequired {
        /// Who signed in.
        used: String,
        /// The page.
        page: String,
    },
    /// R5: a group comes back only with the login that added it.
    OriginalLoginRequired {
        /// Who signed in.
        used: String,
        /// The login that added the group.
        needed: String,
    },
}

pub use crate::accounts::status::Verdict;

/// Which login the tokens go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The account's own login (the usual case: the cascade, R7).
    SameLogin,
    /// R6: another admin of the page signed in; the page moves to that identity's login.
    OtherIdentity,
}

/// The plan for a successful sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Where the tokens go.
    pub target: Target,
    /// Each account affected, with its verdict.
    pub accounts: Vec<(i64, Verdict)>,
}

fn is_page(kind: AccountKind) -> bool {
    matches!(kind, AccountKind::Page | AccountKind::CompanyPage)
}

fn admin(role: AssetRole) -> bool {
    matches!(role, AssetRole::Admin | AssetRole::Owner)
}

fn label(identity: &Identity) -> String {
    format!("{} ({})", identity.name, identity.external_id)
}

/// The verdict for one account of the login, given what the network granted: also what a connect
/// (R17) applies to each account it adds or brings back.
pub fn verdict(
    account: &social_accounts::Model,
    identity: &Identity,
    granted: &[Asset],
    linked_page_connected: impl Fn(i64) -> bool,
) -> Verdict {
    let Some(asset) = granted
        .iter()
        .find(|asset| asset.external_id == account.external_id)
    else {
        // A kind of account the network discontinued (Facebook's groups) stays discontinued: no
        // sign-in that does not grant it can turn that into a reason a reconnect would fix.
        if account.disconnect_reason == Some(DisconnectReason::NetworkDiscontinued) {
            return Verdict::Disconnected(DisconnectReason::NetworkDiscontinued);
        }
        // Unticked at the prompt, or the permission missing: the network did not grant it.
        return Verdict::Disconnected(DisconnectReason::ScopeMissing);
    };
    if is_page(account.kind) && !admin(asset.role) {
        return Verdict::Disconnected(DisconnectReason::PageRoleLost);
    }
    if account.kind == AccountKind::Group
        && account.original_login_external_id != identity.external_id
    {
        return Verdict::Disconnected(DisconnectReason::PageRoleLost);
    }
    // R18 concerns a profile reached through its page (Facebook Login); one granted through
    // Instagram Login comes with no page, and needs none.
    if account.kind == AccountKind::BusinessProfile
        && asset.linked_external_id.is_some()
        && account
            .linked_account_id
            .is_some_and(|page| !linked_page_connected(page))
    {
        return Verdict::Limited(LimitedReason::LinkedPageNotAuthorized);
    }
    Verdict::Connected
}

/// Decides what a sign-in as `identity`, started for `target` of `login`, does. `siblings` are all
/// accounts of the login (the target among them); `linked_page_connected` tells whether a linked
/// Facebook page will be connected after this sign-in (R18).
pub fn plan(
    target: &social_accounts::Model,
    login: &social_logins::Model,
    siblings: &[social_accounts::Model],
    identity: &Identity,
    granted: &[Asset],
    linked_page_connected: impl Fn(i64) -> bool,
) -> Result<Plan, Refusal> {
    if identity.external_id == login.external_user_id {
        // R7 / R8: one sign-in re-authorizes every account of the login, whoever may see them.
        // R18: a page this very sign-in brings back counts as connected for its profiles.
        let pages_back: Vec<i64> = siblings
            .iter()
            .filter(|account| account.kind != AccountKind::BusinessProfile)
            .filter(|account| {
                verdict(account, identity, granted, |_| false).health()
                    != entity::enums::Health::Disconnected
            })
            .map(|account| account.id)
            .collect();
        let connected = |page: i64| pages_back.contains(&page) || linked_page_connected(page);
        let accounts = siblings
            .iter()
            .map(|account| (account.id, verdict(account, identity, granted, connected)))
            .collect();
        return Ok(Plan {
            target: Target::SameLogin,
            accounts,
        });
    }
    match target.kind {
        AccountKind::Group => Err(Refusal::OriginalLoginRequired {
            used: label(identity),
            needed: target.original_login_external_id.clone(),
        }),
        kind if is_page(kind) => {
            let is_admin = granted
                .iter()
                .any(|asset| asset.external_id == target.external_id && admin(asset.role));
            if is_admin {
                Ok(Plan {
                    target: Target::OtherIdentity,
                    accounts: vec![(
                        target.id,
                        verdict(target, identity, granted, &linked_page_connected),
                    )],
                })
            } else {
                Err(Refusal::PageAdminRequired {
                    used: label(identity),
                    page: target.name.clone(),
                })
            }
        }
        _ => Err(Refusal::WrongIdentity {
            used: label(identity),
            needed: format!("{} ({})", login.display_name, login.external_user_id),
        }),
    }
}

#[cfg(test)]
mod tests;

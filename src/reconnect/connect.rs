//! `startConnect`: the same sign-in as a reconnect, to add a network's accounts (R17): an
//! organization's admins add its accounts, anyone adds personal ones; the callback applies the
//! reconnect rules to each granted asset in one transaction (R5, R6, R18, B8).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    enums::{AccountKind, Health, Network},
    oauth_attempts, social_accounts,
};

use super::{
    FlowError, Outcome, repo,
    rules::{self, Verdict},
    start::{self, Purpose, Started},
};
use crate::{
    access::{Owner, Subject},
    accounts,
    app::App,
    audit,
    networks::{Asset, Identity, TokenSet},
};

/// Starts the sign-in that adds `network`'s accounts: to `organization_id` (its super admins and
/// admins only; a non-member's or unknown id reads as not found), or to the user personally.
pub async fn start_connect(
    app: &App,
    subject: &Subject,
    network: Network,
    organization_id: Option<i64>,
) -> Result<Started, FlowError> {
    let now = app.now();
    if let Some(org) = organization_id {
        if subject.role_in(org).is_none() {
            return Err(FlowError::NotFound);
        }
        if !subject.is_org_admin(org) {
            return Err(FlowError::ConnectNotAllowed);
        }
    }
    start::begin(
        app,
        subject.user_id,
        Purpose {
            kind: super::attempts::Kind::Connect,
            network,
            target_account_id: None,
            organization_id,
            link_id: None,
        },
        now,
    )
    .await
}

/// Applies a finished connect sign-in in one transaction: the identity's login of the owner
/// (found or created), its tokens, and each granted asset added or brought back by the rules'
/// verdict. A refused asset is not added, and an account of another login that the identity may
/// not run stays untouched on its own login.
pub async fn apply_connect(
    app: &App,
    attempt: &oauth_attempts::Model,
    tokens: &TokenSet,
    identity: &Identity,
    granted: &[Asset],
    now: DateTime<Utc>,
) -> Result<Outcome, FlowError> {
    let user_id = attempt.user_id;
    let network = attempt.network;
    let owner = attempt
        .organization_id
        .map_or(Owner::User(user_id), Owner::Organization);
    let txn = app.begin().await?;
    // Permission is checked again: the admin role may have been taken away since the start.
    if let Owner::Organization(org) = owner {
        let subject = accounts::repo::load_subject(&txn, user_id).await?;
        if !subject.is_org_admin(org) {
            return Err(FlowError::ConnectNotAllowed);
        }
    }
    let existing = repo::find_login(&txn, network, &identity.external_id, owner).await?;
    let created = existing.is_none();
    let login = match existing {
        Some(login) => login,
        None => repo::insert_login(&txn, network, owner, identity, user_id, now).await?,
    };
    let login = repo::store_sign_in_tokens(&txn, &app.cipher, &login, tokens, user_id, now).await?;

    let assets = ordered(granted);
    let wanted: Vec<String> = assets
        .iter()
        .flat_map(|asset| [Some(&asset.external_id), asset.linked_external_id.as_ref()])
        .flatten()
        .cloned()
        .collect();
    let mut known = repo::accounts_for_connect(&txn, owner, &wanted, login.id).await?;
    let mut health: HashMap<i64, Health> = known
        .iter()
        .map(|account| (account.id, account.health))
        .collect();
    let mut outcome = Outcome::default();
    for asset in assets {
        let mut found = known
            .iter()
            .find(|account| account.network == network && account.external_id == asset.external_id)
            .cloned();
        if found.is_none() {
            let linked = asset.linked_external_id.as_ref().and_then(|page| {
                known
                    .iter()
                    .find(|account| &account.external_id == page)
                    .map(|account| account.id)
            });
            let mut draft = draft(network, asset, owner, login.id, identity, linked, now);
            let verdict = rules::verdict(&draft, identity, granted, |page| {
                health.get(&page) == Some(&Health::Connected)
            });
            // A page the identity only edits is not added: it could never publish (R6).
            let (Verdict::Connected | Verdict::Limited(_)) = verdict else {
                continue;
            };
            draft.health = verdict.health();
            draft.limited_reason = match verdict {
                Verdict::Limited(reason) => Some(reason),
                _ => None,
            };
            if let Some(inserted) = repo::insert_account(&txn, draft, user_id, now).await? {
                outcome.reconnected.push(inserted.clone());
                health.insert(inserted.id, inserted.health);
                known.push(inserted);
                continue;
            }
            // Another connect added it since this one read: it is taken like a known one.
            found = repo::find_account(&txn, network, &asset.external_id, owner).await?;
            known.extend(found.clone());
        }
        let Some(account) = found else {
            continue;
        };
        let verdict = rules::verdict(&account, identity, granted, |page| {
            health.get(&page) == Some(&Health::Connected)
        });
        // R5 / R6: an identity without rights on it does not take it from its own login.
        if matches!(verdict, Verdict::Disconnected(_)) && account.social_login_id != login.id {
            continue;
        }
        let account = crate::accounts::status::apply_verdict(
            &txn,
            &account,
            verdict,
            login.id,
            Some(user_id),
            now,
        )
        .await?;
        tally(&mut outcome, account.clone(), verdict);
        health.insert(account.id, account.health);
    }
    // R7: the login's other accounts ride on these tokens too; what was not granted is out.
    let granted_ids: HashSet<&str> = granted
        .iter()
        .map(|asset| asset.external_id.as_str())
        .collect();
    for account in known.iter().filter(|account| {
        account.social_login_id == login.id && !granted_ids.contains(account.external_id.as_str())
    }) {
        let verdict = rules::verdict(account, identity, granted, |_| false);
        let updated = crate::accounts::status::apply_verdict(
            &txn,
            account,
            verdict,
            login.id,
            Some(user_id),
            now,
        )
        .await?;
        tally(&mut outcome, updated, verdict);
    }
    audit::record(
        &txn,
        audit::Entry {
            organization_id: login.owner_organization_id,
            actor_user_id: Some(user_id),
            action: if created {
                "login.connected"
            } else {
                "login.reconnected"
            },
            target_type: "social_login",
            target_id: Some(login.id),
            detail: serde_json::json!({
                "identity": identity.external_id,
                "network": network,
                "accounts": outcome.reconnected.len() + outcome.still_disconnected.len(),
            }),
        },
        now,
    )
    .await?;
    // B6 applies to a connect too: accounts that come back may carry rules.
    outcome.rules_to_review =
        super::follow_up::recheck_rules(&txn, &outcome, &tokens.scopes, user_id, now).await?;
    outcome.released_posts =
        super::follow_up::release_posts(&txn, &outcome, app.settings.posts, now).await?;
    app.commit(txn).await?;
    tracing::info!(
        login.id = login.id,
        login.created = created,
        connected = outcome.reconnected.len(),
        still_disconnected = outcome.still_disconnected.len(),
        "connect finished"
    );
    Ok(outcome)
}

/// The granted assets once each, pages before the business profiles linked to them (R18), so a
/// profile sees its page's health after this sign-in.
fn ordered(granted: &[Asset]) -> Vec<&Asset> {
    let mut seen = HashSet::new();
    let mut assets: Vec<&Asset> = granted
        .iter()
        .filter(|asset| seen.insert(asset.external_id.as_str()))
        .collect();
    assets.sort_by_key(|asset| asset.kind == AccountKind::BusinessProfile);
    assets
}

/// Files an applied account under connected or still disconnected.
fn tally(outcome: &mut Outcome, account: social_accounts::Model, verdict: Verdict) {
    match verdict {
        Verdict::Disconnected(_) => outcome.still_disconnected.push(account),
        Verdict::Connected | Verdict::Limited(_) => outcome.reconnected.push(account),
    }
}

/// The row a new asset becomes, before its verdict sets the health.
fn draft(
    network: Network,
    asset: &Asset,
    owner: Owner,
    login_id: i64,
    identity: &Identity,
    linked_account_id: Option<i64>,
    now: DateTime<Utc>,
) -> social_accounts::Model {
    let (owner_organization_id, owner_user_id) = match owner {
        Owner::Organization(org) => (Some(org), None),
        Owner::User(user) => (None, Some(user)),
    };
    social_accounts::Model {
        id: 0,
        network,
        kind: asset.kind,
        external_id: asset.external_id.clone(),
        name: asset.name.clone(),
        avatar_url: None,
        owner_organization_id,
        owner_user_id,
        social_login_id: login_id,
        original_login_external_id: identity.external_id.clone(),
        linked_account_id,
        health: Health::Connected,
        limited_reason: None,
        disconnect_reason: None,
        disconnected_at: None,
        current_episode_id: None,
        created_at: now,
    }
}

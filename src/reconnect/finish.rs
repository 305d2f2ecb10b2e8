//! Finishing a sign-in: the state is checked and spent, the code exchanged with the attempt's
//! verifier, the identity and grants fetched, the rules applied, all in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    enums::{Health, Network},
    social_accounts, social_logins,
};
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};

use super::{Finisher, FlowError, Outcome, Services, attempts, follow_up, repo, rules, state_hash};
use crate::{access, accounts, audit, db, networks::NetworkError};

/// What the network sent back to the callback.
pub enum Answer<'a> {
    /// The authorization code.
    Code(&'a str),
    /// The network's error (`access_denied` when the person said no).
    Error(&'a str),
}

fn network_error(error: NetworkError) -> FlowError {
    match error {
        NetworkError::Refused(reason) => FlowError::NetworkRefused(reason),
        NetworkError::InvalidToken => FlowError::NetworkRefused("invalid_token".to_owned()),
        NetworkError::Unavailable(reason) => {
            tracing::warn!(%reason, "network unavailable while finishing a sign-in");
            FlowError::NetworkUnavailable
        }
        NetworkError::Protocol(reason) => {
            FlowError::Internal(anyhow::anyhow!("network protocol: {reason}"))
        }
    }
}

/// Finishes the sign-in `state`. The browser callback passes the `network` of its path (it must be
/// the attempt's) and the browser's flow cookie (it must be the one the start handed out);
/// `completeReconnect` passes the signed-in user (the state must be theirs). A refusal of the
/// finisher spends nothing, so the rightful one can still finish.
pub async fn complete(
    services: Services<'_>,
    network: Option<Network>,
    state: &str,
    answer: Answer<'_>,
    finisher: Finisher<'_>,
    now: DateTime<Utc>,
) -> Result<Outcome, FlowError> {
    let attempt = attempts::attempt_by_state(services.db, &state_hash(state))
        .await?
        .ok_or(FlowError::StateInvalid)?;
    // Another network's path or another user's state: refuse without spending it.
    if network.is_some_and(|network| network != attempt.network) {
        return Err(FlowError::StateInvalid);
    }
    match finisher {
        Finisher::User(user) if user != attempt.user_id => return Err(FlowError::StateInvalid),
        Finisher::Browser(flow)
            if flow.map(state_hash).as_deref() != attempt.flow_hash.as_deref()
                || attempt.flow_hash.is_none() =>
        {
            return Err(FlowError::OtherBrowser);
        }
        _ => {}
    }
    if !attempts::claim_attempt(services.db, attempt.id, now).await? {
        return Err(FlowError::StateInvalid);
    }
    if attempt.expires_at <= now {
        return Err(FlowError::StateExpired);
    }
    let code = match answer {
        Answer::Code(code) => code,
        Answer::Error("access_denied") => return Err(FlowError::AccessDenied),
        Answer::Error(other) => return Err(FlowError::NetworkRefused(other.to_owned())),
    };
    let network = attempt.network;
    let adapter = services
        .networks
        .get(network)
        .ok_or(FlowError::NetworkNotConfigured)?;
    let verifier = attempts::open_verifier(services.cipher, &attempt)
        .map_err(|error| FlowError::Internal(anyhow::anyhow!("attempt verifier: {error}")))?;
    let tokens = adapter
        .exchange_code(code, &verifier)
        .await
        .map_err(network_error)?;
    let identity = adapter
        .identity(&tokens.access)
        .await
        .map_err(network_error)?;
    let granted = adapter
        .assets(&tokens.access)
        .await
        .map_err(network_error)?;

    if attempts::Kind::of(&attempt) == attempts::Kind::Connect {
        return super::connect::apply_connect(
            services, &attempt, &tokens, &identity, &granted, now,
        )
        .await;
    }
    let user_id = attempt.user_id;
    let target_id = attempt.target_account_id.ok_or(FlowError::NotFound)?;
    let txn = db::begin_write(services.db).await?;
    // Permission is checked again: it may have been taken away since the start.
    let subject = accounts::repo::load_subject(&txn, user_id).await?;
    let target = accounts::repo::find_visible(&txn, &subject, target_id)
        .await?
        .ok_or(FlowError::NotAllowed)?;
    let login = social_logins::Entity::find_by_id(target.social_login_id)
        .one(&txn)
        .await?
        .ok_or(FlowError::NotFound)?;
    let siblings = social_accounts::Entity::find()
        .filter(social_accounts::Column::SocialLoginId.eq(login.id))
        .all(&txn)
        .await?;
    let owners = siblings.iter().filter_map(|account| {
        access::Owner::from_columns(account.owner_organization_id, account.owner_user_id)
            .map(|owner| (account.id, owner))
    });
    if !access::may_reconnect_login(&subject, owners) {
        return Err(FlowError::NotAllowed);
    }
    let linked: Vec<i64> = siblings
        .iter()
        .filter_map(|account| account.linked_account_id)
        .collect();
    let linked_health: HashMap<i64, Health> = social_accounts::Entity::find()
        .filter(social_accounts::Column::Id.is_in(linked))
        .all(&txn)
        .await?
        .into_iter()
        .map(|page| (page.id, page.health))
        .collect();
    let plan = rules::plan(&target, &login, &siblings, &identity, &granted, |page| {
        linked_health.get(&page) == Some(&Health::Connected)
    })
    .map_err(FlowError::Refused);
    let plan = match plan {
        Ok(plan) => plan,
        Err(refusal) => {
            // B2: nothing changes here, and the tokens of the wrong sign-in are given back.
            drop(txn);
            for token in std::iter::once(&tokens.access).chain(tokens.refresh.as_ref()) {
                if let Err(error) = adapter.revoke(token).await {
                    tracing::warn!(%error, "could not revoke the tokens of a refused sign-in");
                }
            }
            return Err(refusal);
        }
    };

    let login = match plan.target {
        rules::Target::SameLogin => login,
        rules::Target::OtherIdentity => {
            repo::login_for_identity(&txn, &login, &identity, user_id, now).await?
        }
    };
    // A refresh of the keeper may have written the login since it was read: the sign-in wins.
    let login =
        repo::store_sign_in_tokens(&txn, services.cipher, &login, &tokens, user_id, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            organization_id: login.owner_organization_id,
            actor_user_id: Some(user_id),
            action: "login.reconnected",
            target_type: "social_login",
            target_id: Some(login.id),
            detail: serde_json::json!({ "identity": identity.external_id, "network": network, "accounts": plan.accounts.len() }),
        },
        now,
    )
    .await?;
    let mut outcome = Outcome::default();
    for (account_id, verdict) in plan.accounts {
        let Some(account) = siblings.iter().find(|account| account.id == account_id) else {
            continue;
        };
        let updated = crate::accounts::status::apply_verdict(
            &txn,
            account,
            verdict,
            login.id,
            Some(user_id),
            now,
        )
        .await?;
        match verdict {
            rules::Verdict::Disconnected(_) => outcome.still_disconnected.push(updated),
            _ => outcome.reconnected.push(updated),
        }
    }
    outcome.rules_to_review = follow_up::recheck_rules(&txn, &outcome, &tokens.scopes, now).await?;
    outcome.released_posts = follow_up::release_posts(&txn, &outcome, services.posts, now).await?;
    txn.commit().await?;
    tracing::info!(
        login.id = login.id,
        reconnected = outcome.reconnected.len(),
        still_disconnected = outcome.still_disconnected.len(),
        "sign-in finished"
    );
    Ok(outcome)
}

//! Finishing a sign-in, as a short pipeline: the state is checked and spent (`spend`), the
//! network asked who signed in and what they granted (`ask_network`), then a reconnect's rules
//! are applied in one transaction (`reconnect`) — or a connect's (`connect::apply_connect`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{enums::Network, oauth_attempts, social_accounts, social_logins};

use super::{Finisher, FlowError, Outcome, attempts, follow_up, repo, rules, state_hash};
use crate::{
    access::{self, Subject},
    accounts,
    app::App,
    audit,
    networks::{Asset, Identity, NetworkAdapter, NetworkError, TokenSet},
};

/// What the network sent back to the callback.
pub enum Answer<'a> {
    /// The authorization code.
    Code(&'a str),
    /// The network's error (`access_denied` when the person said no).
    Error(&'a str),
}

/// What the network said about a finished sign-in: the tokens, who signed in, what they granted.
pub struct SignIn {
    /// The new tokens.
    pub tokens: TokenSet,
    /// The identity that signed in.
    pub identity: Identity,
    /// The assets it granted, with its roles.
    pub granted: Vec<Asset>,
}

fn network_error(error: NetworkError) -> FlowError {
    match error {
        NetworkError::Refused(reason)
        | NetworkError::MissingPermission(reason)
        | NetworkError::ActionAtNetwork(reason)
        | NetworkError::Reconnect { detail: reason, .. } => FlowError::NetworkRefused(reason),
        NetworkError::InvalidToken => FlowError::NetworkRefused("invalid_token".to_owned()),
        NetworkError::Unavailable(reason) | NetworkError::RateLimited(reason) => {
            tracing::warn!(%reason, "network unavailable while finishing a sign-in");
            FlowError::NetworkUnavailable
        }
        // A live network refusing our request (a spent code, a mismatched redirect or verifier)
        // is the network's no to this sign-in; the person starts again.
        NetworkError::Protocol(reason) => {
            tracing::warn!(%reason, "the network refused or garbled the sign-in");
            FlowError::NetworkRefused(reason)
        }
    }
}

/// Finishes the sign-in `state`. The browser callback passes the `network` of its path (it must be
/// the attempt's) and the browser's flow cookie (it must be the one the start handed out);
/// `completeReconnect` passes the signed-in user (the state must be theirs). A refusal of the
/// finisher spends nothing, so the rightful one can still finish.
pub async fn complete(
    app: &App,
    network: Option<Network>,
    state: &str,
    answer: Answer<'_>,
    finisher: Finisher<'_>,
) -> Result<Outcome, FlowError> {
    let now = app.now();
    let (attempt, code) = spend(app, network, state, answer, finisher, now).await?;
    let adapter = app
        .networks
        .get(attempt.network)
        .ok_or(FlowError::NetworkNotConfigured)?;
    let sign_in = ask_network(app, adapter.as_ref(), &attempt, code).await?;
    match attempts::Kind::of(&attempt) {
        attempts::Kind::Connect => {
            super::connect::apply_connect(
                app,
                &attempt,
                &sign_in.tokens,
                &sign_in.identity,
                &sign_in.granted,
                now,
            )
            .await
        }
        attempts::Kind::Reconnect => reconnect(app, &attempt, &sign_in, adapter, now).await,
    }
}

/// Checks the state against its attempt and spends it, once; returns the attempt and the code.
/// A finisher who may not finish it (another browser, another user, another network's path)
/// spends nothing.
async fn spend<'a>(
    app: &App,
    network: Option<Network>,
    state: &str,
    answer: Answer<'a>,
    finisher: Finisher<'_>,
    now: DateTime<Utc>,
) -> Result<(oauth_attempts::Model, &'a str), FlowError> {
    let attempt = attempts::attempt_by_state(&app.db, &state_hash(state))
        .await?
        .ok_or(FlowError::StateInvalid)?;
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
    if !attempts::claim_attempt(&app.db, attempt.id, now).await? {
        return Err(FlowError::StateInvalid);
    }
    if attempt.expires_at <= now {
        return Err(FlowError::StateExpired);
    }
    match answer {
        Answer::Code(code) => Ok((attempt, code)),
        Answer::Error("access_denied") => Err(FlowError::AccessDenied),
        Answer::Error(other) => Err(FlowError::NetworkRefused(other.to_owned())),
    }
}

/// Exchanges the code with the attempt's PKCE verifier and asks who signed in and what they
/// granted.
async fn ask_network(
    app: &App,
    adapter: &dyn NetworkAdapter,
    attempt: &oauth_attempts::Model,
    code: &str,
) -> Result<SignIn, FlowError> {
    let verifier = attempts::open_verifier(&app.cipher, attempt)
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
    Ok(SignIn {
        tokens,
        identity,
        granted,
    })
}

/// A reconnect: the starter's permission checked again, the article's rules planned (R5, R6, R7,
/// R18, B2) and applied in one transaction, with the follow-ups (B4, B6). A refused plan changes
/// nothing and gives the tokens back to the network.
async fn reconnect(
    app: &App,
    attempt: &oauth_attempts::Model,
    sign_in: &SignIn,
    adapter: Arc<dyn NetworkAdapter>,
    now: DateTime<Utc>,
) -> Result<Outcome, FlowError> {
    let user_id = attempt.user_id;
    let txn = app.begin().await?;
    let (subject, target, login, siblings) = target_of(&txn, attempt).await?;
    if !access::may_reconnect_login(&subject, owners(&siblings)) {
        return Err(FlowError::NotAllowed);
    }
    let linked_health = repo::health_of_linked(&txn, &siblings).await?;
    let planned = rules::plan(
        &target,
        &login,
        &siblings,
        &sign_in.identity,
        &sign_in.granted,
        |page| {
            linked_health.get(&page).is_some_and(|health| {
                matches!(
                    health,
                    entity::enums::Health::Connected | entity::enums::Health::Expiring
                )
            })
        },
    );
    let plan = match planned {
        Ok(plan) => plan,
        Err(refusal) => {
            // B2: nothing changes here, and the tokens of the wrong sign-in are given back.
            drop(txn);
            give_back(adapter.as_ref(), &sign_in.tokens).await;
            return Err(FlowError::Refused(refusal));
        }
    };
    // Issue 15: a link's sign-in spends the link here, once every rule let it through.
    let link = match attempt.link_id {
        Some(link_id) => {
            match super::links::used::spend(&txn, link_id, &target, &sign_in.identity, now).await {
                Ok(link) => Some(link),
                Err(error) => {
                    drop(txn);
                    give_back(adapter.as_ref(), &sign_in.tokens).await;
                    return Err(error);
                }
            }
        }
        None => None,
    };
    let login = match plan.target {
        rules::Target::SameLogin => login,
        rules::Target::OtherIdentity => {
            repo::login_for_identity(&txn, &login, &sign_in.identity, user_id, now).await?
        }
    };
    // A refresh of the keeper may have written the login since it was read: the sign-in wins.
    let login =
        repo::store_sign_in_tokens(&txn, &app.cipher, &login, &sign_in.tokens, user_id, now)
            .await?;
    audit::record(
        &txn,
        audit::Entry {
            organization_id: login.owner_organization_id,
            actor_user_id: Some(user_id),
            action: "login.reconnected",
            target_type: "social_login",
            target_id: Some(login.id),
            detail: serde_json::json!({ "identity": sign_in.identity.external_id, "network": attempt.network, "accounts": plan.accounts.len() }),
        },
        now,
    )
    .await?;
    let mut outcome = Outcome::default();
    for (account_id, verdict) in plan.accounts {
        let Some(account) = siblings.iter().find(|account| account.id == account_id) else {
            continue;
        };
        let updated =
            accounts::status::apply_verdict(&txn, account, verdict, login.id, Some(user_id), now)
                .await?;
        match verdict {
            rules::Verdict::Disconnected(_) => outcome.still_disconnected.push(updated),
            _ => outcome.reconnected.push(updated),
        }
    }
    outcome.rules_to_review =
        follow_up::recheck_rules(&txn, &outcome, &sign_in.tokens.scopes, user_id, now).await?;
    outcome.released_posts =
        follow_up::release_posts(&txn, &outcome, app.settings.posts, now).await?;
    app.commit(txn).await?;
    if let Some(link) = &link {
        super::links::used::tell_creator(app, link, &outcome).await;
    }
    tracing::info!(
        login.id = login.id,
        reconnected = outcome.reconnected.len(),
        still_disconnected = outcome.still_disconnected.len(),
        "sign-in finished"
    );
    Ok(outcome)
}

/// The reconnect's target as the starter may still see it (else `NotAllowed`: the right may have
/// been taken away since the start), with its login and every account of that login.
async fn target_of(
    txn: &impl sea_orm::ConnectionTrait,
    attempt: &oauth_attempts::Model,
) -> Result<
    (
        Subject,
        social_accounts::Model,
        social_logins::Model,
        Vec<social_accounts::Model>,
    ),
    FlowError,
> {
    let target_id = attempt.target_account_id.ok_or(FlowError::NotFound)?;
    let subject = accounts::repo::load_subject(txn, attempt.user_id).await?;
    let target = accounts::repo::find_visible(txn, &subject, target_id)
        .await?
        .ok_or(FlowError::NotAllowed)?;
    let (login, siblings) = repo::login_with_accounts(txn, target.social_login_id)
        .await?
        .ok_or(FlowError::NotFound)?;
    Ok((subject, target, login, siblings))
}

/// Each account's owner, for R8's "permission on one is enough".
fn owners(accounts: &[social_accounts::Model]) -> impl Iterator<Item = (i64, access::Owner)> + '_ {
    accounts.iter().filter_map(|account| {
        access::Owner::from_columns(account.owner_organization_id, account.owner_user_id)
            .map(|owner| (account.id, owner))
    })
}

/// Revokes the tokens of a refused sign-in at the network; a failure is logged, not fatal.
async fn give_back(adapter: &dyn NetworkAdapter, tokens: &TokenSet) {
    for token in std::iter::once(&tokens.access).chain(tokens.refresh.as_ref()) {
        if let Err(error) = adapter.revoke(token).await {
            tracing::warn!(%error, "could not revoke the tokens of a refused sign-in");
        }
    }
}

//! `startReconnect`: check R3/R8, record an attempt (hashed state, sealed PKCE verifier, target,
//! ten minutes), and hand back the network's sign-in URL. [`begin`] is that second half, shared
//! with `startConnect`.

use chrono::{DateTime, Utc};
use entity::{
    enums::{AccountKind, Health, LimitedReason, Network},
    social_accounts, social_logins,
};

use super::{FlowError, attempt_lifetime, attempts, random_secret, state_hash};
use crate::{
    access::{self, Subject},
    accounts,
    app::App,
    networks::oauth::pkce_pair,
};

/// A started sign-in.
#[derive(Clone, Debug)]
pub struct Started {
    /// Where to send the browser.
    pub authorize_url: String,
    /// When the attempt expires.
    pub expires_at: DateTime<Utc>,
    /// The secret of the `relink_flow` cookie for the starting browser (its hash is stored).
    pub flow: crate::config::Secret,
    /// R20: who must be signed in at the network, said before the person goes there.
    pub sign_in_as: SignInAs,
    /// A reconnect's account whose login signs in: the one clicked, or, for an Instagram profile
    /// limited by its page, that Facebook page (R18: "log in with Facebook").
    pub account: Option<social_accounts::Model>,
}

/// R20: the network signs in whoever is signed in in the browser, so the person is told first
/// which identity the sign-in needs, and how to make sure the network picks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInAs {
    /// The network to sign in at.
    pub network: Network,
    /// The identity's name at the network, for a reconnect (a connect takes whichever identity
    /// manages the accounts to add).
    pub name: Option<String>,
    /// The identity's id at the network, for a reconnect.
    pub external_id: Option<String>,
    /// What to do before going to the network.
    pub advice: String,
}

impl SignInAs {
    /// For a reconnect of `account` through `login` (R5: a group needs its login; R6: a page may
    /// also come back through another of its admins).
    pub fn reconnect(account: &social_accounts::Model, login: &social_logins::Model) -> Self {
        let network = crate::networks::label(login.network);
        let who = &login.display_name;
        let first = match account.kind {
            AccountKind::Page | AccountKind::CompanyPage => format!(
                "Sign in at {network} as {who}, or as another admin of the page {}.",
                account.name
            ),
            AccountKind::Group => format!(
                "Sign in at {network} as {who}: a group comes back only with the identity that added it."
            ),
            _ => format!("Sign in at {network} as {who}."),
        };
        Self {
            network: login.network,
            name: Some(login.display_name.clone()),
            external_id: Some(login.external_user_id.clone()),
            advice: format!("{first} {}", sign_out_first(network)),
        }
    }

    /// For a connect: any identity that manages the accounts to add.
    pub fn connect(network: Network) -> Self {
        let label = crate::networks::label(network);
        Self {
            network,
            name: None,
            external_id: None,
            advice: format!(
                "Sign in at {label} as the identity that manages the accounts you want to add. {}",
                sign_out_first(label)
            ),
        }
    }
}

fn sign_out_first(network: &str) -> String {
    format!(
        "{network} signs in whoever is signed in in this browser: if that is someone else, sign out at {network} first or use a private window."
    )
}

/// Starts the sign-in that reconnects `account_id` (and, by R7, everything of its login). For an
/// Instagram profile limited by its page (R18), the sign-in is the page's: the fix it needs.
pub async fn start_reconnect(
    app: &App,
    subject: &Subject,
    account_id: i64,
) -> Result<Started, FlowError> {
    start_reconnect_for(app, subject, account_id, None).await
}

/// [`start_reconnect`], recording the reconnect link that started it, if one did: the callback
/// then spends the link with the sign-in (issue 15).
pub async fn start_reconnect_for(
    app: &App,
    subject: &Subject,
    account_id: i64,
    link_id: Option<i64>,
) -> Result<Started, FlowError> {
    let now = app.now();
    let mut account = accounts::repo::find_visible(&app.db, subject, account_id)
        .await?
        .ok_or(FlowError::NotFound)?;
    let through_page = app
        .networks
        .get(account.network)
        .is_some_and(|adapter| adapter.profiles_need_their_page());
    if let (Health::Limited, Some(LimitedReason::LinkedPageNotAuthorized), Some(page), true) = (
        account.health,
        account.limited_reason,
        account.linked_account_id,
        through_page,
    ) {
        // R18: "log in with Facebook" — a page the viewer may not see is not theirs to restore.
        account = accounts::repo::find_visible(&app.db, subject, page)
            .await?
            .ok_or(FlowError::NotAllowed)?;
    }
    let siblings = accounts::repo::account_owners_by_login(&app.db, &[account.social_login_id])
        .await?
        .remove(&account.social_login_id)
        .unwrap_or_default();
    // R3 + R8: permission on any one account of the login starts the cascade.
    if !access::may_reconnect_login(subject, siblings) {
        return Err(FlowError::NotAllowed);
    }
    let login = accounts::repo::logins_by_ids(&app.db, &[account.social_login_id])
        .await?
        .remove(&account.social_login_id)
        .ok_or(FlowError::NotFound)?;
    let mut started = begin(
        app,
        subject.user_id,
        Purpose {
            kind: attempts::Kind::Reconnect,
            network: account.network,
            target_account_id: Some(account.id),
            organization_id: account.owner_organization_id,
            link_id,
        },
        now,
    )
    .await?;
    started.sign_in_as = SignInAs::reconnect(&account, &login);
    started.account = Some(account);
    Ok(started)
}

/// What a sign-in is started for, as its attempt records it.
#[derive(Clone, Copy, Debug)]
pub struct Purpose {
    /// How the callback applies the sign-in.
    pub kind: attempts::Kind,
    /// The network to sign in at.
    pub network: Network,
    /// The account clicked, for a reconnect.
    pub target_account_id: Option<i64>,
    /// The organization the accounts belong to; `None` for personal accounts.
    pub organization_id: Option<i64>,
    /// The reconnect link that started the sign-in, if one did.
    pub link_id: Option<i64>,
}

/// Makes a state and a PKCE pair, records the attempt (hashed state, sealed verifier, ten
/// minutes) and returns the network's sign-in URL. Permission is the caller's to check first.
pub async fn begin(
    app: &App,
    user_id: i64,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Started, FlowError> {
    let adapter = app
        .networks
        .get(purpose.network)
        .ok_or(FlowError::NetworkNotConfigured)?;
    let state = random_secret();
    let flow = crate::config::Secret::new(random_secret());
    let (challenge, verifier) = pkce_pair();
    let expires_at = crate::clock::after(now, attempt_lifetime());
    let txn = app.begin().await?;
    attempts::insert_attempt(
        &txn,
        &app.cipher,
        attempts::NewAttempt {
            state_hash: state_hash(&state),
            flow_hash: state_hash(flow.expose()),
            user_id,
            purpose: purpose.kind,
            network: purpose.network,
            target_account_id: purpose.target_account_id,
            organization_id: purpose.organization_id,
            link_id: purpose.link_id,
            verifier: &verifier,
            expires_at,
            now,
        },
    )
    .await?;
    app.commit(txn).await?;
    let authorize_url = adapter
        .authorize_url(&state, &challenge)
        .map_err(|error| FlowError::Internal(anyhow::anyhow!("authorize URL: {error}")))?;
    Ok(Started {
        authorize_url,
        expires_at,
        flow,
        sign_in_as: SignInAs::connect(purpose.network),
        account: None,
    })
}

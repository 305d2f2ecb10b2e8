//! `startReconnect`: check R3/R8, record an attempt (hashed state, sealed PKCE verifier, target,
//! ten minutes), and hand back the network's sign-in URL. [`begin`] is that second half, shared
//! with `startConnect`.

use chrono::{DateTime, Utc};
use entity::enums::Network;

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
}

/// Starts the sign-in that reconnects `account_id` (and, by R7, everything of its login).
pub async fn start_reconnect(
    app: &App,
    subject: &Subject,
    account_id: i64,
) -> Result<Started, FlowError> {
    let now = app.now();
    let account = accounts::repo::find_visible(&app.db, subject, account_id)
        .await?
        .ok_or(FlowError::NotFound)?;
    let siblings = accounts::repo::account_owners_by_login(&app.db, &[account.social_login_id])
        .await?
        .remove(&account.social_login_id)
        .unwrap_or_default();
    // R3 + R8: permission on any one account of the login starts the cascade.
    if !access::may_reconnect_login(subject, siblings) {
        return Err(FlowError::NotAllowed);
    }
    begin(
        app,
        subject.user_id,
        Purpose {
            kind: attempts::Kind::Reconnect,
            network: account.network,
            target_account_id: Some(account.id),
            organization_id: account.owner_organization_id,
        },
        now,
    )
    .await
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
    })
}

//! A link's sign-in at the callback: the link is spent in the reconnect's own transaction (only
//! when every rule let the sign-in through, so a wrong identity leaves it open), and its creator
//! is told what came back.

use chrono::{DateTime, Utc};
use entity::{reconnect_links, social_accounts};
use sea_orm::ConnectionTrait;

use super::{manage, repo};
use crate::{
    accounts,
    app::App,
    audit,
    mail::Email,
    networks::Identity,
    reconnect::{FlowError, Outcome},
};

/// Spends the link `link_id` for the sign-in of `identity` that reconnects `target`, inside the
/// reconnect's transaction, and records it (B8). The link must still be open and its account
/// still its owner's, and `target` must be that account or, for a profile limited by its page
/// (R18), that page; otherwise the sign-in is refused as an invalid state and nothing changes.
pub async fn spend(
    txn: &impl ConnectionTrait,
    link_id: i64,
    target: &social_accounts::Model,
    identity: &Identity,
    now: DateTime<Utc>,
) -> Result<reconnect_links::Model, FlowError> {
    let link = repo::by_id(txn, link_id)
        .await?
        .ok_or(FlowError::StateInvalid)?;
    let account = accounts::repo::by_ids(txn, &[link.social_account_id])
        .await?
        .remove(&link.social_account_id)
        .ok_or(FlowError::StateInvalid)?;
    let restores_target = account.id == target.id || account.linked_account_id == Some(target.id);
    if !manage::same_owner(&link, &account) || !restores_target {
        return Err(FlowError::StateInvalid);
    }
    if !repo::claim(txn, link.id, (&identity.external_id, &identity.name), now).await? {
        return Err(FlowError::StateInvalid);
    }
    audit::record(
        txn,
        audit::Entry {
            organization_id: account.owner_organization_id,
            actor_user_id: Some(link.created_by),
            action: "reconnect_link.used",
            target_type: "reconnect_link",
            target_id: Some(link.id),
            detail: serde_json::json!({
                "account": account.id,
                "identity": identity.external_id,
                "identity_name": identity.name,
                "network": account.network,
            }),
        },
        now,
    )
    .await?;
    repo::by_id(txn, link.id)
        .await?
        .ok_or(FlowError::StateInvalid)
}

/// Whether the sign-in `state` was started by a reconnect link (its callback then answers with
/// the link's own page, not the dashboard).
pub async fn started_by_link(
    db: &impl ConnectionTrait,
    state: &str,
) -> Result<bool, sea_orm::DbErr> {
    Ok(
        crate::reconnect::attempts::attempt_by_state(db, &crate::reconnect::state_hash(state))
            .await?
            .is_some_and(|attempt| attempt.link_id.is_some()),
    )
}

/// Emails the link's creator what its sign-in did; a failed send is logged.
pub async fn tell_creator(app: &App, link: &reconnect_links::Model, outcome: &Outcome) {
    let creator = match crate::people::repo::users_by_ids(&app.db, &[link.created_by]).await {
        Ok(mut users) => users.remove(&link.created_by),
        Err(error) => {
            tracing::warn!(%error, link.id = link.id, "could not load a link's creator");
            None
        }
    };
    let Some(creator) = creator else {
        return;
    };
    let who = link.used_identity_name.as_deref().unwrap_or("someone");
    let names = |accounts: &[social_accounts::Model]| {
        accounts
            .iter()
            .map(|account| format!("- {}", account.name))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut body = format!(
        "Hello {},\n\nYour reconnect link was used: {who} signed in at the network.\n",
        creator.name
    );
    if !outcome.reconnected.is_empty() {
        body.push_str(&format!(
            "\nConnected again:\n{}\n",
            names(&outcome.reconnected)
        ));
    }
    if !outcome.still_disconnected.is_empty() {
        body.push_str(&format!(
            "\nStill disconnected (not granted at the network):\n{}\n",
            names(&outcome.still_disconnected)
        ));
    }
    if !outcome.released_posts.is_empty() {
        body.push_str(&format!(
            "\n{} held posts were released.\n",
            outcome.released_posts.len()
        ));
    }
    if !outcome.rules_to_review.is_empty() {
        body.push_str(&format!(
            "\n{} automation rules need a review.\n",
            outcome.rules_to_review.len()
        ));
    }
    body.push_str(&format!(
        "\nSee them here: {}{}\n",
        app.public_url,
        crate::notices::REAUTH_PATH
    ));
    let email = Email {
        to: creator.email.clone(),
        to_name: creator.name.clone(),
        subject: format!("Your reconnect link was used by {who}"),
        body,
    };
    if let Err(error) = app.mailer.send(&email).await {
        tracing::warn!(
            error = format!("{error:#}"),
            link.id = link.id,
            "reconnect link result email not sent"
        );
    }
}

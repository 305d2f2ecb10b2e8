//! Opening a reconnect link: `GET /connect/{token}` shows what it restores and whom to sign in
//! as; `POST /connect/{token}` starts the same sign-in a dashboard reconnect starts, on the
//! creator's authority. An unknown, used, expired, revoked or void link reads as gone, the same
//! for every case.

use chrono::{DateTime, Utc};
use entity::{enums::Network, reconnect_links, social_accounts};

use super::{LinkState, has_token_shape, manage, repo, same_hash, state_of, token_hash};
use crate::{
    access::{self, Subject},
    accounts,
    app::App,
    notices::note::Note,
    reconnect::{
        FlowError,
        start::{SignInAs, Started, start_reconnect_for},
    },
};

/// An open link with its account and its creator, as the creator may still act.
struct Resolved {
    link: reconnect_links::Model,
    account: social_accounts::Model,
    creator: Subject,
}

/// The link `token` names, if it is open at `now` and still valid: its account exists and
/// belongs to whom it did when the link was made, and its creator may still see and reconnect
/// it. Every other case is `None`, alike.
async fn resolve(
    app: &App,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Resolved>, sea_orm::DbErr> {
    if !has_token_shape(token) {
        return Ok(None);
    }
    let hash = token_hash(token);
    // Looked up by its SHA-256 (the index sees a hash the guesser cannot steer), then compared
    // in constant time.
    let Some(link) = repo::by_hash(&app.db, &hash).await? else {
        return Ok(None);
    };
    if !same_hash(&link.token_hash, &hash) || state_of(&link, now) != LinkState::Open {
        return Ok(None);
    }
    let creator = accounts::repo::load_subject(&app.db, link.created_by).await?;
    let Some(account) =
        accounts::repo::find_visible(&app.db, &creator, link.social_account_id).await?
    else {
        return Ok(None);
    };
    if !manage::same_owner(&link, &account) {
        return Ok(None);
    }
    let siblings = accounts::repo::account_owners_by_login(&app.db, &[account.social_login_id])
        .await?
        .remove(&account.social_login_id)
        .unwrap_or_default();
    if !access::may_reconnect_login(&creator, siblings) {
        return Ok(None);
    }
    Ok(Some(Resolved {
        link,
        account,
        creator,
    }))
}

/// What the link's page shows: nothing but this link's login and who asked.
#[derive(Clone, Debug)]
pub struct LinkPage {
    /// The organization (or, for a personal account, the person) the accounts belong to.
    pub owner: String,
    /// The network.
    pub network: Network,
    /// The account the link was made for.
    pub account: social_accounts::Model,
    /// Every account of its login: one sign-in restores them all (R7).
    pub accounts: Vec<social_accounts::Model>,
    /// Who made the link.
    pub asked_by: String,
    /// Their note, if any.
    pub note: Option<Note>,
    /// R20, B2: which identity must sign in at the network.
    pub sign_in_as: SignInAs,
    /// The origin of the network's sign-in, for the page's `form-action`.
    pub authorize_origin: Option<String>,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// The page of the link `token`, or `None` when it is gone.
pub async fn page(app: &App, token: &str) -> Result<Option<LinkPage>, sea_orm::DbErr> {
    let Some(resolved) = resolve(app, token, app.now()).await? else {
        return Ok(None);
    };
    let Resolved { link, account, .. } = resolved;
    let Some((login, mut accounts)) =
        crate::reconnect::repo::login_with_accounts(&app.db, account.social_login_id).await?
    else {
        return Ok(None);
    };
    accounts.sort_by(|a, b| a.name.cmp(&b.name));
    let asked_by = crate::people::repo::users_by_ids(&app.db, &[link.created_by])
        .await?
        .remove(&link.created_by)
        .map(|user| user.name)
        .unwrap_or_default();
    let owner = manage::owner_name(app, &account).await?;
    let note = link
        .note
        .as_deref()
        .and_then(|text| Note::parse(text).ok().flatten());
    Ok(Some(LinkPage {
        owner,
        network: account.network,
        sign_in_as: SignInAs::reconnect(&account, &login),
        authorize_origin: authorize_origin(app, account.network),
        account,
        accounts,
        asked_by,
        note,
        expires_at: link.expires_at,
    }))
}

/// Starts the sign-in of the link `token` (bound to this browser by the flow cookie the caller
/// sets from [`Started::flow`]); `None` when the link is gone. The attempt carries the link, so
/// the callback spends it with a successful sign-in and only then.
pub async fn start(app: &App, token: &str) -> Result<Option<Started>, FlowError> {
    let Some(resolved) = resolve(app, token, app.now()).await? else {
        return Ok(None);
    };
    match start_reconnect_for(
        app,
        &resolved.creator,
        resolved.account.id,
        Some(resolved.link.id),
    )
    .await
    {
        Ok(started) => Ok(Some(started)),
        Err(FlowError::NotFound | FlowError::NotAllowed) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The scheme, host and port of the network's sign-in page (where the link page's form leads,
/// through our 303), if the network is configured.
pub fn authorize_origin(app: &App, network: Network) -> Option<String> {
    let adapter = app.networks.get(network)?;
    let sample = adapter.authorize_url("origin", "origin").ok()?;
    let parsed = reqwest::Url::parse(&sample).ok()?;
    Some(parsed.origin().ascii_serialization()).filter(|origin| origin != "null")
}

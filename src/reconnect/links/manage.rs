//! `createReconnectLink`, `revokeReconnectLink` and `reconnectLinks`: for those who may reconnect
//! the account (R3, R8), each recorded in the audit log (B8).

use entity::{reconnect_links, social_accounts, users};

use super::{Lifetime, LinkError, Recipient, new_token, repo, token_hash, url};
use crate::{
    access::{self, Subject},
    accounts,
    app::App,
    audit,
    config::Secret,
    mail::Email,
    notices::note::Note,
};

/// What the creator asks for.
#[derive(Clone, Copy, Debug)]
pub struct LinkRequest<'a> {
    /// The account to restore (with, by R7, every account of its login).
    pub account_id: i64,
    /// Where to email the link, if anywhere.
    pub email: Option<&'a str>,
    /// A note for the recipient, quoted as the creator's.
    pub note: Option<&'a str>,
    /// The lifetime in seconds; `None` for the default.
    pub expires_in_seconds: Option<i64>,
}

/// A made link.
#[derive(Debug)]
pub struct Created {
    /// The stored link.
    pub link: reconnect_links::Model,
    /// `{public url}/connect/{token}`: the only time the token is shown.
    pub url: Secret,
    /// Whether the email went out (when one was asked for).
    pub emailed: bool,
}

/// The account `account_id` as `subject` sees it, if they may reconnect it (R3, R8: permission
/// on any account of its login is enough).
async fn reconnectable(
    app: &App,
    subject: &Subject,
    account_id: i64,
) -> Result<social_accounts::Model, LinkError> {
    let account = accounts::repo::find_visible(&app.db, subject, account_id)
        .await?
        .ok_or(LinkError::NotFound)?;
    let siblings = accounts::repo::account_owners_by_login(&app.db, &[account.social_login_id])
        .await?
        .remove(&account.social_login_id)
        .unwrap_or_default();
    if !access::may_reconnect_login(subject, siblings) {
        return Err(LinkError::NotAllowed);
    }
    Ok(account)
}

/// Makes a link; with an email address, sends it there (the note quoted as the creator's). Every
/// input is checked before anything is written.
pub async fn create(
    app: &App,
    creator: &users::Model,
    subject: &Subject,
    request: LinkRequest<'_>,
) -> Result<Created, LinkError> {
    let now = app.now();
    let account = reconnectable(app, subject, request.account_id).await?;
    let recipient = match request.email {
        Some(text) => Recipient::parse(text)?,
        None => None,
    };
    let note = match request.note {
        Some(text) => Note::parse(text)?,
        None => None,
    };
    let lifetime = Lifetime::from_seconds(request.expires_in_seconds)?;
    let token = new_token();
    let txn = app.begin().await?;
    let link = repo::insert(
        &txn,
        repo::NewLink {
            token_hash: token_hash(token.expose()),
            social_account_id: account.id,
            organization_id: account.owner_organization_id,
            owner_user_id: account.owner_user_id,
            created_by: creator.id,
            recipient_email: recipient.as_ref().map(|to| to.as_str().to_owned()),
            note: note.as_ref().map(|note| note.as_str().to_owned()),
            created_at: now,
            expires_at: crate::clock::after(now, lifetime.duration()),
        },
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            organization_id: account.owner_organization_id,
            actor_user_id: Some(creator.id),
            action: "reconnect_link.created",
            target_type: "reconnect_link",
            target_id: Some(link.id),
            detail: serde_json::json!({
                "account": account.id,
                "recipient": link.recipient_email,
                "expires_at": link.expires_at,
            }),
        },
        now,
    )
    .await?;
    app.commit(txn).await?;
    let url = Secret::new(url(&app.public_url, &token));
    let mut created = Created {
        link,
        url,
        emailed: false,
    };
    if let Some(recipient) = recipient {
        created.emailed =
            send_invitation(app, creator, &account, &created, &recipient, note.as_ref()).await?;
    }
    tracing::info!(
        link.id = created.link.id,
        account.id = account.id,
        emailed = created.emailed,
        "reconnect link created"
    );
    Ok(created)
}

/// Emails the link; on success records it (B8). A failed send is logged and reported, the link
/// stays usable (the creator can copy it).
async fn send_invitation(
    app: &App,
    creator: &users::Model,
    account: &social_accounts::Model,
    created: &Created,
    recipient: &Recipient,
    note: Option<&Note>,
) -> Result<bool, LinkError> {
    let login = accounts::repo::logins_by_ids(&app.db, &[account.social_login_id])
        .await?
        .remove(&account.social_login_id);
    let network = crate::networks::label(account.network);
    let mut body = format!(
        "Hello,\n\n{} asks you to reconnect {} ({network}) to Relink, the social media dashboard {} uses.\n",
        creator.name,
        account.name,
        owner_name(app, account).await?,
    );
    if let Some(login) = &login {
        body.push_str(&format!(
            "\nSign in at {network} as {}: the sign-in restores every account it manages for them.\n",
            login.display_name
        ));
    }
    if let Some(note) = note {
        body.push('\n');
        body.push_str(&note.quoted(&creator.name));
    }
    body.push_str(&format!(
        "\nOpen this link to start (it works once, until {}):\n{}\n\nIt gives no access to the dashboard. If you did not expect it, ignore this email.\n",
        created.link.expires_at.format("%Y-%m-%d %H:%M UTC"),
        created.url.expose()
    ));
    let email = Email {
        to: recipient.as_str().to_owned(),
        to_name: String::new(),
        subject: format!("{} asks you to reconnect {}", creator.name, account.name),
        body,
    };
    if let Err(error) = app.mailer.send(&email).await {
        tracing::warn!(
            error = format!("{error:#}"),
            link.id = created.link.id,
            "reconnect link email not sent"
        );
        return Ok(false);
    }
    let now = app.now();
    let txn = app.begin().await?;
    repo::mark_emailed(&txn, created.link.id, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            organization_id: account.owner_organization_id,
            actor_user_id: Some(creator.id),
            action: "reconnect_link.emailed",
            target_type: "reconnect_link",
            target_id: Some(created.link.id),
            detail: serde_json::json!({ "recipient": recipient.as_str() }),
        },
        now,
    )
    .await?;
    app.commit(txn).await?;
    Ok(true)
}

/// Who the account belongs to, as a recipient reads it: the organization's name, or the owner's.
pub async fn owner_name(
    app: &App,
    account: &social_accounts::Model,
) -> Result<String, sea_orm::DbErr> {
    if let Some(organization) = account.owner_organization_id
        && let Some(organization) = crate::people::repo::organization(&app.db, organization).await?
    {
        return Ok(organization.name);
    }
    if let Some(owner) = account.owner_user_id
        && let Some(owner) = crate::people::repo::users_by_ids(&app.db, &[owner])
            .await?
            .remove(&owner)
    {
        return Ok(owner.name);
    }
    Ok(String::new())
}

/// Whether `account` still belongs to whom it belonged when `link` was made.
pub fn same_owner(link: &reconnect_links::Model, account: &social_accounts::Model) -> bool {
    link.social_account_id == account.id
        && link.organization_id == account.owner_organization_id
        && link.owner_user_id == account.owner_user_id
}

/// Revokes an open link of an account `subject` may reconnect; records who did (B8).
pub async fn revoke(
    app: &App,
    subject: &Subject,
    link_id: i64,
) -> Result<reconnect_links::Model, LinkError> {
    let now = app.now();
    let link = repo::by_id(&app.db, link_id)
        .await?
        .ok_or(LinkError::NotFound)?;
    let account = reconnectable(app, subject, link.social_account_id).await?;
    if !same_owner(&link, &account) {
        return Err(LinkError::NotFound);
    }
    let txn = app.begin().await?;
    if !repo::revoke(&txn, link.id, subject.user_id, now).await? {
        return Err(LinkError::NotOpen);
    }
    audit::record(
        &txn,
        audit::Entry {
            organization_id: account.owner_organization_id,
            actor_user_id: Some(subject.user_id),
            action: "reconnect_link.revoked",
            target_type: "reconnect_link",
            target_id: Some(link.id),
            detail: serde_json::json!({ "account": account.id }),
        },
        now,
    )
    .await?;
    let revoked = repo::by_id(&txn, link.id)
        .await?
        .ok_or(LinkError::NotFound)?;
    app.commit(txn).await?;
    Ok(revoked)
}

/// The most links a list shows.
pub const MAX_LISTED: u64 = 100;

/// The links of an account `subject` may reconnect, newest first.
pub async fn list(
    app: &App,
    subject: &Subject,
    account_id: i64,
) -> Result<Vec<reconnect_links::Model>, LinkError> {
    let account = reconnectable(app, subject, account_id).await?;
    let mut links = repo::of_account(&app.db, account.id, MAX_LISTED).await?;
    // Links made while the account belonged to someone else are theirs, not this owner's.
    links.retain(|link| same_owner(link, &account));
    Ok(links)
}

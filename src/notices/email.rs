//! R12: one email to the person who last (re)connected an account (or an admin), with the reason,
//! what is affected, the fix and a link to the restore list; a "recovered" email when it is back.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{disconnect_episodes, social_accounts, social_logins, users};
use sea_orm::DatabaseConnection;

use super::{REAUTH_PATH, repo};
use crate::{
    access::Subject,
    accounts::{fix_for, network_label},
    app::App,
    mail::{Email, Mailer},
};

/// A failed send is tried again on the next passes, this many times in all.
pub const MAX_ATTEMPTS: i32 = 5;

/// What one pass sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// Disconnect emails (one per person told).
    pub disconnects: usize,
    /// "Recovered" emails (one per person the disconnect email told).
    pub recoveries: usize,
    /// Emails about automation rules a reconnect flagged (R19/B6).
    pub rule_reviews: usize,
}

type Row = (
    disconnect_episodes::Model,
    social_accounts::Model,
    social_logins::Model,
);

/// Groups episodes by the people they tell, so one sign-in that broke many accounts is one
/// email to each of them: for a disconnect, who hears of it now (R12); for a recovery, everyone
/// its disconnect email told.
async fn by_recipients(
    db: &DatabaseConnection,
    rows: Vec<Row>,
    recovered: bool,
) -> anyhow::Result<BTreeMap<Vec<i64>, (Vec<users::Model>, Vec<Row>)>> {
    let mut groups: BTreeMap<Vec<i64>, (Vec<users::Model>, Vec<Row>)> = BTreeMap::new();
    for row in rows {
        let told = row
            .0
            .told_user_ids
            .as_ref()
            .and_then(|ids| serde_json::from_value::<Vec<i64>>(ids.clone()).ok())
            .filter(|ids| !ids.is_empty());
        let people = match (recovered, told) {
            (true, Some(ids)) => {
                let mut people: Vec<users::Model> = crate::people::repo::users_by_ids(db, &ids)
                    .await?
                    .into_values()
                    .collect();
                people.sort_by_key(|user| user.id);
                people
            }
            _ => repo::recipients(db, &row.1, &row.2).await?,
        };
        if people.is_empty() {
            tracing::warn!(account.id = row.1.id, "nobody to tell about a disconnect");
            continue;
        }
        let key = people.iter().map(|user| user.id).collect();
        groups
            .entry(key)
            .or_insert_with(|| (people, Vec::new()))
            .1
            .push(row);
    }
    Ok(groups)
}

fn disconnect_email(user: &users::Model, rows: &[Row], public_url: &str) -> Email {
    let mut body = format!(
        "Hello {},\n\nThese social accounts stopped working, so their scheduled posts are held, their streams are paused and their analytics are not collected:\n\n",
        user.name
    );
    for (episode, account, login) in rows {
        body.push_str(&format!(
            "- {} ({}), through the sign-in of {}, since {}.\n  {}\n",
            account.name,
            network_label(account.network),
            login.display_name,
            episode.started_at.format("%Y-%m-%d %H:%M UTC"),
            fix_for(episode.reason, account.network, account.kind),
        ));
    }
    body.push_str(&format!("\nReconnect them here: {public_url}{REAUTH_PATH}\n\nOne sign-in brings back every account that shares it.\n"));
    let subject = match rows {
        [(_, account, _)] => format!(
            "Reconnect {} on {}",
            account.name,
            network_label(account.network)
        ),
        _ => format!("{} social accounts need reconnecting", rows.len()),
    };
    Email {
        to: user.email.clone(),
        to_name: user.name.clone(),
        subject,
        body,
    }
}

fn recovered_email(user: &users::Model, rows: &[Row]) -> Email {
    let names: Vec<String> = rows
        .iter()
        .map(|(_, account, _)| account.name.clone())
        .collect();
    Email {
        to: user.email.clone(),
        to_name: user.name.clone(),
        subject: format!("Reconnected: {}", names.join(", ")),
        body: format!(
            "Hello {},\n\nThese accounts work again; held posts are released and streams resume:\n\n- {}\n",
            user.name,
            names.join("\n- ")
        ),
    }
}

/// Claims the episodes of `rows` for one email and sends it to each of `people`; returns how many
/// it reached. A disconnect email records whom it told (for the "recovered" email); one that
/// reached nobody gives its claim back (tried again next pass).
async fn deliver(
    db: &DatabaseConnection,
    mailer: &Mailer,
    rows: &[Row],
    people: &[users::Model],
    email: impl Fn(&users::Model) -> Email,
    recovered: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let ids: Vec<i64> = rows.iter().map(|(episode, _, _)| episode.id).collect();
    // Claimed before sending: a second replica never sends the same email.
    if !repo::claim_announcement(db, &ids, now, recovered).await? {
        return Ok(0);
    }
    let mut told = Vec::with_capacity(people.len());
    for user in people {
        match mailer.send(&email(user)).await {
            Ok(()) => told.push(user.id),
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "email not sent; trying again next pass"
            ),
        }
    }
    if told.is_empty() {
        repo::release_announcement(db, &ids, recovered).await?;
    } else if !recovered {
        repo::record_told(db, &ids, &told).await?;
    }
    Ok(told.len())
}

/// Sends the emails that are due.
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    public_url: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Sent> {
    let mut sent = Sent::default();
    // A network in an incident emails nobody: its disconnects wait until it is over (they were
    // made before the incident opened, or by a network's own signal; the email follows after).
    let troubled: std::collections::HashSet<String> = crate::incidents::repo::open_incidents(db)
        .await?
        .into_iter()
        .map(|incident| incident.network)
        .collect();
    let mut due = repo::episodes_to_announce(db, MAX_ATTEMPTS).await?;
    due.retain(|(_, account, _)| !troubled.contains(account.network.slug()));
    for (people, rows) in by_recipients(db, due, false).await?.into_values() {
        let email = |user: &users::Model| disconnect_email(user, &rows, public_url);
        sent.disconnects += deliver(db, mailer, &rows, &people, email, false, now).await?;
    }
    let recovered = repo::episodes_recovered(db).await?;
    for (people, rows) in by_recipients(db, recovered, true).await?.into_values() {
        let email = |user: &users::Model| recovered_email(user, &rows);
        sent.recoveries += deliver(db, mailer, &rows, &people, email, true, now).await?;
    }
    sent.rule_reviews = crate::automations::email::send_due(db, mailer, public_url, now).await?;
    Ok(sent)
}

/// How often one person may ask about one account: each request emails several people.
pub fn request_interval() -> chrono::Duration {
    chrono::Duration::hours(1)
}

/// Why a `requestReconnect` was refused; nothing was sent or recorded.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The note is too long or holds control characters.
    #[error(transparent)]
    Note(#[from] super::note::NoteError),
    /// The same person asked about the same account less than [`request_interval`] ago.
    #[error("asked about this account less than an hour ago")]
    TooSoon {
        /// When asking is possible again, from now.
        retry_after: chrono::Duration,
    },
    /// Unknown, or an account the requester may not see (the two read alike).
    #[error("not found")]
    NotFound,
    /// A failure of ours.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for RequestError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Internal(error.into())
    }
}

/// `requestReconnect`: emails everyone who sees the account and may reconnect it (admins, ADVANCED or
/// OWNER on it or on another account of its login, R3/R8) on behalf of `requester`, and records
/// the audit entry and the event. The note is checked first, and one person asks about one
/// account at most once an hour (the record is written before any email goes out, in a
/// transaction that holds the account's row, so two requests at once send once). Returns who was
/// asked.
pub async fn request_reconnect(
    app: &App,
    requester: &users::Model,
    requester_subject: &Subject,
    account_id: i64,
    note: Option<&str>,
) -> Result<Vec<users::Model>, RequestError> {
    let (db, now) = (&app.db, app.now());
    let account = &crate::accounts::repo::find_visible(db, requester_subject, account_id)
        .await?
        .ok_or(RequestError::NotFound)?;
    let note = match note {
        Some(text) => super::note::Note::parse(text)?,
        None => None,
    };
    let mut asked = crate::accounts::repo::who_may_reconnect(db, account).await?;
    asked.retain(|user| user.id != requester.id);
    let ids: Vec<i64> = asked.iter().map(|user| user.id).collect();
    let txn = app.begin().await?;
    crate::accounts::repo::lock_account(&txn, account.id).await?;
    if let Some(last) = repo::last_reconnect_request(&txn, requester.id, account.id).await? {
        let again = crate::clock::after(last, request_interval());
        if again > now {
            return Err(RequestError::TooSoon {
                retry_after: again - now,
            });
        }
    }
    let detail = serde_json::json!({ "asked": ids });
    crate::accounts::status::record_account_event(
        &txn,
        account,
        "account.reconnect_requested",
        "RECONNECT_REQUESTED",
        Some(requester.id),
        detail,
        now,
    )
    .await?;
    app.commit(txn).await?;
    for user in &asked {
        let mut body = format!(
            "Hello {},\n\n{} asks you to reconnect {} ({}), which you may reconnect.\n",
            user.name,
            requester.name,
            account.name,
            network_label(account.network)
        );
        if let Some(note) = &note {
            body.push('\n');
            body.push_str(&note.quoted(&requester.name));
        }
        body.push_str(&format!(
            "\nReconnect it here: {}{REAUTH_PATH}\n",
            app.public_url
        ));
        let email = Email {
            to: user.email.clone(),
            to_name: user.name.clone(),
            subject: format!("Please reconnect {}", account.name),
            body,
        };
        if let Err(error) = app.mailer.send(&email).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "reconnect request email not sent"
            );
        }
    }
    Ok(asked)
}

/// The email worker of one process.
#[derive(Clone)]
pub struct Postman {
    app: crate::app::App,
}

impl Postman {
    /// A postman over the context.
    pub fn new(app: crate::app::App) -> Self {
        Self { app }
    }

    /// One pass.
    pub async fn run_once(&self) -> anyhow::Result<Sent> {
        let app = &self.app;
        send_due(&app.db, &app.mailer, &app.public_url, app.now()).await
    }
}

//! R19/B6: the rules a reconnect flagged are emailed once to the rule's owner and to whoever
//! reconnected (each only while they may still see the account), one email per person per pass,
//! with each rule's reason and fix and a link to the list of rules to review.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{automation_rules, social_accounts, users};
use sea_orm::{DatabaseConnection, EntityTrait as _};

use super::{repo, review_fix};
use crate::{
    access::{self, Action, Owner},
    accounts,
    mail::{Email, Mailer},
};

/// Where the dashboard lists the rules to review.
pub const REVIEW_PATH: &str = "/dashboard#/automations?flagged=true";

type Row = (automation_rules::Model, social_accounts::Model);

/// The people told about `rule`: its owner and its flagger, who may still see `account`.
async fn told(
    db: &DatabaseConnection,
    rule: &automation_rules::Model,
    account: &social_accounts::Model,
) -> anyhow::Result<Vec<users::Model>> {
    let mut ids: Vec<i64> = rule.created_by.into_iter().chain(rule.flagged_by).collect();
    ids.sort_unstable();
    ids.dedup();
    let owner = Owner::from_columns(account.owner_organization_id, account.owner_user_id);
    let mut people = Vec::new();
    for id in ids {
        let subject = accounts::repo::load_subject(db, id).await?;
        if owner.is_some_and(|owner| access::may(&subject, account.id, owner, Action::View))
            && let Some(user) = users::Entity::find_by_id(id).one(db).await?
        {
            people.push(user);
        }
    }
    Ok(people)
}

fn review_email(user: &users::Model, rows: &[Row], public_url: &str) -> Email {
    let mut body = format!(
        "Hello {},\n\nA reconnect checked the automation rules of its accounts again, and these no longer work:\n\n",
        user.name
    );
    for (rule, account) in rows {
        let fix = rule
            .review_reason
            .map(|reason| review_fix(rule, reason, &account.name))
            .unwrap_or_default();
        body.push_str(&format!(
            "- \"{}\" on {} ({}).\n  {}\n",
            rule.name,
            account.name,
            accounts::network_label(account.network),
            fix
        ));
    }
    body.push_str(&format!("\nReview them here: {public_url}{REVIEW_PATH}\n"));
    Email {
        to: user.email.clone(),
        to_name: user.name.clone(),
        subject: match rows {
            [(rule, _)] => format!("Automation rule to review: {}", rule.name),
            _ => format!("{} automation rules to review", rows.len()),
        },
        body,
    }
}

/// Sends the review emails that are due; returns how many went out.
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    public_url: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let due = repo::reviews_to_announce(db).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let account_ids: Vec<i64> = due.iter().map(|rule| rule.social_account_id).collect();
    let accounts = accounts::repo::by_ids(db, &account_ids).await?;
    // Rules told to the same people travel together: one claim, one email to each of them.
    let mut groups: BTreeMap<Vec<i64>, (Vec<users::Model>, Vec<Row>)> = BTreeMap::new();
    for rule in due {
        let Some(account) = accounts.get(&rule.social_account_id).cloned() else {
            continue;
        };
        let people = told(db, &rule, &account).await?;
        if people.is_empty() {
            tracing::warn!(rule.id = rule.id, "nobody to tell about a flagged rule");
            continue;
        }
        let key = people.iter().map(|user| user.id).collect();
        groups
            .entry(key)
            .or_insert_with(|| (people, Vec::new()))
            .1
            .push((rule, account));
    }
    let mut sent = 0;
    for (people, rows) in groups.into_values() {
        let ids: Vec<i64> = rows.iter().map(|(rule, _)| rule.id).collect();
        if !repo::claim_review_email(db, &ids, now).await? {
            continue;
        }
        let mut reached = 0;
        for user in &people {
            match mailer.send(&review_email(user, &rows, public_url)).await {
                Ok(()) => reached += 1,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "rule review email not sent")
                }
            }
        }
        if reached == 0 {
            repo::release_review_email(db, &ids).await?;
        }
        sent += reached;
    }
    Ok(sent)
}

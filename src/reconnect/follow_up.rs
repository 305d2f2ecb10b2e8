//! What every sign-in does once its accounts are back, a reconnect's and a connect's alike:
//! release the held posts (B4) and re-check the automation rules (B6), in the sign-in's
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::social_accounts;

use super::{FlowError, Outcome};
use crate::{access, accounts, automations};

/// B4: releases the held posts of every account that can publish again, in the sign-in's
/// transaction.
pub async fn release_posts(
    db: &impl sea_orm::ConnectionTrait,
    outcome: &Outcome,
    settings: crate::config::PostSettings,
    now: DateTime<Utc>,
) -> Result<Vec<entity::scheduled_posts::Model>, FlowError> {
    let mut released = Vec::new();
    for account in outcome
        .reconnected
        .iter()
        .filter(|account| crate::posts::publishable(account.health))
    {
        released.extend(crate::posts::release_account(db, account.id, settings, now).await?);
    }
    Ok(released)
}

/// B6: re-checks the automation rules of every account the sign-in of `actor` touched; returns
/// the flagged. Each account with rules newly flagged gets a `RULES_FLAGGED` event (R19: every
/// open dashboard learns there is something to review); their emails follow from the postman.
pub async fn recheck_rules(
    db: &impl sea_orm::ConnectionTrait,
    outcome: &Outcome,
    scopes: &[String],
    actor: i64,
    now: DateTime<Utc>,
) -> Result<Vec<entity::automation_rules::Model>, FlowError> {
    let touched: Vec<&social_accounts::Model> = outcome
        .reconnected
        .iter()
        .chain(&outcome.still_disconnected)
        .collect();
    let ids: Vec<i64> = touched.iter().map(|account| account.id).collect();
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let mut assignees: HashMap<i64, access::Subject> = HashMap::new();
    let mut flagged = Vec::new();
    let mut newly_flagged: HashMap<i64, usize> = HashMap::new();
    for rule in automations::repo::rules_of_accounts(db, &ids).await? {
        let Some(account) = touched
            .iter()
            .find(|account| account.id == rule.social_account_id)
        else {
            continue;
        };
        if let Some(assignee) = rule
            .config
            .get("assigneeUserId")
            .and_then(serde_json::Value::as_i64)
            && !assignees.contains_key(&assignee)
        {
            assignees.insert(assignee, accounts::repo::load_subject(db, assignee).await?);
        }
        let owner =
            access::Owner::from_columns(account.owner_organization_id, account.owner_user_id);
        let problem = automations::problem(&rule, account.health, &scopes, |user| {
            owner.is_some_and(|owner| {
                assignees.get(&user).is_some_and(|subject| {
                    access::may(subject, account.id, owner, access::Action::View)
                })
            })
        });
        let newly = problem.is_some() && !rule.needs_review;
        let checked = automations::repo::record_check(db, &rule, problem, actor, now).await?;
        if newly {
            *newly_flagged.entry(account.id).or_default() += 1;
        }
        if checked.needs_review {
            flagged.push(checked);
        }
    }
    for account in touched {
        if let Some(count) = newly_flagged.get(&account.id) {
            accounts::status::record_account_event(
                db,
                account,
                "automation.flagged",
                "RULES_FLAGGED",
                Some(actor),
                serde_json::json!({ "rulesFlagged": count }),
                now,
            )
            .await?;
        }
    }
    Ok(flagged)
}

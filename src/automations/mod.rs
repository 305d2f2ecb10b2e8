//! R19 / B6: after a reconnect, every automation rule of the affected accounts is re-checked by
//! the system; the ones that no longer work are flagged and listed in the result.

pub mod repo;

use entity::{
    automation_rules,
    enums::{AutomationKind, Health, ReviewReason},
};

/// Why `rule` no longer works on an account in `health` whose login grants `scopes`;
/// `assignee_can_view` answers for an auto-assign rule's assignee. `None` when it works.
pub fn problem(
    rule: &automation_rules::Model,
    health: Health,
    scopes: &[&str],
    assignee_can_view: impl Fn(i64) -> bool,
) -> Option<ReviewReason> {
    if health == Health::Disconnected {
        return Some(ReviewReason::AccountDisconnected);
    }
    if let Some(scope) = rule
        .config
        .get("requiresScope")
        .and_then(serde_json::Value::as_str)
        && !scopes.contains(&scope)
    {
        return Some(ReviewReason::ScopeMissing);
    }
    if rule.kind == AutomationKind::AutoAssign
        && let Some(assignee) = rule
            .config
            .get("assigneeUserId")
            .and_then(serde_json::Value::as_i64)
        && !assignee_can_view(assignee)
    {
        return Some(ReviewReason::AssigneeLostAccess);
    }
    None
}

/// B6: the concrete step that makes a flagged rule work again, for its reason.
pub fn review_fix(rule: &automation_rules::Model, reason: ReviewReason, account: &str) -> String {
    match reason {
        ReviewReason::AccountDisconnected => format!(
            "{account} did not come back with the reconnect: reconnect it (its restore list says how), or point \"{}\" at another account.",
            rule.name
        ),
        ReviewReason::ScopeMissing => {
            let scope = rule
                .config
                .get("requiresScope")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("a permission");
            format!(
                "The network no longer grants {scope}, which \"{}\" reads with: reconnect {account} and leave every permission ticked at the network's prompt.",
                rule.name
            )
        }
        ReviewReason::AssigneeLostAccess => format!(
            "\"{}\" assigns to someone who can no longer see {account}: give them access to it again, or assign the rule to someone who has it.",
            rule.name
        ),
    }
}

pub mod email;

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn rule(kind: AutomationKind, config: serde_json::Value) -> automation_rules::Model {
        automation_rules::Model {
            id: 1,
            organization_id: 1,
            social_account_id: 1,
            kind,
            name: "rule".to_owned(),
            config,
            needs_review: false,
            review_reason: None,
            last_checked_at: None,
            created_at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            created_by: None,
            flagged_by: None,
            review_emailed_at: None,
        }
    }

    #[test]
    fn a_rule_works_when_its_account_scope_and_assignee_are_there() {
        let tag = rule(
            AutomationKind::AutoTag,
            serde_json::json!({ "tag": "complaint", "requiresScope": "read" }),
        );
        assert_eq!(problem(&tag, Health::Connected, &["read"], |_| true), None);
        assert_eq!(
            problem(&tag, Health::Connected, &["write"], |_| true),
            Some(ReviewReason::ScopeMissing)
        );
        assert_eq!(
            problem(&tag, Health::Disconnected, &["read"], |_| true),
            Some(ReviewReason::AccountDisconnected)
        );
        let assign = rule(
            AutomationKind::AutoAssign,
            serde_json::json!({ "assigneeUserId": 4 }),
        );
        assert_eq!(
            problem(&assign, Health::Limited, &[], |user| user != 4),
            Some(ReviewReason::AssigneeLostAccess)
        );
        assert_eq!(problem(&assign, Health::Connected, &[], |_| true), None);
    }
}

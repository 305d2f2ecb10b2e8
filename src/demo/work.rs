//! What the demo's people may do and have planned: grants (R3, R4, R8), automation rules (R19,
//! B6), posts (R13, B4) and streams (R15).

use chrono::{DateTime, Duration, Utc};
use entity::{
    automation_rules,
    enums::{AccessLevel, AutomationKind, PostState, StreamKind},
    scheduled_posts,
};
use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, NotSet, Set};

use super::builders::grant;

/// The ids the work refers to.
#[derive(Clone, Copy)]
pub(super) struct Northwind {
    pub(super) org: i64,
    pub(super) ada: i64,
    pub(super) ben: i64,
    pub(super) cleo: i64,
    pub(super) dev: i64,
    pub(super) team: i64,
    pub(super) page: i64,
    pub(super) roastery: i64,
    pub(super) group: i64,
    pub(super) instagram: i64,
    pub(super) x_brand: i64,
    pub(super) company: i64,
}

/// The demo's permissions, automation rules, posts and streams over its people and accounts.
pub(super) async fn seed_work(
    txn: &impl ConnectionTrait,
    ids: &Northwind,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Northwind {
        org,
        ada,
        ben,
        cleo,
        dev,
        team,
        page,
        roastery,
        group,
        instagram,
        x_brand,
        company,
    } = *ids;
    // Cleo may reconnect the roastery page (and so, by R8, the whole Facebook login).
    grant(txn, roastery, Some(cleo), None, AccessLevel::Advanced, now).await?;
    grant(txn, company, Some(cleo), None, AccessLevel::Editor, now).await?;
    // Dev edits the broken page and group but may not reconnect: sees the banner and whom to ask.
    grant(txn, page, Some(dev), None, AccessLevel::Editor, now).await?;
    grant(txn, group, Some(dev), None, AccessLevel::Editor, now).await?;
    grant(txn, instagram, None, Some(team), AccessLevel::Limited, now).await?;
    grant(txn, x_brand, None, Some(team), AccessLevel::Limited, now).await?;

    // R19 / B6: rules checked again after every reconnect. Dev cannot see the roastery page, so
    // the assignment to him is flagged the next time that login comes back.
    let rules = [
        (
            page,
            AutomationKind::AutoTag,
            "Tag complaints",
            serde_json::json!({ "tag": "complaint", "requiresScope": "pages_read_engagement" }),
        ),
        (
            roastery,
            AutomationKind::AutoAssign,
            "Assign roastery messages to Dev",
            serde_json::json!({ "assigneeUserId": dev }),
        ),
        (
            group,
            AutomationKind::AutoTag,
            "Tag event questions",
            serde_json::json!({ "tag": "event", "requiresScope": "groups_access_member_info" }),
        ),
    ];
    // R13: posts in the planner, held on the broken page; R15: streams on every dashboard.
    let posts = [
        (
            page,
            dev,
            "Weekend roast: Ethiopian Yirgacheffe, light and floral.",
            Duration::days(1),
            PostState::Held,
        ),
        (
            page,
            ada,
            "Latte art class on Saturday, 10 am. Bring a friend!",
            Duration::days(3),
            PostState::Held,
        ),
        (
            x_brand,
            ben,
            "Flat whites are back on the menu.",
            Duration::hours(2),
            PostState::Scheduled,
        ),
        (
            company,
            ben,
            "We are hiring baristas in Hamburg.",
            Duration::days(1),
            PostState::Scheduled,
        ),
    ];
    for (account, author, body, after, state) in posts {
        scheduled_posts::ActiveModel {
            id: NotSet,
            social_account_id: Set(account),
            author_id: Set(author),
            body: Set(body.to_owned()),
            scheduled_at: Set(Some(now + after)),
            state: Set(state),
            idempotency_key: Set(crate::posts::compose::idempotency_key()),
            attempts: Set(0),
            lease_until: Set(None),
            not_before: Set(None),
            held_at: Set((state == PostState::Held).then_some(now)),
            published_at: Set(None),
            external_post_id: Set(None),
            failure_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    let streams = [
        (ada, page, StreamKind::Posts, "Northwind Coffee: posts"),
        (ada, x_brand, StreamKind::Mentions, "@northwind: mentions"),
        (
            ben,
            company,
            StreamKind::Posts,
            "Northwind Coffee on LinkedIn",
        ),
        (cleo, roastery, StreamKind::Posts, "Roastery: posts"),
        (dev, page, StreamKind::Posts, "Northwind Coffee: posts"),
    ];
    for (owner, account, kind, title) in streams {
        entity::streams::ActiveModel {
            id: NotSet,
            owner_user_id: Set(owner),
            social_account_id: Set(account),
            kind: Set(kind),
            title: Set(title.to_owned()),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
    }

    for (account, kind, name, config) in rules {
        automation_rules::ActiveModel {
            id: NotSet,
            organization_id: Set(org),
            social_account_id: Set(account),
            kind: Set(kind),
            name: Set(name.to_owned()),
            config: Set(config),
            needs_review: Set(false),
            review_reason: Set(None),
            last_checked_at: Set(None),
            created_at: Set(now),
            // Ben set the rules up: he hears when one needs a review.
            created_by: Set(Some(ben)),
            flagged_by: Set(None),
            review_emailed_at: Set(None),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

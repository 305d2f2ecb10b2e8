//! The reconnect banner, the profile badge and the restore list (R9, R10, R11).

pub mod cache;
pub mod email;
pub mod note;
pub mod repo;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{enums::Health, social_accounts, social_logins};
use sea_orm::{DatabaseConnection, DbErr};

use crate::{
    access::Subject,
    accounts::{self, AccountFilter},
    app::App,
    audit,
};

/// The event kind of a dismissal (R9): the viewer's other tabs hide the banner too.
pub const BANNER_DISMISSED: &str = "BANNER_DISMISSED";

/// Where the restore list lives in the dashboard (R10).
pub const REAUTH_PATH: &str = "/dashboard#/social-networks/reauth";

/// R9: a dismissed banner comes back after this long.
pub fn banner_returns_after() -> Duration {
    Duration::hours(24)
}

/// What the dashboard shows one viewer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BannerState {
    /// Show the reconnect banner.
    pub visible: bool,
    /// When the banner is hidden by a dismissal: the moment it comes back.
    pub dismissed_until: Option<DateTime<Utc>>,
    /// R11: disconnected accounts the viewer can see.
    pub badge_count: usize,
}

/// R9–R11: the banner shows while the viewer can see a disconnected account, unless it was
/// dismissed less than 24 hours ago and nothing disconnected since the dismissal.
pub fn banner_state(
    disconnected_at: impl IntoIterator<Item = DateTime<Utc>>,
    dismissed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> BannerState {
    let mut badge_count = 0;
    let mut newest: Option<DateTime<Utc>> = None;
    for at in disconnected_at {
        badge_count += 1;
        newest = newest.max(Some(at));
    }
    let hidden_until = dismissed_at
        .map(|dismissed| crate::clock::after(dismissed, banner_returns_after()))
        .filter(|until| now < *until)
        // A disconnect after the dismissal brings the banner back at once.
        .filter(|_| newest.is_none_or(|newest| Some(newest) <= dismissed_at));
    let visible = badge_count > 0 && hidden_until.is_none();
    BannerState {
        visible,
        dismissed_until: if badge_count > 0 { hidden_until } else { None },
        badge_count,
    }
}

/// Whether an account belongs on the restore list: it is disconnected, limited, or expiring.
pub fn needs_attention(health: Health) -> bool {
    !matches!(health, Health::Connected)
}

/// R10: most urgent first. Disconnected accounts first, the longest broken at the top (it has
/// lost the most work); then expiring ones, the soonest to run out first; then limited ones.
pub fn sort_by_urgency(
    accounts: &mut [social_accounts::Model],
    token_expiry: impl Fn(&social_accounts::Model) -> Option<DateTime<Utc>>,
) {
    accounts.sort_by_cached_key(|account| {
        let rank = match account.health {
            Health::Disconnected => 0,
            Health::Expiring => 1,
            Health::Limited => 2,
            Health::Connected => 3,
        };
        let when = match account.health {
            Health::Disconnected => account.disconnected_at,
            Health::Expiring => token_expiry(account),
            _ => None,
        }
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
        (rank, when, account.name.to_lowercase(), account.id)
    });
}

/// Everything the banner, badge and restore list need for one viewer.
#[derive(Clone, Debug)]
pub struct Status {
    /// Banner and badge.
    pub banner: BannerState,
    /// The restore list, most urgent first.
    pub accounts: Vec<social_accounts::Model>,
    /// The logins of those accounts, by id (token expiry; handed to the request's cache).
    pub logins: HashMap<i64, social_logins::Model>,
}

/// R9: the dismissal that counts for a sign-in at `signed_in_at`. A dismissal holds for the
/// sign-in in which it was made (a reload, a refreshed token): a later sign-in sees the banner
/// again, as the article shows it "at every sign-in". Without a sign-in time, it holds.
pub fn dismissal_for_sign_in(
    dismissed_at: Option<DateTime<Utc>>,
    signed_in_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    dismissed_at.filter(|dismissed| signed_in_at.is_none_or(|signed_in| signed_in <= *dismissed))
}

/// What one viewer's status is made of, whatever the time and the sign-in: the accounts that
/// need attention (most urgent first) with their logins, and the last dismissal. The status
/// cache keeps these.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// The restore list, most urgent first.
    pub accounts: Vec<social_accounts::Model>,
    /// The logins of those accounts, by id.
    pub logins: HashMap<i64, social_logins::Model>,
    /// When the viewer last dismissed the banner.
    pub dismissed_at: Option<DateTime<Utc>>,
}

impl Inputs {
    /// The status these inputs give at `now`, for the sign-in of `signed_in_at` (R9).
    pub fn status(&self, signed_in_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Status {
        let banner = banner_state(
            self.accounts
                .iter()
                .filter(|account| account.health == Health::Disconnected)
                .map(|account| account.disconnected_at.unwrap_or(account.created_at)),
            dismissal_for_sign_in(self.dismissed_at, signed_in_at),
            now,
        );
        Status {
            banner,
            accounts: self.accounts.clone(),
            logins: self.logins.clone(),
        }
    }
}

/// Loads the inputs of the viewer's status in two statements (after the viewer's own lookups).
pub async fn load_inputs(
    db: &DatabaseConnection,
    subject: &Subject,
    user_id: i64,
) -> Result<Inputs, DbErr> {
    let filter = AccountFilter {
        health: Some(vec![
            Health::Disconnected,
            Health::Expiring,
            Health::Limited,
        ]),
        ..AccountFilter::default()
    };
    let rows = accounts::repo::list_visible_with_logins(db, subject, &filter).await?;
    let dismissed_at = repo::dismissed_at(db, user_id).await?;
    let mut logins = HashMap::new();
    let mut attention = Vec::with_capacity(rows.len());
    for (account, login) in rows {
        logins.insert(login.id, login);
        attention.push(account);
    }
    sort_by_urgency(&mut attention, |account| {
        logins
            .get(&account.social_login_id)
            .and_then(|login| login.token_expires_at)
    });
    Ok(Inputs {
        accounts: attention,
        logins,
        dismissed_at,
    })
}

/// Loads the viewer's status at `now` for the sign-in of `signed_in_at`, from the database.
pub async fn status(
    db: &DatabaseConnection,
    subject: &Subject,
    user_id: i64,
    signed_in_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Status, DbErr> {
    Ok(load_inputs(db, subject, user_id)
        .await?
        .status(signed_in_at, now))
}

/// R9: records that the user dismissed the banner at `now`, with its audit entries (B8): one for
/// each organization whose disconnected accounts the banner was showing them, naming those
/// accounts, so the organization's admins see who dismissed the warning (a user's own personal
/// accounts make an entry of their own, without an organization).
pub async fn dismiss_banner(app: &App, subject: &Subject) -> Result<(), DbErr> {
    let (user_id, now) = (subject.user_id, app.now());
    let txn = app.begin().await?;
    let disconnected = AccountFilter {
        health: Some(vec![Health::Disconnected]),
        ..AccountFilter::default()
    };
    let shown = accounts::repo::list_visible(&txn, subject, &disconnected, None, None).await?;
    repo::dismiss(&txn, user_id, now).await?;
    let mut by_organization: std::collections::BTreeMap<Option<i64>, Vec<i64>> =
        std::collections::BTreeMap::new();
    for account in &shown {
        by_organization
            .entry(account.owner_organization_id)
            .or_default()
            .push(account.id);
    }
    if by_organization.is_empty() {
        // Nothing was disconnected: the dismissal is still the user's act, on record.
        by_organization.insert(None, Vec::new());
    }
    // Every replica's status cache, and the viewer's other tabs, learn of it through the outbox.
    let event = crate::events::repo::row(BANNER_DISMISSED, serde_json::json!({}), now);
    crate::events::repo::append(
        &txn,
        entity::events::ActiveModel {
            owner_user_id: sea_orm::Set(Some(user_id)),
            ..event
        },
    )
    .await?;
    let returns_at = crate::clock::after(now, banner_returns_after());
    for (organization_id, accounts) in by_organization {
        audit::record(
            &txn,
            audit::Entry {
                organization_id,
                actor_user_id: Some(user_id),
                action: "banner.dismissed",
                target_type: "user",
                target_id: Some(user_id),
                detail: serde_json::json!({ "returnsAt": returns_at, "accounts": accounts }),
            },
            now,
        )
        .await?;
    }
    app.commit(txn).await
}

#[cfg(test)]
mod tests;

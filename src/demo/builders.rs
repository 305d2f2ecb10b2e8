//! Small builders of the demo's rows: users, memberships, logins, accounts, episodes, grants.

use chrono::{DateTime, Utc};
use entity::{
    account_grants, analytics_gaps, disconnect_episodes,
    enums::{
        AccessLevel, AccountKind, DisconnectReason, Health, LimitedReason, LoginStatus, Network,
        OrgRole,
    },
    memberships, social_accounts, social_logins, users,
};
use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, NotSet, Set};

pub(super) async fn user(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let subject = format!(
        "{}|{}",
        email.split('@').nth(1).unwrap_or("relink"),
        email.split('@').next().unwrap_or(email)
    );
    Ok(users::ActiveModel {
        id: NotSet,
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        avatar_url: Set(None),
        external_subject: Set(subject),
        created_at: Set(now),
    }
    .insert(db)
    .await?
    .id)
}

pub(super) async fn member(
    db: &impl ConnectionTrait,
    org: i64,
    user: i64,
    role: OrgRole,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    memberships::ActiveModel {
        id: NotSet,
        organization_id: Set(org),
        user_id: Set(user),
        role: Set(role),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A login to insert.
pub(super) struct LoginSeed<'a> {
    pub(super) network: Network,
    pub(super) external: &'a str,
    pub(super) name: &'a str,
    pub(super) org: Option<i64>,
    pub(super) user: Option<i64>,
    pub(super) broken: Option<(DisconnectReason, DateTime<Utc>)>,
    pub(super) expires: Option<DateTime<Utc>>,
    pub(super) scopes: &'a str,
    pub(super) connected_by: i64,
    pub(super) connected_at: DateTime<Utc>,
    pub(super) reconnected: Option<(i64, DateTime<Utc>)>,
}

pub(super) async fn login(
    db: &impl ConnectionTrait,
    seed: LoginSeed<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    Ok(social_logins::ActiveModel {
        id: NotSet,
        network: Set(seed.network),
        external_user_id: Set(seed.external.to_owned()),
        display_name: Set(seed.name.to_owned()),
        owner_organization_id: Set(seed.org),
        owner_user_id: Set(seed.user),
        // Demo logins carry no tokens: the sandbox issues real ones on the first (re)connect.
        access_token_enc: Set(None),
        refresh_token_enc: Set(None),
        key_id: Set(None),
        token_expires_at: Set(seed.expires),
        refresh_expires_at: Set(None),
        scopes: Set(seed.scopes.to_owned()),
        status: Set(if seed.broken.is_some() {
            LoginStatus::Disconnected
        } else {
            LoginStatus::Connected
        }),
        disconnect_reason: Set(seed.broken.map(|(reason, _)| reason)),
        disconnected_at: Set(seed.broken.map(|(_, at)| at)),
        connected_by: Set(Some(seed.connected_by)),
        connected_at: Set(seed.connected_at),
        last_reconnected_by: Set(seed.reconnected.map(|(user, _)| user)),
        last_reconnected_at: Set(seed.reconnected.map(|(_, at)| at)),
        version: Set(0),
        created_at: Set(now),
        refresh_lease_until: Set(None),
        refresh_failures: Set(0),
        next_refresh_at: Set(None),
        checked_at: Set(None),
    }
    .insert(db)
    .await?
    .id)
}

/// An account to insert.
pub(super) struct AccountSeed<'a> {
    pub(super) login: i64,
    pub(super) login_external: &'a str,
    pub(super) network: Network,
    pub(super) kind: AccountKind,
    pub(super) external: &'a str,
    pub(super) name: &'a str,
    pub(super) org: Option<i64>,
    pub(super) user: Option<i64>,
    pub(super) health: Health,
    pub(super) broken: Option<(DisconnectReason, DateTime<Utc>)>,
    pub(super) linked: Option<i64>,
    pub(super) limited: Option<LimitedReason>,
}

impl AccountSeed<'_> {
    pub(super) fn row(&self, now: DateTime<Utc>) -> social_accounts::ActiveModel {
        social_accounts::ActiveModel {
            id: NotSet,
            network: Set(self.network),
            kind: Set(self.kind),
            external_id: Set(self.external.to_owned()),
            name: Set(self.name.to_owned()),
            avatar_url: Set(None),
            owner_organization_id: Set(self.org),
            owner_user_id: Set(self.user),
            social_login_id: Set(self.login),
            original_login_external_id: Set(self.login_external.to_owned()),
            linked_account_id: Set(self.linked),
            health: Set(self.health),
            limited_reason: Set(self.limited),
            disconnect_reason: Set(self.broken.map(|(reason, _)| reason)),
            disconnected_at: Set(self.broken.map(|(_, at)| at)),
            current_episode_id: Set(None),
            created_at: Set(now),
        }
    }
}

pub(super) async fn account(
    db: &impl ConnectionTrait,
    seed: AccountSeed<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let id = seed.row(now).insert(db).await?.id;
    if let Some((reason, at)) = seed.broken {
        open_episode(db, id, reason, at).await?;
    }
    Ok(id)
}

pub(super) async fn open_episode(
    db: &impl ConnectionTrait,
    account: i64,
    reason: DisconnectReason,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let episode = disconnect_episodes::ActiveModel {
        id: NotSet,
        social_account_id: Set(account),
        reason: Set(reason),
        started_at: Set(at),
        ended_at: Set(None),
        ended_by: Set(None),
        email_sent_at: Set(None),
        email_attempts: Set(0),
        recovered_email_sent_at: Set(None),
        told_user_ids: Set(None),
    }
    .insert(db)
    .await?;
    // B5: no analytics since the disconnect.
    analytics_gaps::ActiveModel {
        id: NotSet,
        social_account_id: Set(account),
        episode_id: Set(episode.id),
        from: Set(at),
        to: Set(None),
    }
    .insert(db)
    .await?;
    social_accounts::ActiveModel {
        id: Set(account),
        current_episode_id: Set(Some(episode.id)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub(super) async fn grant(
    db: &impl ConnectionTrait,
    account: i64,
    user: Option<i64>,
    team: Option<i64>,
    level: AccessLevel,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account_grants::ActiveModel {
        id: NotSet,
        social_account_id: Set(account),
        user_id: Set(user),
        team_id: Set(team),
        level: Set(level),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

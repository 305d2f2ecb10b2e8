//! Queries for logins, accounts and the viewer's permissions; each runs inside a transaction too.

use std::collections::HashMap;

use entity::enums::Health;
use entity::{account_grants, memberships, social_accounts, social_logins, team_members};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, QueryTrait as _,
    sea_query::{Expr, Func},
};

use super::AccountFilter;
use crate::access::{Owner, Subject};

/// Loads what the permission rules need about a user, in two statements.
pub async fn load_subject(db: &impl ConnectionTrait, user_id: i64) -> Result<Subject, DbErr> {
    let mut subject = Subject::new(user_id);
    for membership in memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .all(db)
        .await?
    {
        subject
            .org_roles
            .insert(membership.organization_id, membership.role);
    }
    // Direct grants and the grants of the user's teams, in one statement.
    let teams = team_members::Entity::find()
        .select_only()
        .column(team_members::Column::TeamId)
        .filter(team_members::Column::UserId.eq(user_id))
        .into_query();
    let grants = Condition::any()
        .add(account_grants::Column::UserId.eq(user_id))
        .add(account_grants::Column::TeamId.in_subquery(teams));
    for grant in account_grants::Entity::find()
        .filter(grants)
        .all(db)
        .await?
    {
        subject.grant(grant.social_account_id, grant.level);
    }
    Ok(subject)
}

/// The accounts `subject` may view: every account of the organizations they administer, the
/// granted accounts of organizations they belong to, and their personal accounts.
///
/// On SQLite, for someone who administers nothing, their accounts are a few among many, and an
/// `OR` of the branches with `ORDER BY id` makes SQLite scan the whole table (1.5 ms for 10,000
/// accounts): the ids come from a `UNION` of indexed lookups instead (0.16 ms). PostgreSQL
/// answers the `OR` from its indexes (a bitmap OR, 0.3 ms), and an administrator's accounts are
/// dense, so a page in id order finds its rows at once: both keep the plain `OR`.
fn visible(subject: &Subject, backend: DbBackend) -> Condition {
    if backend == DbBackend::Sqlite && subject.admin_organizations().is_empty() {
        Condition::all().add(social_accounts::Column::Id.in_subquery(visible_ids(subject, backend)))
    } else {
        any_branch(subject)
    }
}

/// Any of [`visible_branches`].
fn any_branch(subject: &Subject) -> Condition {
    let (own, others) = visible_branches(subject);
    others
        .into_iter()
        .fold(Condition::any().add(own), Condition::add)
}

/// The ways an account is visible to `subject`, each answerable from one index: their own
/// personal accounts (always), then those through organizations.
fn visible_branches(subject: &Subject) -> (Condition, Vec<Condition>) {
    let admin_orgs = subject.admin_organizations();
    let member_orgs: Vec<i64> = subject.org_roles.keys().copied().collect();
    let granted: Vec<i64> = subject.levels.keys().copied().collect();
    let own = Condition::all().add(social_accounts::Column::OwnerUserId.eq(subject.user_id));
    let mut branches = Vec::new();
    if !admin_orgs.is_empty() {
        branches.push(
            Condition::all().add(social_accounts::Column::OwnerOrganizationId.is_in(admin_orgs)),
        );
    }
    if !granted.is_empty() && !member_orgs.is_empty() {
        branches.push(
            Condition::all()
                .add(social_accounts::Column::Id.is_in(granted))
                .add(social_accounts::Column::OwnerOrganizationId.is_in(member_orgs)),
        );
    }
    (own, branches)
}

/// The ids of the accounts `subject` may view, as a subquery: lists of things that belong to
/// accounts (posts, events) filter by it in the database, whatever the number of accounts. On
/// SQLite a `UNION` of indexed lookups (an `OR` with `ORDER BY id` would scan every account).
pub fn visible_ids(subject: &Subject, backend: DbBackend) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Query, UnionType};
    let select = |branch: Condition| {
        Query::select()
            .column(social_accounts::Column::Id)
            .from(social_accounts::Entity)
            .cond_where(branch)
            .to_owned()
    };
    if backend != DbBackend::Sqlite {
        return select(any_branch(subject));
    }
    let (own, others) = visible_branches(subject);
    let mut ids = select(own);
    for branch in others {
        ids.union(UnionType::Distinct, select(branch));
    }
    ids
}

/// The accounts with these ids that `subject` may view (the others are left out).
pub async fn visible_by_ids(
    db: &impl ConnectionTrait,
    subject: &Subject,
    ids: &[i64],
) -> Result<Vec<social_accounts::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    social_accounts::Entity::find()
        .filter(social_accounts::Column::Id.is_in(ids.iter().copied()))
        .filter(visible(subject, db.get_database_backend()))
        .all(db)
        .await
}

fn filtered(filter: &AccountFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(health) = &filter.health {
        condition = condition.add(social_accounts::Column::Health.is_in(health.iter().copied()));
    }
    if let Some(network) = &filter.network {
        condition = condition.add(social_accounts::Column::Network.is_in(network.iter().copied()));
    }
    if let Some(organization_id) = filter.organization_id {
        condition = condition.add(social_accounts::Column::OwnerOrganizationId.eq(organization_id));
    }
    match filter.personal {
        Some(true) => condition = condition.add(social_accounts::Column::OwnerUserId.is_not_null()),
        Some(false) => condition = condition.add(social_accounts::Column::OwnerUserId.is_null()),
        None => {}
    }
    condition
}

/// The accounts `subject` may view, by id, after the cursor id `after`; all when `limit` is `None`.
pub async fn list_visible(
    db: &impl ConnectionTrait,
    subject: &Subject,
    filter: &AccountFilter,
    after: Option<i64>,
    limit: Option<u64>,
) -> Result<Vec<social_accounts::Model>, DbErr> {
    let mut query = social_accounts::Entity::find()
        .filter(visible(subject, db.get_database_backend()))
        .filter(filtered(filter));
    if let Some(after) = after {
        query = query.filter(social_accounts::Column::Id.gt(after));
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    query
        .order_by_asc(social_accounts::Column::Id)
        .all(db)
        .await
}

/// Every account `subject` may view that passes `filter`, each with its login, in one statement.
pub async fn list_visible_with_logins(
    db: &impl ConnectionTrait,
    subject: &Subject,
    filter: &AccountFilter,
) -> Result<Vec<(social_accounts::Model, social_logins::Model)>, DbErr> {
    let rows = social_accounts::Entity::find()
        .filter(visible(subject, db.get_database_backend()))
        .filter(filtered(filter))
        .find_also_related(social_logins::Entity)
        .order_by_asc(social_accounts::Column::Id)
        .all(db)
        .await?;
    // The foreign key guarantees a login; a missing one would be a broken database.
    Ok(rows
        .into_iter()
        .filter_map(|(account, login)| login.map(|login| (account, login)))
        .collect())
}

/// One page of an organization's accounts, for its admins (R16).
pub async fn list_for_organization(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &AccountFilter,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<social_accounts::Model>, DbErr> {
    let mut query = social_accounts::Entity::find()
        .filter(social_accounts::Column::OwnerOrganizationId.eq(organization_id))
        .filter(filtered(filter));
    if let Some(after) = after {
        query = query.filter(social_accounts::Column::Id.gt(after));
    }
    query
        .order_by_asc(social_accounts::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// One account, if `subject` may view it; another organization's id reads like an unknown id.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    subject: &Subject,
    id: i64,
) -> Result<Option<social_accounts::Model>, DbErr> {
    social_accounts::Entity::find_by_id(id)
        .filter(visible(subject, db.get_database_backend()))
        .one(db)
        .await
}

/// Holds the account's row until the caller's transaction ends (`FOR UPDATE` on PostgreSQL; a
/// SQLite write transaction holds the whole database already), so check-then-write steps about
/// one account run one at a time.
pub async fn lock_account(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    social_accounts::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?;
    Ok(())
}

/// Logins by id.
pub async fn logins_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, social_logins::Model>, DbErr> {
    Ok(social_logins::Entity::find()
        .filter(social_logins::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|login| (login.id, login))
        .collect())
}

/// For each login, its accounts as (id, owner): what R8 needs to decide who may reconnect.
pub async fn account_owners_by_login(
    db: &impl ConnectionTrait,
    login_ids: &[i64],
) -> Result<HashMap<i64, Vec<(i64, Owner)>>, DbErr> {
    let rows: Vec<(i64, i64, Option<i64>, Option<i64>)> = social_accounts::Entity::find()
        .select_only()
        .column(social_accounts::Column::SocialLoginId)
        .column(social_accounts::Column::Id)
        .column(social_accounts::Column::OwnerOrganizationId)
        .column(social_accounts::Column::OwnerUserId)
        .filter(social_accounts::Column::SocialLoginId.is_in(login_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut by_login: HashMap<i64, Vec<(i64, Owner)>> = HashMap::new();
    for (login_id, account_id, org, user) in rows {
        if let Some(owner) = Owner::from_columns(org, user) {
            by_login
                .entry(login_id)
                .or_default()
                .push((account_id, owner));
        }
    }
    Ok(by_login)
}

/// Whether `subject` may view at least one account of the login.
pub async fn any_visible_of_login(
    db: &impl ConnectionTrait,
    subject: &Subject,
    filter: &AccountFilter,
    login_id: i64,
) -> Result<bool, DbErr> {
    Ok(social_accounts::Entity::find()
        .filter(visible(subject, db.get_database_backend()))
        .filter(filtered(filter))
        .filter(social_accounts::Column::SocialLoginId.eq(login_id))
        .one(db)
        .await?
        .is_some())
}

/// How many accounts there are in each health state: all (`/metrics`) or one organization's (R16).
pub async fn count_by_health(
    db: &impl ConnectionTrait,
    organization_id: Option<i64>,
) -> Result<Vec<(Health, i64)>, DbErr> {
    let mut query = social_accounts::Entity::find();
    if let Some(organization_id) = organization_id {
        query = query.filter(social_accounts::Column::OwnerOrganizationId.eq(organization_id));
    }
    query
        .select_only()
        .column(social_accounts::Column::Health)
        .column_as(
            Expr::from(Func::count(Expr::col(social_accounts::Column::Id))),
            "accounts",
        )
        .group_by(social_accounts::Column::Health)
        .into_tuple()
        .all(db)
        .await
}

/// Everyone who may view `account` now, decided by the same rules as every query
/// ([`crate::access::may`]): three statements, whatever the number of viewers. The event relay
/// uses it once per event, so subscribers filter in memory.
pub async fn viewers_of(
    db: &impl ConnectionTrait,
    account: &social_accounts::Model,
) -> Result<std::collections::HashSet<i64>, DbErr> {
    use crate::access::{Action, may};
    let Some(owner) = Owner::from_columns(account.owner_organization_id, account.owner_user_id)
    else {
        return Ok(Default::default());
    };
    let Owner::Organization(org) = owner else {
        return Ok(account.owner_user_id.into_iter().collect());
    };
    let members = memberships::Entity::find()
        .filter(memberships::Column::OrganizationId.eq(org))
        .all(db)
        .await?;
    let grants = account_grants::Entity::find()
        .filter(account_grants::Column::SocialAccountId.eq(account.id))
        .all(db)
        .await?;
    let team_ids: Vec<i64> = grants.iter().filter_map(|grant| grant.team_id).collect();
    let team_members = if team_ids.is_empty() {
        Vec::new()
    } else {
        team_members::Entity::find()
            .filter(team_members::Column::TeamId.is_in(team_ids))
            .all(db)
            .await?
    };
    let mut viewers = std::collections::HashSet::new();
    for member in members {
        let mut subject = Subject::new(member.user_id);
        subject.org_roles.insert(org, member.role);
        for grant in &grants {
            let holds = grant.user_id == Some(member.user_id)
                || grant.team_id.is_some_and(|team| {
                    team_members
                        .iter()
                        .any(|row| row.team_id == team && row.user_id == member.user_id)
                });
            if holds {
                subject.grant(account.id, grant.level);
            }
        }
        if may(&subject, account.id, owner, Action::View) {
            viewers.insert(member.user_id);
        }
    }
    Ok(viewers)
}

/// The analytics gaps (B5) of these accounts, oldest first.
pub async fn gaps_of(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
) -> Result<Vec<entity::analytics_gaps::Model>, DbErr> {
    use entity::analytics_gaps;
    analytics_gaps::Entity::find()
        .filter(analytics_gaps::Column::SocialAccountId.is_in(account_ids.iter().copied()))
        .order_by_asc(analytics_gaps::Column::From)
        .order_by_asc(analytics_gaps::Column::Id)
        .all(db)
        .await
}

/// R15: the streams of `subject`'s dashboard over accounts they may still see, in the order they
/// were made, each with its account; at most `limit`.
pub async fn streams_of(
    db: &impl ConnectionTrait,
    subject: &Subject,
    limit: usize,
) -> Result<Vec<(entity::streams::Model, social_accounts::Model)>, DbErr> {
    use entity::streams;
    let rows = streams::Entity::find()
        .filter(streams::Column::OwnerUserId.eq(subject.user_id))
        .order_by_asc(streams::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|stream| stream.social_account_id).collect();
    let visible = visible_by_ids(db, subject, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|stream| {
            let account = visible
                .iter()
                .find(|account| account.id == stream.social_account_id)?
                .clone();
            Some((stream, account))
        })
        .take(limit)
        .collect())
}

/// R3/R8: everyone who sees `account` and may reconnect it (admins, ADVANCED or OWNER on it or
/// on another account of its login), by id: whom a person who may not reconnect can ask (R4).
pub async fn who_may_reconnect(
    db: &impl ConnectionTrait,
    account: &social_accounts::Model,
) -> Result<Vec<entity::users::Model>, DbErr> {
    let siblings = account_owners_by_login(db, &[account.social_login_id])
        .await?
        .remove(&account.social_login_id)
        .unwrap_or_default();
    let mut ids = Vec::new();
    for user_id in viewers_of(db, account).await? {
        let subject = load_subject(db, user_id).await?;
        // The siblings include the account itself.
        if crate::access::may_reconnect_login(&subject, siblings.iter().copied()) {
            ids.push(user_id);
        }
    }
    let mut users: Vec<entity::users::Model> = crate::people::repo::users_by_ids(db, &ids)
        .await?
        .into_values()
        .collect();
    users.sort_by_key(|user| user.id);
    Ok(users)
}

/// The accounts `ids`, by id, whoever may see them (for the system's own jobs).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, social_accounts::Model>, DbErr> {
    Ok(social_accounts::Entity::find()
        .filter(social_accounts::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|account| (account.id, account))
        .collect())
}

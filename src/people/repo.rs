//! Queries for users, organizations and memberships.

use std::collections::HashMap;

use entity::{memberships, organizations, users};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
};

/// Users by id.
pub async fn users_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, users::Model>, DbErr> {
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.id, user))
        .collect())
}

/// The user a token's `sub` names.
pub async fn user_by_subject(
    db: &impl ConnectionTrait,
    subject: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::ExternalSubject.eq(subject))
        .one(db)
        .await
}

/// The user with this email (for `relink token`).
pub async fn user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await
}

/// The organizations a user belongs to, with the user's role, by name.
pub async fn organizations_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<(organizations::Model, memberships::Model)>, DbErr> {
    let memberships = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .order_by_asc(memberships::Column::OrganizationId)
        .all(db)
        .await?;
    let mut orgs: HashMap<i64, organizations::Model> = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(memberships.iter().map(|m| m.organization_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|org| (org.id, org))
        .collect();
    Ok(memberships
        .into_iter()
        .filter_map(|membership| {
            orgs.remove(&membership.organization_id)
                .map(|org| (org, membership))
        })
        .collect())
}

/// One organization by id.
pub async fn organization(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<organizations::Model>, DbErr> {
    organizations::Entity::find_by_id(id).one(db).await
}

/// Organizations by id.
pub async fn organizations_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, organizations::Model>, DbErr> {
    Ok(organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|org| (org.id, org))
        .collect())
}

/// Whether two users share an organization (a user is visible to colleagues only).
pub async fn share_an_organization(
    db: &impl ConnectionTrait,
    viewer_orgs: &[i64],
    user_id: i64,
) -> Result<bool, DbErr> {
    if viewer_orgs.is_empty() {
        return Ok(false);
    }
    Ok(memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::OrganizationId.is_in(viewer_orgs.iter().copied()))
        .one(db)
        .await?
        .is_some())
}

/// The users whose email ends with `domain` (the demo organization's), oldest first, each with
/// their role in their first organization (`None` without a membership).
pub async fn users_of_domain(
    db: &impl ConnectionTrait,
    domain: &str,
) -> Result<Vec<(users::Model, Option<entity::enums::OrgRole>)>, DbErr> {
    let people = users::Entity::find()
        .filter(users::Column::Email.ends_with(domain))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?;
    let roles = memberships::Entity::find()
        .filter(memberships::Column::UserId.is_in(people.iter().map(|user| user.id)))
        .order_by_asc(memberships::Column::OrganizationId)
        .all(db)
        .await?;
    Ok(people
        .into_iter()
        .map(|user| {
            let role = roles
                .iter()
                .find(|membership| membership.user_id == user.id)
                .map(|membership| membership.role);
            (user, role)
        })
        .collect())
}

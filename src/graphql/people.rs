//! Views and roots for the viewer, users and organizations.

use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{organizations, users};

use super::{
    context::{database, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::{Authenticated, OrgMember},
    ids::{self, Kind},
};
use crate::people;

/// An organization role.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::OrgRole")]
pub enum OrgRole {
    /// Everything in the organization, including its admins.
    SuperAdmin,
    /// Everything in the organization's social accounts and teams.
    Admin,
    /// What their per-account levels allow.
    Member,
}

/// A person who signs in to the dashboard.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct User {
    #[graphql(skip)]
    pub model: users::Model,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Avatar picture.
    pub avatar_url: Option<String>,
}

#[ComplexObject]
impl User {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::User, self.model.id)
    }
}

impl From<users::Model> for User {
    fn from(model: users::Model) -> Self {
        Self {
            name: model.name.clone(),
            email: model.email.clone(),
            avatar_url: model.avatar_url.clone(),
            model,
        }
    }
}

// Its fields beyond the name are the organization's social-network administration (R16): they
// live in `admin_view.rs`, which needs the accounts' views (this module does not).
/// A company workspace.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Organization {
    /// Name.
    pub name: String,
    /// The row.
    #[graphql(skip)]
    pub model: organizations::Model,
}

impl From<organizations::Model> for Organization {
    fn from(model: organizations::Model) -> Self {
        Self {
            name: model.name.clone(),
            model,
        }
    }
}

/// The signed-in user and their organizations.
pub struct Viewer {
    user: users::Model,
}

#[Object]
impl Viewer {
    /// The signed-in user.
    async fn user(&self) -> User {
        self.user.clone().into()
    }

    /// The organizations the user belongs to.
    async fn organizations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Organization>> {
        gql(async {
            let rows = people::repo::organizations_of(database(ctx)?, self.user.id).await?;
            Ok(rows
                .into_iter()
                .map(|(org, _)| Organization::from(org))
                .collect())
        }
        .await)
    }

    /// When the viewer's token expires; a dashboard refreshes it before then.
    async fn session_expires_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        ctx.data_opt::<super::context::RequestAuth>()
            .and_then(super::context::RequestAuth::expires_at)
    }
}

/// Roots of this domain.
#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// The signed-in user, their organizations.
    #[graphql(guard = "Authenticated")]
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let viewer = gql(viewer(ctx).await)?;
        Ok(Viewer {
            user: viewer.user.clone(),
        })
    }

    /// An organization the viewer belongs to; any other id reads as unknown.
    #[graphql(guard = "OrgMember(Some(&id))")]
    async fn organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Organization>> {
        gql(organization_for_viewer(ctx, &id).await).map(Some)
    }
}

/// The organization with global id `id`, if the viewer is a member.
pub async fn organization_for_viewer(ctx: &Context<'_>, id: &str) -> ApiResult<Organization> {
    let viewer = viewer(ctx).await?;
    let id = ids::decode_as(Kind::Organization, id).ok_or(ApiError::NotFound)?;
    if viewer.subject.role_in(id).is_none() {
        return Err(ApiError::NotFound);
    }
    people::repo::organization(database(ctx)?, id)
        .await?
        .map(Organization::from)
        .ok_or(ApiError::NotFound)
}

/// The user with global id `id`, if they share an organization with the viewer.
pub async fn user_for_viewer(ctx: &Context<'_>, id: &str) -> ApiResult<User> {
    let viewer = viewer(ctx).await?;
    let id = ids::decode_as(Kind::User, id).ok_or(ApiError::NotFound)?;
    let db = database(ctx)?;
    let orgs: Vec<i64> = viewer.subject.org_roles.keys().copied().collect();
    if id != viewer.user.id && !people::repo::share_an_organization(db, &orgs, id).await? {
        return Err(ApiError::NotFound);
    }
    people::repo::users_by_ids(db, &[id])
        .await?
        .remove(&id)
        .map(User::from)
        .ok_or(ApiError::NotFound)
}

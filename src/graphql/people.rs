//! Views and roots for the viewer, users and organizations.

use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{organizations, users};

use super::{
    accounts::{SocialAccountConnection, SocialAccountFilter, page},
    context::{database, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::Authenticated,
    ids::{self, Kind},
};
use crate::{accounts, people};

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

/// A company workspace.
#[derive(Clone, Debug)]
pub struct Organization(pub organizations::Model);

#[Object]
impl Organization {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Organization, self.0.id)
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The viewer's role here.
    async fn viewer_role(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrgRole>> {
        let viewer = gql(viewer(ctx).await)?;
        Ok(viewer.subject.role_in(self.0.id).map(Into::into))
    }

    /// R16: the organization's accounts counted by health (the admin view's summary). Admins and
    /// super admins only.
    async fn social_account_health(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<super::admin_view::HealthCounts> {
        gql(async {
            let viewer = viewer(ctx).await?;
            if !viewer.subject.is_org_admin(self.0.id) {
                return Err(ApiError::Forbidden);
            }
            super::admin_view::health_counts(ctx, self.0.id).await
        }
        .await)
    }

    /// R16, the admin view: every social account of the organization with its health, the
    /// disconnected ones flagged. Admins and super admins only.
    #[graphql(complexity = "super::accounts::connection_cost(first, child_complexity)")]
    async fn social_accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SocialAccountFilter>,
    ) -> async_graphql::Result<SocialAccountConnection> {
        gql(async {
            let viewer = viewer(ctx).await?;
            if !viewer.subject.is_org_admin(self.0.id) {
                return Err(ApiError::Forbidden);
            }
            let (limit, after) = page(first, after)?;
            let mut filter = filter
                .map(SocialAccountFilter::into_domain)
                .transpose()?
                .unwrap_or_default();
            filter.organization_id = None;
            let rows = accounts::repo::list_for_organization(
                database(ctx)?,
                self.0.id,
                &filter,
                after,
                limit + 1,
            )
            .await?;
            Ok(SocialAccountConnection::from_rows(rows, limit))
        }
        .await)
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
            Ok(rows.into_iter().map(|(org, _)| Organization(org)).collect())
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
    #[graphql(guard = "Authenticated")]
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
        .map(Organization)
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

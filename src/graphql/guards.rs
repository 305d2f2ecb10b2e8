//! Guards: deny by default. Every root field carries one, or sits on [`PUBLIC_ROOT_FIELDS`]; every
//! field whose arguments name an account, a login, a post or an organization carries one that
//! checks that argument, or sits on [`UNGUARDED_ID_ARGUMENTS`] with the reason.
//!
//! A guard is the field's declared rule, read off the schema code: who may address the object
//! the argument names. Its refusal reads exactly like an unknown id (`NOT_FOUND`, same message)
//! wherever the object must not be revealed; only a member of an organization who is not its
//! admin learns `FORBIDDEN` from an admin-only field of it. The use case behind a mutation checks
//! again inside its transaction (a grant can change between the guard and the write), with the
//! same `access` functions, and answers the action's own refusals as the typed user errors of
//! the contract (`RECONNECT_NOT_ALLOWED`, `DISCONNECT_NOT_ALLOWED`, `DRAFT_NOT_ALLOWED`…): a guard's
//! refusal is a field error that leaves no payload to carry them.

use async_graphql::{Context, Guard, ID};

use super::{
    context::{database, viewer},
    errors::{ApiError, ApiResult},
    ids::{self, Kind},
};
use crate::{accounts, people, posts};

/// Root fields anyone may call without signing in. Introspection (`__schema`, `__type`,
/// `__typename`) is governed by the `--no-introspection` flag instead.
pub const PUBLIC_ROOT_FIELDS: &[&str] = &[];

/// `(type, field, argument)` whose ids need no guard, each for the reason beside it.
pub const UNGUARDED_ID_ARGUMENTS: &[(&str, &str, &str, &str)] = &[
    (
        "Query",
        "socialAccounts",
        "filter",
        "narrows the viewer's own visible accounts: an id they may not see matches nothing",
    ),
    (
        "Query",
        "scheduledPosts",
        "filter",
        "narrows the posts of the viewer's visible accounts: an id they may not see matches nothing",
    ),
    (
        "Organization",
        "socialAccounts",
        "filter",
        "the field's OrgAdmin guard checks the organization; the filter narrows its accounts",
    ),
];

/// The caller must be a signed-in user of this database.
pub struct Authenticated;

impl Guard for Authenticated {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        viewer(ctx).await.map(|_| ()).map_err(Into::into)
    }
}

/// The viewer may see the social account (an organization's account they are a member of with a
/// grant or as its admin, or their own personal account).
pub struct MayView<'a>(pub &'a ID);

impl Guard for MayView<'_> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        sees_accounts(ctx, std::slice::from_ref(self.0))
            .await
            .map_err(Into::into)
    }
}

/// The viewer may see every one of the social accounts.
pub struct MayViewAll<'a>(pub &'a [ID]);

impl Guard for MayViewAll<'_> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        sees_accounts(ctx, self.0).await.map_err(Into::into)
    }
}

/// The viewer may see the account of every one of the posts.
pub struct MayViewPosts<'a>(pub &'a [ID]);

impl Guard for MayViewPosts<'_> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        sees_posts(ctx, self.0).await.map_err(Into::into)
    }
}

/// The viewer may see the object, whatever its kind (`node`).
pub struct MayViewNode<'a>(pub &'a ID);

impl Guard for MayViewNode<'_> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        sees_node(ctx, self.0).await.map_err(Into::into)
    }
}

/// The viewer is a member of the organization; `None` (no organization named) passes.
pub struct OrgMember<'a>(pub Option<&'a ID>);

impl Guard for OrgMember<'_> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match self.0 {
            Some(id) => member_of(ctx, id).await.map(drop).map_err(Into::into),
            None => Authenticated.check(ctx).await,
        }
    }
}

/// The viewer administers the organization (super admin or admin, R16, B8).
pub enum OrgAdmin<'a> {
    /// Named by an argument.
    Id(&'a ID),
    /// The organization the field belongs to.
    Of(i64),
}

impl Guard for OrgAdmin<'_> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let organization = match self {
            Self::Id(id) => member_of(ctx, id).await?,
            Self::Of(organization) => *organization,
        };
        let viewer = viewer(ctx).await?;
        if viewer.subject.role_in(organization).is_none() {
            return Err(ApiError::NotFound.into());
        }
        if !viewer.subject.is_org_admin(organization) {
            return Err(ApiError::Forbidden.into());
        }
        Ok(())
    }
}

/// The organization's id, when the viewer is a member of it.
async fn member_of(ctx: &Context<'_>, id: &ID) -> ApiResult<i64> {
    let viewer = viewer(ctx).await?;
    ids::decode_as(Kind::Organization, id)
        .filter(|organization| viewer.subject.role_in(*organization).is_some())
        .ok_or(ApiError::NotFound)
}

/// The distinct ids of `kind` the global ids name; one of another kind or garbled reads as
/// unknown.
fn decode_all(kind: Kind, wanted: &[ID]) -> ApiResult<Vec<i64>> {
    let mut ids = wanted
        .iter()
        .map(|id| ids::decode_as(kind, id).ok_or(ApiError::NotFound))
        .collect::<ApiResult<Vec<i64>>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Every one of the accounts `ids` (distinct) is one the viewer may see.
async fn all_visible(ctx: &Context<'_>, ids: &[i64]) -> ApiResult<()> {
    let viewer = viewer(ctx).await?;
    let visible = accounts::repo::visible_by_ids(database(ctx)?, &viewer.subject, ids).await?;
    if visible.len() == ids.len() {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

async fn sees_accounts(ctx: &Context<'_>, wanted: &[ID]) -> ApiResult<()> {
    viewer(ctx).await?;
    all_visible(ctx, &decode_all(Kind::SocialAccount, wanted)?).await
}

async fn sees_posts(ctx: &Context<'_>, wanted: &[ID]) -> ApiResult<()> {
    viewer(ctx).await?;
    let ids = decode_all(Kind::ScheduledPost, wanted)?;
    let rows = posts::repo::by_ids(database(ctx)?, &ids).await?;
    if rows.len() != ids.len() {
        return Err(ApiError::NotFound);
    }
    let mut account_ids: Vec<i64> = rows.iter().map(|post| post.social_account_id).collect();
    account_ids.sort_unstable();
    account_ids.dedup();
    all_visible(ctx, &account_ids).await
}

async fn sees_node(ctx: &Context<'_>, id: &ID) -> ApiResult<()> {
    // Who asks comes first: an anonymous caller learns nothing of the id.
    let viewer = viewer(ctx).await?;
    let Some((kind, raw)) = ids::decode(id) else {
        return Err(ApiError::NotFound);
    };
    match kind {
        Kind::SocialAccount => sees_accounts(ctx, std::slice::from_ref(id)).await,
        Kind::ScheduledPost => sees_posts(ctx, std::slice::from_ref(id)).await,
        Kind::Organization => member_of(ctx, id).await.map(drop),
        Kind::SocialLogin => {
            let filter = accounts::AccountFilter::default();
            accounts::repo::any_visible_of_login(database(ctx)?, &viewer.subject, &filter, raw)
                .await?
                .then_some(())
                .ok_or(ApiError::NotFound)
        }
        Kind::User => {
            let orgs: Vec<i64> = viewer.subject.org_roles.keys().copied().collect();
            let shares = raw == viewer.user.id
                || people::repo::share_an_organization(database(ctx)?, &orgs, raw).await?;
            shares.then_some(()).ok_or(ApiError::NotFound)
        }
        // Rules are reached through their account, streams through `streams`, reconnect links
        // through `reconnectLinks`, not by id.
        Kind::AutomationRule | Kind::Stream | Kind::ReconnectLink => Err(ApiError::NotFound),
    }
}

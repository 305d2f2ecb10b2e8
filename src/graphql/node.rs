//! `node(id:)`: any object by global id, with the same checks as its own root field.

use async_graphql::{Context, ID, Interface, Object};

use super::{
    accounts::{SocialAccount, SocialLogin, account_for_viewer, login_for_viewer},
    errors::{ApiError, gql},
    guards::MayViewNode,
    ids::{self, Kind},
    people::{Organization, User, organization_for_viewer, user_for_viewer},
    posts::{ScheduledPost, post_for_viewer},
};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    SocialAccount(SocialAccount),
    SocialLogin(SocialLogin),
    User(User),
    Organization(Organization),
    ScheduledPost(ScheduledPost),
}

/// The `node` root.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by global id; an id the viewer may not see reads like an unknown one.
    #[graphql(guard = "MayViewNode(&id)")]
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let Some((kind, _)) = ids::decode(&id) else {
            return Err(ApiError::NotFound.into());
        };
        gql(match kind {
            Kind::SocialAccount => account_for_viewer(ctx, &id).await.map(Node::SocialAccount),
            Kind::SocialLogin => login_for_viewer(ctx, &id).await.map(Node::SocialLogin),
            Kind::User => user_for_viewer(ctx, &id).await.map(Node::User),
            // Rules are reached through their account, streams through `streams`, not by id.
            Kind::AutomationRule | Kind::Stream | Kind::ReconnectLink => Err(ApiError::NotFound),
            Kind::ScheduledPost => post_for_viewer(ctx, &id).await.map(Node::ScheduledPost),
            Kind::Organization => organization_for_viewer(ctx, &id)
                .await
                .map(Node::Organization),
        })
        .map(Some)
    }
}

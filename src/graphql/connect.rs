//! `startConnect`: the GraphQL side of adding a network's accounts (R17).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    accounts::Network,
    context::{app, viewer},
    errors::{ApiError, gql},
    guards::OrgMember,
    ids::{self, Kind},
    reconnect::{bind_to_browser, user_error},
    user_errors::UserError,
};
use crate::reconnect;

/// Which network's accounts to add, and to whom.
#[derive(InputObject)]
pub struct StartConnectInput {
    /// The network to sign in at.
    pub network: Network,
    /// The organization the accounts join (its admins only); without it they become the
    /// viewer's personal accounts.
    pub organization_id: Option<ID>,
}

/// Where to send the browser.
#[derive(SimpleObject, Default)]
pub struct StartConnectPayload {
    /// The network's sign-in, with its account chooser (R20).
    pub authorize_url: Option<String>,
    /// After this the sign-in must be started again.
    pub expires_at: Option<DateTime<Utc>>,
    /// R20: which identity to sign in as, and how; show it before following `authorizeUrl`.
    pub sign_in_as: Option<super::reconnect::SignInAs>,
    /// Expected refusals (`CONNECT_NOT_ALLOWED`, `NETWORK_UNAVAILABLE`).
    pub user_errors: Vec<UserError>,
}

/// Mutations that add accounts.
#[derive(Default)]
pub struct ConnectMutation;

#[Object]
impl ConnectMutation {
    /// R17: starts the network's sign-in that adds the accounts the viewer grants there, to the
    /// organization (super admins and admins only) or as personal accounts. The network's
    /// callback finishes it, like a reconnect.
    #[graphql(guard = "OrgMember(input.organization_id.as_ref())")]
    async fn start_connect(
        &self,
        ctx: &Context<'_>,
        input: StartConnectInput,
    ) -> async_graphql::Result<StartConnectPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            // Another organization's id reads like an unknown one: NOT_FOUND either way.
            let organization_id = match &input.organization_id {
                Some(id) => Some(ids::decode_as(Kind::Organization, id).ok_or(ApiError::NotFound)?),
                None => None,
            };
            let started = reconnect::connect::start_connect(
                app(ctx)?,
                &viewer.subject,
                input.network.into(),
                organization_id,
            )
            .await;
            match started {
                Ok(started) => Ok(StartConnectPayload {
                    authorize_url: {
                        bind_to_browser(ctx, &started.flow)?;
                        Some(started.authorize_url)
                    },
                    expires_at: Some(started.expires_at),
                    sign_in_as: Some(started.sign_in_as.into()),
                    user_errors: Vec::new(),
                }),
                Err(error) => Ok(StartConnectPayload {
                    user_errors: vec![user_error(error)?],
                    ..Default::default()
                }),
            }
        }
        .await)
    }
}

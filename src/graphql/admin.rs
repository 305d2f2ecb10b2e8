//! `disconnectSocialAccount`: an admin takes an account offline (B7 `DISCONNECTED_BY_ADMIN`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{
    accounts::SocialAccount,
    context::{app, viewer},
    errors::{ApiError, gql},
    guards::MayView,
    ids::{self, Kind},
    user_errors::{UserError, UserErrorCode},
};
use crate::accounts::disconnect::{self, AdminDisconnectError};

/// Which account to disconnect.
#[derive(InputObject)]
pub struct DisconnectSocialAccountInput {
    /// The account.
    pub social_account_id: ID,
}

/// The account after the disconnect.
#[derive(SimpleObject, Default)]
pub struct DisconnectSocialAccountPayload {
    /// The account, now disconnected.
    pub social_account: Option<SocialAccount>,
    /// `DISCONNECT_NOT_ALLOWED` for someone who may not administer it.
    pub user_errors: Vec<UserError>,
}

/// Admin mutations on accounts.
#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Disconnects one account (its login stays connected): its posts are held, its streams
    /// stop, and everyone who sees it is told, like any disconnect. Admins and OWNERs only.
    #[graphql(guard = "MayView(&input.social_account_id)")]
    async fn disconnect_social_account(
        &self,
        ctx: &Context<'_>,
        input: DisconnectSocialAccountInput,
    ) -> async_graphql::Result<DisconnectSocialAccountPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = ids::decode_as(Kind::SocialAccount, &input.social_account_id)
                .ok_or(ApiError::NotFound)?;
            match disconnect::disconnect_account_by_admin(app(ctx)?, &viewer.subject, account).await {
                Ok(changed) => Ok(DisconnectSocialAccountPayload {
                    social_account: Some(SocialAccount(changed)),
                    user_errors: Vec::new(),
                }),
                Err(AdminDisconnectError::NotAllowed) => Ok(DisconnectSocialAccountPayload {
                    social_account: None,
                    user_errors: vec![UserError::new(
                        UserErrorCode::DisconnectNotAllowed,
                        "Only admins of the organization, or an OWNER of the account, may disconnect it.",
                    )],
                }),
                Err(AdminDisconnectError::NotFound) => Err(ApiError::NotFound),
                Err(AdminDisconnectError::Db(error)) => Err(error.into()),
            }
        }
        .await)
    }
}

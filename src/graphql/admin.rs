//! `disconnectSocialAccount`: an admin takes an account offline (B7 `DISCONNECTED_BY_ADMIN`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{
    accounts::{SocialAccount, account_for_viewer},
    context::{clock, database, events_committed, viewer},
    errors::{ApiError, gql},
    guards::Authenticated,
    user_errors::{UserError, UserErrorCode},
};
use crate::{
    access::{self, Action, Owner},
    accounts::disconnect,
};

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
    #[graphql(guard = "Authenticated")]
    async fn disconnect_social_account(
        &self,
        ctx: &Context<'_>,
        input: DisconnectSocialAccountInput,
    ) -> async_graphql::Result<DisconnectSocialAccountPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = account_for_viewer(ctx, &input.social_account_id).await?.0;
            let owner = Owner::from_columns(account.owner_organization_id, account.owner_user_id)
                .ok_or(ApiError::NotFound)?;
            if !access::may(&viewer.subject, account.id, owner, Action::Administer) {
                return Ok(DisconnectSocialAccountPayload {
                    social_account: None,
                    user_errors: vec![UserError::new(
                        UserErrorCode::DisconnectNotAllowed,
                        "Only admins of the organization, or an OWNER of the account, may disconnect it.",
                    )],
                });
            }
            let now = clock(ctx)?.now();
            let changed = disconnect::disconnect_account_by_admin(database(ctx)?, account.id, viewer.user.id, now)
                .await?
                .ok_or(ApiError::NotFound)?;
            events_committed(ctx);
            Ok(DisconnectSocialAccountPayload { social_account: Some(SocialAccount(changed)), user_errors: Vec::new() })
        }
        .await)
    }
}

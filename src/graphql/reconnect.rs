//! `startReconnect` and `completeReconnect`: the GraphQL side of the reconnect flow.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    accounts::SocialAccount,
    automations::AutomationRule,
    context::{app, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::{Authenticated, MayView},
    ids::{self, Kind},
    user_errors::{UserError, UserErrorCode},
};
use crate::reconnect::{self, Finisher, FlowError, finish::Answer, rules::Refusal};

/// Which account to reconnect.
#[derive(InputObject)]
pub struct StartReconnectInput {
    /// The account clicked; every account of its login comes back with it (R7).
    pub social_account_id: ID,
}

/// R20: who must be signed in at the network, to show before sending the person there.
#[derive(SimpleObject, Clone, Debug)]
pub struct SignInAs {
    /// The network to sign in at.
    pub network: super::accounts::Network,
    /// The identity's name at the network (a reconnect's login); null for a connect.
    pub name: Option<String>,
    /// The identity's id at the network; null for a connect.
    pub external_id: Option<String>,
    /// What to do first: sign in as whom, and sign out of other identities.
    pub advice: String,
}

impl From<reconnect::start::SignInAs> for SignInAs {
    fn from(needed: reconnect::start::SignInAs) -> Self {
        Self {
            network: needed.network.into(),
            name: needed.name,
            external_id: needed.external_id,
            advice: needed.advice,
        }
    }
}

/// Where to send the browser.
#[derive(SimpleObject, Default)]
pub struct StartReconnectPayload {
    /// The network's sign-in, with its account chooser (R20).
    pub authorize_url: Option<String>,
    /// After this the sign-in must be started again.
    pub expires_at: Option<DateTime<Utc>>,
    /// R20: which identity to sign in as, and how; show it before following `authorizeUrl`.
    pub sign_in_as: Option<SignInAs>,
    /// The account whose login signs in: the one asked for, or the Facebook page of an Instagram
    /// profile limited by it (R18: "log in with Facebook").
    pub social_account: Option<SocialAccount>,
    /// Expected refusals (`RECONNECT_NOT_ALLOWED`).
    pub user_errors: Vec<UserError>,
}

/// The network's answer, for clients that handle the callback themselves.
#[derive(InputObject)]
pub struct CompleteReconnectInput {
    /// The `state` the network sent back.
    pub state: String,
    /// The `code` the network sent back.
    pub code: String,
}

/// What the sign-in did.
#[derive(SimpleObject, Default)]
pub struct CompleteReconnectPayload {
    /// Accounts connected again (health CONNECTED, or LIMITED with its reason, R18).
    pub reconnected_accounts: Vec<SocialAccount>,
    /// Accounts of the login the network did not grant, still disconnected with their reason.
    pub still_disconnected: Vec<SocialAccount>,
    /// B6: automation rules of these accounts that no longer work, flagged for review.
    pub rules_to_review: Vec<AutomationRule>,
    /// B4: held posts this reconnect released, in their scheduled order: `SCHEDULED` (going out
    /// now, in order) or `NEEDS_RESCHEDULE` (their time passed more than the grace window ago).
    pub released_posts: Vec<super::posts::ScheduledPost>,
    /// Accounts of the login that came back (or stayed disconnected) with this sign-in but that
    /// the viewer may not see (R8: the cascade reaches them); they are not listed above.
    pub hidden_account_count: usize,
    /// Held posts released on accounts the viewer may not see; not listed above.
    pub hidden_released_post_count: usize,
    /// Expected refusals (`WRONG_IDENTITY`, `STATE_INVALID`…); nothing changed when present.
    pub user_errors: Vec<UserError>,
}

/// Sets the `relink_flow` cookie on the HTTP response of a started sign-in, so the OAuth callback
/// completes it only in this browser (`Secure` when the public URL is https).
pub(super) fn bind_to_browser(ctx: &Context<'_>, flow: &crate::config::Secret) -> ApiResult<()> {
    let secure = app(ctx)?.public_url.starts_with("https://");
    ctx.append_http_header("set-cookie", reconnect::flow_set_cookie(flow, secure));
    Ok(())
}

/// The user error a refused flow step becomes, or the API error when it is not the user's.
pub fn user_error(error: FlowError) -> ApiResult<UserError> {
    use UserErrorCode as Code;
    let (code, message) = match error {
        FlowError::NotFound => return Err(ApiError::NotFound),
        FlowError::Internal(cause) => return Err(ApiError::Internal(cause)),
        FlowError::NotAllowed => (
            Code::ReconnectNotAllowed,
            "You may not reconnect this account: ask an admin, or whoever last reconnected it."
                .to_owned(),
        ),
        FlowError::ConnectNotAllowed => (
            Code::ConnectNotAllowed,
            "Only the organization's admins may connect accounts to it; ask one of them."
                .to_owned(),
        ),
        FlowError::StateInvalid | FlowError::OtherBrowser => (
            Code::StateInvalid,
            "This sign-in is unknown, already used or not yours; start again.".to_owned(),
        ),
        FlowError::StateExpired => (
            Code::StateExpired,
            "This sign-in took longer than ten minutes; start again.".to_owned(),
        ),
        FlowError::AccessDenied => (
            Code::AccessDenied,
            "Access was denied at the network's prompt; nothing changed.".to_owned(),
        ),
        FlowError::NetworkRefused(_) => (
            Code::NetworkRefused,
            "The network refused the sign-in; start again.".to_owned(),
        ),
        FlowError::NetworkUnavailable => (
            Code::NetworkUnavailable,
            "The network did not answer; nothing changed, try again.".to_owned(),
        ),
        FlowError::NetworkNotConfigured => (
            Code::NetworkNotConfigured,
            "This Relink is not set up to reach that network; ask your operator to configure it. Nothing changed.".to_owned(),
        ),
        FlowError::Refused(Refusal::WrongIdentity { used, needed }) => (
            Code::WrongIdentity,
            format!(
                "The network signed in {used}, but this account needs {needed}. Sign out of the network (or use a private window) and try again; nothing changed."
            ),
        ),
        FlowError::Refused(Refusal::PageAdminRequired { used, page }) => (
            Code::PageAdminRequired,
            format!(
                "{used} is not an admin of the page {page}. Sign in with an identity that has admin rights on it; nothing changed."
            ),
        ),
        FlowError::Refused(Refusal::OriginalLoginRequired { used, needed }) => (
            Code::OriginalLoginRequired,
            format!(
                "A group comes back only with the sign-in that added it ({needed}), not {used}; nothing changed."
            ),
        ),
    };
    Ok(UserError::new(code, message))
}

/// Mutations of the reconnect flow.
#[derive(Default)]
pub struct ReconnectMutation;

#[Object]
impl ReconnectMutation {
    /// R3: starts the network's sign-in that reconnects the account and, by R7, every account of
    /// its login. Permission on any one of them is enough (R8).
    #[graphql(guard = "MayView(&input.social_account_id)")]
    async fn start_reconnect(
        &self,
        ctx: &Context<'_>,
        input: StartReconnectInput,
    ) -> async_graphql::Result<StartReconnectPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = ids::decode_as(Kind::SocialAccount, &input.social_account_id)
                .ok_or(ApiError::NotFound)?;
            match reconnect::start::start_reconnect(app(ctx)?, &viewer.subject, account).await {
                Ok(started) => Ok(StartReconnectPayload {
                    authorize_url: {
                        bind_to_browser(ctx, &started.flow)?;
                        Some(started.authorize_url)
                    },
                    expires_at: Some(started.expires_at),
                    sign_in_as: Some(started.sign_in_as.into()),
                    social_account: started.account.map(SocialAccount),
                    user_errors: Vec::new(),
                }),
                Err(error) => Ok(StartReconnectPayload {
                    user_errors: vec![user_error(error)?],
                    ..Default::default()
                }),
            }
        }
        .await)
    }

    /// Finishes a sign-in with the network's `state` and `code`, for clients that receive the
    /// callback themselves. The state must be the viewer's. It calls the network (the exchange,
    /// the identity, the assets), so it costs what such a field costs.
    #[graphql(
        guard = "Authenticated",
        complexity = "super::streams::NETWORK_CALL_COST + child_complexity"
    )]
    async fn complete_reconnect(
        &self,
        ctx: &Context<'_>,
        input: CompleteReconnectInput,
    ) -> async_graphql::Result<CompleteReconnectPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let finished = reconnect::finish::complete(
                app(ctx)?,
                None,
                &input.state,
                Answer::Code(&input.code),
                Finisher::User(viewer.user.id),
            )
            .await;
            match finished {
                Ok(outcome) => {
                    // The cascade reached accounts the viewer may not see: list only theirs.
                    let (outcome, hidden) = outcome.visible_to(&viewer.subject);
                    Ok(CompleteReconnectPayload {
                        released_posts: super::posts::released(
                            outcome.released_posts,
                            &outcome.reconnected,
                        ),
                        reconnected_accounts: outcome
                            .reconnected
                            .into_iter()
                            .map(SocialAccount)
                            .collect(),
                        still_disconnected: outcome
                            .still_disconnected
                            .into_iter()
                            .map(SocialAccount)
                            .collect(),
                        rules_to_review: outcome
                            .rules_to_review
                            .into_iter()
                            .map(AutomationRule)
                            .collect(),
                        hidden_account_count: hidden.accounts,
                        hidden_released_post_count: hidden.released_posts,
                        user_errors: Vec::new(),
                    })
                }
                Err(error) => Ok(CompleteReconnectPayload {
                    user_errors: vec![user_error(error)?],
                    ..Default::default()
                }),
            }
        }
        .await)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::InputType as _;

    use super::*;

    #[test]
    fn the_callbacks_codes_are_the_user_errors_codes() {
        let text = || "someone".to_owned();
        let refusals = [
            FlowError::NotAllowed,
            FlowError::ConnectNotAllowed,
            FlowError::StateInvalid,
            FlowError::OtherBrowser,
            FlowError::StateExpired,
            FlowError::AccessDenied,
            FlowError::NetworkRefused(text()),
            FlowError::NetworkUnavailable,
            FlowError::NetworkNotConfigured,
            FlowError::Refused(Refusal::WrongIdentity {
                used: text(),
                needed: text(),
            }),
            FlowError::Refused(Refusal::PageAdminRequired {
                used: text(),
                page: text(),
            }),
            FlowError::Refused(Refusal::OriginalLoginRequired {
                used: text(),
                needed: text(),
            }),
        ];
        for error in refusals {
            let code = error.code().expect("a user's refusal has a code");
            let shown = user_error(error).expect("a user error").code.to_value();
            assert_eq!(
                shown,
                async_graphql::Value::Enum(async_graphql::Name::new(code))
            );
        }
        assert_eq!(FlowError::NotFound.code(), None);
    }
}

//! `requestReconnect`: someone who may not reconnect an account asks those who may (R4, R12).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{
    accounts::account_for_viewer,
    context::{app, clock, database, events_committed, viewer},
    errors::{ApiError, gql},
    guards::Authenticated,
    people::User,
};
use crate::notices::{self, email::RequestError};

/// Which account to ask about.
#[derive(InputObject)]
pub struct RequestReconnectInput {
    /// The account.
    pub social_account_id: ID,
    /// A note for the people asked, quoted in the email as yours: at most 1,000 characters of
    /// plain text and line breaks (else `BAD_USER_INPUT`, nothing sent).
    pub message: Option<String>,
}

/// Who was asked.
#[derive(SimpleObject, Default)]
pub struct RequestReconnectPayload {
    /// The people who may reconnect the account and were emailed.
    pub asked: Vec<User>,
}

/// The mutation.
#[derive(Default)]
pub struct RequestMutation;

#[Object]
impl RequestMutation {
    /// Emails everyone who sees the account and may reconnect it (admins, ADVANCED or OWNER on it or
    /// on another account of its login, R3/R8), and records an event and an audit entry. One
    /// person asks about one account at most once an hour (`RATE_LIMITED` with `retryAfter`).
    #[graphql(guard = "Authenticated")]
    async fn request_reconnect(
        &self,
        ctx: &Context<'_>,
        input: RequestReconnectInput,
    ) -> async_graphql::Result<RequestReconnectPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = account_for_viewer(ctx, &input.social_account_id).await?.0;
            let asked = notices::email::request_reconnect(
                database(ctx)?,
                &app(ctx)?.mailer,
                &app(ctx)?.public_url,
                &viewer.user,
                &account,
                input.message.as_deref(),
                clock(ctx)?.now(),
            )
            .await
            .map_err(|error| match error {
                RequestError::Note(refusal) => ApiError::BadUserInput(refusal.to_string()),
                RequestError::TooSoon { retry_after } => {
                    let seconds = retry_after.num_seconds().max(1);
                    ApiError::RateLimited {
                        message: format!(
                            "You asked about this account less than an hour ago; you may ask again in {} minutes.",
                            (seconds + 59) / 60
                        ),
                        retry_after: seconds,
                    }
                }
                RequestError::Internal(cause) => ApiError::Internal(cause),
            })?;
            events_committed(ctx);
            Ok(RequestReconnectPayload {
                asked: asked.into_iter().map(User::from).collect(),
            })
        }
        .await)
    }
}

//! `requestReconnect`: someone who may not reconnect an account asks those who may (R4, R12).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{
    context::{app, viewer},
    errors::{ApiError, gql},
    guards::MayView,
    ids::{self, Kind},
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
    #[graphql(guard = "MayView(&input.social_account_id)")]
    async fn request_reconnect(
        &self,
        ctx: &Context<'_>,
        input: RequestReconnectInput,
    ) -> async_graphql::Result<RequestReconnectPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = ids::decode_as(Kind::SocialAccount, &input.social_account_id)
                .ok_or(ApiError::NotFound)?;
            let asked = notices::email::request_reconnect(
                app(ctx)?,
                &viewer.user,
                &viewer.subject,
                account,
                input.message.as_deref(),
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
                RequestError::NotFound => ApiError::NotFound,
                RequestError::Internal(cause) => ApiError::Internal(cause),
            })?;
            Ok(RequestReconnectPayload {
                asked: asked.into_iter().map(User::from).collect(),
            })
        }
        .await)
    }
}

//! `GET /oauth/callback/{network}`: where the network sends the browser back. It finishes the
//! sign-in and redirects to the dashboard's reauth path, with no referrer and no token in a URL.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use serde::Deserialize;

use super::AppState;
use crate::{
    graphql::reconnect::user_error,
    networks,
    reconnect::{self, Services, finish::Answer},
};

/// The callback's query.
#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Finishes the sign-in and sends the browser to `/dashboard#/social-networks/reauth?result=…`.
pub async fn callback(
    State(state): State<AppState>,
    Path(network): Path<String>,
    Query(params): Query<CallbackParams>,
) -> Response {
    let Some(network) = networks::from_slug(&network) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let services = Services {
        db: &state.db,
        cipher: &state.cipher,
        networks: &state.networks,
        posts: state.config.posts(),
    };
    let answer = match (&params.code, &params.error) {
        (_, Some(error)) => Answer::Error(error),
        (Some(code), None) => Answer::Code(code),
        (None, None) => Answer::Error("invalid_request"),
    };
    let outcome = reconnect::finish::complete(
        services,
        Some(network),
        params.state.as_deref().unwrap_or_default(),
        answer,
        None,
        state.clock.now(),
    )
    .await;
    state.bus.wake();
    let result = match outcome {
        Ok(outcome) => {
            // B4: what the reconnect released, so the page can say it.
            let late = outcome
                .released_posts
                .iter()
                .filter(|post| post.state == entity::enums::PostState::NeedsReschedule)
                .count();
            format!(
                "result=reconnected&released={}&needs_reschedule={late}&reconnected={}&still_disconnected={}",
                outcome.released_posts.len() - late,
                outcome.reconnected.len(),
                outcome.still_disconnected.len()
            )
        }
        Err(error) => match user_error(error) {
            Ok(refusal) => {
                use async_graphql::InputType as _;
                format!("result=refused&code={}", refusal.code.to_value())
            }
            Err(_) => "result=error".to_owned(),
        },
    };
    // The target is fixed: our own dashboard path, never a URL from the request (no open redirect).
    let location = format!(
        "{}{}?{result}",
        state.public_url,
        crate::notices::REAUTH_PATH
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

//! `GET /oauth/callback/{network}`: where the network sends the browser back. It finishes the
//! sign-in and redirects to the dashboard's reauth path, with no referrer and no token in a URL.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use serde::Deserialize;

use crate::{
    app::App,
    networks,
    reconnect::{self, Finisher, FlowError, finish::Answer},
};

/// The callback's query.
#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The longest `state` and `code` the callback hands on to the dashboard: ours are 43
/// characters, networks' codes a few hundred.
const MAX_PARAM_LEN: usize = 2_048;

/// Finishes the sign-in and sends the browser to `/dashboard#/social-networks/reauth?result=…`.
/// Only the browser that started it (its `relink_flow` cookie) completes it here; any other gets
/// `state` and `code` in the URL fragment, where a signed-in dashboard finishes with
/// `completeReconnect`, which requires the user who started it.
pub async fn callback(
    State(app): State<App>,
    Path(network): Path<String>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let Some(network) = networks::from_slug(&network) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let answer = match (&params.code, &params.error) {
        (_, Some(error)) => Answer::Error(error),
        (Some(code), None) => Answer::Code(code),
        (None, None) => Answer::Error("invalid_request"),
    };
    let flow = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(reconnect::flow_from_cookies);
    let state = params.state.as_deref().unwrap_or_default();
    // A reconnect link's sign-in ends on the link's own page: its person has no dashboard.
    let by_link = reconnect::links::used::started_by_link(&app.db, state)
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "could not tell whether a sign-in came from a link");
            false
        });
    let outcome =
        reconnect::finish::complete(&app, Some(network), state, answer, Finisher::Browser(flow))
            .await;
    if by_link {
        if let Err(FlowError::Internal(cause)) = &outcome {
            tracing::error!(
                error = format!("{cause:#}"),
                "a link's sign-in failed on our side"
            );
        }
        return super::connect_page::finished(&outcome);
    }
    let result = match outcome {
        Ok(outcome) => {
            // B4: what the reconnect released, so the page can say it.
            let late = outcome
                .released_posts
                .iter()
                .filter(|post| post.state == entity::enums::PostState::NeedsReschedule)
                .count();
            // B6/R19: how many automation rules now need a review, so the page can say so.
            format!(
                "result=reconnected&released={}&needs_reschedule={late}&reconnected={}&still_disconnected={}&rules_to_review={}",
                outcome.released_posts.len() - late,
                outcome.reconnected.len(),
                outcome.still_disconnected.len(),
                outcome.rules_to_review.len()
            )
        }
        Err(FlowError::OtherBrowser) => hand_off(&params),
        Err(error) => match error.code() {
            Some(code) => format!("result=refused&code={code}"),
            None => {
                if let FlowError::Internal(cause) = &error {
                    tracing::error!(error = format!("{cause:#}"), "a sign-in failed on our side");
                }
                "result=error".to_owned()
            }
        },
    };
    // The target is fixed: our own dashboard path, never a URL from the request (no open redirect).
    let location = format!("{}{}?{result}", app.public_url, crate::notices::REAUTH_PATH);
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

/// The fragment's query for a sign-in this browser did not start: `state` and `code` (or the
/// network's `error`) for a signed-in dashboard to finish, encoded; oversized values are not
/// passed on.
fn hand_off(params: &CallbackParams) -> String {
    fn fits(value: &Option<String>) -> Option<&str> {
        value
            .as_deref()
            .filter(|value| !value.is_empty() && value.len() <= MAX_PARAM_LEN)
    }
    let (Some(flow_state), answer) = (
        fits(&params.state),
        (fits(&params.code), fits(&params.error)),
    ) else {
        return "result=refused&code=STATE_INVALID".to_owned();
    };
    match answer {
        (Some(code), None) => format!("state={}&code={}", encode(flow_state), encode(code)),
        (_, Some(error)) => format!("state={}&error={}", encode(flow_state), encode(error)),
        (None, None) => "result=refused&code=STATE_INVALID".to_owned(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handed_off_answer_is_encoded_and_bounded() {
        let params = |state: &str, code: Option<&str>, error: Option<&str>| CallbackParams {
            state: Some(state.to_owned()),
            code: code.map(str::to_owned),
            error: error.map(str::to_owned),
        };
        assert_eq!(
            hand_off(&params("s1", Some("a b&c=#d"), None)),
            "state=s1&code=a%20b%26c%3D%23d"
        );
        assert_eq!(
            hand_off(&params("s1", None, Some("access_denied"))),
            "state=s1&error=access_denied"
        );
        assert_eq!(
            hand_off(&params(&"s".repeat(MAX_PARAM_LEN + 1), Some("c"), None)),
            "result=refused&code=STATE_INVALID"
        );
        assert_eq!(
            hand_off(&params("", Some("c"), None)),
            "result=refused&code=STATE_INVALID"
        );
    }
}

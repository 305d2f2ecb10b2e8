//! `POST /webhooks/{network}/deauthorize`: a network says an identity removed Relink (Facebook's
//! signed deauthorize callback; the sandbox sends the same). Verified, fresh (signed within five
//! minutes) and not seen before, it disconnects at once (B1). `POST /webhooks/{network}/events`:
//! a network's signed event webhook (TikTok's `authorization.removed`), the same way.

use axum::{
    Form, Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse as _, Response},
};
use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::{
    accounts::{
        deauthorize::{self, Refused},
        network_events::{self, Applied},
    },
    networks::{self, webhook::Invalid},
};

/// The largest event webhook body read (TikTok's are a few hundred bytes).
pub const EVENT_BODY_LIMIT: usize = 64 * 1024;

/// The callback's form body.
#[derive(Deserialize)]
pub struct DeauthorizeForm {
    signed_request: String,
}

/// Verifies the signature with the network app's secret and disconnects that identity's logins.
pub async fn deauthorize(
    State(app): State<App>,
    Path(network): Path<String>,
    Form(form): Form<DeauthorizeForm>,
) -> Response {
    let Some(network) = networks::from_slug(&network) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let changed = deauthorize::deauthorize(&app, network, &form.signed_request).await;
    match changed {
        Ok(changed) => (
            StatusCode::OK,
            Json(json!({ "disconnected": changed.len() })),
        )
            .into_response(),
        Err(Refused::UnknownNetwork) => StatusCode::NOT_FOUND.into_response(),
        Err(Refused::BadSignature(error)) => {
            tracing::warn!(%error, network = networks::slug(network), "deauthorize callback refused");
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "invalid_signature" })),
            )
                .into_response()
        }
        Err(Refused::Stale) => {
            tracing::warn!(
                network = networks::slug(network),
                "deauthorize callback refused: not fresh"
            );
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "stale_request" })),
            )
                .into_response()
        }
        // Applied once already: the network's duplicate delivery is acknowledged, nothing more.
        Err(Refused::Replayed) => {
            tracing::info!(
                network = networks::slug(network),
                "deauthorize callback delivered again; already applied"
            );
            (
                StatusCode::OK,
                Json(json!({ "disconnected": 0, "replayed": true })),
            )
                .into_response()
        }
        Err(Refused::Db(error)) => {
            tracing::error!(%error, "deauthorize callback could not be applied");
            // 5xx: the network retries the callback.
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "error": "retry" })),
            )
                .into_response()
        }
    }
}

/// Verifies a network's event webhook with the app's secret and applies it: 200 for what was
/// applied, replayed or ignored (the network stops retrying), 4xx for what must never apply.
pub async fn events(
    State(app): State<App>,
    Path(network): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(network) = networks::from_slug(&network) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let slug = networks::slug(network);
    let refuse =
        |status: StatusCode, error: &str| (status, Json(json!({ "error": error }))).into_response();
    match network_events::apply(&app, network, &headers, &body).await {
        Ok(Applied::Disconnected(changed)) => {
            (StatusCode::OK, Json(json!({ "disconnected": changed }))).into_response()
        }
        Ok(Applied::Replayed) => {
            tracing::info!(
                network = slug,
                "event webhook delivered again; already applied"
            );
            (
                StatusCode::OK,
                Json(json!({ "disconnected": 0, "replayed": true })),
            )
                .into_response()
        }
        Ok(Applied::Ignored(event)) => {
            tracing::info!(network = slug, %event, "event webhook ignored");
            (StatusCode::OK, Json(json!({ "ignored": event }))).into_response()
        }
        Err(
            network_events::Refused::UnknownNetwork
            | network_events::Refused::Invalid(Invalid::NotSent),
        ) => StatusCode::NOT_FOUND.into_response(),
        Err(network_events::Refused::Invalid(error)) => {
            tracing::warn!(%error, network = slug, "event webhook refused");
            match error {
                Invalid::OtherApp => refuse(StatusCode::FORBIDDEN, "other_app"),
                Invalid::Malformed => refuse(StatusCode::BAD_REQUEST, "malformed"),
                Invalid::BadSignature | Invalid::NotSent => {
                    refuse(StatusCode::UNAUTHORIZED, "invalid_signature")
                }
            }
        }
        Err(network_events::Refused::Stale) => {
            tracing::warn!(network = slug, "event webhook refused: not fresh");
            refuse(StatusCode::BAD_REQUEST, "stale_request")
        }
        Err(network_events::Refused::Db(error)) => {
            tracing::error!(%error, "event webhook could not be applied");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "retry")
        }
    }
}

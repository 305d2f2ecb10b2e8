//! `POST /webhooks/{network}/deauthorize`: a network says an identity removed Relink (Facebook's
//! signed deauthorize callback; the sandbox sends the same). Verified, fresh (signed within five
//! minutes) and not seen before, it disconnects at once (B1).

use axum::{
    Form, Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse as _, Response},
};
use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::{
    accounts::deauthorize::{self, Refused},
    networks,
};

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

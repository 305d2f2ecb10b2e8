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
    networks::{self, signed_request},
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
    let Some(adapter) = networks::from_slug(&network).and_then(|network| app.networks.get(network))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let payload = match adapter.deauthorized_user(&form.signed_request) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::warn!(%error, network, "deauthorize callback refused");
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "invalid_signature" })),
            )
                .into_response();
        }
    };
    let signature_hash =
        crate::reconnect::state_hash(signed_request::signature(&form.signed_request));
    let changed = deauthorize::deauthorize(
        &app.db,
        adapter.network(),
        &payload.user_id,
        payload.issued_at,
        signature_hash,
        app.clock.now(),
    )
    .await;
    match changed {
        Ok(changed) => {
            app.bus.wake();
            (
                StatusCode::OK,
                Json(json!({ "disconnected": changed.len() })),
            )
                .into_response()
        }
        Err(Refused::Stale) => {
            tracing::warn!(network, "deauthorize callback refused: not fresh");
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "stale_request" })),
            )
                .into_response()
        }
        // Applied once already: the network's duplicate delivery is acknowledged, nothing more.
        Err(Refused::Replayed) => {
            tracing::info!(
                network,
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

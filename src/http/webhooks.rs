//! `POST /webhooks/{network}/deauthorize`: a network says an identity removed Relink (Facebook's
//! signed deauthorize callback; the sandbox sends the same). Verified, it disconnects at once (B1).

use axum::{
    Form, Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse as _, Response},
};
use entity::enums::DisconnectReason;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::{accounts::disconnect, networks};

/// The callback's form body.
#[derive(Deserialize)]
pub struct DeauthorizeForm {
    signed_request: String,
}

/// Verifies the signature with the network app's secret and disconnects that identity's logins.
pub async fn deauthorize(
    State(state): State<AppState>,
    Path(network): Path<String>,
    Form(form): Form<DeauthorizeForm>,
) -> Response {
    let Some(adapter) =
        networks::from_slug(&network).and_then(|network| state.networks.get(network))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let user = match adapter.deauthorized_user(&form.signed_request) {
        Ok(user) => user,
        Err(error) => {
            tracing::warn!(%error, network, "deauthorize callback refused");
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "invalid_signature" })),
            )
                .into_response();
        }
    };
    let changed = disconnect::disconnect_identity(
        &state.db,
        adapter.network(),
        &user,
        DisconnectReason::AppDeauthorized,
        state.clock.now(),
    )
    .await;
    match changed {
        Ok(changed) => {
            state.bus.wake();
            (
                StatusCode::OK,
                Json(json!({ "disconnected": changed.len() })),
            )
                .into_response()
        }
        Err(error) => {
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

//! Facebook's data deletion callback and its status page.
//!
//! `POST /webhooks/{network}/data-deletion` (form field `signed_request`, signed with the app
//! secret): deletes that person's tokens and identity data and answers what Meta asks for,
//! `{"url": "<public_url>/data-deletion/<code>", "confirmation_code": "<code>"}`.
//! `GET /data-deletion/{code}`: the request's status (HTML, or JSON for `Accept:
//! application/json`), never who asked.

use axum::{
    Form, Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse as _, Response},
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    accounts::{data_deletion, deauthorize::Refused},
    app::App,
    networks,
};

/// The callback's form body.
#[derive(Deserialize)]
pub struct SignedForm {
    signed_request: String,
}

/// Verifies the request, deletes the person's data and answers the confirmation.
pub async fn request(
    State(app): State<App>,
    Path(network): Path<String>,
    Form(form): Form<SignedForm>,
) -> Response {
    let Some(network) = networks::from_slug(&network) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let slug = networks::slug(network);
    match data_deletion::request(&app, network, &form.signed_request).await {
        Ok(recorded) => Json(json!({
            "url": format!("{}/data-deletion/{}", app.public_url, recorded.confirmation_code),
            "confirmation_code": recorded.confirmation_code,
        }))
        .into_response(),
        Err(Refused::UnknownNetwork) => StatusCode::NOT_FOUND.into_response(),
        Err(Refused::BadSignature(error)) => {
            tracing::warn!(%error, network = slug, "data deletion callback refused");
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "invalid_signature" })),
            )
                .into_response()
        }
        Err(Refused::Stale | Refused::Replayed) => {
            tracing::warn!(network = slug, "data deletion callback refused: not fresh");
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "stale_request" })),
            )
                .into_response()
        }
        Err(Refused::Db(error)) => {
            tracing::error!(%error, "data deletion callback could not be applied");
            // 5xx: the network delivers it again, and the redelivery finishes it.
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "error": "retry" })),
            )
                .into_response()
        }
    }
}

/// The status of one request.
pub async fn status(
    State(app): State<App>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let found = match data_deletion::status(&app, &code).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "reading a data deletion request");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let Some(recorded) = found else {
        return (
            StatusCode::NOT_FOUND,
            "No data deletion request has this code.",
        )
            .into_response();
    };
    let completed = recorded.status == data_deletion::COMPLETED;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    if wants_json {
        return Json(json!({
            "confirmation_code": recorded.confirmation_code,
            "status": recorded.status,
            "requested_at": recorded.requested_at,
            "completed_at": recorded.completed_at,
        }))
        .into_response();
    }
    let network = networks::from_slug(&recorded.network).map_or("the network", networks::label);
    // Every value shown is ours: a checked code, a network's name, dates.
    let said = if completed {
        format!(
            "Completed on {}. Relink deleted the {network} sign-in's access tokens and identity \
             data (name and {network} user id); the accounts it connected are disconnected.",
            recorded.completed_at.map_or_else(String::new, |at| at
                .format("%Y-%m-%d %H:%M UTC")
                .to_string())
        )
    } else {
        "Received; the deletion is being carried out.".to_owned()
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Data deletion \
         request {code}</title></head><body><h1>Data deletion request</h1><p>Confirmation code: \
         <code>{code}</code></p><p>Requested on {requested}.</p><p>{said}</p></body></html>",
        code = recorded.confirmation_code,
        requested = recorded.requested_at.format("%Y-%m-%d %H:%M UTC"),
    ))
    .into_response()
}

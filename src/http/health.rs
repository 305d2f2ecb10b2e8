//! Liveness and readiness.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use crate::app::App;
use crate::db;

/// `GET /health_check`: the process is up.
pub async fn health_check() -> impl IntoResponse {
    (StatusCode::OK, Json(json!({ "status": "ok" })))
}

/// `GET /ready`: the database answers and every migration is applied.
pub async fn ready(State(app): State<App>) -> impl IntoResponse {
    let database = db::answers(&app.db).await;
    let migrated = database && db::migrations_applied(&app.db).await.unwrap_or(false);
    let status = if database && migrated {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "database": database, "migrations": migrated })),
    )
}

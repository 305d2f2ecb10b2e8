//! Liveness and readiness.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use super::AppState;
use crate::db;

/// `GET /health_check`: the process is up.
pub async fn health_check() -> impl IntoResponse {
    (StatusCode::OK, Json(json!({ "status": "ok" })))
}

/// `GET /ready`: the database answers and every migration is applied.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let database = db::answers(&state.db).await;
    let migrated = database && db::migrations_applied(&state.db).await.unwrap_or(false);
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

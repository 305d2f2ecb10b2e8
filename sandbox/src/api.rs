//! The sandbox's small network API: who the token belongs to, and which assets it may use.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, header},
};
use entity::{enums::Network, sandbox_identities, sandbox_tokens};
use sea_orm::ActiveEnum as _;
use serde_json::{Value, json};

use super::SandboxState;
use super::{SandboxError, ids_from_json, network_of, network_slug, repo, secrets};

/// The live access token of the request and its identity, which must belong to `network`.
pub(super) async fn authenticate(
    state: &SandboxState,
    network: Network,
    headers: &HeaderMap,
) -> Result<(sandbox_tokens::Model, sandbox_identities::Model), SandboxError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(SandboxError::InvalidToken)?;
    let now = state.clock.now();
    let row = repo::token_by_hash(
        &state.db,
        &secrets::hash(token),
        Some(sandbox_tokens::SandboxTokenKind::Access),
    )
    .await?
    .filter(|row| row.revoked_at.is_none())
    .filter(|row| row.expires_at.is_none_or(|at| at > now))
    .ok_or(SandboxError::InvalidToken)?;
    let identity = repo::identity(&state.db, row.identity_id)
        .await?
        .filter(|identity| identity.network == network)
        .ok_or(SandboxError::InvalidToken)?;
    Ok((row, identity))
}

/// `GET /sandbox/{network}/api/me`: the signed-in identity.
pub(super) async fn me(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, SandboxError> {
    let network = network_of(&slug)?;
    let (_, identity) = authenticate(&state, network, &headers).await?;
    Ok(Json(json!({
        "externalId": identity.external_id,
        "name": identity.name,
        "network": network_slug(network),
    })))
}

/// `GET /sandbox/{network}/api/assets`: the assets granted at consent on which the identity
/// still holds a role, with that current role; like Facebook's `me/accounts`, a page whose role
/// was taken away disappears (R6).
pub(super) async fn assets(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, SandboxError> {
    let network = network_of(&slug)?;
    let (token, identity) = authenticate(&state, network, &headers).await?;
    let granted = ids_from_json(&token.granted_asset_ids);
    let held = repo::held_assets(&state.db, &[identity.id]).await?;
    let assets: Vec<Value> = held
        .iter()
        .filter(|item| granted.contains(&item.asset.id))
        .map(|item| {
            let asset = &item.asset;
            let mut entry = json!({
                "externalId": asset.external_id,
                "kind": asset.kind.to_value(),
                "name": asset.name,
                "role": item.role.to_value(),
            });
            if let Some(linked) = &asset.linked_external_id {
                entry["linkedExternalId"] = json!(linked);
            }
            if let Some(added_by) = &asset.added_by_external_id {
                entry["addedBy"] = json!(added_by);
            }
            entry
        })
        .collect();
    Ok(Json(json!({ "assets": assets })))
}

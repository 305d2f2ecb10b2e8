//! Admin routes without authentication (the sandbox is a development network, on only with the
//! embedded database or an explicit flag): list identities, revoke or expire their tokens,
//! change roles on assets.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use entity::{enums::Network, sandbox_identities, sandbox_roles::SandboxRole};
use sea_orm::ActiveEnum as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::SandboxState;
use super::{SandboxError, network_slug, repo, secrets};

/// `GET /sandbox/admin/identities`: every identity with the assets it holds and its roles.
pub(super) async fn identities(
    State(state): State<SandboxState>,
) -> Result<Json<Value>, SandboxError> {
    let identities = repo::identities(&state.db, None).await?;
    let ids: Vec<i64> = identities.iter().map(|identity| identity.id).collect();
    let held = repo::held_assets(&state.db, &ids).await?;
    let list: Vec<Value> = identities
        .iter()
        .map(|identity| {
            let assets: Vec<Value> = held
                .iter()
                .filter(|item| item.identity_id == identity.id)
                .map(|item| {
                    json!({
                        "externalId": item.asset.external_id,
                        "kind": item.asset.kind.to_value(),
                        "name": item.asset.name,
                        "role": item.role.to_value(),
                    })
                })
                .collect();
            json!({
                "externalId": identity.external_id,
                "network": network_slug(identity.network),
                "name": identity.name,
                "assets": assets,
            })
        })
        .collect();
    Ok(Json(Value::Array(list)))
}

/// The identities with this external id on any network, or 404.
async fn named(
    state: &SandboxState,
    external_id: &str,
) -> Result<Vec<sandbox_identities::Model>, SandboxError> {
    let identities = repo::identities_by_external_id(&state.db, external_id, None).await?;
    if identities.is_empty() {
        return Err(SandboxError::NotFound(format!("no identity {external_id}")));
    }
    Ok(identities)
}

/// `POST /sandbox/admin/identities/{external_id}/revoke`: revokes every token of the identity,
/// then tells Relink the way Facebook tells apps a person removed them: a signed deauthorize
/// callback. A failing callback is logged and does not undo the revocation.
pub(super) async fn revoke(
    State(state): State<SandboxState>,
    Path(external_id): Path<String>,
) -> Result<Json<Value>, SandboxError> {
    let identities = named(&state, &external_id).await?;
    let ids: Vec<i64> = identities.iter().map(|identity| identity.id).collect();
    let now = state.clock.now();
    let revoked = repo::revoke_tokens_of_identities(&state.db, &ids, now).await?;
    let mut delivered = true;
    for identity in &identities {
        delivered &= deauthorize(&state, identity.network, &external_id, now).await?;
    }
    Ok(Json(json!({
        "revoked": revoked,
        "webhook": if delivered { "delivered" } else { "failed" },
    })))
}

/// Posts Facebook's deauthorize callback to Relink; true when it answered 2xx.
async fn deauthorize(
    state: &SandboxState,
    network: Network,
    external_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, SandboxError> {
    let Some(client) = repo::client_of_network(&state.db, network).await? else {
        tracing::warn!(
            sandbox.network = network_slug(network),
            "no sandbox client to sign with"
        );
        return Ok(false);
    };
    // Two revocations within one second are two deliveries: the nonce tells them apart (Relink
    // applies each signed callback once).
    let payload = json!({
        "algorithm": "HMAC-SHA256",
        "issued_at": now.timestamp(),
        "user_id": external_id,
        "nonce": secrets::random_token(),
    });
    let signed = secrets::signed_request(&payload.to_string(), &client.client_secret);
    let url = format!(
        "{}/webhooks/{}/deauthorize",
        state.public_url,
        network_slug(network)
    );
    let outcome = state
        .http_client
        .post(&url)
        .form(&[("signed_request", signed)])
        .send()
        .await;
    match outcome {
        Ok(response) if response.status().is_success() => Ok(true),
        Ok(response) => {
            tracing::warn!(
                sandbox.network = network_slug(network),
                http.status = response.status().as_u16(),
                "sandbox deauthorize webhook refused"
            );
            Ok(false)
        }
        Err(error) => {
            tracing::warn!(
                sandbox.network = network_slug(network),
                error = %error,
                "sandbox deauthorize webhook failed"
            );
            Ok(false)
        }
    }
}

/// `POST /sandbox/admin/identities/{external_id}/expire`: every live token of the identity,
/// access and refresh, expires now (as after a password change).
pub(super) async fn expire(
    State(state): State<SandboxState>,
    Path(external_id): Path<String>,
) -> Result<Json<Value>, SandboxError> {
    let identities = named(&state, &external_id).await?;
    let ids: Vec<i64> = identities.iter().map(|identity| identity.id).collect();
    let expired = repo::expire_tokens_of_identities(&state.db, &ids, state.clock.now()).await?;
    Ok(Json(json!({ "expired": expired })))
}

/// The body of a role change: `role: null` takes the role away.
#[derive(Debug, Deserialize)]
pub(super) struct RoleChange {
    identity: String,
    role: Option<SandboxRole>,
}

/// `POST /sandbox/admin/assets/{external_id}/roles`: sets or removes an identity's role, as a
/// page admin does in Facebook's page settings (R6).
pub(super) async fn set_role(
    State(state): State<SandboxState>,
    Path(external_id): Path<String>,
    Json(change): Json<RoleChange>,
) -> Result<Json<Value>, SandboxError> {
    let asset = repo::asset_by_external_id(&state.db, &external_id)
        .await?
        .ok_or_else(|| SandboxError::NotFound(format!("no asset {external_id}")))?;
    let identity =
        repo::identities_by_external_id(&state.db, &change.identity, Some(asset.network))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| SandboxError::NotFound(format!("no identity {}", change.identity)))?;
    let txn = crate::support::begin_write(&state.db).await?;
    repo::set_role(&txn, identity.id, asset.id, change.role).await?;
    txn.commit().await?;
    Ok(Json(json!({
        "asset": asset.external_id,
        "identity": identity.external_id,
        "role": change.role.map(|role| role.to_value()),
    })))
}

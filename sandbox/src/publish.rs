//! The sandbox's publishing API: posts with an idempotency key (like Stripe's `Idempotency-Key`,
//! and as real publish APIs dedupe by client-supplied ids), a small feed for streams, and admin
//! views to prove exactly-once.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse as _, Response},
};
use entity::sandbox_posts;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, NotSet, QueryFilter as _,
    QueryOrder as _, Set,
    sea_query::{Expr, ExprTrait as _},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::SandboxState;
use super::{SandboxError, api::authenticate, ids_from_json, network_of, network_slug, repo};

/// A post as the publisher sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NewPost {
    asset_external_id: String,
    body: String,
}

/// `POST /sandbox/{network}/api/posts` with `Idempotency-Key`: publishes to an asset the token
/// was granted and the identity still has a role on. A key seen before returns the first post
/// (and counts the request), so a retry after a crash publishes nothing twice.
pub(super) async fn publish(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Json(post): Json<NewPost>,
) -> Result<Response, SandboxError> {
    let network = network_of(&slug)?;
    let (token, identity) = authenticate(&state, network, &headers).await?;
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .filter(|key| !key.is_empty() && key.len() <= 64)
    else {
        return Ok(bad_request(
            "an Idempotency-Key header (1 to 64 characters) is required",
        ));
    };
    if post.body.trim().is_empty() {
        return Ok(bad_request("the post has no text"));
    }
    let granted = ids_from_json(&token.granted_asset_ids);
    let held = repo::held_assets(&state.db, &[identity.id]).await?;
    if !held.iter().any(|item| {
        item.asset.external_id == post.asset_external_id && granted.contains(&item.asset.id)
    }) {
        return Ok((
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "forbidden", "description": "no role on that asset for this token" })),
        )
            .into_response());
    }
    let existing = sandbox_posts::Entity::find()
        .filter(sandbox_posts::Column::Network.eq(network))
        .filter(sandbox_posts::Column::IdempotencyKey.eq(key))
        .one(&state.db)
        .await?;
    let row = match existing {
        Some(row) => {
            sandbox_posts::Entity::update_many()
                .col_expr(
                    sandbox_posts::Column::Requests,
                    Expr::col(sandbox_posts::Column::Requests).add(1),
                )
                .filter(sandbox_posts::Column::Id.eq(row.id))
                .exec(&state.db)
                .await?;
            row
        }
        None => {
            sandbox_posts::ActiveModel {
                id: NotSet,
                network: Set(network),
                asset_external_id: Set(post.asset_external_id.clone()),
                body: Set(post.body.clone()),
                idempotency_key: Set(key.to_owned()),
                external_post_id: Set(format!(
                    "{}-post-{:016x}",
                    network_slug(network),
                    rand::random::<u64>()
                )),
                requests: Set(1),
                published_at: Set(state.clock.now()),
            }
            .insert(&state.db)
            .await?
        }
    };
    // Recorded; a stalled sandbox now holds the answer back, as a slow network would, so a test
    // can stop Relink between the network's commit and Relink's.
    state.sandbox.wait_if_stalled().await;
    Ok(Json(json!({ "id": row.external_post_id })).into_response())
}

fn bad_request(description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "invalid_request", "description": description })),
    )
        .into_response()
}

/// `GET /sandbox/{network}/api/assets/{external_id}/feed`: the newest posts of an asset the token
/// may read, as a stream shows them.
pub(super) async fn feed(
    State(state): State<SandboxState>,
    Path((slug, asset)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, SandboxError> {
    let network = network_of(&slug)?;
    state.sandbox.count_feed_request();
    let (token, identity) = authenticate(&state, network, &headers).await?;
    let granted = ids_from_json(&token.granted_asset_ids);
    let held = repo::held_assets(&state.db, &[identity.id]).await?;
    let Some(item) = held
        .iter()
        .find(|item| item.asset.external_id == asset && granted.contains(&item.asset.id))
    else {
        return Ok((
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "forbidden", "description": "no role on that asset for this token" })),
        )
            .into_response());
    };
    let posts = sandbox_posts::Entity::find()
        .filter(sandbox_posts::Column::Network.eq(network))
        .filter(sandbox_posts::Column::AssetExternalId.eq(&asset))
        .order_by_desc(sandbox_posts::Column::Id)
        .all(&state.db)
        .await?;
    let mut items: Vec<Value> = posts
        .iter()
        .take(20)
        .map(|post| {
            json!({
                "id": post.external_post_id,
                "author": item.asset.name,
                "text": post.body,
                "publishedAt": post.published_at,
            })
        })
        .collect();
    // A network's feed is never empty for long: a pinned welcome item.
    items.push(json!({
        "id": format!("{}-welcome", item.asset.external_id),
        "author": item.asset.name,
        "text": format!("Welcome to {} on the sandbox network.", item.asset.name),
        "publishedAt": item.asset.created_at,
    }));
    Ok(Json(json!({ "items": items })).into_response())
}

/// `GET /sandbox/admin/published`: every post that reached the sandbox, with how many publish
/// requests carried its key.
pub(super) async fn published(
    State(state): State<SandboxState>,
) -> Result<Json<Value>, SandboxError> {
    let posts = sandbox_posts::Entity::find()
        .order_by_asc(sandbox_posts::Column::Id)
        .all(&state.db)
        .await?;
    let posts: Vec<Value> = posts
        .iter()
        .map(|post| {
            json!({
                "id": post.external_post_id,
                "network": network_slug(post.network),
                "asset": post.asset_external_id,
                "body": post.body,
                "idempotencyKey": post.idempotency_key,
                "requests": post.requests,
                "publishedAt": post.published_at,
            })
        })
        .collect();
    Ok(Json(json!({ "posts": posts })))
}

//! The token endpoint (authorization_code and refresh_token grants) and revocation (RFC 7009).

use axum::{
    Form, Json,
    extract::{Path, State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use entity::{
    enums::Network,
    sandbox_clients,
    sandbox_tokens::{self, SandboxTokenKind},
};
use sea_orm::{ConnectionTrait, DbErr, NotSet, Set};
use serde_json::{Map, Value, json};

use super::SandboxState;
use super::{Params, SandboxError, client_auth, network_of, policy, repo, secrets};

/// What to issue: who, for which client, with which grant and lineage.
struct Issue<'a> {
    client: &'a sandbox_clients::Model,
    identity_id: i64,
    scopes: &'a str,
    granted: &'a Value,
    code_id: Option<i64>,
    rotated_from: Option<i64>,
    with_refresh: bool,
}

/// Stores a token and returns the token itself (only its hash is kept).
async fn store(
    db: &impl ConnectionTrait,
    issue: &Issue<'_>,
    kind: SandboxTokenKind,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = secrets::random_token();
    repo::insert_token(
        db,
        sandbox_tokens::ActiveModel {
            id: NotSet,
            token_hash: Set(secrets::hash(&token)),
            kind: Set(kind),
            identity_id: Set(issue.identity_id),
            client_id: Set(issue.client.id),
            scopes: Set(issue.scopes.to_owned()),
            granted_asset_ids: Set(issue.granted.clone()),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            issued_from_code: Set(issue.code_id),
            rotated_from: Set(issue.rotated_from),
            created_at: Set(now),
        },
    )
    .await?;
    Ok(token)
}

/// Issues an access token (and a refresh token when asked and the network has them) and builds
/// the RFC 6749 §5.1 answer.
async fn issue(
    db: &impl ConnectionTrait,
    network: Network,
    issue: Issue<'_>,
    now: DateTime<Utc>,
) -> Result<Value, DbErr> {
    let policy = policy(network);
    let access = store(
        db,
        &issue,
        SandboxTokenKind::Access,
        Some(crate::support::after(now, policy.access)),
        now,
    )
    .await?;
    let mut body = Map::new();
    body.insert("access_token".to_owned(), json!(access));
    body.insert("token_type".to_owned(), json!("bearer"));
    body.insert("expires_in".to_owned(), json!(policy.access.num_seconds()));
    body.insert("scope".to_owned(), json!(issue.scopes));
    if let Some(refresh) = policy.refresh.filter(|_| issue.with_refresh) {
        let expires_at = refresh
            .lifetime
            .map(|lifetime| crate::support::after(now, lifetime));
        let token = store(db, &issue, SandboxTokenKind::Refresh, expires_at, now).await?;
        body.insert("refresh_token".to_owned(), json!(token));
        if let Some(lifetime) = refresh.lifetime {
            // LinkedIn and TikTok tell the client when the refresh token runs out.
            body.insert(
                "refresh_token_expires_in".to_owned(),
                json!(lifetime.num_seconds()),
            );
        }
    }
    Ok(Value::Object(body))
}

/// Tokens for `identity` as if it had just signed in and allowed every asset it holds: the demo's
/// connected logins get them at first start, so the demo publishes, refreshes and shows streams
/// like any reconnected login. Returns the RFC 6749 §5.1 answer.
pub(super) async fn issue_direct(
    db: &impl ConnectionTrait,
    client: &sandbox_clients::Model,
    identity: &entity::sandbox_identities::Model,
    scopes: &str,
    now: DateTime<Utc>,
) -> Result<Value, DbErr> {
    let held = repo::held_assets(db, &[identity.id]).await?;
    let granted = super::ids_to_json(&held.iter().map(|item| item.asset.id).collect::<Vec<_>>());
    issue(
        db,
        identity.network,
        Issue {
            client,
            identity_id: identity.id,
            scopes,
            granted: &granted,
            code_id: None,
            rotated_from: None,
            with_refresh: true,
        },
        now,
    )
    .await
}

/// Token answers must not be cached (RFC 6749 §5.1).
fn no_store(body: Value) -> Response {
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The form body; a body that is not `application/x-www-form-urlencoded` is an RFC 6749 §5.2
/// `invalid_request`, in JSON like every other token error.
fn form_params(
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Params, SandboxError> {
    form.map(|Form(pairs)| Params(pairs)).map_err(|_| {
        SandboxError::grant(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        )
    })
}

/// `POST /sandbox/{network}/oauth/token`.
pub(super) async fn exchange(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, SandboxError> {
    let network = network_of(&slug)?;
    if state.sandbox.token_request_fails() {
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "temporarily_unavailable" })),
        )
            .into_response());
    }
    let params = form_params(form)?;
    let client = client_auth::authenticate(&state.db, network, &headers, &params)
        .await?
        .ok_or_else(SandboxError::invalid_client)?;
    let now = state.clock.now();
    let mut body = match params.get("grant_type") {
        Some("authorization_code") => code_grant(&state, network, &client, &params, now).await?,
        Some("refresh_token") => {
            // Held back (when a test asks) after the network decided, whatever it decided.
            let answer = refresh_grant(&state, network, &client, &params, now).await;
            state.sandbox.wait_if_refresh_stalled().await;
            answer?
        }
        Some(_) => {
            return Err(SandboxError::grant(
                "unsupported_grant_type",
                "only authorization_code and refresh_token are supported",
            ));
        }
        None => {
            return Err(SandboxError::grant(
                "invalid_request",
                "grant_type is missing",
            ));
        }
    };
    if let (Some(seconds), Some(fields)) =
        (state.sandbox.advertised_expires_in(), body.as_object_mut())
    {
        fields.insert("expires_in".to_owned(), json!(seconds));
    }
    Ok(no_store(body))
}

async fn code_grant(
    state: &SandboxState,
    network: Network,
    client: &sandbox_clients::Model,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Value, SandboxError> {
    let code = params
        .get("code")
        .ok_or_else(|| SandboxError::grant("invalid_request", "code is missing"))?;
    let invalid = |why: &str| SandboxError::grant("invalid_grant", why);
    let row = repo::code_by_hash(&state.db, &secrets::hash(code))
        .await?
        .filter(|row| row.client_id == client.id)
        .ok_or_else(|| invalid("unknown authorization code"))?;
    if row.used_at.is_some() {
        // RFC 6749 §4.1.2: a replayed code revokes what it already issued.
        let revoked = repo::revoke_tokens_of_code(&state.db, row.id, now).await?;
        tracing::warn!(
            sandbox.code_id = row.id,
            revoked,
            "sandbox authorization code replayed"
        );
        return Err(invalid("authorization code already used"));
    }
    if row.expires_at <= now {
        return Err(invalid("authorization code expired"));
    }
    if params.get("redirect_uri") != Some(row.redirect_uri.as_str()) {
        return Err(invalid("redirect_uri does not match the authorize request"));
    }
    let verifier = params
        .get("code_verifier")
        .ok_or_else(|| SandboxError::grant("invalid_request", "code_verifier is missing"))?;
    if !secrets::verifier_matches(verifier, &row.code_challenge) {
        return Err(invalid("code_verifier does not match the code_challenge"));
    }
    let txn = crate::support::begin_write(&state.db).await?;
    if !repo::use_code(&txn, row.id, now).await? {
        txn.rollback().await?;
        repo::revoke_tokens_of_code(&state.db, row.id, now).await?;
        return Err(invalid("authorization code already used"));
    }
    let body = issue(
        &txn,
        network,
        Issue {
            client,
            identity_id: row.identity_id,
            scopes: &row.scopes,
            granted: &row.granted_asset_ids,
            code_id: Some(row.id),
            rotated_from: None,
            with_refresh: true,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(body)
}

async fn refresh_grant(
    state: &SandboxState,
    network: Network,
    client: &sandbox_clients::Model,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Value, SandboxError> {
    let token = params
        .get("refresh_token")
        .ok_or_else(|| SandboxError::grant("invalid_request", "refresh_token is missing"))?;
    let invalid = |why: &str| SandboxError::grant("invalid_grant", why);
    let row = repo::token_by_hash(
        &state.db,
        &secrets::hash(token),
        Some(SandboxTokenKind::Refresh),
    )
    .await?
    .filter(|row| row.client_id == client.id)
    .ok_or_else(|| invalid("unknown refresh token"))?;
    if row.revoked_at.is_some() {
        return Err(invalid("refresh token revoked"));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Err(invalid("refresh token expired"));
    }
    let rotates = policy(network)
        .refresh
        .is_some_and(|refresh| refresh.rotates);
    let txn = crate::support::begin_write(&state.db).await?;
    // X, TikTok and Pinterest: the used refresh token dies with its first use.
    if rotates && !repo::revoke_token(&txn, row.id, now).await? {
        txn.rollback().await?;
        return Err(invalid("refresh token revoked"));
    }
    let body = issue(
        &txn,
        network,
        Issue {
            client,
            identity_id: row.identity_id,
            scopes: &row.scopes,
            granted: &row.granted_asset_ids,
            code_id: row.issued_from_code,
            rotated_from: rotates.then_some(row.id),
            with_refresh: rotates,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(body)
}

/// `POST /sandbox/{network}/oauth/revoke` (RFC 7009): always 200 for a well-formed request,
/// whether or not the token was known. Client credentials, when sent, must be right.
pub(super) async fn revoke(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, SandboxError> {
    let network = network_of(&slug)?;
    if state.sandbox.token_request_fails() {
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "temporarily_unavailable" })),
        )
            .into_response());
    }
    let params = form_params(form)?;
    let client = client_auth::authenticate(&state.db, network, &headers, &params).await?;
    let token = params
        .get("token")
        .ok_or_else(|| SandboxError::grant("invalid_request", "token is missing"))?;
    let row = repo::token_by_hash(&state.db, &secrets::hash(token), None).await?;
    // A client may only revoke its own tokens; an unknown token is not an error (RFC 7009 §2.2).
    if let Some(row) = row.filter(|row| {
        client
            .as_ref()
            .is_none_or(|client| client.id == row.client_id)
    }) {
        repo::revoke_token(&state.db, row.id, state.clock.now()).await?;
    }
    Ok(StatusCode::OK.into_response())
}

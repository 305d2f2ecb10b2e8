//! The authorize endpoint: the sign-in and consent page (GET) and the person's decision (POST).

use std::collections::HashSet;

use axum::{
    Form,
    extract::{Path, Query, State, rejection::FormRejection},
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use chrono::Duration;
use entity::{enums::Network, sandbox_clients, sandbox_codes};
use sea_orm::{NotSet, Set};

use super::SandboxState;
use super::{
    Params, SandboxError,
    error::{found, with_query},
    ids_to_json, network_of, network_title, page, repo, secrets,
};

/// How long an authorization code may wait for its exchange (RFC 6749 §4.1.2: short).
const CODE_LIFETIME_MINUTES: i64 = 10;

/// The parameters of an authorize request that passed validation.
struct AuthorizeRequest {
    client: sandbox_clients::Model,
    redirect_uri: String,
    state: Option<String>,
    scope: String,
    code_challenge: String,
}

impl AuthorizeRequest {
    /// The request again, as hidden form fields for the POST.
    fn hidden(&self) -> Vec<(String, String)> {
        let mut fields = vec![
            ("response_type".to_owned(), "code".to_owned()),
            ("client_id".to_owned(), self.client.client_id.clone()),
            ("redirect_uri".to_owned(), self.redirect_uri.clone()),
            ("scope".to_owned(), self.scope.clone()),
            ("code_challenge".to_owned(), self.code_challenge.clone()),
            ("code_challenge_method".to_owned(), "S256".to_owned()),
        ];
        if let Some(state) = &self.state {
            fields.push(("state".to_owned(), state.clone()));
        }
        fields
    }

    /// An error sent back to the client's redirect_uri.
    fn fail(&self, error: &'static str, description: &str) -> SandboxError {
        SandboxError::AuthorizeRedirect {
            redirect_uri: self.redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: self.state.clone(),
        }
    }
}

/// Checks client and redirect_uri first (a failure there is a page, never a redirect: RFC 6749
/// §4.1.2.1), then the rest, which is reported to the redirect_uri. `prompt` is accepted and
/// needs no handling: the chooser is always shown (R20, B2).
async fn validate(
    state: &SandboxState,
    network: Network,
    params: &Params,
) -> Result<AuthorizeRequest, SandboxError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| SandboxError::AuthorizePage("The client_id is missing.".to_owned()))?;
    let client = repo::client_by_client_id(&state.db, client_id)
        .await?
        .filter(|client| client.network == network)
        .ok_or_else(|| {
            SandboxError::AuthorizePage(format!(
                "This application is not registered with {} (sandbox).",
                network_title(network)
            ))
        })?;
    let expected = super::redirect_uri(&state.public_url, network);
    if params.get("redirect_uri") != Some(expected.as_str()) {
        return Err(SandboxError::AuthorizePage(
            "The redirect_uri does not match the one registered for this application.".to_owned(),
        ));
    }
    let request = AuthorizeRequest {
        client,
        redirect_uri: expected,
        state: params.get("state").map(str::to_owned),
        scope: params.get("scope").unwrap_or_default().to_owned(),
        code_challenge: params.get("code_challenge").unwrap_or_default().to_owned(),
    };
    if params.get("response_type") != Some("code") {
        return Err(request.fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    // Like X and current OAuth guidance, only S256 PKCE is accepted: `plain` leaks the verifier.
    if params.get("code_challenge_method") != Some("S256")
        || !is_s256_challenge(&request.code_challenge)
    {
        return Err(request.fail(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required",
        ));
    }
    Ok(request)
}

/// An S256 challenge is base64url of 32 bytes: 43 characters, no padding (RFC 7636 §4.2).
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// Consent pages must not be cached or framed (clickjacking).
fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `GET /sandbox/{network}/oauth/authorize`: the account chooser with consent.
pub(super) async fn show(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, SandboxError> {
    let network = network_of(&slug)?;
    let params = Params(query);
    let request = validate(&state, network, &params).await?;
    let identities = repo::identities(&state.db, Some(network)).await?;
    let ids: Vec<i64> = identities.iter().map(|identity| identity.id).collect();
    let held = repo::held_assets(&state.db, &ids).await?;
    let html = page::chooser(
        network,
        &request.client.client_id,
        &request.scope,
        &request.hidden(),
        &identities,
        &held,
    );
    Ok(protect(Html(html).into_response()))
}

/// `POST /sandbox/{network}/oauth/authorize`: the decision; redirects with a code or an error.
pub(super) async fn decide(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, SandboxError> {
    let network = network_of(&slug)?;
    let mut pairs = query;
    if let Ok(Form(body)) = form {
        pairs.extend(body);
    }
    let params = Params(pairs);
    let request = validate(&state, network, &params).await?;
    match params.get("decision") {
        Some("allow") => {}
        Some("deny") => return Err(request.fail("access_denied", "the person denied access")),
        _ => return Err(request.fail("invalid_request", "decision must be allow or deny")),
    }
    let identity_id = params.get("identity").unwrap_or_default();
    let identity = repo::identities_by_external_id(&state.db, identity_id, Some(network))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            SandboxError::AuthorizePage(format!(
                "There is no {} (sandbox) identity with that id.",
                network_title(network)
            ))
        })?;
    let held = repo::held_assets(&state.db, &[identity.id]).await?;
    let denied: HashSet<&str> = params.all("deny").collect();
    // From the page, the ticked boxes are what is granted (an unticked box sends nothing).
    let from_page = params.get("consent_form").is_some();
    let ticked_field = format!("grant:{}", identity.external_id);
    let ticked: HashSet<&str> = params.all(&ticked_field).collect();
    let granted: Vec<i64> = held
        .iter()
        .map(|item| &item.asset)
        .filter(|asset| !denied.contains(asset.external_id.as_str()))
        .filter(|asset| !from_page || ticked.contains(asset.external_id.as_str()))
        .map(|asset| asset.id)
        .collect();
    let now = state.clock.now();
    let code = secrets::random_token();
    repo::insert_code(
        &state.db,
        sandbox_codes::ActiveModel {
            id: NotSet,
            code_hash: Set(secrets::hash(&code)),
            client_id: Set(request.client.id),
            identity_id: Set(identity.id),
            redirect_uri: Set(request.redirect_uri.clone()),
            code_challenge: Set(request.code_challenge.clone()),
            scopes: Set(request.scope.clone()),
            granted_asset_ids: Set(ids_to_json(&granted)),
            expires_at: Set(crate::support::after(
                now,
                Duration::minutes(CODE_LIFETIME_MINUTES),
            )),
            used_at: Set(None),
            created_at: Set(now),
        },
    )
    .await?;
    let mut answer = vec![("code", code.as_str())];
    if let Some(client_state) = &request.state {
        answer.push(("state", client_state));
    }
    let target = with_query(&request.redirect_uri, &answer);
    Ok(protect(found(&target)))
}

//! The OAuth 2.0 part every network shares: authorize URL, code exchange and refresh through the
//! `oauth2` crate, with PKCE S256 and a client that follows no redirects.

use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse as _,
    TokenUrl, basic::BasicClient, basic::BasicErrorResponseType,
};

use super::{NetworkError, TokenSet};
use crate::config::Secret;

/// One network app: client credentials, endpoints, scopes.
#[derive(Clone)]
pub struct OAuthApp {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Secret,
    /// Authorization endpoint.
    pub auth_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// Our callback, `{public_url}/oauth/callback/{network}`.
    pub redirect_url: String,
    /// Revocation endpoint (RFC 7009), when the network has one.
    pub revoke_url: Option<String>,
    /// Scopes to ask for.
    pub scopes: Vec<String>,
    /// The one outbound client (no redirects, timeouts).
    pub http: reqwest::Client,
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

fn bad_config(error: impl std::fmt::Display) -> NetworkError {
    NetworkError::Protocol(format!("network app misconfigured: {error}"))
}

type TokenError = RequestTokenError<
    oauth2::HttpClientError<reqwest::Error>,
    oauth2::StandardErrorResponse<BasicErrorResponseType>,
>;

fn classify(error: TokenError) -> NetworkError {
    match error {
        // Only `invalid_grant` says the grant itself is dead (a revoked or expired refresh token,
        // a bad code): the one answer that may disconnect a login (B1, B7).
        RequestTokenError::ServerResponse(response) => match response.error() {
            BasicErrorResponseType::InvalidGrant => {
                NetworkError::Refused("invalid_grant".to_owned())
            }
            // Our app's credentials or request are wrong: an operator's problem, never a reason to
            // disconnect the people whose logins are fine.
            BasicErrorResponseType::InvalidClient
            | BasicErrorResponseType::UnauthorizedClient
            | BasicErrorResponseType::InvalidRequest
            | BasicErrorResponseType::InvalidScope
            | BasicErrorResponseType::UnsupportedGrantType => NetworkError::Protocol(format!(
                "the token endpoint answered {}",
                response.error().as_ref()
            )),
            // `temporarily_unavailable`, `server_error` and the like, often with a 503: try later.
            BasicErrorResponseType::Extension(code) => NetworkError::Unavailable(code.clone()),
        },
        // Timeouts, refused connections, 5xx pages and 429s land here: never a disconnect.
        RequestTokenError::Request(error) => NetworkError::Unavailable(error.to_string()),
        RequestTokenError::Parse(_, _) => {
            NetworkError::Unavailable("unreadable token response".to_owned())
        }
        RequestTokenError::Other(message) => NetworkError::Unavailable(message),
    }
}

fn token_set(response: &oauth2::basic::BasicTokenResponse) -> TokenSet {
    TokenSet {
        access: Secret::new(response.access_token().secret().clone()),
        refresh: response
            .refresh_token()
            .map(|token| Secret::new(token.secret().clone())),
        expires_in: response
            .expires_in()
            .map(|after| super::token_lifetime(i64::try_from(after.as_secs()).unwrap_or(i64::MAX))),
        refresh_expires_in: None,
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.to_string()).collect())
            .unwrap_or_default(),
    }
}

impl OAuthApp {
    fn client(
        &self,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        NetworkError,
    > {
        Ok(BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(self.auth_url.clone()).map_err(bad_config)?)
            .set_token_uri(TokenUrl::new(self.token_url.clone()).map_err(bad_config)?)
            .set_redirect_uri(RedirectUrl::new(self.redirect_url.clone()).map_err(bad_config)?))
    }

    /// The sign-in URL with PKCE S256, our `state`, and the network's account chooser forced.
    pub fn authorize_url(
        &self,
        state: &str,
        pkce_challenge: &str,
        extra: &[(&str, &str)],
    ) -> Result<String, NetworkError> {
        let client = self.client()?;
        let state = state.to_owned();
        let mut request = client
            .authorize_url(|| CsrfToken::new(state))
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .add_extra_param("code_challenge", pkce_challenge)
            .add_extra_param("code_challenge_method", "S256");
        for (name, value) in extra {
            request = request.add_extra_param(*name, *value);
        }
        Ok(request.url().0.to_string())
    }

    /// Exchanges a code for tokens with the attempt's verifier.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &Secret,
    ) -> Result<TokenSet, NetworkError> {
        let response = self
            .client()?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_owned()))
            .request_async(&self.http)
            .await
            .map_err(classify)?;
        Ok(token_set(&response))
    }

    /// Refreshes tokens.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, NetworkError> {
        let refresh = RefreshToken::new(refresh_token.expose().to_owned());
        let response = self
            .client()?
            .exchange_refresh_token(&refresh)
            .request_async(&self.http)
            .await
            .map_err(classify)?;
        Ok(token_set(&response))
    }
}

impl OAuthApp {
    /// Revokes a token at the network (RFC 7009). Networks answer 200 even for unknown tokens.
    pub async fn revoke(&self, token: &Secret) -> Result<(), NetworkError> {
        let Some(url) = &self.revoke_url else {
            return Ok(());
        };
        let response = self
            .http
            .post(url)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .form(&[("token", token.expose())])
            .send()
            .await
            .map_err(|error| NetworkError::Unavailable(error.to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(NetworkError::Unavailable(format!(
                "HTTP {}",
                response.status()
            )))
        }
    }
}

/// A fresh PKCE pair: (challenge for the URL, verifier kept with the attempt).
pub fn pkce_pair() -> (String, Secret) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    (
        challenge.as_str().to_owned(),
        Secret::new(verifier.secret().clone()),
    )
}

//! Client authentication at the token and revocation endpoints: HTTP Basic (what the `oauth2`
//! crate sends by default) or `client_id` / `client_secret` form fields (RFC 6749 §2.3.1).

use axum::http::{HeaderMap, header};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use entity::{enums::Network, sandbox_clients};
use sea_orm::ConnectionTrait;

use super::{Params, SandboxError, repo, secrets};

/// The authenticated client, `None` when no credentials were sent; wrong credentials, or a
/// client of another network, are `invalid_client`.
pub(super) async fn authenticate(
    db: &impl ConnectionTrait,
    network: Network,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Option<sandbox_clients::Model>, SandboxError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "));
    let (client_id, secret) = match basic {
        Some(encoded) => basic_credentials(encoded).ok_or_else(SandboxError::invalid_client)?,
        None => match params.get("client_id") {
            Some(client_id) => (
                client_id.to_owned(),
                params.get("client_secret").unwrap_or_default().to_owned(),
            ),
            None => return Ok(None),
        },
    };
    let client = repo::client_by_client_id(db, &client_id)
        .await?
        .filter(|client| client.network == network)
        .filter(|client| {
            secrets::constant_time_eq(client.client_secret.as_bytes(), secret.as_bytes())
        })
        .ok_or_else(SandboxError::invalid_client)?;
    Ok(Some(client))
}

/// `id:secret` from a Basic header; each part is form-urlencoded first (RFC 6749 §2.3.1).
fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// Undoes `application/x-www-form-urlencoded` escaping.
fn form_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = char::from(rest.next()?).to_digit(16)?;
                let low = char::from(rest.next()?).to_digit(16)?;
                bytes.push(u8::try_from(high * 16 + low).ok()?);
            }
            _ => bytes.push(byte),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let encoded = STANDARD.encode("relink-x:a%2Bb+c");
        assert_eq!(
            basic_credentials(&encoded),
            Some(("relink-x".to_owned(), "a+b c".to_owned()))
        );
        assert_eq!(basic_credentials("%%%"), None);
        assert_eq!(form_decode("%zz"), None);
    }
}

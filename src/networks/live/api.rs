//! What every live adapter shares: a bounded, classified HTTP call (the answer is read up to
//! [`MAX_BODY`], then placed by [`classify`], errors inside an HTTP 200
//! included), the token endpoint's answer read defensively, and the sign-in URL.

use reqwest::{RequestBuilder, header::HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    config::Secret,
    networks::{
        NetworkError, TokenSet,
        classify::{self, Family},
        token_lifetime,
    },
};

/// The largest answer Relink reads from a network (an asset list of 100 pages is ~60 KiB).
pub const MAX_BODY: usize = 1 << 20;

/// The longest token Relink stores (real ones are under 2 KiB).
pub const MAX_TOKEN: usize = 8 * 1024;

/// A network's API, as one family of answers.
#[derive(Clone, Debug)]
pub struct Api {
    /// The one outbound client (TLS, timeouts, no redirects).
    pub http: reqwest::Client,
    /// How the network answers errors.
    pub family: Family,
}

/// A successful answer. `Debug` shows the header names only: a token endpoint's answer holds
/// tokens.
pub struct Answer {
    /// Its HTTP status.
    pub status: u16,
    /// Its headers (LinkedIn returns a new post's id in `x-restli-id`).
    pub headers: HeaderMap,
    /// Its JSON (`Null` for an empty body).
    pub body: Value,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body", &"[not shown]")
            .finish()
    }
}

impl Api {
    /// Sends a request, reads at most [`MAX_BODY`] of its answer and classifies it.
    pub async fn send(&self, request: RequestBuilder) -> Result<Answer, NetworkError> {
        self.send_passing(request, &[]).await
    }

    /// As [`Api::send`], but an answer with a status in `passing` is taken as it is, its body
    /// not read as JSON (YouTube's `308 Resume Incomplete` between the chunks of an upload).
    pub async fn send_passing(
        &self,
        request: RequestBuilder,
        passing: &[u16],
    ) -> Result<Answer, NetworkError> {
        let mut response = request
            .send()
            .await
            .map_err(|error| NetworkError::Unavailable(error.without_url().to_string()))?;
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|length| length > MAX_BODY as u64)
        {
            return Err(NetworkError::Protocol(format!(
                "HTTP {status}: an answer over {MAX_BODY} bytes"
            )));
        }
        let headers = response.headers().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| NetworkError::Unavailable(error.without_url().to_string()))?
        {
            if bytes.len().saturating_add(chunk.len()) > MAX_BODY {
                return Err(NetworkError::Protocol(format!(
                    "HTTP {status}: an answer over {MAX_BODY} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if passing.contains(&status) {
            return Ok(Answer {
                status,
                headers,
                body: Value::Null,
            });
        }
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            (200..300).contains(&status).then_some(Value::Null)
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        classify::check(self.family, status, body.as_ref())?;
        let body = body.ok_or_else(|| {
            NetworkError::Protocol(format!("HTTP {status}: the answer is not JSON"))
        })?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// Sends a request and reads its answer as `T`.
    pub async fn json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, NetworkError> {
        let answer = self.send(request).await?;
        read(answer.body)
    }

    /// Asks a token endpoint (a form POST) and reads the tokens it issued.
    pub async fn token(&self, request: RequestBuilder) -> Result<TokenSet, NetworkError> {
        let answer = self
            .send(request.header(reqwest::header::ACCEPT, "application/json"))
            .await?;
        token_set(&answer.body)
    }
}

/// Reads an answer as `T`; a shape we do not know is a protocol error with serde's words.
pub fn read<T: DeserializeOwned>(body: Value) -> Result<T, NetworkError> {
    serde_json::from_value(body)
        .map_err(|error| NetworkError::Protocol(format!("an unexpected answer: {error}")))
}

/// Seconds as networks write them: a number (integer or not) or a numeric string. Anything else,
/// or a value no date could hold, is read as "not said" or clamped by [`token_lifetime`].
pub fn seconds(value: &Value) -> Option<chrono::Duration> {
    let seconds = match value {
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_u64().map(|_| i64::MAX))
            .or_else(|| number.as_f64().map(saturating_seconds))?,
        Value::String(text) => {
            let text = text.trim();
            text.parse::<i64>().ok().or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(saturating_seconds)
            })?
        }
        _ => return None,
    };
    Some(token_lifetime(seconds))
}

#[allow(clippy::cast_possible_truncation)]
fn saturating_seconds(value: f64) -> i64 {
    // `as` saturates at the bounds and maps NaN to 0.
    value.trunc() as i64
}

fn token(value: Option<&Value>, field: &str) -> Result<Option<Secret>, NetworkError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text))
            if text.len() > MAX_TOKEN || text.chars().any(char::is_control) =>
        {
            Err(NetworkError::Protocol(format!(
                "the {field} is not a token we can store"
            )))
        }
        Some(Value::String(text)) => Ok(Some(Secret::new(text.clone()))),
        Some(_) => Err(NetworkError::Protocol(format!(
            "the {field} is not a string"
        ))),
    }
}

/// The tokens of a token endpoint's answer, read defensively: `expires_in` as a number or a
/// string, clamped; the refresh token's own lifetime under any of its documented names; scopes
/// separated by spaces or commas, or listed.
pub fn token_set(body: &Value) -> Result<TokenSet, NetworkError> {
    let access = token(body.get("access_token"), "access_token")?
        .ok_or_else(|| NetworkError::Protocol("the token answer has no access_token".to_owned()))?;
    let refresh = token(body.get("refresh_token"), "refresh_token")?;
    let refresh_expires_in = ["refresh_token_expires_in", "refresh_expires_in"]
        .iter()
        .find_map(|field| body.get(*field).and_then(seconds));
    let scopes = match body.get("scope").or_else(|| body.get("permissions")) {
        Some(Value::String(text)) => text
            .split([' ', ','])
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok(TokenSet {
        access,
        refresh,
        expires_in: body.get("expires_in").and_then(seconds),
        refresh_expires_in,
        scopes,
    })
}

/// A sign-in URL: the network's authorize endpoint with these parameters added to its query.
pub fn authorize_url(endpoint: &str, params: &[(&str, &str)]) -> Result<String, NetworkError> {
    let mut url = reqwest::Url::parse(endpoint)
        .map_err(|error| NetworkError::Protocol(format!("authorize_url: {error}")))?;
    url.query_pairs_mut().extend_pairs(params);
    Ok(url.to_string())
}

/// The file extensions of images a post may carry.
pub const IMAGES: &[&str] = &["jpg", "jpeg", "png", "gif", "webp"];

/// The file extensions of videos a post may carry.
pub const VIDEOS: &[&str] = &["mp4", "mov", "webm", "m4v"];

/// The first `https` image URL in a post, and the post's words without it: how a text post
/// carries the image that Pinterest and Instagram need.
pub fn image_of(body: &str) -> Option<(String, String)> {
    media_of(body, IMAGES)
}

/// The first `https` URL in a post whose path ends in one of `extensions` (any case), and the
/// post's words without it.
pub fn media_of(body: &str, extensions: &[&str]) -> Option<(String, String)> {
    media_where(body, extensions, |url| {
        url.scheme() == "https" && url.host_str().is_some()
    })
}

/// The first URL in a post that `fits` and whose path ends in one of `extensions` (any case), and
/// the post's words without it.
pub fn media_where(
    body: &str,
    extensions: &[&str],
    fits: impl Fn(&reqwest::Url) -> bool,
) -> Option<(String, String)> {
    let url = body.split_whitespace().find(|word| {
        reqwest::Url::parse(word).is_ok_and(|url| {
            fits(&url)
                && url.path().rsplit_once('.').is_some_and(|(_, extension)| {
                    extensions.contains(&extension.to_ascii_lowercase().as_str())
                })
        })
    })?;
    let words = body.replacen(url, "", 1);
    let description = words.split_whitespace().collect::<Vec<_>>().join(" ");
    Some((url.to_owned(), description))
}

/// At most `limit` characters of `text` (the networks count characters, not bytes).
pub fn clip(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_token_answer_is_read_whatever_shape_its_numbers_take() {
        let read = |body: Value| token_set(&body).expect("valid");
        let tokens = read(json!({ "access_token": "a", "expires_in": 3600, "scope": "a b" }));
        assert_eq!(tokens.expires_in, Some(chrono::Duration::hours(1)));
        assert_eq!(tokens.scopes, ["a", "b"]);
        let tokens = read(json!({ "access_token": "a", "expires_in": "7200", "scope": "x,y" }));
        assert_eq!(tokens.expires_in, Some(chrono::Duration::hours(2)));
        assert_eq!(tokens.scopes, ["x", "y"]);
        let huge = read(json!({ "access_token": "a", "expires_in": 1e300 }));
        assert_eq!(huge.expires_in, Some(crate::networks::max_token_lifetime()));
        let too_big = read(json!({ "access_token": "a", "expires_in": u64::MAX }));
        assert_eq!(
            too_big.expires_in,
            Some(crate::networks::max_token_lifetime())
        );
        let negative = read(json!({ "access_token": "a", "expires_in": -5 }));
        assert_eq!(negative.expires_in, Some(chrono::Duration::zero()));
        let nonsense = read(json!({ "access_token": "a", "expires_in": {"x": 1}, "scope": 7 }));
        assert_eq!(nonsense.expires_in, None);
        assert!(nonsense.scopes.is_empty());
        let tiktok = read(json!({
            "access_token": "a", "refresh_token": "r", "expires_in": 7200,
            "refresh_expires_in": 15_552_000, "open_id": "x", "scope": "user.info.basic,video.publish"
        }));
        assert_eq!(tiktok.refresh_expires_in, Some(chrono::Duration::days(180)));
        let linkedin = read(json!({ "access_token": "a", "refresh_token_expires_in": 31_536_000 }));
        assert_eq!(
            linkedin.refresh_expires_in,
            Some(chrono::Duration::days(365))
        );
    }

    #[test]
    fn a_token_answer_without_a_usable_access_token_is_refused() {
        for body in [
            json!({}),
            json!({ "access_token": "" }),
            json!({ "access_token": 12 }),
            json!({ "access_token": "x".repeat(MAX_TOKEN + 1) }),
            json!({ "access_token": "a\nb" }),
            json!({ "access_token": "a", "refresh_token": ["r"] }),
            json!([1]),
        ] {
            assert!(
                matches!(token_set(&body), Err(NetworkError::Protocol(_))),
                "{body}"
            );
        }
        let shown = format!("{:?}", token_set(&json!({ "access_token": "s3cret" })));
        assert!(!shown.contains("s3cret"), "{shown}");
        let answer = Answer {
            status: 200,
            headers: HeaderMap::new(),
            body: json!({ "access_token": "s3cret", "refresh_token": "r3fresh" }),
        };
        let shown = format!("{answer:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("r3fresh"),
            "{shown}"
        );
    }

    #[test]
    fn the_sign_in_url_keeps_the_endpoint_query_and_escapes_parameters() {
        let url = authorize_url(
            "https://example.com/auth?x=1",
            &[("state", "a b&c"), ("scope", "p q")],
        )
        .expect("valid");
        assert_eq!(url, "https://example.com/auth?x=1&state=a+b%26c&scope=p+q");
    }
}

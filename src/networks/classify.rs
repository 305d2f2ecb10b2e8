//! One classification of every live network's failures, as data: for each API family, the
//! documented error answers in order, first match wins, then the same fallbacks for all (a 5xx or
//! an unreadable page is the network's trouble, a 429 is throttling, anything else we cannot place
//! is a protocol error that never disconnects). Errors inside an HTTP 200 (Meta's `error`, TikTok's
//! `error.code` other than `ok`) are found like any other.
//!
//! The rows come from the networks' documentation (see the README's
//! "Connecting real networks"); `tests/fixtures/networks/{network}/` holds a recorded body for each,
//! and the tests below check them row by row.

use entity::enums::DisconnectReason;
use serde_json::Value;

use super::NetworkError;

/// The API families: networks that answer errors the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Facebook and Instagram (the Graph API, both hosts).
    Meta,
    /// LinkedIn (REST and OAuth).
    Linkedin,
    /// X (API v2 problem objects).
    X,
    /// Google (YouTube Data API and Google's OAuth).
    Google,
    /// TikTok (Login Kit and Content Posting).
    Tiktok,
    /// Pinterest (API v5).
    Pinterest,
}

/// What a failure means for the login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// The token is dead: disconnect with this reason (B7).
    Reconnect(DisconnectReason),
    /// The person must fix their account at the network first.
    ActionAtNetwork,
    /// A permission is missing: reconnect granting it.
    MissingPermission,
    /// Throttled: back off.
    RateLimited,
    /// The network's passing trouble: back off.
    Transient,
    /// Our request was refused (content, a bad parameter, our app's credentials): nothing about the
    /// login; the post fails with the network's words.
    Rejected,
}

/// What a row matches in an answer.
#[derive(Clone, Copy, Debug)]
pub enum Signal {
    /// A numeric error code (Meta `error.code`, LinkedIn `serviceErrorCode`, Pinterest `code`).
    Code(i64),
    /// A numeric code within a range, inclusive.
    Codes(i64, i64),
    /// Meta's code with its `error_subcode`.
    Subcode(i64, i64),
    /// A textual code: an OAuth `error`, TikTok's `error.code`, a Google `reason` or `status`,
    /// LinkedIn's `code`, the last segment of an X problem `type`.
    Text(&'static str),
    /// A text code together with the HTTP status it came with.
    TextWithStatus(&'static str, u16),
    /// Words in the error's description (case-insensitive).
    Says(&'static str),
    /// The HTTP status alone.
    Status(u16),
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// What it matches.
    pub signal: Signal,
    /// What that means.
    pub class: Class,
}

mod tables;

use Class::{ActionAtNetwork, MissingPermission, RateLimited, Reconnect, Rejected, Transient};
use Signal::{Code, Codes, Says, Status, Subcode, Text, TextWithStatus};
use tables::OAUTH;

/// What an answer carries that rows can match.
#[derive(Debug, Default)]
struct Found {
    code: Option<i64>,
    subcode: Option<i64>,
    texts: Vec<String>,
    description: String,
    /// Whether the body holds an error at all (decisive for HTTP 200).
    error: bool,
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn int(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// At most this much of a network's words go into an error (and from there into logs).
const DETAIL_CHARS: usize = 200;

fn short(words: &str) -> String {
    words.chars().take(DETAIL_CHARS).collect()
}

fn found(family: Family, body: &Value) -> Found {
    let mut found = Found::default();
    // RFC 6749's token endpoint shape, any family: `{"error": "...", "error_description": ...}`.
    if let Some(code) = body.get("error").and_then(text) {
        found.error = true;
        found.texts.push(code);
        found.description = body
            .get("error_description")
            .and_then(text)
            .unwrap_or_default();
        return found;
    }
    match family {
        Family::Meta => {
            if let Some(error) = body.get("error").filter(|e| e.is_object()) {
                found.error = true;
                found.code = error.get("code").and_then(int);
                found.subcode = error.get("error_subcode").and_then(int);
                found.texts.extend(error.get("type").and_then(text));
                found.description = error.get("message").and_then(text).unwrap_or_default();
            }
        }
        Family::Linkedin => {
            found.code = body.get("serviceErrorCode").and_then(int);
            found.texts.extend(body.get("code").and_then(text));
            found.description = body.get("message").and_then(text).unwrap_or_default();
            found.error = found.code.is_some() || !found.texts.is_empty();
        }
        Family::X => {
            if let Some(kind) = body.get("type").and_then(Value::as_str) {
                found.error = true;
                found
                    .texts
                    .push(kind.rsplit('/').next().unwrap_or(kind).to_owned());
                found.texts.extend(body.get("title").and_then(text));
                found.description = body.get("detail").and_then(text).unwrap_or_default();
            } else if let Some(first) = body.get("errors").and_then(|e| e.get(0)) {
                found.code = first.get("code").and_then(int);
                found.description = first.get("message").and_then(text).unwrap_or_default();
                // API v2 answers partial errors beside `data`; only a body without data failed.
                found.error = body.get("data").is_none();
            }
        }
        Family::Google => {
            if let Some(error) = body.get("error").filter(|e| e.is_object()) {
                found.error = true;
                found.code = error.get("code").and_then(int);
                found.texts.extend(error.get("status").and_then(text));
                if let Some(errors) = error.get("errors").and_then(Value::as_array) {
                    found
                        .texts
                        .extend(errors.iter().filter_map(|e| e.get("reason").and_then(text)));
                }
                found.description = error.get("message").and_then(text).unwrap_or_default();
            }
        }
        Family::Tiktok => {
            if let Some(error) = body.get("error").filter(|e| e.is_object()) {
                let code = error.get("code").and_then(text).unwrap_or_default();
                if code != "ok" {
                    found.error = true;
                    found.texts.push(code);
                    found.description = error.get("message").and_then(text).unwrap_or_default();
                }
            }
        }
        Family::Pinterest => {
            if body.get("message").is_some() {
                found.code = body.get("code").and_then(int);
                found.description = body.get("message").and_then(text).unwrap_or_default();
                found.error = found.code.is_some();
            }
        }
    }
    found
}

fn matches(signal: Signal, status: u16, found: &Found) -> bool {
    match signal {
        Code(code) => found.code == Some(code),
        Codes(low, high) => found.code.is_some_and(|code| (low..=high).contains(&code)),
        Subcode(code, subcode) => found.code == Some(code) && found.subcode == Some(subcode),
        Text(word) => found.texts.iter().any(|t| t == word),
        TextWithStatus(word, wanted) => status == wanted && found.texts.iter().any(|t| t == word),
        Says(words) => found
            .description
            .to_ascii_lowercase()
            .contains(&words.to_ascii_lowercase()),
        Status(wanted) => status == wanted,
    }
}

/// The class of an answer, or `None` when it is a success. `body` is the parsed JSON (`None` when
/// the body was not JSON).
pub fn class_of(family: Family, status: u16, body: Option<&Value>) -> Option<(Class, String)> {
    let success = (200..300).contains(&status);
    let Some(body) = body else {
        return (!success).then(|| (fallback(status, false), format!("HTTP {status}")));
    };
    let found = found(family, body);
    if success && !found.error {
        return None;
    }
    let detail = {
        let mut words: Vec<String> = found.code.iter().map(i64::to_string).collect();
        words.extend(found.subcode.iter().map(|s| format!("subcode {s}")));
        words.extend(found.texts.iter().map(|t| short(t)));
        if !found.description.is_empty() {
            words.push(short(&found.description));
        }
        format!("HTTP {status}: {}", words.join(", "))
    };
    let class =
        placed(family, status, &found).map_or_else(|| fallback(status, true), |rule| rule.class);
    Some((class, detail))
}

/// The first row of the family (then the shared OAuth rows) that an answer matches.
fn placed(family: Family, status: u16, found: &Found) -> Option<&'static Rule> {
    family
        .rules()
        .iter()
        .chain(OAUTH)
        .find(|rule| matches(rule.signal, status, found))
}

/// What an answer no row placed means.
fn fallback(status: u16, json: bool) -> Class {
    match status {
        429 => RateLimited,
        500..=599 => Transient,
        // An HTML page from a proxy or a load balancer: the network's trouble, not the login's.
        _ if !json => Transient,
        // A 200 with an error we do not know, or a 4xx we cannot place: never a disconnect.
        _ => Rejected,
    }
}

/// The error a class means, with the network's words (shortened) as detail.
pub fn error_of(class: Class, detail: String) -> NetworkError {
    match class {
        Reconnect(reason) => NetworkError::Reconnect { reason, detail },
        ActionAtNetwork => NetworkError::ActionAtNetwork(detail),
        MissingPermission => NetworkError::MissingPermission(detail),
        RateLimited => NetworkError::RateLimited(detail),
        Transient => NetworkError::Unavailable(detail),
        Rejected => NetworkError::Protocol(detail),
    }
}

/// Classifies an answer: `Ok(())` for a success, the error otherwise.
pub fn check(family: Family, status: u16, body: Option<&Value>) -> Result<(), NetworkError> {
    match class_of(family, status, body) {
        None => Ok(()),
        Some((class, detail)) => Err(error_of(class, detail)),
    }
}

#[cfg(test)]
mod tests;

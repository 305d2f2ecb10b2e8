//! TikTok's webhooks (developers.tiktok.com/doc/webhooks-verification, …/webhooks-events): the
//! `TikTok-Signature: t=<unix>,s=<hex>` header is HMAC-SHA256 with the app's client secret over
//! `t + "." + raw body`, compared in constant time; the body is `{client_key, event, create_time,
//! user_openid, content}` where `content` is itself a JSON string (`{"reason": n}` for
//! `authorization.removed`). TikTok delivers at least once, so the receipt is the event itself.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use entity::enums::DisconnectReason;
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::networks::webhook::{Delivery, Event, Invalid};

/// The event that ends an authorization; its token is already revoked when it arrives.
const REMOVED: &str = "authorization.removed";

/// The longest event name kept (in logs and answers).
const NAME_CHARS: usize = 64;

#[derive(Deserialize)]
struct Payload {
    client_key: String,
    event: String,
    #[serde(default)]
    create_time: Option<i64>,
    #[serde(default)]
    user_openid: Option<String>,
    #[serde(default)]
    content: Option<Value>,
}

/// The `t` and `s` of the signature header, as sent.
fn parts(header: &str) -> Option<(&str, &str)> {
    let (mut t, mut s) = (None, None);
    for element in header.split(',') {
        match element.trim().split_once('=') {
            Some(("t", value)) if t.is_none() => t = Some(value.trim()),
            Some(("s", value)) if s.is_none() => s = Some(value.trim()),
            _ => {}
        }
    }
    Some((t?, s?))
}

/// Lowercase or uppercase hex, exactly one SHA-256 long.
fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// Why TikTok ended the authorization, as a disconnect: 2 (account deleted) and 4 (account
/// banned) are the person's to resolve at TikTok (a deleted account can be restored by signing
/// in within 30 days, a ban appealed) before any reconnect can work; 0 (unknown), 1 (removed in
/// the app), 3 (age changed) and 5 (the developer revoked it) want a new approval of Relink.
pub fn reason_of(code: Option<i64>) -> DisconnectReason {
    match code {
        Some(2 | 4) => DisconnectReason::ActionAtNetwork,
        _ => DisconnectReason::AppDeauthorized,
    }
}

/// `content`'s `reason`: the documented JSON string, or an object; anything else is unknown.
fn reason_code(content: Option<&Value>) -> Option<i64> {
    let parsed;
    let content = match content? {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).ok()?;
            &parsed
        }
        other => other,
    };
    content.get("reason")?.as_i64()
}

/// Verifies a delivery with the app's client secret and reads what it says.
pub fn verify(
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    client_key: &str,
    secret: &str,
) -> Result<Delivery, Invalid> {
    let header = headers
        .get("tiktok-signature")
        .and_then(|value| value.to_str().ok())
        .ok_or(Invalid::Malformed)?;
    let (t, s) = parts(header).ok_or(Invalid::Malformed)?;
    let signed_at: i64 = t.parse().map_err(|_| Invalid::Malformed)?;
    let signature = hex(s).ok_or(Invalid::Malformed)?;
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC-SHA256 takes keys of any length")
    };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| Invalid::BadSignature)?;
    let payload: Payload = serde_json::from_slice(body).map_err(|_| Invalid::Malformed)?;
    if payload.client_key != client_key {
        return Err(Invalid::OtherApp);
    }
    let event = if payload.event == REMOVED {
        let user_id = payload
            .user_openid
            .filter(|id| !id.is_empty() && id.len() <= 256)
            .ok_or(Invalid::Malformed)?;
        Event::Deauthorized {
            user_id,
            reason: reason_of(reason_code(payload.content.as_ref())),
            happened_at: payload.create_time,
        }
    } else {
        Event::Other {
            name: payload.event.chars().take(NAME_CHARS).collect(),
        }
    };
    Ok(Delivery {
        signed_at,
        receipt: URL_SAFE_NO_PAD.encode(Sha256::digest(body)),
        event,
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::*;

    fn signed(t: &str, body: &str, secret: &str) -> HeaderMap {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("{t}.{body}").as_bytes());
        let s: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("t={t},s={s}")).expect("header");
        headers.insert("TikTok-Signature", value);
        headers
    }

    const REMOVAL: &str = r#"{"client_key":"ck","event":"authorization.removed","create_time":1615338610,"user_openid":"act.example","content":"{\"reason\": 4 }"}"#;

    #[test]
    fn a_removal_verifies_only_with_its_secret_and_body() {
        let headers = signed("1633174587", REMOVAL, "secret");
        let delivery = verify(&headers, REMOVAL.as_bytes(), "ck", "secret").expect("valid");
        assert_eq!(delivery.signed_at, 1_633_174_587);
        assert_eq!(
            delivery.event,
            Event::Deauthorized {
                user_id: "act.example".to_owned(),
                reason: DisconnectReason::ActionAtNetwork,
                happened_at: Some(1_615_338_610),
            }
        );
        let check = |headers: &HeaderMap, body: &str, key: &str, secret: &str| {
            verify(headers, body.as_bytes(), key, secret).map(|_| ())
        };
        assert_eq!(
            check(&headers, REMOVAL, "ck", "other"),
            Err(Invalid::BadSignature)
        );
        let tampered = REMOVAL.replace("act.example", "act.someone");
        assert_eq!(
            check(&headers, &tampered, "ck", "secret"),
            Err(Invalid::BadSignature)
        );
        assert_eq!(
            check(&headers, REMOVAL, "other-app", "secret"),
            Err(Invalid::OtherApp)
        );
        assert_eq!(
            check(&HeaderMap::new(), REMOVAL, "ck", "secret"),
            Err(Invalid::Malformed)
        );
        for header in ["t=1,s=zz", "s=00", "t=x,s=00", "t=1", ""] {
            let mut headers = HeaderMap::new();
            headers.insert("tiktok-signature", HeaderValue::from_static(header));
            assert_eq!(
                check(&headers, REMOVAL, "ck", "secret"),
                Err(Invalid::Malformed),
                "{header}"
            );
        }
    }

    #[test]
    fn reasons_and_other_events_are_read_whatever_shape_content_takes() {
        let read = |body: &str| {
            verify(&signed("1", body, "s"), body.as_bytes(), "ck", "s")
                .expect("valid")
                .event
        };
        let removal = |content: &str| {
            format!(
                r#"{{"client_key":"ck","event":"authorization.removed","user_openid":"u","content":{content}}}"#
            )
        };
        for (content, reason) in [
            (r#""{\"reason\": 1}""#, DisconnectReason::AppDeauthorized),
            (r#""{\"reason\": 2}""#, DisconnectReason::ActionAtNetwork),
            (r#"{"reason": 5}"#, DisconnectReason::AppDeauthorized),
            (r#""not json""#, DisconnectReason::AppDeauthorized),
            ("null", DisconnectReason::AppDeauthorized),
        ] {
            match read(&removal(content)) {
                Event::Deauthorized { reason: got, .. } => assert_eq!(got, reason, "{content}"),
                other @ Event::Other { .. } => panic!("{other:?}"),
            }
        }
        let other = r#"{"client_key":"ck","event":"video.publish.completed","user_openid":"u","content":"{}"}"#;
        assert_eq!(
            read(other),
            Event::Other {
                name: "video.publish.completed".to_owned()
            }
        );
        let nobody = r#"{"client_key":"ck","event":"authorization.removed","content":"{}"}"#;
        assert_eq!(
            verify(&signed("1", nobody, "s"), nobody.as_bytes(), "ck", "s"),
            Err(Invalid::Malformed)
        );
    }
}

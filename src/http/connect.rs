//! `GET /connect/{token}` and `POST /connect/{token}`: a reconnect link's page, and the start of
//! its sign-in (303 to the network). No dashboard sign-in; every wrong token answers the same 410.
//!
//! The POST is protected against cross-site requests by its `Origin`, which must be this server's
//! public origin; when a browser sends none or `null` (the page's `no-referrer` policy makes
//! Chromium send `null`), by `Sec-Fetch-Site: same-origin`.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};

use super::{client_ip::ClientIp, connect_page as page};
use crate::{
    app::App,
    reconnect::{self, links},
};

/// The longest path token looked at; anything longer is not one of ours.
const MAX_TOKEN_LEN: usize = 128;

/// Charges one request to the client's budget; the page to answer when it is spent.
fn over_budget(app: &App, client: ClientIp) -> Option<Response> {
    app.link_guesses
        .charge(&format!("ip:{}", client.0), 1, app.now())
        .err()
        .map(|wait| {
            tracing::info!(client.ip = %client.0, "reconnect link requests over the limit");
            page::too_many((wait.num_milliseconds() + 999) / 1000)
        })
}

/// The link's page, or 410.
pub async fn show(State(app): State<App>, client: ClientIp, Path(token): Path<String>) -> Response {
    if let Some(refused) = over_budget(&app, client) {
        return refused;
    }
    if token.len() > MAX_TOKEN_LEN {
        return page::gone();
    }
    match links::open::page(&app, &token).await {
        Ok(Some(found)) => page::link(&found),
        Ok(None) => page::gone(),
        Err(error) => {
            tracing::error!(%error, "a reconnect link page failed");
            page::failed(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// Whether the request comes from a page of this server: its `Origin`, or, when that is absent
/// or `null`, `Sec-Fetch-Site: same-origin`.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Ok(public) = reqwest::Url::parse(public_url) else {
        return false;
    };
    let expected = public.origin().ascii_serialization();
    match headers.get(header::ORIGIN) {
        Some(origin) if origin.as_bytes() != b"null" => origin.as_bytes() == expected.as_bytes(),
        // The link page's `Referrer-Policy: no-referrer` makes browsers send `Origin: null` with
        // its form: then the browser's own `Sec-Fetch-Site` (which no page can set) decides.
        _ => headers
            .get("sec-fetch-site")
            .is_some_and(|site| site.as_bytes() == b"same-origin"),
    }
}

/// Starts the link's sign-in, bound to this browser by the flow cookie, and answers 303 to the
/// network's sign-in; 410 when the link is gone.
pub async fn start(
    State(app): State<App>,
    client: ClientIp,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = over_budget(&app, client) {
        return refused;
    }
    if !same_origin(&headers, &app.public_url) {
        return page::cross_site();
    }
    if token.len() > MAX_TOKEN_LEN {
        return page::gone();
    }
    let started = match links::open::start(&app, &token).await {
        Ok(Some(started)) => started,
        Ok(None) => return page::gone(),
        Err(reconnect::FlowError::Internal(cause)) => {
            tracing::error!(
                error = format!("{cause:#}"),
                "a reconnect link's sign-in failed to start"
            );
            return page::failed(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Err(error) => {
            tracing::warn!(%error, "a reconnect link's sign-in could not start");
            return page::failed(StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    let secure = app.public_url.starts_with("https://");
    let mut response = StatusCode::SEE_OTHER.into_response();
    let out = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&started.authorize_url) {
        out.insert(header::LOCATION, location);
    }
    if let Ok(cookie) = HeaderValue::from_str(&reconnect::flow_set_cookie(&started.flow, secure)) {
        out.insert(header::SET_COOKIE, cookie);
    }
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_servers_pages_may_post() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        let public = "https://relink.example";
        assert!(same_origin(
            &headers(&[("origin", "https://relink.example")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            public
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), public));
        assert!(same_origin(
            &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[("origin", "null"), ("sec-fetch-site", "cross-site")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin")
            ]),
            public
        ));
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            public
        ));
        assert!(!same_origin(&HeaderMap::new(), public));
    }
}

//! The server-rendered pages of reconnect links: the link's page, the gone page, and the result
//! of its sign-in. Every value is escaped; the only style is one inline block allowed by its hash.

use std::fmt::Write as _;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use sha2::{Digest as _, Sha256};

use crate::reconnect::{FlowError, Outcome, links::open::LinkPage, rules::Refusal};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;\
padding:0 1rem;line-height:1.45}blockquote{border-left:3px solid #999;margin:1rem 0;\
padding:.25rem 1rem;white-space:pre-wrap}button{font-size:1.1rem;padding:.5rem 1.25rem}\
small{color:#555}.advice{background:#fff8e1;padding:.75rem 1rem}";

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Where a page's forms may go.
#[derive(Clone, Copy, Debug)]
pub enum Forms<'a> {
    /// Nowhere: the page has no form.
    None,
    /// To this server, and to the network's sign-in at this origin when given.
    SelfAnd(Option<&'a str>),
}

/// The page's Content Security Policy: nothing but its own inline style (by hash), forms only to
/// this server and, when given, the network's sign-in (a form's redirect is checked too), no
/// framing, no base URL.
pub fn policy(forms: Forms<'_>) -> String {
    let style = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    let form = match forms {
        Forms::SelfAnd(Some(origin)) => format!("'self' {origin}"),
        Forms::SelfAnd(None) => "'self'".to_owned(),
        Forms::None => "'none'".to_owned(),
    };
    format!(
        "default-src 'none'; style-src 'sha256-{style}'; form-action {form}; frame-ancestors 'none'; base-uri 'none'"
    )
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title),
    )
}

/// A page with the headers every link page carries: no caching, no referrer, no sniffing, the
/// strict policy.
pub fn respond(status: StatusCode, html: String, forms: Forms<'_>) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(value) = HeaderValue::from_str(&policy(forms)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The link's page: whose accounts, which network, who asked and their note, whom to sign in as,
/// and the button that starts the sign-in (a POST to this same address).
pub fn link(page: &LinkPage) -> Response {
    let network = crate::networks::label(page.network);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p><strong>{}</strong> of <strong>{}</strong> asks you to reconnect their {} accounts to Relink.</p>",
        escape(&page.asked_by),
        escape(&page.owner),
        escape(network)
    );
    if let Some(note) = &page.note {
        let _ = writeln!(
            body,
            "<p>{} added a note (their words, not Relink's):</p>\n<blockquote>{}</blockquote>",
            escape(&page.asked_by),
            escape(note.as_str())
        );
    }
    let _ = writeln!(
        body,
        "<p>One sign-in brings back every account of this {} login:</p>\n<ul>",
        escape(network)
    );
    for account in &page.accounts {
        let _ = writeln!(
            body,
            "<li>{} <small>({})</small></li>",
            escape(&account.name),
            kind_label(account.kind)
        );
    }
    body.push_str("</ul>\n");
    if let Some(name) = &page.sign_in_as.name {
        let _ = writeln!(body, "<p>Sign in as <strong>{}</strong>.</p>", escape(name));
    }
    let _ = writeln!(
        body,
        "<p class=\"advice\">{}</p>",
        escape(&page.sign_in_as.advice)
    );
    let _ = writeln!(
        body,
        "<form method=\"post\"><button type=\"submit\">Continue to {}</button></form>\n\
         <p><small>The link works once, until {}. It gives no access to the dashboard.</small></p>",
        escape(network),
        page.expires_at.format("%Y-%m-%d %H:%M UTC")
    );
    respond(
        StatusCode::OK,
        document(&format!("Reconnect {}", page.account.name), &body),
        Forms::SelfAnd(page.authorize_origin.as_deref()),
    )
}

fn kind_label(kind: entity::enums::AccountKind) -> &'static str {
    use entity::enums::AccountKind as Kind;
    match kind {
        Kind::Profile => "profile",
        Kind::Page => "page",
        Kind::Group => "group",
        Kind::BusinessProfile => "business profile",
        Kind::CompanyPage => "company page",
        Kind::Channel => "channel",
        Kind::Board => "board",
    }
}

/// The one answer for an unknown, used, expired, revoked or void link: 410, nothing about any
/// account.
pub fn gone() -> Response {
    respond(
        StatusCode::GONE,
        document(
            "This link no longer works",
            "<p>The link is unknown, already used, expired or revoked. Ask the person who sent it for a new one.</p>\n",
        ),
        Forms::None,
    )
}

/// Too many link pages from this address for now.
pub fn too_many(retry_after_seconds: i64) -> Response {
    let mut response = respond(
        StatusCode::TOO_MANY_REQUESTS,
        document(
            "Too many attempts",
            "<p>Too many links were opened from this address. Wait a minute and try again.</p>\n",
        ),
        Forms::None,
    );
    if let Ok(value) = HeaderValue::from_str(&retry_after_seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A POST that did not come from the link's own page (another site's form).
pub fn cross_site() -> Response {
    respond(
        StatusCode::FORBIDDEN,
        document(
            "Open the link itself",
            "<p>This sign-in can only be started from the link's page. Open the link you were sent and press its button.</p>\n",
        ),
        Forms::None,
    )
}

/// Something failed on our side; nothing changed.
pub fn failed(status: StatusCode) -> Response {
    respond(
        status,
        document(
            "Something went wrong",
            "<p>Nothing changed. Try the link again in a few minutes.</p>\n",
        ),
        Forms::None,
    )
}

/// What the link's sign-in did, or why it changed nothing.
pub fn finished(result: &Result<Outcome, FlowError>) -> Response {
    match result {
        Ok(outcome) => {
            let mut body =
                String::from("<p>Thank you. These accounts are connected again:</p>\n<ul>\n");
            for account in &outcome.reconnected {
                let _ = writeln!(body, "<li>{}</li>", escape(&account.name));
            }
            body.push_str("</ul>\n");
            if !outcome.still_disconnected.is_empty() {
                body.push_str(
                    "<p>These were not granted at the network and stay disconnected:</p>\n<ul>\n",
                );
                for account in &outcome.still_disconnected {
                    let _ = writeln!(body, "<li>{}</li>", escape(&account.name));
                }
                body.push_str("</ul>\n");
            }
            if !outcome.released_posts.is_empty() {
                let _ = writeln!(
                    body,
                    "<p>{} held posts are released.</p>",
                    outcome.released_posts.len()
                );
            }
            body.push_str(
                "<p>The person who sent the link has been told. You can close this page.</p>\n",
            );
            respond(StatusCode::OK, document("Reconnected", &body), Forms::None)
        }
        Err(error) => {
            let message = match error {
                FlowError::Refused(Refusal::WrongIdentity { used, needed }) => format!(
                    "The network signed in {used}, but this link needs {needed}. Sign out at the network (or use a private window), then open the link again."
                ),
                FlowError::Refused(Refusal::PageAdminRequired { used, page }) => format!(
                    "{used} is not an admin of the page {page}. Open the link again and sign in with an identity that has admin rights on it."
                ),
                FlowError::Refused(Refusal::OriginalLoginRequired { used, needed }) => format!(
                    "A group comes back only with the sign-in that added it ({needed}), not {used}. Open the link again and sign in as {needed}."
                ),
                FlowError::AccessDenied => {
                    "Access was denied at the network's prompt. Open the link again to retry."
                        .to_owned()
                }
                FlowError::OtherBrowser => {
                    "This sign-in was started in another browser. Open the link again in this one."
                        .to_owned()
                }
                FlowError::StateExpired => {
                    "The sign-in took longer than ten minutes. Open the link again.".to_owned()
                }
                FlowError::NetworkUnavailable => {
                    "The network did not answer. Open the link again in a moment.".to_owned()
                }
                _ => "The sign-in did not go through. If the link still works, open it again; otherwise ask for a new one.".to_owned(),
            };
            let body = format!(
                "<p role=\"alert\">{}</p>\n<p>Nothing changed.</p>\n",
                escape(&message)
            );
            respond(
                StatusCode::OK,
                document("Not reconnected", &body),
                Forms::None,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn the_policy_allows_the_style_by_hash_and_forms_only_where_said() {
        let strict = policy(Forms::None);
        assert!(strict.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(strict.contains("form-action 'none'") && strict.contains("frame-ancestors 'none'"));
        let form = policy(Forms::SelfAnd(Some("https://www.facebook.com")));
        assert!(
            form.contains("form-action 'self' https://www.facebook.com;"),
            "{form}"
        );
    }
}

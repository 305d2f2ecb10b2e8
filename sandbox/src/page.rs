//! The server-rendered sign-in and consent page, and the error page; every value is escaped.

use std::fmt::Write as _;

use entity::{enums::Network, sandbox_identities};
use sea_orm::ActiveEnum as _;

use super::{network_title, repo::Held};

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

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>body{{font-family:system-ui,sans-serif;max-width:40rem;\
         margin:2rem auto;padding:0 1rem}}fieldset{{margin:0 0 1rem}}ul{{list-style:none}}\
         small{{color:#555}}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title),
    )
}

/// The page shown instead of a redirect when the client or redirect_uri cannot be trusted.
pub fn error_page(message: &str) -> String {
    document(
        "Sandbox sign-in error",
        &format!(
            "<p role=\"alert\">{}</p>\n<p>Nothing was sent back to the application.</p>\n",
            escape(message)
        ),
    )
}

/// The account chooser with consent: every identity of the network with its assets ticked, the
/// request's parameters in hidden fields, and Allow / Deny. Nothing is preselected, because a
/// real network signs in whoever is signed in and the person must see whom they pick (R20, B2).
pub fn chooser(
    network: Network,
    client_id: &str,
    scope: &str,
    hidden: &[(String, String)],
    identities: &[sandbox_identities::Model],
    held: &[Held],
) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p><strong>{}</strong> asks to use your {} account (scopes: <code>{}</code>).</p>",
        escape(client_id),
        escape(network_title(network)),
        escape(scope)
    );
    let _ = writeln!(
        body,
        "<form method=\"post\" action=\"/sandbox/{}/oauth/authorize\">",
        super::network_slug(network)
    );
    for (name, value) in hidden {
        let _ = writeln!(
            body,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        );
    }
    // Marks a submission from this page: the asset boxes then say what is granted.
    body.push_str("<input type=\"hidden\" name=\"consent_form\" value=\"1\">\n");
    if identities.is_empty() {
        body.push_str("<p>This sandbox network has no identities.</p>\n");
    }
    for identity in identities {
        let id = escape(&identity.external_id);
        let _ = writeln!(
            body,
            "<fieldset>\n<legend><label><input type=\"radio\" name=\"identity\" value=\"{id}\" \
             required> {} <small>({id})</small></label></legend>\n<ul>",
            escape(&identity.name)
        );
        for item in held.iter().filter(|item| item.identity_id == identity.id) {
            let asset = &item.asset;
            let _ = writeln!(
                body,
                "<li><label><input type=\"checkbox\" name=\"grant:{id}\" value=\"{}\" checked> \
                 {} <small>({} · {} · {})</small></label></li>",
                escape(&asset.external_id),
                escape(&asset.name),
                escape(&asset.external_id),
                escape(&asset.kind.to_value()),
                escape(&item.role.to_value()),
            );
        }
        body.push_str("</ul>\n</fieldset>\n");
    }
    body.push_str(
        "<p>Untick an asset to keep it from the application.</p>\n\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button>\n\
         </form>\n",
    );
    document(
        &format!("Sign in to {} (sandbox)", network_title(network)),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn error_page_escapes_the_message() {
        assert!(error_page("<script>").contains("&lt;script&gt;"));
    }
}

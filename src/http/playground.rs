//! `GET /`: GraphiQL, served entirely by Relink (GraphiQL 4.1.2 and React 18.3.1, production
//! builds vendored from npm in `playground/` and embedded in the binary) under a strict Content
//! Security Policy: the page where people paste their bearer token loads no script from anywhere
//! else, works on a machine without internet, and every file is pinned by its integrity value.

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// Scripts, styles, fonts and connections only from this origin (fonts and icons are data URLs
/// inside the stylesheet); no frames, no plugins, no forms elsewhere.
pub const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The page and its files: name, media type, content.
pub const FILES: [(&str, &str, &str); 7] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../playground/index.html"),
    ),
    (
        "start.js",
        "text/javascript; charset=utf-8",
        include_str!("../../playground/start.js"),
    ),
    (
        "start.css",
        "text/css; charset=utf-8",
        include_str!("../../playground/start.css"),
    ),
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../playground/vendor/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_str!("../../playground/vendor/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../playground/vendor/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../playground/vendor/react-dom.production.min.js"),
    ),
];

fn serve(name: &str) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(file, _, _)| *file == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // The vendored files change only with a new build: a day in the cache; the page revalidates.
    let cache = if name == "index.html" {
        "no-cache"
    } else {
        "public, max-age=86400"
    };
    let mut response = super::static_file(content_type, body, POLICY, cache);
    response
        .headers_mut()
        .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `GET /`: the GraphiQL page.
pub async fn page() -> Response {
    serve("index.html")
}

/// `GET /graphiql/{file}`: its scripts and styles.
pub async fn file(Path(name): Path<String>) -> Response {
    if name == "index.html" {
        return StatusCode::NOT_FOUND.into_response();
    }
    serve(&name)
}

#[cfg(test)]
mod tests {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    use sha2::{Digest as _, Sha384};

    use super::FILES;

    #[test]
    fn the_page_pins_each_vendored_file_by_its_integrity() {
        let page = FILES[0].2;
        for (name, _, body) in FILES.iter().filter(|(name, _, _)| name.contains(".min.")) {
            let integrity = format!(
                "sha384-{}",
                STANDARD.encode(Sha384::digest(body.as_bytes()))
            );
            let tag = page
                .split('<')
                .find(|tag| tag.contains(&format!("/graphiql/{name}\"")))
                .unwrap_or_else(|| panic!("{name} is not on the page"));
            assert!(
                tag.contains(&format!("integrity=\"{integrity}\"")),
                "{name}: the page's integrity is stale; run playground/vendor.sh and copy {integrity}"
            );
        }
        // Nothing on the page comes from elsewhere.
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
    }
}

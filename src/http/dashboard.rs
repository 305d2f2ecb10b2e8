//! `/dashboard`: the reference dashboard (plain HTML, CSS and JavaScript modules from
//! `dashboard/`, embedded in the binary), where the OAuth callback sends the browser back.
//!
//! For the demo it can hand out tokens: `GET /dashboard/demo-users` and
//! `POST /dashboard/demo-token` answer only while the demo data and the sandbox network are both
//! on (the default with the embedded database), and only for users of the demo organization.
//! Anywhere else they are 404 and the page asks for a pasted JWT.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use entity::enums::OrgRole;
use serde::Deserialize;
use serde_json::json;

use crate::app::App;

/// The demo's organization: its users may get a token from the page.
const DEMO_DOMAIN: &str = "@northwind.example";

fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    Some(match path {
        "index.html" => (
            "text/html; charset=utf-8",
            include_str!("../../dashboard/index.html"),
        ),
        "app.css" => (
            "text/css; charset=utf-8",
            include_str!("../../dashboard/app.css"),
        ),
        "js/app.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../dashboard/js/app.js"),
        ),
        "js/graphql.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../dashboard/js/graphql.js"),
        ),
        "vendor/graphql-ws/client.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../dashboard/vendor/graphql-ws/client.js"),
        ),
        // The client's one chunk (its name is the published file's; `dashboard/vendor.sh`).
        "vendor/graphql-ws/common-CGW11Fyb.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../dashboard/vendor/graphql-ws/common-CGW11Fyb.js"),
        ),
        _ => return None,
    })
}

fn serve(content_type: &'static str, body: &'static str) -> Response {
    // Scripts and styles only from this origin; the page talks to this server only.
    super::static_file(
        content_type,
        body,
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        "no-cache",
    )
}

/// `GET /dashboard`: the page. Its routes live in the URL fragment (`#/planner`,
/// `#/social-networks/reauth?result=…`), so one document serves them all.
pub async fn page() -> Response {
    let (content_type, body) = asset("index.html").unwrap_or(("text/plain", ""));
    serve(content_type, body)
}

/// `GET /dashboard/{*path}`: the page's CSS and JavaScript modules.
pub async fn file(Path(path): Path<String>) -> Response {
    match asset(&path) {
        Some((content_type, body)) if path != "index.html" => serve(content_type, body),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn demo_mode(app: &App) -> bool {
    !app.config.no_demo && app.config.sandbox_enabled() && app.keys.can_issue()
}

fn role_label(role: OrgRole) -> &'static str {
    match role {
        OrgRole::SuperAdmin => "super admin",
        OrgRole::Admin => "admin",
        OrgRole::Member => "member",
    }
}

/// `GET /dashboard/demo-users`: the demo organization's users, to sign in with one click.
pub async fn demo_users(State(app): State<App>) -> Response {
    if !demo_mode(&app) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Ok(people) = crate::people::repo::users_of_domain(&app.db, DEMO_DOMAIN).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let users: Vec<_> = people
        .iter()
        .map(|(user, role)| {
            let role = role.map_or("member", role_label);
            json!({ "email": user.email, "name": user.name, "role": role })
        })
        .collect();
    Json(json!({ "users": users })).into_response()
}

/// The body of `POST /dashboard/demo-token`.
#[derive(Debug, Deserialize)]
pub struct DemoSignIn {
    email: String,
}

/// `POST /dashboard/demo-token`: a 12-hour dashboard token for a demo user.
pub async fn demo_token(State(app): State<App>, Json(sign_in): Json<DemoSignIn>) -> Response {
    if !demo_mode(&app) || !sign_in.email.ends_with(DEMO_DOMAIN) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let user = crate::people::repo::user_by_email(&app.db, &sign_in.email).await;
    let Ok(Some(user)) = user else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match app.keys.issue(
        &user.external_subject,
        app.clock.now(),
        chrono::Duration::hours(12),
    ) {
        Ok(token) => {
            tracing::info!(user.id = user.id, "demo sign-in from the dashboard");
            Json(json!({ "token": token })).into_response()
        }
        Err(error) => {
            tracing::error!(error = %error, "cannot sign a demo token");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /dashboard/demo-token/refresh` with `Authorization: Bearer …`: a fresh 12-hour token of
/// the same demo sign-in (its `auth_time` kept), as an identity provider's refresh gives; a
/// dismissed banner stays dismissed for it (R9). An expired or foreign token signs in anew.
pub async fn refresh_demo_token(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
) -> Response {
    if !demo_mode(&app) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let claims = match super::answer::authenticate(&app, &headers) {
        Ok(auth) => auth.claims().cloned(),
        Err(error) => return super::answer::unauthenticated(&error),
    };
    let Some(claims) = claims else {
        return super::answer::unauthenticated(&crate::auth::AuthError::Invalid(
            "no token".to_owned(),
        ));
    };
    let now = app.clock.now();
    let signed_in_at = claims.signed_in_at().unwrap_or(now);
    match app
        .keys
        .issue_for_sign_in(&claims.sub, signed_in_at, now, chrono::Duration::hours(12))
    {
        Ok(token) => Json(json!({ "token": token })).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "cannot sign a demo token");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    use sha2::{Digest as _, Sha384};

    use super::asset;

    /// The vendored graphql-ws files are the published bytes `dashboard/vendor.sh` pinned.
    #[test]
    fn the_vendored_client_is_the_pinned_one() {
        let sums = include_str!("../../dashboard/vendor/graphql-ws/SHA384SUMS");
        let mut checked = 0;
        for line in sums.lines() {
            let (file, pinned) = line.split_once(' ').expect("file sum");
            let (_, body) = asset(&format!("vendor/graphql-ws/{file}")).expect("served");
            let sum = format!(
                "sha384-{}",
                STANDARD.encode(Sha384::digest(body.as_bytes()))
            );
            assert_eq!(
                sum, pinned,
                "{file} differs from what dashboard/vendor.sh pinned"
            );
            checked += 1;
        }
        assert_eq!(checked, 2);
    }
}

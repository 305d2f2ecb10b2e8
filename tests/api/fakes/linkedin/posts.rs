//! The fake's posts: `POST /rest/posts` answers the new post's URN in `x-restli-id`, a duplicate
//! of the same author's text 422 `DUPLICATE_POST` naming the earlier post, "little" text cut at an
//! unescaped reserved character as LinkedIn cuts it; a post by its URN, and an author's posts.

use axum::{
    Json,
    extract::{Path, Query, State as Axum},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::{Shared, caller};
use crate::fakes::{answer, fixture};

/// One post LinkedIn holds.
#[derive(Clone, Debug)]
pub struct Post {
    /// Its URN.
    pub urn: String,
    /// `urn:li:person:…` or `urn:li:organization:…`.
    pub author: String,
    /// The commentary as stored ("little" text, cut where LinkedIn cuts it).
    pub commentary: String,
    /// Created, in epoch milliseconds.
    pub created_at: i64,
}

/// Text as LinkedIn shows it: cut at the first reserved character that is not escaped.
fn as_shown(commentary: &str) -> String {
    let reserved = "|{}@[]()<>#*_~";
    let mut shown = String::new();
    let mut chars = commentary.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => shown.extend(chars.next().map(|next| format!("\\{next}"))),
            c if reserved.contains(c) => break,
            c => shown.push(c),
        }
    }
    shown
}

pub(super) async fn create(
    Axum(state): Shared,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut state = state.lock().expect("state");
    let user = match caller(&mut state, &headers, "/rest/posts") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let (Some(author), Some(commentary)) = (body["author"].as_str(), body["commentary"].as_str())
    else {
        return answer("linkedin", 422, "illegal_argument");
    };
    if body["visibility"] != "PUBLIC"
        || body["lifecycleState"] != "PUBLISHED"
        || body["distribution"]["feedDistribution"] != "MAIN_FEED"
    {
        return answer("linkedin", 422, "illegal_argument");
    }
    let may = author == format!("urn:li:person:{user}")
        || state.acls.iter().any(|(member, org, role)| {
            *member == user
                && author == format!("urn:li:organization:{org}")
                && matches!(*role, "ADMINISTRATOR" | "CONTENT_ADMINISTRATOR")
        });
    if !may {
        return answer("linkedin", 403, "access_denied");
    }
    let commentary = as_shown(commentary);
    if let Some(earlier) = state
        .posts
        .iter()
        .find(|post| post.author == author && post.commentary == commentary)
    {
        let mut duplicate = fixture("linkedin", "duplicate_post");
        duplicate["message"] = json!(format!("Content is a duplicate of {}", earlier.urn));
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(duplicate)).into_response();
    }
    let urn = format!(
        "urn:li:share:{}",
        7_141_138_937_766_391_808_u64 + state.posts.len() as u64
    );
    state.posts.push(Post {
        urn: urn.clone(),
        author: author.to_owned(),
        commentary,
        created_at: chrono::Utc::now().timestamp_millis(),
    });
    if std::mem::take(&mut state.lose_next_post) {
        return answer("linkedin", 503, "server_error");
    }
    (StatusCode::CREATED, [("x-restli-id", urn)]).into_response()
}

fn post_json(post: &Post) -> Value {
    json!({
        "id": post.urn, "author": post.author, "commentary": post.commentary,
        "createdAt": post.created_at, "publishedAt": post.created_at,
        "lifecycleState": "PUBLISHED", "visibility": "PUBLIC",
    })
}

pub(super) async fn one_post(
    Axum(state): Shared,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = caller(&mut state, &headers, "/rest/posts/{urn}") {
        return *response;
    }
    match state.posts.iter().find(|post| post.urn == urn) {
        Some(post) => Json(post_json(post)).into_response(),
        None => answer("linkedin", 404, "not_found"),
    }
}

pub(super) async fn by_author(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = caller(&mut state, &headers, "/rest/posts?q=author") {
        return *response;
    }
    let (Some("author"), Some(author)) =
        (params.get("q").map(String::as_str), params.get("author"))
    else {
        return answer("linkedin", 400, "illegal_argument");
    };
    let elements: Vec<Value> = state
        .posts
        .iter()
        .filter(|post| post.author == *author)
        .map(post_json)
        .collect();
    Json(json!({ "elements": elements, "paging": { "start": 0, "count": 20 } })).into_response()
}

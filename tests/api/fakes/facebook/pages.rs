//! The fake's page endpoints: a page's token for a user with a task on it, publishing and
//! reading its feed with that token only, and an Instagram profile's media.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json,
    extract::{Path, Query, State as Axum},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{State, caller};
use crate::fakes::{
    answer,
    ig_media::{self, Publishing},
};

type Shared = Axum<Arc<Mutex<State>>>;
type Params = Query<HashMap<String, String>>;

/// `/{page-id}?fields=access_token`: the page's token, for a user with a task on it.
pub async fn node(
    Axum(state): Shared,
    Path(node): Path<String>,
    Query(params): Params,
) -> Response {
    let mut state = state.lock().expect("state");
    let issued = match caller(&mut state, &params) {
        Ok(issued) => issued,
        Err(response) => return *response,
    };
    if params.get("fields").map(String::as_str) != Some("access_token") {
        return answer("facebook", 400, "invalid_parameter");
    }
    let on_page = state
        .pages
        .get(&issued.user)
        .is_some_and(|pages| pages.iter().any(|page| page.id == node));
    if !on_page {
        return Json(json!({ "id": node })).into_response();
    }
    let token = state.issue(&issued.user, 10 * 365 * 86_400, true, issued.scopes.clone());
    if let Some(entry) = state.tokens.get_mut(&token) {
        entry.page = Some(node.clone());
    }
    Json(json!({ "access_token": token, "id": node })).into_response()
}

/// A page token for `node`, or Graph's answer.
fn page_caller(
    state: &mut State,
    node: &str,
    params: &HashMap<String, String>,
) -> Result<(), Box<Response>> {
    let issued = caller(state, params)?;
    if issued.page.as_deref() != Some(node) {
        // Publishing as a user, not as the page: Meta's (#200) permission error.
        return Err(Box::new(answer("facebook", 403, "permission_200")));
    }
    Ok(())
}

pub async fn post(
    Axum(state): Shared,
    Path(node): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = page_caller(&mut state, &node, &form) {
        return *response;
    }
    let Some(message) = form.get("message").cloned() else {
        return answer("facebook", 400, "invalid_parameter");
    };
    if state
        .posts
        .last()
        .is_some_and(|(page, said, _)| *page == node && *said == message)
    {
        return answer("facebook", 400, "duplicate_post");
    }
    let id = format!("{node}_{}", 1_000 + state.posts.len());
    state.posts.push((node, message, id.clone()));
    Json(json!({ "id": id })).into_response()
}

pub async fn feed(
    Axum(state): Shared,
    Path(node): Path<String>,
    Query(params): Params,
) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = page_caller(&mut state, &node, &params) {
        return *response;
    }
    let data: Vec<Value> = state
        .posts
        .iter()
        .filter(|(page, _, _)| *page == node)
        .map(|(_, message, id)| {
            json!({ "id": id, "message": message, "from": { "name": "Northwind Coffee", "id": node }, "created_time": "2026-11-02T09:00:00+0000" })
        })
        .collect();
    Json(json!({ "data": data })).into_response()
}

pub async fn media(
    Axum(state): Shared,
    Path(node): Path<String>,
    Query(params): Params,
) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = caller(&mut state, &params) {
        return *response;
    }
    Json(json!({ "data": [
        { "id": format!("{node}_m1"), "caption": "Latte art", "username": "northwindcoffee", "timestamp": "2026-11-02T09:00:00+0000" }
    ]}))
    .into_response()
}

/// Whether the caller's user has a page with a task that carries this Instagram profile.
fn reaches(state: &State, user: &str, profile: &str) -> bool {
    state.pages.get(user).is_some_and(|pages| {
        pages.iter().any(|page| {
            page.instagram.as_ref().is_some_and(|(id, _)| id == profile)
                && page
                    .tasks
                    .iter()
                    .any(|task| matches!(*task, "MANAGE" | "CREATE_CONTENT"))
        })
    })
}

/// `POST /{ig-user-id}/media`: a container for an image at a public https URL, with its caption.
pub async fn create_media(
    state: Shared,
    node: Path<String>,
    form: Form<HashMap<String, String>>,
) -> Response {
    media_step(state, node, form, Publishing::create)
}

/// `POST /{ig-user-id}/media_publish`: publishes a container of that profile, once.
pub async fn publish_media(
    state: Shared,
    node: Path<String>,
    form: Form<HashMap<String, String>>,
) -> Response {
    media_step(state, node, form, Publishing::publish)
}

/// A publishing step for a profile the caller reaches through a page task.
fn media_step(
    Axum(state): Shared,
    Path(node): Path<String>,
    Form(form): Form<HashMap<String, String>>,
    step: ig_media::Step,
) -> Response {
    let mut state = state.lock().expect("state");
    let issued = match caller(&mut state, &form) {
        Ok(issued) => issued,
        Err(response) => return *response,
    };
    if !reaches(&state, &issued.user, &node) {
        return answer("facebook", 403, "permission_200");
    }
    ig_media::answer(step(&mut state.instagram, &node, &form))
}

//! TikTok's Direct Post as the fake answers it: the `video.publish` scope, the creator's settings,
//! a privacy level among the creator's options (an unaudited app: `SELF_ONLY` only), media pulled
//! only from the app's verified URL prefix, TikTok's length limits, and comments, duets and
//! stitches not turned on where the creator turned them off.

use std::sync::{Arc, Mutex};

use axum::{
    Json,
    extract::State as Axum,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{State, caller};
use crate::fakes::{answer, fixture};

type Shared = Axum<Arc<Mutex<State>>>;

/// The caller, if it granted `video.publish`.
fn publisher(state: &mut State, headers: &HeaderMap) -> Result<String, Box<Response>> {
    let user = caller(state, headers)?;
    let granted = state.granted.get(&user).cloned().unwrap_or_default();
    if granted.split(',').any(|scope| scope == "video.publish") {
        Ok(user)
    } else {
        Err(Box::new(answer("tiktok", 401, "scope_not_authorized")))
    }
}

pub async fn creator_info(Axum(state): Shared, headers: HeaderMap) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = publisher(&mut state, &headers) {
        return *response;
    }
    state.creator_queries += 1;
    let mut body = fixture("tiktok", "creator_info");
    body["data"]["privacy_level_options"] = json!(state.privacy_options);
    Json(body).into_response()
}

/// Checks a post's `post_info` against the creator's settings and the app's audit.
fn check_post_info(state: &State, info: &Value, title_limit: usize) -> Result<(), Box<Response>> {
    let level = info["privacy_level"].as_str().unwrap_or_default();
    if !state.privacy_options.contains(&level) {
        return Err(Box::new(answer(
            "tiktok",
            400,
            "privacy_level_option_mismatch",
        )));
    }
    if !state.audited && level != "SELF_ONLY" {
        return Err(Box::new(answer("tiktok", 403, "unaudited_in_200")));
    }
    let creator = fixture("tiktok", "creator_info")["data"].clone();
    let turned_on_against_creator = ["comment", "duet", "stitch"].iter().any(|what| {
        creator[format!("{what}_disabled")].as_bool() == Some(true)
            && info[format!("disable_{what}")].as_bool() == Some(false)
    });
    let title = info["title"].as_str().unwrap_or_default();
    let description = info["description"].as_str().unwrap_or_default();
    if turned_on_against_creator
        || title.chars().count() > title_limit
        || description.chars().count() > 4_000
    {
        return Err(Box::new(answer("tiktok", 400, "invalid_params")));
    }
    Ok(())
}

/// Records an accepted post and answers its `publish_id`.
fn accept(state: &mut State, user: String, url: String, info: Value, kind: &str) -> Response {
    let id = format!("{kind}_pub_url~v2.{}", state.posts.len() + 1);
    state.posts.push((user, url, info, id.clone()));
    let mut body = fixture("tiktok", "publish_init");
    body["data"]["publish_id"] = json!(id);
    Json(body).into_response()
}

pub async fn video_init(
    Axum(state): Shared,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Response {
    let mut state = state.lock().expect("state");
    let user = match publisher(&mut state, &headers) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let source = &request["source_info"];
    if source["source"] != "PULL_FROM_URL" {
        return answer("tiktok", 400, "invalid_params");
    }
    let url = source["video_url"].as_str().unwrap_or_default().to_owned();
    if !url.starts_with(&state.verified_prefix) {
        return answer("tiktok", 403, "url_ownership_unverified");
    }
    if let Err(response) = check_post_info(&state, &request["post_info"], 2_200) {
        return *response;
    }
    accept(&mut state, user, url, request["post_info"].clone(), "v")
}

pub async fn content_init(
    Axum(state): Shared,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Response {
    let mut state = state.lock().expect("state");
    let user = match publisher(&mut state, &headers) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let source = &request["source_info"];
    let images = source["photo_images"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let cover = source["photo_cover_index"].as_u64().unwrap_or(u64::MAX);
    if request["post_mode"] != "DIRECT_POST"
        || request["media_type"] != "PHOTO"
        || source["source"] != "PULL_FROM_URL"
        || images.is_empty()
        || images.len() > 35
        || usize::try_from(cover).map_or(true, |cover| cover >= images.len())
    {
        return answer("tiktok", 400, "invalid_params");
    }
    let verified = images.iter().all(|image| {
        image
            .as_str()
            .is_some_and(|url| url.starts_with(&state.verified_prefix))
    });
    if !verified {
        return answer("tiktok", 403, "url_ownership_unverified");
    }
    if let Err(response) = check_post_info(&state, &request["post_info"], 90) {
        return *response;
    }
    let url = images[0].as_str().unwrap_or_default().to_owned();
    accept(&mut state, user, url, request["post_info"].clone(), "p")
}

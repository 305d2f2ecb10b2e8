//! YouTube's resumable upload as the fake answers it: the session is started with the metadata
//! (a title of at most 100 characters without `<` or `>`, a known privacy status, a video content
//! type) by a live token, and answered with its `Location`; each `PUT` must continue exactly
//! where the session stands, with chunks in multiples of 256 KiB but the last, which names the
//! total and is answered with the video. `keep_short` makes the fake keep only half of the first
//! chunk, as YouTube may: the client must send the rest again. It also serves the media origin's
//! videos (`/media/{file}`), so a test can see what Relink downloaded.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State as Axum},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{State, caller};
use crate::fakes::{answer, fixture};

type Shared = Axum<Arc<Mutex<State>>>;

/// An upload session.
#[derive(Debug, Default, Clone)]
pub struct Session {
    /// Whose token started it.
    pub channel: String,
    /// The metadata sent.
    pub metadata: Value,
    /// The bytes received so far.
    pub bytes: Vec<u8>,
    /// Chunks received.
    pub chunks: u32,
    /// The video made, once complete.
    pub video: Option<String>,
}

/// `GET /media/{file}`: the media origin's video, as a CDN serves it.
pub async fn media(Axum(state): Shared, Path(file): Path<String>) -> Response {
    let mut state = state.lock().expect("state");
    state.media_fetches += 1;
    match state.media.get(&file) {
        Some((kind, bytes)) => ([("content-type", *kind)], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`.
pub async fn start(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    Json(metadata): Json<Value>,
) -> Response {
    let mut state = state.lock().expect("state");
    let channel = match caller(&mut state, &headers, "upload".to_owned()) {
        Ok(channel) => channel,
        Err(response) => return *response,
    };
    let kind = headers
        .get("x-upload-content-type")
        .and_then(|kind| kind.to_str().ok())
        .unwrap_or_default();
    let title = metadata["snippet"]["title"].as_str().unwrap_or_default();
    let privacy = metadata["status"]["privacyStatus"]
        .as_str()
        .unwrap_or_default();
    if params.get("uploadType").map(String::as_str) != Some("resumable")
        || params.get("part").map(String::as_str) != Some("snippet,status")
        || !kind.starts_with("video/")
        || !["private", "unlisted", "public"].contains(&privacy)
    {
        return answer("youtube", 400, "invalid_title");
    }
    if title.chars().count() > 100 || title.contains(['<', '>']) || title.is_empty() {
        return answer("youtube", 400, "invalid_title");
    }
    let id = state.sessions.len() + 1;
    state.sessions.push(Session {
        channel,
        metadata,
        ..Session::default()
    });
    let location = format!(
        "{}/upload/youtube/v3/videos?uploadType=resumable&upload_id=up-{id}",
        state.address
    );
    (StatusCode::OK, [("location", location)]).into_response()
}

/// `PUT` of a chunk to an upload session.
pub async fn chunk(
    Axum(state): Shared,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let mut state = state.lock().expect("state");
    if let Err(response) = caller(&mut state, &headers, "upload chunk".to_owned()) {
        return *response;
    }
    let keep_short = state.keep_short;
    let index = params
        .get("upload_id")
        .and_then(|id| id.strip_prefix("up-"))
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1));
    let Some(session) = index.and_then(|i| state.sessions.get_mut(i)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let range = headers
        .get("content-range")
        .and_then(|range| range.to_str().ok())
        .unwrap_or_default();
    let Some((span, total)) = range
        .strip_prefix("bytes ")
        .and_then(|rest| rest.split_once('/'))
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some((first, last)) = span
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let total = (total != "*")
        .then(|| total.parse::<usize>().ok())
        .flatten();
    if session.video.is_some()
        || first != session.bytes.len()
        || last + 1 - first != body.len()
        || (total.is_none() && !body.len().is_multiple_of(256 * 1024))
        || total.is_some_and(|total| total != last + 1)
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    session.chunks += 1;
    let kept = if keep_short && session.chunks == 1 && total.is_none() {
        body.len() / 2
    } else {
        body.len()
    };
    session.bytes.extend_from_slice(&body[..kept]);
    if total.is_some() {
        let mut video = fixture("youtube", "video_inserted");
        let id = format!("vid-{}", index.unwrap_or_default() + 1);
        video["id"] = json!(id);
        video["snippet"] = session.metadata["snippet"].clone();
        video["status"]["privacyStatus"] = session.metadata["status"]["privacyStatus"].clone();
        session.video = Some(id);
        return (StatusCode::CREATED, Json(video)).into_response();
    }
    let received = session.bytes.len();
    (
        StatusCode::PERMANENT_REDIRECT,
        [("range", format!("bytes=0-{}", received - 1))],
    )
        .into_response()
}

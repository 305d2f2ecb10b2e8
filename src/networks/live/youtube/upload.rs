//! Publishing to YouTube: a post carries a video as a URL under one of the networks file's
//! `media_origins` (Relink fetches no other URL: a post's text must not make the server call
//! anywhere it likes). The video is streamed from there into a resumable upload
//! (`POST /upload/youtube/v3/videos?uploadType=resumable`, then `PUT`s of 8 MiB chunks, each
//! acknowledged with `308 Resume Incomplete` and the `Range` YouTube kept, the last one answered
//! with the video): memory stays at one chunk whatever the video's size. The title is the post's
//! words (100 characters, without `<` and `>`, which YouTube refuses), the description all of
//! them (5,000 bytes); who sees it is the operator's `post_privacy` (`private` unless set:
//! uploads of unverified API projects are private anyway).

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};
use serde::Deserialize;
use serde_json::json;

use super::Youtube;
use crate::{
    config::Secret,
    networks::{NetworkError, live::api},
};

/// The size of each uploaded chunk: a multiple of 256 KiB, as YouTube requires.
pub const CHUNK: usize = 8 << 20;

/// The largest video Relink uploads (YouTube takes up to 256 GB; Relink bounds what one post may
/// keep a publisher busy with).
pub const MAX_VIDEO: u64 = 4 << 30;

/// How long the download of a video may take at most, and each chunk's upload.
const MEDIA_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
const CHUNK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Why a post cannot go to YouTube without a video from a trusted origin.
pub const VIDEO_REQUIRED: &str = "YouTube needs a video: put the URL of an .mp4, .mov, .webm or .m4v video from one of the networks file's media_origins in the post";

#[derive(Deserialize)]
struct Video {
    id: String,
}

/// Whether `url` is under one of the trusted origins (scheme, host and port alike).
fn trusted(url: &reqwest::Url, origins: &[reqwest::Url]) -> bool {
    url.username().is_empty()
        && url.password().is_none()
        && origins.iter().any(|origin| {
            origin.scheme() == url.scheme()
                && origin.host_str() == url.host_str()
                && origin.port_or_known_default() == url.port_or_known_default()
        })
}

/// At most `limit` bytes of `text`, cut at a character's boundary.
fn clip_bytes(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The video's snippet: YouTube refuses `<` and `>` in titles and descriptions.
fn snippet(caption: &str, url: &reqwest::Url) -> (String, String) {
    let clean: String = caption
        .chars()
        .filter(|c| !matches!(c, '<' | '>'))
        .collect();
    let mut title = api::clip(clean.trim(), 100);
    if title.is_empty() {
        let file = url.path_segments().and_then(Iterator::last).unwrap_or("");
        title = api::clip(file, 100);
    }
    (title, clip_bytes(&clean, 5_000).to_owned())
}

/// The `Range: bytes=0-N` YouTube kept: the count of bytes received.
fn received(headers: &reqwest::header::HeaderMap) -> Result<u64, NetworkError> {
    let Some(range) = headers.get(RANGE) else {
        return Ok(0);
    };
    range
        .to_str()
        .ok()
        .and_then(|range| range.strip_prefix("bytes=0-"))
        .and_then(|end| end.parse::<u64>().ok())
        .and_then(|end| end.checked_add(1))
        .ok_or_else(|| NetworkError::Protocol("YouTube answered an unreadable Range".to_owned()))
}

impl Youtube {
    /// Uploads the post's video; answers the new video's id.
    pub(super) async fn upload(&self, token: &Secret, body: &str) -> Result<String, NetworkError> {
        let origins = &self.0.app.media_origins;
        let (source, caption) = api::media_where(body, api::VIDEOS, |url| trusted(url, origins))
            .ok_or_else(|| NetworkError::Protocol(VIDEO_REQUIRED.to_owned()))?;
        let source = reqwest::Url::parse(&source)
            .map_err(|_| NetworkError::Protocol(VIDEO_REQUIRED.to_owned()))?;
        let mut video = self
            .0
            .api
            .http
            .get(source.clone())
            .timeout(MEDIA_TIMEOUT)
            .send()
            .await
            .map_err(|error| {
                NetworkError::Unavailable(format!(
                    "the video could not be fetched: {}",
                    error.without_url()
                ))
            })?;
        let kind = video
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|kind| kind.to_str().ok())
            .map(|kind| {
                kind.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if !video.status().is_success()
            || !(kind.starts_with("video/") || kind == "application/octet-stream")
        {
            return Err(NetworkError::Protocol(format!(
                "the video's URL answered HTTP {} with {:?}, not a video",
                video.status().as_u16(),
                kind
            )));
        }
        let length = video.content_length();
        if length.is_some_and(|length| length > MAX_VIDEO || length == 0) {
            return Err(NetworkError::Protocol(format!(
                "the video is empty or over {MAX_VIDEO} bytes"
            )));
        }
        let (title, description) = snippet(&caption, &source);
        let privacy = self.0.app.post_privacy.as_deref().unwrap_or("private");
        let mut start = self
            .0
            .api
            .http
            .post(self.0.url("upload/youtube/v3/videos"))
            .query(&[("uploadType", "resumable"), ("part", "snippet,status")])
            .bearer_auth(token.expose())
            .header("X-Upload-Content-Type", kind.as_str())
            .json(&json!({
                "snippet": { "title": title, "description": description },
                "status": { "privacyStatus": privacy },
            }));
        if let Some(length) = length {
            start = start.header("X-Upload-Content-Length", length);
        }
        let session = self.0.api.send(start).await?;
        let session = self.session_url(&session.headers)?;

        let mut offset: u64 = 0;
        let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK);
        loop {
            let chunk = video.chunk().await.map_err(|error| {
                NetworkError::Unavailable(format!(
                    "the video's download broke off: {}",
                    error.without_url()
                ))
            })?;
            let done = chunk.is_none();
            if let Some(chunk) = chunk {
                buffer.extend_from_slice(&chunk);
            }
            let size = offset
                .checked_add(buffer.len() as u64)
                .filter(|size| *size <= MAX_VIDEO)
                .ok_or_else(|| {
                    NetworkError::Protocol(format!("the video is over {MAX_VIDEO} bytes"))
                })?;
            if done {
                if size == 0 || length.is_some_and(|length| length != size) {
                    return Err(NetworkError::Unavailable(
                        "the video's download ended short of its length".to_owned(),
                    ));
                }
                let answer = self
                    .put(&session, token, &buffer, offset, Some(size))
                    .await?;
                let uploaded: Video = api::read(answer.body)?;
                if uploaded.id.is_empty() || uploaded.id.len() > 64 {
                    return Err(NetworkError::Protocol(
                        "YouTube answered an unusable video id".to_owned(),
                    ));
                }
                return Ok(uploaded.id);
            }
            while buffer.len() >= CHUNK {
                let answer = self
                    .put(&session, token, &buffer[..CHUNK], offset, None)
                    .await?;
                // YouTube may keep less than it was sent: what it kept is dropped, the rest sent
                // again with the next chunk.
                let kept = received(&answer.headers)?;
                let sent_end = offset + CHUNK as u64;
                if answer.status != 308 || kept < offset || kept > sent_end {
                    return Err(NetworkError::Protocol(format!(
                        "YouTube acknowledged bytes up to {kept} of a chunk at {offset}"
                    )));
                }
                let dropped = usize::try_from(kept - offset).unwrap_or(CHUNK);
                buffer.drain(..dropped);
                offset = kept;
            }
        }
    }

    /// The upload session's URL from the `Location` YouTube answered: only on the API's own
    /// origin, so a hostile answer cannot send the token or the video anywhere else.
    fn session_url(
        &self,
        headers: &reqwest::header::HeaderMap,
    ) -> Result<reqwest::Url, NetworkError> {
        let api = reqwest::Url::parse(&self.0.app.api_url)
            .map_err(|_| NetworkError::Protocol("the API URL is unreadable".to_owned()))?;
        headers
            .get(LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(|location| reqwest::Url::parse(location).ok())
            .filter(|session| trusted(session, std::slice::from_ref(&api)))
            .ok_or_else(|| {
                NetworkError::Protocol(
                    "YouTube answered no upload session on its own origin".to_owned(),
                )
            })
    }

    /// Sends `bytes` at `offset` of the upload; `total` on the last chunk.
    async fn put(
        &self,
        session: &reqwest::Url,
        token: &Secret,
        bytes: &[u8],
        offset: u64,
        total: Option<u64>,
    ) -> Result<api::Answer, NetworkError> {
        let total_text = total.map_or_else(|| "*".to_owned(), |total| total.to_string());
        let range = if bytes.is_empty() {
            format!("bytes */{total_text}")
        } else {
            let end = offset + bytes.len() as u64 - 1;
            format!("bytes {offset}-{end}/{total_text}")
        };
        let request = self
            .0
            .api
            .http
            .put(session.clone())
            .timeout(CHUNK_TIMEOUT)
            .bearer_auth(token.expose())
            .header(CONTENT_LENGTH, bytes.len())
            .header(CONTENT_RANGE, range)
            .body(bytes.to_vec());
        self.0.api.send_passing(request, &[308]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_urls_of_a_trusted_origin_are_fetched() {
        let origins = [reqwest::Url::parse("https://cdn.northwind.example").expect("url")];
        let fits = |url: &str| trusted(&reqwest::Url::parse(url).expect("url"), &origins);
        assert!(fits("https://cdn.northwind.example/a/roast.mp4"));
        assert!(fits("https://cdn.northwind.example:443/roast.mp4"));
        assert!(!fits("http://cdn.northwind.example/roast.mp4"));
        assert!(!fits("https://cdn.northwind.example:8443/roast.mp4"));
        assert!(!fits(
            "https://cdn.northwind.example.evil.example/roast.mp4"
        ));
        assert!(!fits("https://user:pw@cdn.northwind.example/roast.mp4"));
        assert!(!fits("https://169.254.169.254/latest/meta-data/x.mp4"));
    }

    #[test]
    fn titles_lose_angle_brackets_and_keep_to_youtube_limits() {
        let url = reqwest::Url::parse("https://cdn.example/clips/roast.mp4").expect("url");
        let (title, description) = snippet("<b>New</b> roast", &url);
        assert_eq!(title, "bNew/b roast");
        assert_eq!(description, "bNew/b roast");
        let (title, _) = snippet("", &url);
        assert_eq!(title, "roast.mp4");
        let long = "é".repeat(3_000);
        let (title, description) = snippet(&long, &url);
        assert_eq!(title.chars().count(), 100);
        assert!(description.len() <= 5_000);
        assert!(description.chars().all(|c| c == 'é'));
    }

    #[test]
    fn an_acknowledged_range_is_read_strictly() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(received(&headers).ok(), Some(0));
        headers.insert(RANGE, "bytes=0-8388607".parse().expect("header"));
        assert_eq!(received(&headers).ok(), Some(8_388_608));
        for bad in [
            "bytes=5-9",
            "bytes=0-x",
            "bytes=0-18446744073709551615",
            "items=0-1",
        ] {
            headers.insert(RANGE, bad.parse().expect("header"));
            assert!(received(&headers).is_err(), "{bad}");
        }
    }
}

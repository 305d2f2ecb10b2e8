//! TikTok's Direct Post (Content Posting API, `video.publish`): a post carries its media as an
//! https URL that TikTok pulls itself (`PULL_FROM_URL`, from a domain verified for the app), a
//! video (`/post/publish/video/init/`) or a photo (`/post/publish/content/init/`). Each post first
//! asks the creator's settings (`/post/publish/creator_info/query/`): the privacy level must be
//! one the creator offers, and comments, duets and stitches stay off where the creator turned them
//! off. The privacy level is the operator's `post_privacy` (`SELF_ONLY` unless set: unaudited
//! apps may post nothing else). TikTok answers a `publish_id` and processes the post afterwards.

use serde::Deserialize;
use serde_json::json;

use super::{Data, Tiktok};
use crate::{
    config::Secret,
    networks::{NetworkError, live::api},
};

/// Photos TikTok takes (not PNG or GIF).
const PHOTOS: &[&str] = &["jpg", "jpeg", "webp"];

/// TikTok's limits on a video's title and a photo post's title and description, in characters.
const VIDEO_TITLE: usize = 2_200;
const PHOTO_TITLE: usize = 90;
const PHOTO_DESCRIPTION: usize = 4_000;

/// Why a post without media cannot go to TikTok, and what to do.
pub const MEDIA_REQUIRED: &str = "TikTok needs a video or photo: put an https URL of an .mp4, .mov or .webm video, or of a .jpg or .webp photo, from a domain verified for the app, in the post";

/// The creator's settings, as `creator_info/query/` answers them.
#[derive(Deserialize)]
struct Creator {
    #[serde(default)]
    privacy_level_options: Vec<String>,
    #[serde(default)]
    comment_disabled: bool,
    #[serde(default)]
    duet_disabled: bool,
    #[serde(default)]
    stitch_disabled: bool,
}

#[derive(Deserialize)]
struct Published {
    publish_id: String,
}

impl Tiktok {
    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &Secret,
        body: &serde_json::Value,
    ) -> Result<T, NetworkError> {
        let request = self
            .0
            .api
            .http
            .post(self.0.url(path))
            .bearer_auth(token.expose())
            .json(body);
        let answer: Data<T> = self.0.api.json(request).await?;
        Ok(answer.data)
    }

    /// Publishes a post with a video or photo URL; answers TikTok's `publish_id`.
    pub(super) async fn direct_post(
        &self,
        token: &Secret,
        body: &str,
    ) -> Result<String, NetworkError> {
        let video = api::media_of(body, api::VIDEOS);
        let photo = api::media_of(body, PHOTOS);
        if video.is_none() && photo.is_none() {
            return Err(NetworkError::Protocol(MEDIA_REQUIRED.to_owned()));
        }
        let privacy = self.0.app.post_privacy.as_deref().unwrap_or("SELF_ONLY");
        let creator: Creator = self
            .post_json("post/publish/creator_info/query/", token, &json!({}))
            .await?;
        if !creator.privacy_level_options.iter().any(|o| o == privacy) {
            return Err(NetworkError::Protocol(format!(
                "TikTok offers this creator the privacy levels {}; the networks file's post_privacy is {privacy}",
                creator.privacy_level_options.join(", ")
            )));
        }
        let published: Published = match (video, photo) {
            (Some((url, caption)), _) => {
                let request = json!({
                    "post_info": {
                        "title": api::clip(&caption, VIDEO_TITLE),
                        "privacy_level": privacy,
                        "disable_comment": creator.comment_disabled,
                        "disable_duet": creator.duet_disabled,
                        "disable_stitch": creator.stitch_disabled,
                    },
                    "source_info": { "source": "PULL_FROM_URL", "video_url": url },
                });
                self.post_json("post/publish/video/init/", token, &request)
                    .await?
            }
            (None, Some((url, caption))) => {
                let request = json!({
                    "post_info": {
                        "title": api::clip(&caption, PHOTO_TITLE),
                        "description": api::clip(&caption, PHOTO_DESCRIPTION),
                        "privacy_level": privacy,
                        "disable_comment": creator.comment_disabled,
                    },
                    "source_info": {
                        "source": "PULL_FROM_URL",
                        "photo_cover_index": 0,
                        "photo_images": [url],
                    },
                    "post_mode": "DIRECT_POST",
                    "media_type": "PHOTO",
                });
                self.post_json("post/publish/content/init/", token, &request)
                    .await?
            }
            (None, None) => return Err(NetworkError::Protocol(MEDIA_REQUIRED.to_owned())),
        };
        let id = published.publish_id;
        if id.is_empty() || id.len() > 128 {
            return Err(NetworkError::Protocol(
                "TikTok answered an unusable publish_id".to_owned(),
            ));
        }
        Ok(id)
    }
}

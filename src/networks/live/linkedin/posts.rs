//! LinkedIn posts: `POST /rest/posts` as the member or a page, in LinkedIn's "little" text format;
//! without an idempotency key, a lost answer is settled by LinkedIn's duplicate check, which names
//! the earlier post; the feed is the author's posts.

use serde::Deserialize;
use serde_json::json;

use super::{Linkedin, pages::plain_id};
use crate::{
    config::Secret,
    networks::{FeedItem, NetworkError},
};

/// An earlier post of the same author and text this recent is this post's own first send.
const DUPLICATE_HOURS: i64 = 24;
/// The characters of LinkedIn's "little" text format that plain text must escape.
const RESERVED: &[char] = &[
    '\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~',
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    commentary: Option<String>,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    published_at: Option<i64>,
}

#[derive(Deserialize)]
struct Posts {
    #[serde(default)]
    elements: Vec<Post>,
}

/// A URN as one path segment or query value (`:` encoded, as Rest.li 2.0 wants).
fn encoded(urn: &str) -> String {
    urn.replace(':', "%3A")
}

/// Plain text as LinkedIn's "little" format: reserved characters escaped, or LinkedIn cuts the
/// post at the first one.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if RESERVED.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            other => out.push(other),
        }
    }
    out
}

/// The earlier post a 422 `DUPLICATE_POST` names ("Content is a duplicate of urn:li:share:…").
fn duplicate_of(detail: &str) -> Option<String> {
    if !detail.starts_with("HTTP 422") || !detail.to_ascii_lowercase().contains("duplicate") {
        return None;
    }
    let at = detail.find("urn:li:")?;
    let urn: String = detail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-'))
        .collect();
    let id = urn
        .strip_prefix("urn:li:share:")
        .or_else(|| urn.strip_prefix("urn:li:ugcPost:"))?;
    plain_id(id).map(|_| urn.clone())
}

impl Linkedin {
    /// The URN that posts as the asset: the member's own profile, or an organization.
    async fn author(&self, token: &Secret, asset: &str) -> Result<String, NetworkError> {
        let id = plain_id(asset)
            .ok_or_else(|| NetworkError::Protocol("not a LinkedIn member or page id".to_owned()))?;
        let me = self.me(token).await?;
        Ok(if me.sub == id {
            format!("urn:li:person:{id}")
        } else {
            format!("urn:li:organization:{id}")
        })
    }

    /// Whether `urn` is this very post, sent before and its answer lost: same author, same text,
    /// created moments ago (a retry), rather than the same words posted again on purpose.
    async fn sent_before(
        &self,
        token: &Secret,
        urn: &str,
        author: &str,
        commentary: &str,
    ) -> Result<bool, NetworkError> {
        let url = format!("{}/{}", self.common.url("rest/posts"), encoded(urn));
        let post: Post = match self.common.api.json(self.get(&url, token)).await {
            Ok(post) => post,
            Err(NetworkError::Protocol(_)) => return Ok(false),
            Err(error) => return Err(error),
        };
        let recent = post
            .created_at
            .and_then(chrono::DateTime::from_timestamp_millis)
            .is_some_and(|at| chrono::Utc::now() - at < chrono::Duration::hours(DUPLICATE_HOURS));
        Ok(post.author.as_deref() == Some(author)
            && post.commentary.as_deref() == Some(commentary)
            && recent)
    }

    /// Publishes `body` as the asset; the post's URN.
    pub(super) async fn publish_post(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
        body: &str,
    ) -> Result<String, NetworkError> {
        let author = self.author(access_token, asset_external_id).await?;
        let commentary = escape(body);
        let request = self
            .rest(
                self.common.api.http.post(self.common.url("rest/posts")),
                access_token,
            )
            .json(&json!({
                "author": author,
                "commentary": commentary,
                "visibility": "PUBLIC",
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": [],
                },
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": false,
            }));
        match self.common.api.send(request).await {
            Ok(answer) => answer
                .headers
                .get("x-restli-id")
                .and_then(|id| id.to_str().ok())
                .filter(|id| !id.is_empty() && id.len() <= 200)
                .map(str::to_owned)
                .ok_or_else(|| {
                    NetworkError::Protocol(
                        "LinkedIn took the post without its id (x-restli-id)".to_owned(),
                    )
                }),
            // No idempotency key at LinkedIn: its duplicate check names the post a lost answer hid.
            Err(NetworkError::Protocol(detail)) => match duplicate_of(&detail) {
                Some(earlier)
                    if self
                        .sent_before(access_token, &earlier, &author, &commentary)
                        .await? =>
                {
                    Ok(earlier)
                }
                _ => Err(NetworkError::Protocol(detail)),
            },
            Err(error) => Err(error),
        }
    }

    /// The newest posts of the asset.
    pub(super) async fn feed_of(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        let author = self.author(access_token, asset_external_id).await?;
        let url = format!(
            "{}?q=author&author={}&count=20&sortBy=LAST_MODIFIED",
            self.common.url("rest/posts"),
            encoded(&author)
        );
        let posts: Posts = self.common.api.json(self.get(&url, access_token)).await?;
        Ok(posts
            .elements
            .into_iter()
            .filter_map(|post| {
                let at = post.published_at.or(post.created_at)?;
                Some(FeedItem {
                    external_id: post.id?,
                    author: post.author.unwrap_or_else(|| author.clone()),
                    text: unescape(&post.commentary.unwrap_or_default()),
                    published_at: chrono::DateTime::from_timestamp_millis(at)?,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{super::pages::organization_id, *};

    #[test]
    fn little_text_is_escaped_and_read_back() {
        let text = "Flat whites (oat) #coffee @ 50% off_now\\";
        assert_eq!(escape("a(b)"), "a\\(b\\)");
        assert_eq!(unescape(&escape(text)), text);
    }

    #[test]
    fn a_duplicate_names_the_earlier_post_and_nothing_else_does() {
        let said = "HTTP 422: Content is a duplicate of urn:li:share:7141138937766391808";
        assert_eq!(
            duplicate_of(said).as_deref(),
            Some("urn:li:share:7141138937766391808")
        );
        assert_eq!(
            duplicate_of("HTTP 400: Content is a duplicate of urn:li:share:1"),
            None
        );
        assert_eq!(duplicate_of("HTTP 422: duplicate of urn:li:person:1"), None);
        assert_eq!(duplicate_of("HTTP 422: duplicate of urn:li:share:"), None);
        assert_eq!(
            organization_id("urn:li:organization:2414183"),
            Some("2414183")
        );
        assert_eq!(organization_id("urn:li:organization:1,2)"), None);
    }
}

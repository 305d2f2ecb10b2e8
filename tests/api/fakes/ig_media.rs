//! Instagram's content publishing as both hosts answer it (`graph.facebook.com` through Facebook
//! Login, `graph.instagram.com` through Instagram Login): `POST /{ig-user-id}/media` makes a
//! container for an image at a public https URL with its caption, `POST
//! /{ig-user-id}/media_publish` publishes a container of that profile, once.

use std::collections::HashMap;

use axum::{
    Json,
    response::{IntoResponse, Response},
};

/// A container: (profile, image URL, caption, published).
pub type Container = (String, String, String, bool);

/// The containers made and the media published.
#[derive(Debug, Default)]
pub struct Publishing {
    /// Containers by id.
    pub containers: HashMap<String, Container>,
    /// Media published: (profile, image URL, caption, id).
    pub media: Vec<(String, String, String, String)>,
}

impl Publishing {
    /// A container for `node`, or `None` for a request Meta answers with an invalid parameter.
    pub fn create(&mut self, node: &str, form: &HashMap<String, String>) -> Option<String> {
        let image = form
            .get("image_url")
            .filter(|url| url.starts_with("https://"))?;
        let id = format!("{node}_c{}", self.containers.len() + 1);
        let caption = form.get("caption").cloned().unwrap_or_default();
        self.containers
            .insert(id.clone(), (node.to_owned(), image.clone(), caption, false));
        Some(id)
    }

    /// Publishes the container named by `creation_id` if it is `node`'s and not yet published.
    pub fn publish(&mut self, node: &str, form: &HashMap<String, String>) -> Option<String> {
        let creation = form.get("creation_id")?;
        let (profile, image, caption, published) = self.containers.get_mut(creation)?;
        if profile != node || *published {
            return None;
        }
        *published = true;
        let id = format!("179{}", 10_000 + self.media.len());
        let entry = (profile.clone(), image.clone(), caption.clone(), id.clone());
        self.media.push(entry);
        Some(id)
    }
}

/// One of the two steps.
pub type Step = fn(&mut Publishing, &str, &HashMap<String, String>) -> Option<String>;

/// A step's answer: the new id, or Meta's invalid parameter error.
pub fn answer(id: Option<String>) -> Response {
    match id {
        Some(id) => Json(serde_json::json!({ "id": id })).into_response(),
        None => super::answer("facebook", 400, "invalid_parameter"),
    }
}

//! Instagram through Instagram Login (Business Login for Instagram, `graph.instagram.com`): the
//! code is exchanged at `api.instagram.com` (a form POST with the app secret), the 1-hour token at
//! once for a 60-day one (`ig_exchange_token`), which the keeper renews with itself
//! (`ig_refresh_token`, accepted once the token is 24 hours old: the keeper renews it only in its
//! last week). The token reaches one professional account: the identity's own, with no page;
//! posts with an image are published on `graph.instagram.com` in the same two steps as through
//! Facebook Login.

use entity::enums::{AccountKind, Network};
use serde_json::Value;

use super::{MEDIA_QUERY, Publishes, media_items, publish_image};
use crate::{
    config::Secret,
    networks::{
        Asset, AssetRole, FeedItem, Identity, NetworkAdapter, NetworkError, RefreshWith, TokenSet,
        live::{
            Common, api,
            facebook::graph::{long_lived_lifetime, node},
        },
        signed_request,
    },
};

/// The Instagram Login adapter.
#[derive(Debug)]
pub struct InstagramLogin(Common);

/// Who a token belongs to: the app-scoped id of the person's sign-in, and the professional
/// account's Instagram user id that the API publishes to.
struct Me {
    app_scoped: String,
    account: String,
    username: Option<String>,
}

/// An id as Meta writes it: a string, or a number (`user_id` of the token answer).
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => number.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// Business Login answers `{"data": [{...}]}`; older answers are the object itself.
fn unwrap_data(body: Value) -> Value {
    match body
        .get("data")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
    {
        Some(first) => first.clone(),
        None => body,
    }
}

impl InstagramLogin {
    /// Instagram Login with this app.
    pub fn new(common: Common) -> Self {
        Self(common)
    }

    async fn get(
        &self,
        path: &str,
        token: &Secret,
        query: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        let request = self
            .0
            .api
            .http
            .get(self.0.url(path))
            .query(query)
            .query(&[("access_token", token.expose())]);
        Ok(self.0.api.send(request).await?.body)
    }

    /// Reads a token answer of `graph.instagram.com` (exchange or refresh): ~60 days when it
    /// does not say.
    async fn long_token(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<TokenSet, NetworkError> {
        let request = self.0.api.http.get(self.0.url(path)).query(query);
        let mut tokens = self.0.api.token(request).await?;
        tokens.refresh = None;
        tokens.expires_in = tokens.expires_in.or_else(|| Some(long_lived_lifetime()));
        Ok(tokens)
    }

    async fn me(&self, token: &Secret) -> Result<Me, NetworkError> {
        let body = unwrap_data(
            self.get("me", token, &[("fields", "user_id,username")])
                .await?,
        );
        let (app_scoped, account) = match (id_text(body.get("id")), id_text(body.get("user_id"))) {
            (Some(id), Some(user_id)) => (id, user_id),
            (Some(one), None) | (None, Some(one)) => (one.clone(), one),
            (None, None) => {
                return Err(NetworkError::Protocol(
                    "the profile answer has no id".to_owned(),
                ));
            }
        };
        Ok(Me {
            app_scoped,
            account,
            username: body
                .get("username")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

#[async_trait::async_trait]
impl Publishes for InstagramLogin {
    async fn post_form(
        &self,
        path: &str,
        token: &Secret,
        form: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        let mut fields = form.to_vec();
        fields.push(("access_token", token.expose()));
        let request = self.0.api.http.post(self.0.url(path)).form(&fields);
        Ok(self.0.api.send(request).await?.body)
    }
}

#[async_trait::async_trait]
impl NetworkAdapter for InstagramLogin {
    fn network(&self) -> Network {
        Network::Instagram
    }

    fn authorize_url(&self, state: &str, _pkce_challenge: &str) -> Result<String, NetworkError> {
        // `enable_fb_login=0` keeps the person on Instagram's own sign-in; `force_reauth` asks
        // for the credentials again rather than reusing the browser's session silently (B2).
        api::authorize_url(
            &self.0.app.authorize_url,
            &[
                ("client_id", &self.0.app.client_id),
                ("redirect_uri", &self.0.redirect_url),
                ("response_type", "code"),
                ("scope", &self.0.scopes.join(",")),
                ("state", state),
                ("enable_fb_login", "0"),
                ("force_reauth", "true"),
            ],
        )
    }

    async fn exchange_code(
        &self,
        code: &str,
        _pkce_verifier: &Secret,
    ) -> Result<TokenSet, NetworkError> {
        let request = self
            .0
            .api
            .http
            .post(&self.0.app.token_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("client_id", self.0.app.client_id.as_str()),
                ("client_secret", self.0.secret().expose()),
                ("grant_type", "authorization_code"),
                ("redirect_uri", &self.0.redirect_url),
                ("code", code),
            ]);
        let answer = self.0.api.send(request).await?;
        let short = api::token_set(&unwrap_data(answer.body))?;
        let mut tokens = self
            .long_token(
                "access_token",
                &[
                    ("grant_type", "ig_exchange_token"),
                    ("client_secret", self.0.secret().expose()),
                    ("access_token", short.access.expose()),
                ],
            )
            .await?;
        tokens.scopes = short.scopes;
        Ok(tokens)
    }

    async fn refresh(&self, access_token: &Secret) -> Result<TokenSet, NetworkError> {
        self.long_token(
            "refresh_access_token",
            &[
                ("grant_type", "ig_refresh_token"),
                ("access_token", access_token.expose()),
            ],
        )
        .await
    }

    fn refresh_with(&self) -> RefreshWith {
        RefreshWith::AccessToken
    }

    fn profiles_need_their_page(&self) -> bool {
        false
    }

    fn deauthorized_user(
        &self,
        signed: &str,
    ) -> Result<signed_request::Payload, signed_request::Invalid> {
        super::super::facebook::verify_callback(&self.0, signed)
    }

    async fn revoke(&self, _token: &Secret) -> Result<(), NetworkError> {
        // Instagram Login has no revocation endpoint; the person removes the app in Instagram.
        Ok(())
    }

    async fn identity(&self, access_token: &Secret) -> Result<Identity, NetworkError> {
        let me = self.me(access_token).await?;
        Ok(Identity {
            name: me.username.unwrap_or_else(|| me.app_scoped.clone()),
            external_id: me.app_scoped,
        })
    }

    async fn assets(&self, access_token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        let me = self.me(access_token).await?;
        Ok(vec![Asset {
            name: me
                .username
                .map_or_else(|| me.account.clone(), |handle| format!("@{handle}")),
            external_id: me.account,
            kind: AccountKind::BusinessProfile,
            role: AssetRole::Owner,
            // No page stands between this token and the profile: R18 does not apply.
            linked_external_id: None,
            added_by: None,
        }])
    }

    async fn publish(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
        body: &str,
        _idempotency_key: &str,
    ) -> Result<String, NetworkError> {
        publish_image(self, access_token, asset_external_id, body).await
    }

    async fn feed(
        &self,
        access_token: &Secret,
        asset_external_id: &str,
    ) -> Result<Vec<FeedItem>, NetworkError> {
        let profile = node(asset_external_id)?;
        let body = self
            .get(&format!("{profile}/media"), access_token, MEDIA_QUERY)
            .await?;
        Ok(media_items(&body, profile))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_token_answer_shapes_and_numeric_ids_are_read() {
        let wrapped = unwrap_data(json!({ "data": [
            { "access_token": "IGAA", "user_id": 17_841_405_793_187_218_u64, "permissions": "instagram_business_basic,instagram_business_content_publish" }
        ]}));
        let tokens = api::token_set(&wrapped).expect("tokens");
        assert_eq!(
            tokens.scopes,
            [
                "instagram_business_basic",
                "instagram_business_content_publish"
            ]
        );
        assert_eq!(
            id_text(wrapped.get("user_id")).as_deref(),
            Some("17841405793187218")
        );
        let flat = unwrap_data(json!({ "access_token": "IGAA", "user_id": "1" }));
        assert_eq!(id_text(flat.get("user_id")).as_deref(), Some("1"));
        assert_eq!(id_text(Some(&json!(-1))), None);
        assert_eq!(id_text(Some(&json!(""))), None);
    }
}

//! The Graph API as Facebook and Instagram through Facebook Login speak it: the Login dialog, the
//! code exchange followed at once by the long-lived exchange (`fb_exchange_token`, about 60 days),
//! the granted permissions, the pages of `/me/accounts` with their tasks (bounded pagination),
//! page tokens, and every API call signed with `appsecret_proof`.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;
use sha2::Sha256;

use crate::{
    config::Secret,
    networks::{
        AssetRole, Identity, NetworkError, TokenSet,
        live::{Common, api},
    },
};

/// How many pages of `/me/accounts` Relink reads at most (up to 100 Facebook pages each): a
/// hostile or endless `paging.next` cannot keep a sign-in busy.
pub const MAX_PAGES: usize = 5;

/// What a long-lived user token lives when Meta's answer does not say: the documented ~60 days,
/// so the keeper renews it in time rather than waiting for a probe to find it dead.
pub fn long_lived_lifetime() -> chrono::Duration {
    chrono::Duration::days(60)
}

/// The Graph API of one app.
pub struct Graph<'a>(pub &'a Common);

/// A Facebook page the identity has a task on, as `/me/accounts` lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct Page {
    /// The page's id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// What the identity may do on it (`MANAGE`, `CREATE_CONTENT`, `MODERATE`, …).
    #[serde(default)]
    pub tasks: Vec<String>,
    /// The Instagram professional account linked to it, if any.
    #[serde(default)]
    pub instagram_business_account: Option<LinkedInstagram>,
}

/// The Instagram professional account of a page.
#[derive(Clone, Debug, Deserialize)]
pub struct LinkedInstagram {
    /// Its id (the IG user id the Graph API publishes to).
    pub id: String,
    /// Its handle.
    #[serde(default)]
    pub username: Option<String>,
}

impl Page {
    /// The identity's role on the page: `MANAGE` is an admin (R6), `CREATE_CONTENT` alone an
    /// editor, any other task a member who cannot publish.
    pub fn role(&self) -> AssetRole {
        let has = |task: &str| self.tasks.iter().any(|t| t.eq_ignore_ascii_case(task));
        if has("MANAGE") {
            AssetRole::Admin
        } else if has("CREATE_CONTENT") {
            AssetRole::Editor
        } else {
            AssetRole::Member
        }
    }

    /// Its name, or its id when the answer had none.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.id.clone())
    }
}

/// An id Relink puts into a Graph path: letters, digits, `_` and `-` only, so no stored value can
/// reach another path or add a query.
pub fn node(id: &str) -> Result<&str, NetworkError> {
    let fits = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if fits {
        Ok(id)
    } else {
        Err(NetworkError::Protocol("not a Graph node id".to_owned()))
    }
}

/// Meta's timestamps: `2026-11-02T09:00:00+0000` (no colon in the offset), or RFC 3339.
pub fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// The items of a Graph list (`{"data": [...]}`) that read as `T`; others are left out, so one odd
/// entry does not fail the list.
pub fn items<T: DeserializeOwned>(body: &Value) -> Vec<T> {
    body.get("data")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| serde_json::from_value(item.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

impl Graph<'_> {
    /// `appsecret_proof`: the HMAC-SHA256 of the token with the app secret, hex — Graph refuses a
    /// token stolen from elsewhere when the app requires it, and accepts it always.
    fn proof(&self, token: &Secret) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.0.secret().expose().as_bytes()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
        };
        mac.update(token.expose().as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in mac.finalize().into_bytes() {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }

    /// A GET of the Graph API with the token (as Meta documents it, a query parameter; errors never
    /// carry the URL).
    pub async fn get(
        &self,
        path: &str,
        token: &Secret,
        query: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        let request = self.0.api.http.get(self.0.url(path)).query(query).query(&[
            ("access_token", token.expose()),
            ("appsecret_proof", &self.proof(token)),
        ]);
        Ok(self.0.api.send(request).await?.body)
    }

    /// A form POST to the Graph API with the token.
    pub async fn post(
        &self,
        path: &str,
        token: &Secret,
        form: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        let proof = self.proof(token);
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("access_token", token.expose()));
        fields.push(("appsecret_proof", &proof));
        let request = self.0.api.http.post(self.0.url(path)).form(&fields);
        Ok(self.0.api.send(request).await?.body)
    }

    /// The Login dialog: the permissions comma-separated as Facebook documents them, and
    /// `auth_type=rerequest` so permissions declined before are asked for again. The normal server
    /// flow has no PKCE (Meta's PKCE exists only in its OIDC flow, "still in testing"); the client
    /// secret guards the code exchange.
    pub fn authorize_url(&self, state: &str) -> Result<String, NetworkError> {
        api::authorize_url(
            &self.0.app.authorize_url,
            &[
                ("client_id", &self.0.app.client_id),
                ("redirect_uri", &self.0.redirect_url),
                ("state", state),
                ("response_type", "code"),
                ("scope", &self.0.scopes.join(",")),
                ("auth_type", "rerequest"),
            ],
        )
    }

    /// Exchanges a code, then at once the short-lived token for a long-lived one (~60 days), and
    /// reads what the person granted (`/me/permissions`: declined ones are left out).
    pub async fn exchange_code(&self, code: &str) -> Result<TokenSet, NetworkError> {
        let request = self.0.api.http.get(&self.0.app.token_url).query(&[
            ("client_id", self.0.app.client_id.as_str()),
            ("redirect_uri", &self.0.redirect_url),
            ("client_secret", self.0.secret().expose()),
            ("code", code),
        ]);
        let short = self.0.api.token(request).await?;
        let mut tokens = self.long_lived(&short.access).await?;
        tokens.scopes = self.permissions(&tokens.access).await?;
        Ok(tokens)
    }

    /// `grant_type=fb_exchange_token`: a still-valid user token for a long-lived one. Facebook has
    /// no refresh tokens; an expired token cannot be exchanged (the keeper never tries).
    pub async fn long_lived(&self, token: &Secret) -> Result<TokenSet, NetworkError> {
        let request = self.0.api.http.get(&self.0.app.token_url).query(&[
            ("grant_type", "fb_exchange_token"),
            ("client_id", self.0.app.client_id.as_str()),
            ("client_secret", self.0.secret().expose()),
            ("fb_exchange_token", token.expose()),
        ]);
        let mut tokens = self.0.api.token(request).await?;
        tokens.refresh = None;
        tokens.expires_in = tokens.expires_in.or_else(|| Some(long_lived_lifetime()));
        Ok(tokens)
    }

    /// The permissions the person granted.
    pub async fn permissions(&self, token: &Secret) -> Result<Vec<String>, NetworkError> {
        #[derive(Deserialize)]
        struct Permission {
            permission: String,
            status: String,
        }
        let body = self.get("me/permissions", token, &[]).await?;
        Ok(items::<Permission>(&body)
            .into_iter()
            .filter(|p| p.status == "granted")
            .map(|p| p.permission)
            .collect())
    }

    /// Who the user token belongs to (`/me?fields=id,name`).
    pub async fn me(&self, token: &Secret) -> Result<Identity, NetworkError> {
        #[derive(Deserialize)]
        struct Me {
            id: String,
            #[serde(default)]
            name: Option<String>,
        }
        let me: Me = api::read(self.get("me", token, &[("fields", "id,name")]).await?)?;
        Ok(Identity {
            name: me.name.unwrap_or_else(|| me.id.clone()),
            external_id: me.id,
        })
    }

    /// The pages the identity has a task on and granted, with their linked Instagram accounts;
    /// at most [`MAX_PAGES`] pages of answers, following the `after` cursor against the configured
    /// API (never a URL from the answer).
    pub async fn pages(&self, token: &Secret) -> Result<Vec<Page>, NetworkError> {
        let mut pages = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                (
                    "fields",
                    "id,name,tasks,instagram_business_account{id,username}",
                ),
                ("limit", "100"),
            ];
            if let Some(cursor) = after.as_deref() {
                query.push(("after", cursor));
            }
            let body = self.get("me/accounts", token, &query).await?;
            pages.extend(items::<Page>(&body));
            let paging = body.get("paging");
            let more = paging.and_then(|p| p.get("next")).is_some();
            after = paging
                .and_then(|p| p.get("cursors"))
                .and_then(|c| c.get("after"))
                .and_then(Value::as_str)
                .filter(|cursor| more && !cursor.is_empty() && cursor.len() <= 1024)
                .map(str::to_owned);
            if after.is_none() {
                return Ok(pages);
            }
        }
        tracing::warn!(
            pages = pages.len(),
            "stopped reading /me/accounts after {MAX_PAGES} pages of answers"
        );
        Ok(pages)
    }

    /// The page's own token, asked with the user token (`/{page-id}?fields=access_token`). A page
    /// the identity has no task on (or did not grant) gives none: a permission to grant again.
    pub async fn page_token(&self, user: &Secret, page: &str) -> Result<Secret, NetworkError> {
        let body = self
            .get(node(page)?, user, &[("fields", "access_token")])
            .await?;
        match body.get("access_token").and_then(Value::as_str) {
            Some(token)
                if !token.is_empty()
                    && token.len() <= api::MAX_TOKEN
                    && !token.chars().any(char::is_control) =>
            {
                Ok(Secret::new(token))
            }
            _ => Err(NetworkError::MissingPermission(
                "no page access token: the identity has no task on the page or did not grant it"
                    .to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tasks_make_the_roles_the_rules_need() {
        let page = |tasks: &[&str]| Page {
            id: "1".to_owned(),
            name: None,
            tasks: tasks.iter().map(|t| (*t).to_owned()).collect(),
            instagram_business_account: None,
        };
        assert_eq!(
            page(&["ANALYZE", "MANAGE", "CREATE_CONTENT"]).role(),
            AssetRole::Admin
        );
        assert_eq!(
            page(&["CREATE_CONTENT", "MODERATE"]).role(),
            AssetRole::Editor
        );
        assert_eq!(page(&["ANALYZE"]).role(), AssetRole::Member);
        assert_eq!(page(&[]).label(), "1");
    }

    #[test]
    fn meta_times_and_node_ids_are_read_strictly() {
        assert_eq!(
            time("2026-11-02T09:00:00+0000").map(|t| t.to_rfc3339()),
            Some("2026-11-02T09:00:00+00:00".to_owned())
        );
        assert!(time("2026-11-02T09:00:00Z").is_some());
        assert!(time("yesterday").is_none());
        assert!(node("1234_5678").is_ok());
        for hostile in [
            "",
            "me/permissions",
            "1?x=1",
            "../2",
            "a b",
            &"9".repeat(200),
        ] {
            assert!(node(hostile).is_err(), "{hostile}");
        }
    }

    #[test]
    fn odd_entries_of_a_list_are_left_out() {
        let body = json!({ "data": [
            { "id": "1", "name": "A", "tasks": ["MANAGE"] },
            { "name": "no id" },
            7,
            { "id": "2", "tasks": "not a list" },
            { "id": "3", "instagram_business_account": { "id": "17841" } }
        ]});
        let pages: Vec<Page> = items(&body);
        let ids: Vec<&str> = pages.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["1", "3"]);
        assert!(items::<Page>(&json!({ "data": "x" })).is_empty());
    }
}

//! LinkedIn pages: the member's role on each organization (`organizationAcls`, all roles, so a
//! page the member only edits reads as such for R6) and their names (`organizationsLookup`, a
//! Rest.li `List(...)` at a time), both bounded.

use std::collections::HashMap;

use entity::enums::AccountKind;
use serde::Deserialize;
use serde_json::Value;

use super::Linkedin;
use crate::{
    config::Secret,
    networks::{Asset, AssetRole, NetworkError},
};

/// Pages of role assignments read at most, of this many each.
const ACL_PAGES: usize = 10;
const ACL_PAGE: usize = 100;
/// Organizations named per lookup.
const LOOKUP_BATCH: usize = 50;

#[derive(Deserialize)]
struct Acls {
    #[serde(default)]
    elements: Vec<Acl>,
}

#[derive(Deserialize)]
struct Acl {
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
struct Lookup {
    #[serde(default)]
    results: HashMap<String, Value>,
}

/// An id LinkedIn writes into a URN and a Rest.li `List(...)`: no reserved characters.
pub(super) fn plain_id(id: &str) -> Option<&str> {
    let fits = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    fits.then_some(id)
}

/// The id of `urn:li:organization:{id}`.
pub(super) fn organization_id(urn: &str) -> Option<&str> {
    urn.strip_prefix("urn:li:organization:").and_then(plain_id)
}

fn stronger(a: AssetRole, b: AssetRole) -> AssetRole {
    let rank = |role| match role {
        AssetRole::Owner => 3,
        AssetRole::Admin => 2,
        AssetRole::Editor => 1,
        AssetRole::Member => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

impl Linkedin {
    /// The member's role on each organization (the strongest, when LinkedIn lists several).
    async fn roles(&self, token: &Secret) -> Result<Vec<(String, AssetRole)>, NetworkError> {
        let mut roles: Vec<(String, AssetRole)> = Vec::new();
        let count = ACL_PAGE.to_string();
        for page in 0..ACL_PAGES {
            let start = (page * ACL_PAGE).to_string();
            let request = self
                .get(&self.common.url("rest/organizationAcls"), token)
                .query(&[
                    ("q", "roleAssignee"),
                    ("state", "APPROVED"),
                    ("start", start.as_str()),
                    ("count", count.as_str()),
                ]);
            let acls: Acls = self.common.api.json(request).await?;
            let listed = acls.elements.len();
            for acl in acls.elements {
                if acl
                    .state
                    .as_deref()
                    .is_some_and(|state| state != "APPROVED")
                {
                    continue;
                }
                let Some(id) = acl.organization.as_deref().and_then(organization_id) else {
                    continue;
                };
                let role = match acl.role.as_deref() {
                    Some("ADMINISTRATOR") => AssetRole::Admin,
                    Some("CONTENT_ADMINISTRATOR") => AssetRole::Editor,
                    _ => AssetRole::Member,
                };
                match roles.iter_mut().find(|(known, _)| known == id) {
                    Some((_, held)) => *held = stronger(*held, role),
                    None => roles.push((id.to_owned(), role)),
                }
            }
            if listed < ACL_PAGE {
                return Ok(roles);
            }
        }
        tracing::warn!(
            "LinkedIn lists more than {} page roles; the rest are not read",
            ACL_PAGES * ACL_PAGE
        );
        Ok(roles)
    }

    /// The organizations' names (`organizationsLookup`, a batch at a time). A name LinkedIn will
    /// not give is left out: the page is still listed, by its id.
    async fn names(
        &self,
        token: &Secret,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, NetworkError> {
        let mut names = HashMap::new();
        for batch in ids.chunks(LOOKUP_BATCH) {
            let url = format!(
                "{}?ids=List({})",
                self.common.url("rest/organizationsLookup"),
                batch.join(",")
            );
            let lookup: Lookup = match self.common.api.json(self.get(&url, token)).await {
                Ok(lookup) => lookup,
                Err(error @ (NetworkError::MissingPermission(_) | NetworkError::Protocol(_))) => {
                    tracing::warn!(%error, "LinkedIn did not name the member's pages");
                    continue;
                }
                Err(error) => return Err(error),
            };
            for (id, organization) in lookup.results {
                if let Some(name) = organization.get("localizedName").and_then(Value::as_str) {
                    names.insert(id, name.to_owned());
                }
            }
        }
        Ok(names)
    }

    pub(super) async fn assets_once(&self, token: &Secret) -> Result<Vec<Asset>, NetworkError> {
        let me = self.me(token).await?;
        let asset = |external_id: String, kind, name, role| Asset {
            external_id,
            kind,
            name,
            role,
            linked_external_id: None,
            added_by: None,
        };
        let name = me.name.clone().unwrap_or_else(|| me.sub.clone());
        let mut assets = vec![asset(me.sub, AccountKind::Profile, name, AssetRole::Owner)];
        let roles = self.roles(token).await?;
        let ids: Vec<&str> = roles.iter().map(|(id, _)| id.as_str()).collect();
        let names = self.names(token, &ids).await?;
        for (id, role) in roles {
            let name = names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("LinkedIn page {id}"));
            assets.push(asset(id, AccountKind::CompanyPage, name, role));
        }
        Ok(assets)
    }
}

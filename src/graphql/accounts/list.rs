//! Lists of accounts: the filter, and Relay pages.

use async_graphql::{ID, InputObject, SimpleObject};
use entity::social_accounts;

use crate::accounts::AccountFilter;
use crate::graphql::{
    errors::{ApiError, ApiResult},
    ids::{self, Kind},
    pagination::PageInfo,
};

use super::{ConnectionHealth, Network, SocialAccount};

/// Which accounts to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct SocialAccountFilter {
    /// Only these health states.
    pub health: Option<Vec<ConnectionHealth>>,
    /// Only these networks.
    pub network: Option<Vec<Network>>,
    /// Only accounts of this organization.
    pub organization_id: Option<ID>,
    /// R17: only personal accounts (`true`: the viewer's own "social networks" page) or only
    /// organization accounts (`false`).
    pub personal: Option<bool>,
}

impl SocialAccountFilter {
    /// The domain filter; an organization id that is not one reads as unknown.
    pub fn into_domain(self) -> ApiResult<AccountFilter> {
        let organization_id = match self.organization_id {
            Some(id) => Some(ids::decode_as(Kind::Organization, &id).ok_or(ApiError::NotFound)?),
            None => None,
        };
        Ok(AccountFilter {
            health: self
                .health
                .map(|list| list.into_iter().map(Into::into).collect()),
            network: self
                .network
                .map(|list| list.into_iter().map(Into::into).collect()),
            organization_id,
            personal: self.personal,
        })
    }
}

/// An edge of a [`SocialAccountConnection`].
#[derive(SimpleObject, Clone, Debug)]
pub struct SocialAccountEdge {
    /// Where this edge sits, for `after`.
    pub cursor: String,
    /// The account.
    pub node: SocialAccount,
}

/// A page of social accounts (Relay).
#[derive(SimpleObject, Clone, Debug)]
pub struct SocialAccountConnection {
    /// The edges.
    pub edges: Vec<SocialAccountEdge>,
    /// The accounts, without cursors.
    pub nodes: Vec<SocialAccount>,
    /// Paging state.
    pub page_info: PageInfo,
}

impl SocialAccountConnection {
    /// Builds a page from up to `limit + 1` rows (the extra row says there is a next page).
    pub fn from_rows(mut rows: Vec<social_accounts::Model>, limit: u64) -> Self {
        let has_next_page = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let edges: Vec<SocialAccountEdge> = rows
            .into_iter()
            .map(|row| SocialAccountEdge {
                cursor: ids::cursor(row.id),
                node: SocialAccount(row),
            })
            .collect();
        Self {
            nodes: edges.iter().map(|edge| edge.node.clone()).collect(),
            page_info: PageInfo::forward(
                has_next_page,
                edges.first().map(|edge| edge.cursor.clone()),
                edges.last().map(|edge| edge.cursor.clone()),
            ),
            edges,
        }
    }
}

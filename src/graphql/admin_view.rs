//! The organization's social-network administration (R16) and its audit log (B8), for its
//! super admins and admins.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{audit_log, enums::Health};

use super::{
    accounts::{SocialAccountConnection, SocialAccountFilter},
    context::{database, viewer},
    errors::{ApiError, gql},
    guards::OrgAdmin,
    ids::{self, Kind},
    loaders::{UserKey, load},
    pagination::{PageInfo, connection_cost, page},
    people::{OrgRole, Organization, User},
};
use crate::accounts;

/// R16: the organization's accounts counted by health, for the admin view's summary.
#[derive(SimpleObject, Clone, Copy, Debug, Default)]
pub struct HealthCounts {
    /// Working.
    pub connected: i64,
    /// Running out soon.
    pub expiring: i64,
    /// Reduced function.
    pub limited: i64,
    /// Not working (flagged red).
    pub disconnected: i64,
    /// All of them.
    pub total: i64,
}

#[ComplexObject]
impl Organization {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Organization, self.model.id)
    }

    /// The viewer's role here.
    async fn viewer_role(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrgRole>> {
        let viewer = gql(viewer(ctx).await)?;
        Ok(viewer.subject.role_in(self.model.id).map(Into::into))
    }

    /// R16: the organization's accounts counted by health (the admin view's summary). Admins and
    /// super admins only.
    #[graphql(guard = "OrgAdmin::Of(self.model.id)")]
    async fn social_account_health(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<HealthCounts> {
        gql(health_counts(ctx, self.model.id).await)
    }

    /// R16, the admin view: every social account of the organization with its health, the
    /// disconnected ones flagged. Admins and super admins only.
    #[graphql(
        guard = "OrgAdmin::Of(self.model.id)",
        complexity = "super::pagination::connection_cost(first, child_complexity)"
    )]
    async fn social_accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SocialAccountFilter>,
    ) -> async_graphql::Result<SocialAccountConnection> {
        gql(async {
            let (limit, after) = page(first, after)?;
            let mut filter = filter
                .map(SocialAccountFilter::into_domain)
                .transpose()?
                .unwrap_or_default();
            filter.organization_id = None;
            let rows = accounts::repo::list_for_organization(
                database(ctx)?,
                self.model.id,
                &filter,
                after,
                limit + 1,
            )
            .await?;
            Ok(SocialAccountConnection::from_rows(rows, limit))
        }
        .await)
    }
}

/// Who did what, when (B8). Details never hold credentials.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct AuditEntry {
    /// Where it sits in the log (also the cursor).
    pub id: ID,
    /// What happened, as a stable dotted name (`account.disconnected`, `login.reconnected`…).
    pub action: String,
    /// The kind of thing acted on (`social_account`, `social_login`, `user`).
    pub target_type: String,
    /// The target's global id, where it has one.
    pub target_id: Option<ID>,
    /// Details (reason, identity used, counts…).
    pub detail: async_graphql::Json<serde_json::Value>,
    /// When.
    pub at: DateTime<Utc>,
    #[graphql(skip)]
    actor_user_id: Option<i64>,
}

#[ComplexObject]
impl AuditEntry {
    /// Who did it; null for the system (the keeper, a network's webhook, the publisher).
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user) = self.actor_user_id else {
            return Ok(None);
        };
        Ok(gql(load(ctx, UserKey(user)).await)?.map(User::from))
    }
}

impl From<audit_log::Model> for AuditEntry {
    fn from(row: audit_log::Model) -> Self {
        let kind = match row.target_type.as_str() {
            "social_account" => Some(Kind::SocialAccount),
            "social_login" => Some(Kind::SocialLogin),
            "user" => Some(Kind::User),
            "automation_rule" => Some(Kind::AutomationRule),
            _ => None,
        };
        Self {
            id: ID(ids::cursor(row.id)),
            target_id: kind
                .zip(row.target_id)
                .map(|(kind, id)| ids::encode(kind, id)),
            action: row.action,
            target_type: row.target_type,
            detail: async_graphql::Json(row.detail),
            at: row.at,
            actor_user_id: row.actor_user_id,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(SimpleObject, Clone, Debug)]
pub struct AuditEntryConnection {
    /// The entries.
    pub nodes: Vec<AuditEntry>,
    /// Paging state.
    pub page_info: PageInfo,
}

/// The counts of one organization's accounts.
pub async fn health_counts(
    ctx: &Context<'_>,
    organization_id: i64,
) -> Result<HealthCounts, ApiError> {
    let rows = accounts::repo::count_by_health(database(ctx)?, Some(organization_id)).await?;
    let mut counts = HealthCounts::default();
    for (health, count) in rows {
        match health {
            Health::Connected => counts.connected = count,
            Health::Expiring => counts.expiring = count,
            Health::Limited => counts.limited = count,
            Health::Disconnected => counts.disconnected = count,
        }
        counts.total += count;
    }
    Ok(counts)
}

/// The `auditLog` root.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// B8: the organization's audit log, newest first; its super admins and admins only (anyone
    /// else reads the organization as unknown).
    #[graphql(
        guard = "OrgAdmin::Id(&organization_id)",
        complexity = "connection_cost(first, child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditEntryConnection> {
        gql(async {
            let organization =
                ids::decode_as(Kind::Organization, &organization_id).ok_or(ApiError::NotFound)?;
            let (limit, after) = page(first, after)?;
            let mut rows =
                crate::audit::page(database(ctx)?, organization, after, limit + 1).await?;
            let has_next_page = rows.len() as u64 > limit;
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let nodes: Vec<AuditEntry> = rows.into_iter().map(AuditEntry::from).collect();
            Ok(AuditEntryConnection {
                page_info: PageInfo::forward(
                    has_next_page,
                    nodes.first().map(|entry| entry.id.to_string()),
                    nodes.last().map(|entry| entry.id.to_string()),
                ),
                nodes,
            })
        }
        .await)
    }
}

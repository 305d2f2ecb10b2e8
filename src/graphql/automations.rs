//! Automation rules as the reconnect result shows them (R19, B6).

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::automation_rules;

use super::{
    accounts::SocialAccount,
    context::{database, viewer},
    errors::{ApiError, gql},
    guards::OrgMember,
    ids::{self, Kind},
    loaders::{UserKey, load},
    people::User,
};
use crate::accounts::{self, AccountFilter};

/// At most this many rules in one answer.
pub const RULES_LIMIT: usize = 200;

/// What a rule does.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AutomationKind")]
pub enum AutomationKind {
    /// Tags incoming messages.
    AutoTag,
    /// Assigns incoming messages to a user.
    AutoAssign,
}

/// Why a rule needs review.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ReviewReason")]
pub enum ReviewReason {
    /// The account did not come back.
    AccountDisconnected,
    /// The network no longer grants a permission the rule needs.
    ScopeMissing,
    /// The assignee can no longer see the account.
    AssigneeLostAccess,
}

/// An auto-tag or auto-assign rule of an account.
pub struct AutomationRule(pub automation_rules::Model);

#[Object]
impl AutomationRule {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::AutomationRule, self.0.id)
    }

    /// What it does.
    async fn kind(&self) -> AutomationKind {
        self.0.kind.into()
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// B6: flagged by the last check.
    async fn needs_review(&self) -> bool {
        self.0.needs_review
    }

    /// Why it is flagged.
    async fn review_reason(&self) -> Option<ReviewReason> {
        self.0.review_reason.map(Into::into)
    }

    /// B6: while flagged, the concrete step that makes it work again.
    async fn review_fix(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(reason) = self.0.review_reason else {
            return Ok(None);
        };
        let account = self.social_account(ctx).await?;
        let name = account.map_or_else(|| "its account".to_owned(), |account| account.0.name);
        Ok(Some(crate::automations::review_fix(&self.0, reason, &name)))
    }

    /// When the system last checked it (after a reconnect).
    async fn last_checked_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_checked_at
    }

    /// Who made it (told when it is flagged).
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.created_by else {
            return Ok(None);
        };
        Ok(gql(load(ctx, UserKey(id)).await)?.map(User::from))
    }

    /// Whose reconnect flagged it, while flagged.
    async fn flagged_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.flagged_by else {
            return Ok(None);
        };
        Ok(gql(load(ctx, UserKey(id)).await)?.map(User::from))
    }

    /// The account it works on; null when the viewer may not see it (the cascade of R8 can
    /// reach accounts the viewer has no permission for).
    async fn social_account(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<SocialAccount>> {
        let id = ids::encode(Kind::SocialAccount, self.0.social_account_id);
        match super::accounts::account_for_viewer(ctx, &id).await {
            Ok(account) => Ok(Some(account)),
            Err(ApiError::NotFound) => Ok(None),
            Err(other) => gql(Err(other)),
        }
    }
}

/// Roots for automation rules.
#[derive(Default)]
pub struct AutomationsQuery;

#[Object]
impl AutomationsQuery {
    /// R19/B6: the organization's automation rules on accounts the viewer may see, oldest first
    /// (at most 200); `flagged: true` lists those a reconnect flagged for review, each with its
    /// reason and fix. Members only (anyone else reads the organization as unknown).
    #[graphql(
        guard = "OrgMember(Some(&organization_id))",
        complexity = "RULES_LIMIT * child_complexity"
    )]
    async fn automation_rules(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        flagged: Option<bool>,
    ) -> async_graphql::Result<Vec<AutomationRule>> {
        gql(async {
            let organization =
                ids::decode_as(Kind::Organization, &organization_id).ok_or(ApiError::NotFound)?;
            let viewer = viewer(ctx).await?;
            let db = database(ctx)?;
            let filter = AccountFilter {
                organization_id: Some(organization),
                ..AccountFilter::default()
            };
            let visible: Vec<i64> =
                accounts::repo::list_visible(db, &viewer.subject, &filter, None, None)
                    .await?
                    .into_iter()
                    .map(|account| account.id)
                    .collect();
            let rules = crate::automations::repo::rules_of_organization(
                db,
                organization,
                &visible,
                flagged,
                RULES_LIMIT as u64,
            )
            .await?;
            Ok(rules.into_iter().map(AutomationRule).collect())
        }
        .await)
    }
}

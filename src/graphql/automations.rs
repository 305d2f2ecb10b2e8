//! Automation rules as the reconnect result shows them (R19, B6).

use async_graphql::{Context, Enum, ID, Object};
use entity::automation_rules;

use super::{
    accounts::SocialAccount,
    errors::{ApiError, gql},
    ids::{self, Kind},
};

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

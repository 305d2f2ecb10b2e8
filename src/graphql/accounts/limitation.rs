//! R18: what a limited account lacks, shown wherever the account shows (its page, the restore
//! list, the planner's warning), and the step that lifts the limit.

use async_graphql::{Context, Object};
use entity::social_accounts;

use super::{LimitedReason, SocialAccount};
use crate::graphql::{
    context::{database, viewer},
    errors::{ApiResult, gql},
};

/// A limited account's limit: connected, with less (R18).
#[derive(Clone, Debug)]
pub struct Limitation {
    pub(crate) reason: entity::enums::LimitedReason,
    pub(crate) account: social_accounts::Model,
}

impl Limitation {
    /// The limit of `account`, while it is limited.
    pub fn of(account: &social_accounts::Model) -> Option<Self> {
        (account.health == entity::enums::Health::Limited)
            .then_some(account.limited_reason)
            .flatten()
            .map(|reason| Self {
                reason,
                account: account.clone(),
            })
    }

    /// The linked page, when the viewer may see it.
    async fn page(&self, ctx: &Context<'_>) -> ApiResult<Option<social_accounts::Model>> {
        let Some(page) = self.account.linked_account_id else {
            return Ok(None);
        };
        let viewer = viewer(ctx).await?;
        Ok(crate::accounts::repo::find_visible(database(ctx)?, &viewer.subject, page).await?)
    }
}

#[Object]
impl Limitation {
    /// Why it is limited.
    async fn reason(&self) -> LimitedReason {
        self.reason.into()
    }

    /// What works as usual (its posts publish).
    async fn kept(&self) -> Vec<&'static str> {
        crate::accounts::limitation_for(self.reason, None)
            .kept
            .to_vec()
    }

    /// What is missing until the limit is lifted.
    async fn lost(&self) -> Vec<&'static str> {
        crate::accounts::limitation_for(self.reason, None)
            .lost
            .to_vec()
    }

    /// The step that lifts it, naming the page when the viewer may see it.
    async fn fix(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let page = gql(self.page(ctx).await)?;
        Ok(crate::accounts::limitation_for(
            self.reason,
            page.as_ref().map(|page| page.name.as_str()),
        )
        .fix)
    }

    /// The Facebook page to authorize ("log in with Facebook"), when the viewer may see it:
    /// `startReconnect` on the limited profile signs in for this page.
    async fn linked_page(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SocialAccount>> {
        Ok(gql(self.page(ctx).await)?.map(SocialAccount))
    }
}

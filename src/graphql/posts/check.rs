//! R14 at selection time: what the composer shows for each account the moment it is chosen,
//! before anything is scheduled.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::{enums::Health, social_accounts};

use super::visible_accounts;
use crate::graphql::{
    accounts::{Limitation, SocialAccount},
    context::database,
    errors::{ApiError, gql},
    guards::MayViewAll,
    ids::{self, Kind},
    people::User,
};

/// One chosen account as the composer sees it.
pub struct ComposerCheck {
    account: Arc<social_accounts::Model>,
}

#[Object]
impl ComposerCheck {
    /// The account.
    async fn social_account(&self) -> SocialAccount {
        SocialAccount((*self.account).clone())
    }

    /// Whether a post scheduled to it goes out (a limited one does, R18; a disconnected one is
    /// refused at scheduling, and a draft is kept instead).
    async fn can_publish(&self) -> bool {
        crate::posts::publishable(self.account.health)
    }

    /// What to tell at selection time; null when all is well.
    async fn warning(&self) -> Option<String> {
        let account = &self.account;
        match account.health {
            Health::Connected => None,
            Health::Disconnected => Some(format!(
                "{} is disconnected, so it cannot publish: scheduling to it is refused until it is reconnected. The post can be saved as a draft meanwhile.",
                account.name
            )),
            Health::Limited => Some(format!(
                "{} is connected but limited: the post goes out, but it lacks: {}.",
                account.name,
                account
                    .limited_reason
                    .map(|reason| crate::accounts::limitation_for(reason, None)
                        .lost
                        .join("; "))
                    .unwrap_or_default()
            )),
            Health::Expiring => Some(format!(
                "{}'s sign-in runs out soon: reconnect it before then, or its posts wait.",
                account.name
            )),
        }
    }

    /// R18: what a limited account lacks, and what lifts it.
    async fn limitation(&self) -> Option<Limitation> {
        Limitation::of(&self.account)
    }

    /// R3/R8: whether the viewer may reconnect it from the composer.
    async fn viewer_can_reconnect(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        SocialAccount((*self.account).clone())
            .viewer_can_reconnect(ctx)
            .await
    }

    /// R4: who may reconnect it (whom to ask), when it cannot publish; empty otherwise.
    async fn who_may_reconnect(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        if crate::posts::publishable(self.account.health) {
            return Ok(Vec::new());
        }
        gql(async {
            let users =
                crate::accounts::repo::who_may_reconnect(database(ctx)?, &self.account).await?;
            Ok(users.into_iter().map(User::from).collect())
        }
        .await)
    }
}

/// The composer's question.
#[derive(Default)]
pub struct ComposerQuery;

#[Object]
impl ComposerQuery {
    /// R14: for the accounts chosen in the composer (at most 50), whether each can publish, why
    /// not, and who may reconnect it: ask it whenever the selection changes, so the warning shows
    /// at selection, before scheduling. In the order asked; an account the viewer may not see
    /// reads as not found.
    #[graphql(
        guard = "MayViewAll(&social_account_ids)",
        complexity = "social_account_ids.len() * child_complexity"
    )]
    async fn composer_check(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_items = 50))] social_account_ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<ComposerCheck>> {
        gql(async {
            let mut ids = Vec::with_capacity(social_account_ids.len());
            for id in &social_account_ids {
                ids.push(ids::decode_as(Kind::SocialAccount, id).ok_or(ApiError::NotFound)?);
            }
            let visible = visible_accounts(ctx, ids.iter().copied()).await?;
            let mut seen = std::collections::HashSet::new();
            ids.into_iter()
                .filter(|id| seen.insert(*id))
                .map(|id| {
                    visible
                        .get(&id)
                        .cloned()
                        .map(|account| ComposerCheck { account })
                        .ok_or(ApiError::NotFound)
                })
                .collect()
        }
        .await)
    }
}

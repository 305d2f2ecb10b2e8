//! The reconnect banner, badge and restore list, and dismissing the banner (R9–R11).

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    accounts::SocialAccount,
    context::{app, clock, database, viewer},
    errors::{ApiResult, gql},
    guards::Authenticated,
    loaders::{LoginKey, RequestLoader},
    user_errors::UserError,
};
use crate::notices;

/// The most accounts the restore list shows: a list costs its length bound in query points.
pub const RESTORE_LIST_LIMIT: usize = 50;

/// What the dashboard shows the viewer about accounts that need reconnecting. The network
/// incidents it mentions are read once, when `networkIncidents` or `message` first asks.
pub struct ReconnectStatus(
    notices::Status,
    tokio::sync::OnceCell<Vec<super::incidents::NetworkIncident>>,
);

impl ReconnectStatus {
    /// Wraps a computed status.
    pub fn new(status: notices::Status) -> Self {
        Self(status, tokio::sync::OnceCell::new())
    }

    /// The open incidents of the viewer's networks, read on first use.
    async fn incidents(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<&[super::incidents::NetworkIncident]> {
        self.1
            .get_or_try_init(|| async {
                let viewer = viewer(ctx).await?;
                super::incidents::open_for(database(ctx)?, &viewer.subject).await
            })
            .await
            .map(Vec::as_slice)
    }
}

#[Object]
impl ReconnectStatus {
    /// R9: show the reconnect banner.
    async fn banner_visible(&self) -> bool {
        self.0.banner.visible
    }

    /// When a dismissed banner comes back (null while it shows, or with nothing to show).
    async fn banner_dismissed_until(&self) -> Option<DateTime<Utc>> {
        self.0.banner.dismissed_until
    }

    /// R11: disconnected accounts the viewer can see (the yellow warning on the profile picture).
    async fn badge_count(&self) -> i32 {
        i32::try_from(self.0.banner.badge_count).unwrap_or(i32::MAX)
    }

    /// R10: the restore list — accounts that need reconnecting, most urgent first: disconnected
    /// (longest broken first), then expiring (soonest first), then limited. At most 50: the
    /// most urgent; `accountCount` says how many there are in all.
    #[graphql(complexity = "RESTORE_LIST_LIMIT * child_complexity")]
    async fn accounts(&self) -> Vec<SocialAccount> {
        self.0
            .accounts
            .iter()
            .take(RESTORE_LIST_LIMIT)
            .cloned()
            .map(SocialAccount)
            .collect()
    }

    /// How many accounts need reconnecting (or attention) in all, listed or not.
    async fn account_count(&self) -> i32 {
        i32::try_from(self.0.accounts.len()).unwrap_or(i32::MAX)
    }

    /// R10: the deep link of the restore list.
    async fn reauth_path(&self) -> &'static str {
        notices::REAUTH_PATH
    }

    /// Networks the viewer has accounts on that are having problems (open incidents): while one
    /// lasts, its accounts are not disconnected for it and nobody needs to reconnect.
    async fn network_incidents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::incidents::NetworkIncident>> {
        gql(self.incidents(ctx).await.map(<[_]>::to_vec))
    }

    /// What the banner says: a network's trouble first ("Facebook is having problems…" — no
    /// reconnect can help with that), then the accounts that need reconnecting; null when all is
    /// well.
    async fn message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if let Some(first) = gql(self.incidents(ctx).await)?.first() {
            return Ok(Some(first.message.clone()));
        }
        let broken = self
            .0
            .accounts
            .iter()
            .filter(|account| account.health == entity::enums::Health::Disconnected)
            .count();
        Ok(match broken {
            0 => None,
            1 => Some("1 account needs reconnecting.".to_owned()),
            n => Some(format!("{n} accounts need reconnecting.")),
        })
    }
}

/// Loads the viewer's status and primes the request's login cache with what it loaded.
async fn status(ctx: &Context<'_>) -> ApiResult<ReconnectStatus> {
    let viewer = viewer(ctx).await?;
    let now = clock(ctx)?.now();
    let signed_in_at = super::context::signed_in_at(ctx);
    let status = notices::status(
        database(ctx)?,
        &viewer.subject,
        viewer.user.id,
        signed_in_at,
        now,
    )
    .await?;
    if let Ok(loader) = ctx.data::<RequestLoader>() {
        loader
            .feed_many(
                status
                    .logins
                    .iter()
                    .map(|(id, login)| (LoginKey(*id), login.clone())),
            )
            .await;
    }
    Ok(ReconnectStatus::new(status))
}

/// Roots of this domain.
#[derive(Default)]
pub struct NoticesQuery;

#[Object]
impl NoticesQuery {
    /// Banner, badge and restore list for the viewer.
    #[graphql(guard = "Authenticated")]
    async fn reconnect_status(&self, ctx: &Context<'_>) -> async_graphql::Result<ReconnectStatus> {
        gql(status(ctx).await)
    }
}

/// The result of `dismissReconnectBanner`.
#[derive(SimpleObject)]
pub struct DismissReconnectBannerPayload {
    /// The viewer's status after dismissing.
    pub reconnect_status: ReconnectStatus,
    /// Expected refusals (none today: dismissing always works).
    pub user_errors: Vec<UserError>,
}

/// Mutations of this domain.
#[derive(Default)]
pub struct NoticesMutation;

#[Object]
impl NoticesMutation {
    /// R9: hides the banner for 24 hours, or until something else disconnects. The badge and the
    /// restore list stay (R10, R11). Recorded in the audit log (B8).
    #[graphql(guard = "Authenticated")]
    async fn dismiss_reconnect_banner(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<DismissReconnectBannerPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            notices::dismiss_banner(app(ctx)?, &viewer.subject).await?;
            Ok(DismissReconnectBannerPayload {
                reconnect_status: status(ctx).await?,
                user_errors: Vec::new(),
            })
        }
        .await)
    }
}

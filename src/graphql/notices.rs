//! The reconnect banner, badge and restore list, and dismissing the banner (R9–R11).

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use std::sync::Arc;

use super::{
    accounts::SocialAccount,
    context::{RequestAuth, Viewer, app, clock, database, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::Authenticated,
    loaders::{LoginAccountsKey, LoginKey, RequestLoader, UserKey},
    user_errors::UserError,
};
use crate::notices::{self, cache::Snapshot};

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

/// The viewer's status: from the status cache when it holds a snapshot and the event relay has
/// handled every committed event (one indexed statement), else from the database (a snapshot kept
/// for the next request). Either way the request's viewer and loaders are primed with what was
/// read, so `viewerCanReconnect` and `lastReconnectedBy` run no statement of their own.
async fn status(ctx: &Context<'_>) -> ApiResult<ReconnectStatus> {
    let app = app(ctx)?;
    let auth = ctx
        .data::<RequestAuth>()
        .map_err(|_| ApiError::Unauthenticated("no auth context"))?;
    let sub = auth
        .subject()
        .ok_or(ApiError::Unauthenticated("no token"))?
        .to_owned();
    let now = clock(ctx)?.now();
    let settled = super::context::cache_settled(ctx).await?;
    let snapshot = match settled.then(|| app.status_cache.get(&sub)).flatten() {
        Some(snapshot) => {
            let viewer = Viewer {
                user: snapshot.user.clone(),
                subject: snapshot.subject.clone(),
            };
            auth.prime(Arc::new(viewer), now).await;
            snapshot
        }
        None => {
            let generation = app.status_cache.generation();
            let snapshot = Arc::new(load_snapshot(ctx, settled).await?);
            if settled {
                app.status_cache.put(&sub, snapshot.clone(), generation);
            }
            snapshot
        }
    };
    if let Ok(loader) = ctx.data::<RequestLoader>() {
        let logins = snapshot.logins.iter();
        loader
            .feed_many(logins.map(|(id, login)| (LoginKey(*id), login.clone())))
            .await;
        let siblings = snapshot.siblings.iter();
        loader
            .feed_many(siblings.map(|(id, owners)| (LoginAccountsKey(*id), owners.clone())))
            .await;
        let users = snapshot.reconnectors.iter();
        loader
            .feed_many(users.map(|(id, user)| (UserKey(*id), user.clone())))
            .await;
    }
    Ok(ReconnectStatus::new(
        snapshot
            .inputs
            .status(super::context::signed_in_at(ctx), now),
    ))
}

/// Reads a viewer's status snapshot from the database: the viewer, the status's inputs, the
/// sibling accounts of its logins (R8) and their reconnectors (R4).
async fn load_snapshot(ctx: &Context<'_>, settled: bool) -> ApiResult<Snapshot> {
    let viewer = super::context::viewer_when(ctx, Some(settled)).await?;
    let db = database(ctx)?;
    let inputs = notices::load_inputs(db, &viewer.subject, viewer.user.id).await?;
    let login_ids: Vec<i64> = inputs.logins.keys().copied().collect();
    let siblings = crate::accounts::repo::account_owners_by_login(db, &login_ids).await?;
    let reconnector_ids: Vec<i64> = inputs
        .logins
        .values()
        .filter_map(|login| login.last_reconnected_by.or(login.connected_by))
        .collect();
    let reconnectors = crate::people::repo::users_by_ids(db, &reconnector_ids).await?;
    Ok(Snapshot::new(
        viewer.user.clone(),
        viewer.subject.clone(),
        inputs,
        siblings,
        reconnectors,
    ))
}

/// Roots of this domain.
#[derive(Default)]
pub struct NoticesQuery;

#[Object]
impl NoticesQuery {
    /// Banner, badge and restore list for the viewer.
    /// Signed-in users only: the status itself checks the token (no guard of its own, so that a
    /// viewer served from the status cache costs no lookup of the viewer).
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

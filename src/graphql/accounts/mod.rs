//! Views and roots for social accounts and logins. Tokens have no path into these types.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{social_accounts, social_logins};

mod kinds;
mod limitation;
mod list;

pub use kinds::{
    AccountFlag, AccountKind, ConnectionHealth, DisconnectReason, LimitedReason, Network,
};
pub use limitation::Limitation;
pub use list::{SocialAccountConnection, SocialAccountEdge, SocialAccountFilter};

use super::{
    context::{database, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::{Authenticated, MayView},
    ids::{self, Kind},
    loaders::{
        AnalyticsGapsKey, HeldPostsKey, LoginAccountsKey, LoginKey, OrganizationKey, UserKey, load,
    },
    pagination::{connection_cost, page},
    people::{Organization, User},
};
use crate::{
    access::{self, Action, Owner},
    accounts::{self, AccountFilter},
};

/// A disconnect: why, since when, and what fixes it.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Disconnect {
    /// The reason.
    pub reason: DisconnectReason,
    /// When it started.
    pub since: DateTime<Utc>,
    /// The concrete step that fixes it.
    pub fix: String,
    #[graphql(skip)]
    pub account_id: i64,
}

#[async_graphql::ComplexObject]
impl Disconnect {
    /// R13: posts of the account waiting for the reconnect (they go out after it, in order).
    async fn held_post_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(gql(load(ctx, HeldPostsKey(self.account_id)).await)?.unwrap_or(0))
    }
}

/// B5: a window in which the account's analytics were not collected, so reports can mark it.
#[derive(SimpleObject, Clone, Debug)]
pub struct AnalyticsGap {
    /// Since when (the disconnect).
    pub from: DateTime<Utc>,
    /// Until when (the reconnect); null while it lasts.
    pub to: Option<DateTime<Utc>>,
}

/// One thing the dashboard manages at a network: a profile, page, group, channel…
#[derive(Clone, Debug)]
pub struct SocialAccount(pub social_accounts::Model);

async fn login_of(ctx: &Context<'_>, login_id: i64) -> ApiResult<social_logins::Model> {
    load(ctx, LoginKey(login_id))
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("account without login {login_id}")))
}

#[Object]
impl SocialAccount {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::SocialAccount, self.0.id)
    }

    /// The network.
    async fn network(&self) -> Network {
        self.0.network.into()
    }

    /// Profile, page, group…
    async fn kind(&self) -> AccountKind {
        self.0.kind.into()
    }

    /// Name at the network.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The network's id for it.
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// Picture.
    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }

    /// Connection health.
    async fn health(&self) -> ConnectionHealth {
        self.0.health.into()
    }

    /// R16: the flag of the admin list: RED (disconnected, the red exclamation), YELLOW
    /// (expiring or limited), NONE.
    async fn flag(&self) -> AccountFlag {
        AccountFlag::of(self.0.health)
    }

    /// The disconnect, while disconnected: reason, since when, and the fix (B7).
    async fn disconnect(&self) -> Option<Disconnect> {
        let reason = self.0.disconnect_reason?;
        (self.0.health == entity::enums::Health::Disconnected).then(|| Disconnect {
            reason: reason.into(),
            since: self.0.disconnected_at.unwrap_or(self.0.created_at),
            fix: accounts::fix_for(reason, self.0.network, self.0.kind),
            account_id: self.0.id,
        })
    }

    /// B5: the windows without analytics, one per disconnect, oldest first: the 20 most recent.
    #[graphql(complexity = "GAPS_LIMIT * child_complexity")]
    async fn analytics_gaps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AnalyticsGap>> {
        let gaps = gql(load(ctx, AnalyticsGapsKey(self.0.id)).await)?.unwrap_or_default();
        let skip = gaps.len().saturating_sub(GAPS_LIMIT);
        Ok(gaps
            .into_iter()
            .skip(skip)
            .map(|gap| AnalyticsGap {
                from: gap.from,
                to: gap.to,
            })
            .collect())
    }

    /// Why the account is limited, while it is.
    async fn limited_reason(&self) -> Option<LimitedReason> {
        self.0.limited_reason.map(Into::into)
    }

    /// R18: while limited, what still works, what is missing and what lifts the limit.
    async fn limitation(&self) -> Option<Limitation> {
        Limitation::of(&self.0)
    }

    /// True for a personal account (owned by one user, R17).
    async fn is_personal(&self) -> bool {
        self.0.owner_user_id.is_some()
    }

    /// The owning organization; null for a personal account.
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organization>> {
        let Some(org) = self.0.owner_organization_id else {
            return Ok(None);
        };
        Ok(gql(load(ctx, OrganizationKey(org)).await)?.map(Organization::from))
    }

    /// When the login's access token expires, if it does.
    async fn token_expires_at(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        Ok(gql(login_of(ctx, self.0.social_login_id).await)?.token_expires_at)
    }

    /// R3 and R8: whether the viewer may start the reconnect that restores this account — they
    /// may reconnect it, or any other account of the same login (the cascade covers this one).
    pub async fn viewer_can_reconnect(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let owner = Owner::from_columns(self.0.owner_organization_id, self.0.owner_user_id);
            if owner.is_some_and(|owner| {
                access::may(&viewer.subject, self.0.id, owner, Action::Reconnect)
            }) {
                return Ok(true);
            }
            let siblings = load(ctx, LoginAccountsKey(self.0.social_login_id))
                .await?
                .unwrap_or_default();
            Ok(access::may_reconnect_login(&viewer.subject, siblings))
        }
        .await)
    }

    /// R4: who last connected or reconnected it, so those who may not reconnect know whom to ask.
    async fn last_reconnected_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        gql(async {
            let login = login_of(ctx, self.0.social_login_id).await?;
            let Some(user_id) = login.last_reconnected_by.or(login.connected_by) else {
                return Ok(None);
            };
            Ok(load(ctx, UserKey(user_id)).await?.map(User::from))
        }
        .await)
    }

    /// R4: when it was last connected or reconnected.
    async fn last_reconnected_at(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        let login = gql(login_of(ctx, self.0.social_login_id).await)?;
        Ok(login.last_reconnected_at.or(Some(login.connected_at)))
    }

    /// The network identity it is reached through.
    async fn login(&self, ctx: &Context<'_>) -> async_graphql::Result<SocialLogin> {
        Ok(SocialLogin(gql(
            login_of(ctx, self.0.social_login_id).await
        )?))
    }
}

/// One identity at a network that authorized Relink. Its tokens are never exposed.
#[derive(Clone, Debug)]
pub struct SocialLogin(pub social_logins::Model);

#[Object]
impl SocialLogin {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::SocialLogin, self.0.id)
    }

    /// The network.
    async fn network(&self) -> Network {
        self.0.network.into()
    }

    /// The identity's id at the network.
    async fn external_id(&self) -> &str {
        &self.0.external_user_id
    }

    /// The identity's name at the network.
    async fn name(&self) -> &str {
        &self.0.display_name
    }

    /// Whether the login works.
    async fn connected(&self) -> bool {
        self.0.status == entity::enums::LoginStatus::Connected
    }

    /// When it was first connected.
    async fn connected_at(&self) -> DateTime<Utc> {
        self.0.connected_at
    }
}

/// The most analytics gaps one account lists.
pub const GAPS_LIMIT: usize = 20;

/// Roots of this domain.
#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The social accounts the viewer may see, by id.
    #[graphql(
        guard = "Authenticated",
        complexity = "connection_cost(first, child_complexity)"
    )]
    async fn social_accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SocialAccountFilter>,
    ) -> async_graphql::Result<SocialAccountConnection> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let (limit, after) = page(first, after)?;
            let filter = filter
                .map(SocialAccountFilter::into_domain)
                .transpose()?
                .unwrap_or_default();
            let rows = accounts::repo::list_visible(
                database(ctx)?,
                &viewer.subject,
                &filter,
                after,
                Some(limit + 1),
            )
            .await?;
            prefetch_logins_and_reconnectors(ctx, &rows).await?;
            Ok(SocialAccountConnection::from_rows(rows, limit))
        }
        .await)
    }

    /// One social account; an id the viewer may not see reads exactly like an unknown one.
    #[graphql(guard = "MayView(&id)")]
    async fn social_account(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<SocialAccount>> {
        gql(account_for_viewer(ctx, &id).await).map(Some)
    }
}

/// When a list asks for its accounts' logins or last reconnectors, reads them for the whole
/// page at once (two statements) and hands them to the request's loader, so each of the
/// hundred nodes finds its value at once instead of queueing for a batch.
async fn prefetch_logins_and_reconnectors(
    ctx: &Context<'_>,
    rows: &[social_accounts::Model],
) -> ApiResult<()> {
    use crate::graphql::loaders::RequestLoader;
    let nodes = ctx.look_ahead().field("nodes");
    let edges = ctx.look_ahead().field("edges").field("node");
    let wants = |field: &str| nodes.field(field).exists() || edges.field(field).exists();
    let (logins_wanted, reconnectors_wanted) = (
        wants("login") || wants("tokenExpiresAt") || wants("lastReconnectedAt"),
        wants("lastReconnectedBy"),
    );
    let Ok(loader) = ctx.data::<RequestLoader>() else {
        return Ok(());
    };
    if rows.is_empty() || !(logins_wanted || reconnectors_wanted) {
        return Ok(());
    }
    let db = database(ctx)?;
    let mut login_ids: Vec<i64> = rows.iter().map(|account| account.social_login_id).collect();
    login_ids.sort_unstable();
    login_ids.dedup();
    let logins = accounts::repo::logins_by_ids(db, &login_ids).await?;
    if reconnectors_wanted {
        let mut user_ids: Vec<i64> = logins
            .values()
            .filter_map(|login| login.last_reconnected_by.or(login.connected_by))
            .collect();
        user_ids.sort_unstable();
        user_ids.dedup();
        let users = crate::people::repo::users_by_ids(db, &user_ids).await?;
        loader
            .feed_many(users.into_iter().map(|(id, user)| (UserKey(id), user)))
            .await;
    }
    loader
        .feed_many(logins.into_iter().map(|(id, login)| (LoginKey(id), login)))
        .await;
    Ok(())
}

/// The account with global id `id`, if the viewer may see it.
pub async fn account_for_viewer(ctx: &Context<'_>, id: &str) -> ApiResult<SocialAccount> {
    let viewer = viewer(ctx).await?;
    let id = ids::decode_as(Kind::SocialAccount, id).ok_or(ApiError::NotFound)?;
    accounts::repo::find_visible(database(ctx)?, &viewer.subject, id)
        .await?
        .map(SocialAccount)
        .ok_or(ApiError::NotFound)
}

/// The login with global id `id`, if the viewer may see one of its accounts.
pub async fn login_for_viewer(ctx: &Context<'_>, id: &str) -> ApiResult<SocialLogin> {
    let viewer = viewer(ctx).await?;
    let id = ids::decode_as(Kind::SocialLogin, id).ok_or(ApiError::NotFound)?;
    let db = database(ctx)?;
    let filter = AccountFilter::default();
    let visible = accounts::repo::any_visible_of_login(db, &viewer.subject, &filter, id).await?;
    if !visible {
        return Err(ApiError::NotFound);
    }
    accounts::repo::logins_by_ids(db, &[id])
        .await?
        .remove(&id)
        .map(SocialLogin)
        .ok_or(ApiError::NotFound)
}

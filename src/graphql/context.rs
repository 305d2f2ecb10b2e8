//! Per-request context: who is asking (loaded once, lazily) and the application context
//! resolvers call the use cases with.

use std::sync::Arc;

use async_graphql::Context;
use chrono::{DateTime, Duration, Utc};
use entity::users;
use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;

use super::errors::{ApiError, ApiResult};
use crate::{
    access::Subject, accounts, app::App, auth::Claims, clock::SharedClock,
    notices::cache::CachedViewer, people,
};

/// The caller of one request (or of one subscription socket): the verified token's claims, or
/// nobody.
#[derive(Debug)]
pub struct RequestAuth {
    claims: Option<Claims>,
    viewer: Mutex<Option<(Arc<Viewer>, DateTime<Utc>)>>,
    client: Option<std::net::IpAddr>,
}

/// How old the viewer's roles and grants may be. An HTTP request is over long before; a socket
/// lives for hours, and what its pushed values say (`viewerCanReconnect`…) must follow a changed
/// grant within moments.
const VIEWER_MAX_AGE: Duration = Duration::seconds(5);

impl RequestAuth {
    /// A request with a verified token.
    pub fn signed_in(claims: Claims) -> Self {
        Self {
            claims: Some(claims),
            viewer: Mutex::new(None),
            client: None,
        }
    }

    /// A request without a token.
    pub fn anonymous() -> Self {
        Self {
            claims: None,
            viewer: Mutex::new(None),
            client: None,
        }
    }

    /// The same caller, coming from `client` (its IP, behind trusted proxies resolved).
    pub fn from_client(mut self, client: std::net::IpAddr) -> Self {
        self.client = Some(client);
        self
    }

    /// Whose rate-limit bucket this request draws on: the signed-in user's, else its client
    /// IP's; `None` when neither is known (in-process calls).
    pub fn rate_key(&self) -> Option<String> {
        match (&self.claims, self.client) {
            (Some(claims), _) => Some(format!("user:{}", claims.sub)),
            (None, Some(ip)) => Some(format!("ip:{ip}")),
            (None, None) => None,
        }
    }

    /// Hands this request the viewer a cache already holds (the status cache), loaded at `at`.
    pub async fn prime(&self, viewer: Arc<Viewer>, at: DateTime<Utc>) {
        *self.viewer.lock().await = Some((viewer, at));
    }

    /// The verified token's claims, if any.
    pub fn claims(&self) -> Option<&Claims> {
        self.claims.as_ref()
    }

    /// The token's subject (the user at the identity provider).
    pub fn subject(&self) -> Option<&str> {
        self.claims.as_ref().map(|claims| claims.sub.as_str())
    }

    /// R9: when the request's sign-in happened (see [`Claims::signed_in_at`]).
    pub fn signed_in_at(&self) -> Option<DateTime<Utc>> {
        self.claims.as_ref().and_then(Claims::signed_in_at)
    }

    /// When the request's token expires.
    pub fn expires_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.claims.as_ref().map(Claims::expires_at)
    }
}

/// The signed-in user and what the permission rules know about them.
#[derive(Debug)]
pub struct Viewer {
    /// The user row.
    pub user: users::Model,
    /// Roles and levels, loaded once per request.
    pub subject: Subject,
}

/// Whether the event relay has handed every committed event to the status cache, so what it
/// keeps is exact. With one process on an embedded SQLite, this process made every commit and
/// knows; replicas on PostgreSQL ask the outbox for its newest id (its primary key's index).
pub async fn cache_settled(ctx: &Context<'_>) -> ApiResult<bool> {
    let app = app(ctx)?;
    if crate::db::is_postgres(&app.db) {
        Ok(crate::events::repo::newest_id(&app.db).await? <= app.bus.published())
    } else {
        Ok(app.bus.caught_up_locally())
    }
}

/// The signed-in viewer: loaded on first use in a request (and again once five seconds old, for
/// a socket), from the status cache when it holds them and is settled, else from the database
/// (two lookups: the user, then roles and grants), kept there for the next request.
pub async fn viewer(ctx: &Context<'_>) -> ApiResult<Arc<Viewer>> {
    viewer_when(ctx, None).await
}

/// [`viewer`], for a caller that already asked [`cache_settled`] (`settled`), so it is not asked
/// twice.
pub async fn viewer_when(ctx: &Context<'_>, settled: Option<bool>) -> ApiResult<Arc<Viewer>> {
    let auth = ctx
        .data::<RequestAuth>()
        .map_err(|_| ApiError::Unauthenticated("no auth context"))?;
    let Some(claims) = &auth.claims else {
        return Err(ApiError::Unauthenticated("no token"));
    };
    let now = clock(ctx)?.now();
    let mut cached = auth.viewer.lock().await;
    if let Some((viewer, loaded_at)) = cached.as_ref()
        && now - *loaded_at < VIEWER_MAX_AGE
    {
        return Ok(viewer.clone());
    }
    let app = app(ctx)?;
    let settled = match settled {
        Some(settled) => settled,
        None => cache_settled(ctx).await?,
    };
    if settled && let Some(kept) = app.status_cache.viewer(&claims.sub) {
        let viewer = Arc::new(Viewer {
            user: kept.user.clone(),
            subject: kept.subject.clone(),
        });
        *cached = Some((viewer.clone(), now));
        return Ok(viewer);
    }
    let generation = app.status_cache.generation();
    let db = database(ctx)?;
    let user = people::repo::user_by_subject(db, &claims.sub)
        .await?
        .ok_or(ApiError::Unauthenticated(
            "the token names no user of this database",
        ))?;
    let subject = accounts::repo::load_subject(db, user.id).await?;
    if settled {
        let kept = CachedViewer::new(user.clone(), subject.clone());
        app.status_cache
            .put_viewer(&claims.sub, Arc::new(kept), generation);
    }
    let viewer = Arc::new(Viewer { user, subject });
    *cached = Some((viewer.clone(), now));
    Ok(viewer)
}

/// R9: when the caller's sign-in happened, if its token says.
pub fn signed_in_at(ctx: &Context<'_>) -> Option<DateTime<Utc>> {
    ctx.data_opt::<RequestAuth>()
        .and_then(RequestAuth::signed_in_at)
}

/// The application context the schema was built with; missing, it is our bug (INTERNAL).
pub fn app<'a>(ctx: &Context<'a>) -> ApiResult<&'a App> {
    ctx.data::<App>().map_err(|_| {
        ApiError::Internal(anyhow::anyhow!("no application context in the schema data"))
    })
}

/// The database pool.
pub fn database<'a>(ctx: &Context<'a>) -> ApiResult<&'a DatabaseConnection> {
    Ok(&app(ctx)?.db)
}

/// The clock.
pub fn clock<'a>(ctx: &Context<'a>) -> ApiResult<&'a SharedClock> {
    Ok(&app(ctx)?.clock)
}

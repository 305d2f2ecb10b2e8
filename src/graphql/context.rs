//! Per-request context: who is asking (loaded once, lazily) and the services resolvers use.

use std::sync::Arc;

use async_graphql::Context;
use entity::users;
use sea_orm::DatabaseConnection;
use tokio::sync::OnceCell;

use super::errors::{ApiError, ApiResult};
use crate::{access::Subject, accounts, auth::Claims, clock::SharedClock, people};

/// The caller of one request: the verified token's claims, or nobody.
#[derive(Debug)]
pub struct RequestAuth {
    claims: Option<Claims>,
    viewer: OnceCell<Option<Arc<Viewer>>>,
}

impl RequestAuth {
    /// A request with a verified token.
    pub fn signed_in(claims: Claims) -> Self {
        Self {
            claims: Some(claims),
            viewer: OnceCell::new(),
        }
    }

    /// A request without a token.
    pub fn anonymous() -> Self {
        Self {
            claims: None,
            viewer: OnceCell::new(),
        }
    }

    /// The token's subject (the user at the identity provider).
    pub fn subject(&self) -> Option<&str> {
        self.claims.as_ref().map(|claims| claims.sub.as_str())
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

/// The signed-in viewer, loaded on first use (two lookups: the user, then roles and grants).
pub async fn viewer(ctx: &Context<'_>) -> ApiResult<Arc<Viewer>> {
    let auth = ctx
        .data::<RequestAuth>()
        .map_err(|_| ApiError::Unauthenticated("no auth context"))?;
    let Some(claims) = &auth.claims else {
        return Err(ApiError::Unauthenticated("no token"));
    };
    let db = database(ctx)?;
    let loaded = auth
        .viewer
        .get_or_try_init(|| async {
            let Some(user) = people::repo::user_by_subject(db, &claims.sub).await? else {
                return Ok::<_, ApiError>(None);
            };
            let subject = accounts::repo::load_subject(db, user.id).await?;
            Ok(Some(Arc::new(Viewer { user, subject })))
        })
        .await?;
    loaded.clone().ok_or(ApiError::Unauthenticated(
        "the token names no user of this database",
    ))
}

/// A service the schema was built with; missing, it is our bug (INTERNAL), named in the log.
pub fn service<'a, T: std::any::Any + Send + Sync>(ctx: &Context<'a>) -> ApiResult<&'a T> {
    ctx.data::<T>().map_err(|_| {
        ApiError::Internal(anyhow::anyhow!(
            "no {} in the schema data",
            std::any::type_name::<T>()
        ))
    })
}

/// The database pool.
pub fn database<'a>(ctx: &Context<'a>) -> ApiResult<&'a DatabaseConnection> {
    service(ctx)
}

/// The clock.
pub fn clock<'a>(ctx: &Context<'a>) -> ApiResult<&'a SharedClock> {
    service(ctx)
}

/// Tells the event relay that this request committed events.
pub fn events_committed(ctx: &Context<'_>) {
    if let Ok(bus) = ctx.data::<crate::events::EventBus>() {
        bus.wake();
    }
}

//! Guards: deny by default. Every root field carries one, or sits on [`PUBLIC_ROOT_FIELDS`].

use async_graphql::{Context, Guard};

use super::context::viewer;

/// Root fields anyone may call without signing in. Introspection (`__schema`, `__type`,
/// `__typename`) is governed by the `--no-introspection` flag instead.
pub const PUBLIC_ROOT_FIELDS: &[&str] = &[];

/// The caller must be a signed-in user of this database.
pub struct Authenticated;

impl Guard for Authenticated {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        viewer(ctx).await.map(|_| ()).map_err(Into::into)
    }
}

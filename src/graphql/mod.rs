//! The GraphQL schema: roots, views, guards and limits. Thin: check, call the domain, map errors.

pub mod accounts;
pub mod admin;
pub mod admin_view;
pub mod automations;
pub mod connect;
pub mod context;
pub mod document_size;
pub mod errors;
pub mod guards;
pub mod ids;
pub mod limits;
pub mod live;
pub mod loaders;
pub mod node;
pub mod notices;
pub mod pagination;
pub mod people;
pub mod posts;
pub mod reconnect;
pub mod request;
pub mod streams;
pub mod user_errors;

use async_graphql::{MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use std::sync::Arc;

use crate::{clock::SharedClock, crypto::TokenCipher, events::EventBus, networks::Networks};

/// The query root, merged from one object per domain.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    people::PeopleQuery,
    accounts::AccountsQuery,
    notices::NoticesQuery,
    posts::PostsQuery,
    streams::StreamsQuery,
    admin_view::AuditQuery,
);

/// The mutation root.
#[derive(MergedObject, Default)]
pub struct Mutation(
    notices::NoticesMutation,
    reconnect::ReconnectMutation,
    connect::ConnectMutation,
    admin::AdminMutation,
    request::RequestMutation,
    posts::PostsMutation,
);

/// The schema type.
pub type RelinkSchema = Schema<Query, Mutation, live::Subscription>;

/// Limits applied to every request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest accepted query.
    pub max_depth: usize,
    /// Highest accepted cost.
    pub max_complexity: usize,
    /// Refuse introspection and field suggestions.
    pub no_introspection: bool,
}

/// The one schema builder: the server, the tests and `relink schema` all start here.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, live::Subscription> {
    Schema::build(Query::default(), Mutation::default(), live::Subscription)
}

/// What resolvers reach through the schema data.
pub struct Services {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The clock.
    pub clock: SharedClock,
    /// Seals tokens and verifiers at rest.
    pub cipher: Arc<TokenCipher>,
    /// The network adapters.
    pub networks: Networks,
    /// The event bus.
    pub bus: EventBus,
    /// Where emails go.
    pub mailer: crate::mail::Mailer,
    /// Where browsers reach this server (links in emails).
    pub public_url: Arc<str>,
    /// Held work settings (B4).
    pub posts: crate::posts::Settings,
    /// The per-user rate limit by query cost.
    pub rate_limiter: Arc<crate::ratelimit::RateLimiter>,
    /// How long events are kept to resume from.
    pub event_retention: live::EventRetention,
}

/// The schema the server runs, with its services and limits.
pub fn build_schema(services: Services, limits: Limits) -> RelinkSchema {
    let mut builder = schema_builder()
        .data(services.db)
        .data(services.clock)
        .data(services.cipher)
        .data(services.networks)
        .data(services.bus)
        .data(services.mailer)
        .data(services.public_url)
        .data(services.posts)
        .data(services.rate_limiter)
        .data(services.event_retention)
        .extension(limits::ErrorCodes)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(32)
        .limit_directives(8);
    if limits.no_introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL, exactly as checked in as `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

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
pub mod incidents;
pub mod limits;
pub mod links;
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

use crate::app::App;

/// The query root, merged from one object per domain.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    people::PeopleQuery,
    accounts::AccountsQuery,
    notices::NoticesQuery,
    posts::PostsQuery,
    posts::ComposerQuery,
    streams::StreamsQuery,
    admin_view::AuditQuery,
    incidents::IncidentsQuery,
    automations::AutomationsQuery,
    links::LinksQuery,
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
    links::LinksMutation,
);

/// The schema type.
pub type RelinkSchema = Schema<Query, Mutation, live::Subscription>;

/// The one schema builder: the server, the tests and `relink schema` all start here.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, live::Subscription> {
    Schema::build(Query::default(), Mutation::default(), live::Subscription)
}

/// The schema the server runs: the context as its one piece of data, and the configured limits
/// on depth, cost and introspection.
pub fn build_schema(app: App) -> RelinkSchema {
    let config = app.config.clone();
    let mut builder = schema_builder()
        .data(app)
        .extension(limits::ErrorCodes)
        .limit_depth(config.max_depth)
        .limit_complexity(config.max_complexity)
        .limit_recursive_depth(32)
        .limit_directives(8);
    if config.no_introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL, exactly as checked in as `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

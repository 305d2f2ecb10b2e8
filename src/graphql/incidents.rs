//! Network incidents in the API: the open ones as a query and a subscription, and what the
//! reconnect banner says while a network the viewer uses is in trouble.

use std::collections::HashSet;

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt as _, stream};
use tokio::sync::broadcast::error::RecvError;

use super::{
    accounts::Network,
    context::{app, database, viewer},
    errors::{ApiResult, gql},
    guards::Authenticated,
};
use crate::{
    access::Subject,
    accounts::{self, AccountFilter},
    incidents,
};

/// A network having problems: many of its logins fail at once, so Relink disconnects nobody and
/// emails nobody for it, holds what cannot go out, and keeps trying until calls work again.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct NetworkIncident {
    /// The network.
    pub network: Network,
    /// Since when.
    pub since: DateTime<Utc>,
    /// What to tell people.
    pub message: String,
}

/// The open incidents, oldest first.
pub async fn open(db: &sea_orm::DatabaseConnection) -> ApiResult<Vec<NetworkIncident>> {
    Ok(incidents::repo::open_incidents(db)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(NetworkIncident {
                network: entity::enums::Network::from_slug(&row.network)?.into(),
                since: row.opened_at,
                message: row.message,
            })
        })
        .collect())
}

/// The open incidents of networks the viewer has accounts on (one statement when there are none,
/// which is nearly always).
pub async fn open_for(
    db: &sea_orm::DatabaseConnection,
    subject: &Subject,
) -> ApiResult<Vec<NetworkIncident>> {
    let open = open(db).await?;
    if open.is_empty() {
        return Ok(open);
    }
    let filter = AccountFilter {
        network: Some(
            open.iter()
                .map(|incident| incident.network.into())
                .collect(),
        ),
        ..AccountFilter::default()
    };
    let used: HashSet<entity::enums::Network> =
        accounts::repo::list_visible_with_logins(db, subject, &filter)
            .await?
            .into_iter()
            .map(|(account, _)| account.network)
            .collect();
    Ok(open
        .into_iter()
        .filter(|incident| used.contains(&incident.network.into()))
        .collect())
}

/// Roots of this domain.
#[derive(Default)]
pub struct IncidentsQuery;

#[Object]
impl IncidentsQuery {
    /// Networks having problems now (open incidents), oldest first. While a network has one,
    /// nothing of it is disconnected or emailed about; posts wait and go out after.
    #[graphql(guard = "Authenticated")]
    async fn network_incidents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<NetworkIncident>> {
        gql(async { open(database(ctx)?).await }.await)
    }
}

/// The open incidents now, then again whenever one opens or closes on any replica (the
/// `networkIncidents` subscription).
pub async fn watch(
    ctx: &Context<'_>,
) -> async_graphql::Result<impl Stream<Item = Vec<NetworkIncident>> + use<>> {
    gql(viewer(ctx).await)?;
    let db = gql(database(ctx))?.clone();
    let receiver = gql(app(ctx))?.bus.subscribe();
    let changes = stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(published) if incidents::is_incident_event(&published.event.kind) => {
                    return Some(((), receiver));
                }
                Ok(_) => {}
                // Fell behind: read the table again, it is the truth.
                Err(RecvError::Lagged(_)) => return Some(((), receiver)),
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(stream::once(async {}).chain(changes).filter_map(move |()| {
        let db = db.clone();
        async move { open(&db).await.ok() }
    }))
}

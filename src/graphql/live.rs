//! Subscriptions (B3): the viewer's reconnect status, live, and the stream of account events, each
//! checked against the viewer's permissions again for every event.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use entity::events;
use futures_util::{Stream, StreamExt as _, stream};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;

use super::{
    accounts::{DisconnectReason, SocialAccount},
    context::{clock, database, viewer},
    errors::{ApiError, gql},
    guards::Authenticated,
    ids::{self, Kind},
    notices::ReconnectStatus,
};
use crate::{
    accounts,
    clock::SharedClock,
    events::{EventBus, repo},
    notices,
};

/// What happened to an account.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SocialAccountEventKind {
    /// Added by a connect.
    Connected,
    /// Stopped working.
    Disconnected,
    /// Working again.
    Reconnected,
    /// Working with reduced function (R18).
    Limited,
    /// Its token cannot be refreshed and runs out soon (B1): reconnect before it does.
    Expiring,
}

impl SocialAccountEventKind {
    fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "CONNECTED" => Self::Connected,
            "DISCONNECTED" => Self::Disconnected,
            "RECONNECTED" => Self::Reconnected,
            "LIMITED" => Self::Limited,
            "EXPIRING" => Self::Expiring,
            _ => return None,
        })
    }
}

/// One change of an account, as a subscriber sees it.
pub struct SocialAccountEvent {
    event: Arc<events::Model>,
    kind: SocialAccountEventKind,
    account: entity::social_accounts::Model,
}

#[Object]
impl SocialAccountEvent {
    /// The event's id: pass it as `after` to resume from here after a reconnect of the socket.
    async fn id(&self) -> ID {
        ID(self.event.id.to_string())
    }

    /// What happened.
    async fn kind(&self) -> SocialAccountEventKind {
        self.kind
    }

    /// When.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.created_at
    }

    /// The disconnect reason, for a disconnect (B7).
    async fn reason(&self) -> Option<DisconnectReason> {
        self.event
            .payload
            .get("reason")
            .and_then(|reason| {
                serde_json::from_value::<entity::enums::DisconnectReason>(reason.clone()).ok()
            })
            .map(Into::into)
    }

    /// The account as it is now.
    async fn social_account(&self) -> SocialAccount {
        SocialAccount(self.account.clone())
    }
}

/// The events after `after` that `user_id` may see now (permissions re-read for each event).
async fn visible(
    db: &DatabaseConnection,
    user_id: i64,
    organization: Option<i64>,
    event: Arc<events::Model>,
) -> Option<SocialAccountEvent> {
    let kind = SocialAccountEventKind::parse(&event.kind)?;
    if organization.is_some() && event.organization_id != organization {
        return None;
    }
    let account_id = event.social_account_id?;
    let subject = accounts::repo::load_subject(db, user_id).await.ok()?;
    let account = accounts::repo::find_visible(db, &subject, account_id)
        .await
        .ok()??;
    Some(SocialAccountEvent {
        event,
        kind,
        account,
    })
}

/// Every event after `after`: first those stored (resume), then those the relay publishes, each
/// once, in id order. A subscriber that falls behind re-reads from the table: nothing is lost.
fn event_stream(
    bus: EventBus,
    db: DatabaseConnection,
    after: i64,
) -> impl Stream<Item = Arc<events::Model>> {
    let receiver = bus.subscribe();
    stream::unfold(
        (receiver, db, after, Vec::<events::Model>::new()),
        |(mut receiver, db, mut last, mut backlog)| async move {
            loop {
                if let Some(event) = backlog.pop() {
                    last = event.id;
                    return Some((Arc::new(event), (receiver, db, last, backlog)));
                }
                // Stored events not seen yet come first (resume, or after lagging behind).
                match repo::events_after(&db, last, 200).await {
                    Ok(rows) if !rows.is_empty() => {
                        backlog = rows.into_iter().rev().collect();
                        continue;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "subscription could not read the outbox");
                        return None;
                    }
                }
                match receiver.recv().await {
                    Ok(event) if event.id > last => {
                        last = event.id;
                        return Some((event, (receiver, db, last, backlog)));
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    )
}

/// The subscription root.
#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Account events the viewer may see (optionally of one organization), from `after` (an
    /// event id) or from now.
    #[graphql(guard = "Authenticated")]
    async fn social_account_events(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        after: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = SocialAccountEvent>> {
        let viewer = gql(viewer(ctx).await)?;
        let organization = match organization_id {
            Some(id) => {
                let id = ids::decode_as(Kind::Organization, &id).ok_or(ApiError::NotFound);
                let id = gql(id)?;
                if viewer.subject.role_in(id).is_none() {
                    return Err(ApiError::NotFound.into());
                }
                Some(id)
            }
            None => None,
        };
        let db = gql(database(ctx))?.clone();
        let bus = ctx
            .data::<EventBus>()
            .map_err(|_| async_graphql::Error::from(ApiError::Internal(anyhow::anyhow!("no bus"))))?
            .clone();
        let start = match after {
            Some(id) => id.parse::<i64>().map_err(|_| {
                async_graphql::Error::from(ApiError::BadUserInput(
                    "`after` is not an event id".to_owned(),
                ))
            })?,
            None => bus
                .published()
                .max(repo::newest_id(&db).await.unwrap_or_default()),
        };
        let user_id = viewer.user.id;
        let reader = db.clone();
        Ok(event_stream(bus, db, start).filter_map(move |event| {
            let reader = reader.clone();
            async move { visible(&reader, user_id, organization, event).await }
        }))
    }

    /// The viewer's banner, badge and restore list: the current value first, then a new value
    /// after every event that changes what the viewer sees.
    #[graphql(guard = "Authenticated")]
    async fn reconnect_status(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = ReconnectStatus>> {
        let viewer = gql(viewer(ctx).await)?;
        let db = gql(database(ctx))?.clone();
        let clock: SharedClock = gql(clock(ctx))?.clone();
        let bus = ctx
            .data::<EventBus>()
            .map_err(|_| async_graphql::Error::from(ApiError::Internal(anyhow::anyhow!("no bus"))))?
            .clone();
        let user_id = viewer.user.id;
        let start = bus
            .published()
            .max(repo::newest_id(&db).await.unwrap_or_default());
        let changes = event_stream(bus, db.clone(), start).map(|_| ());
        let ticks = stream::once(async {}).chain(changes);
        Ok(ticks.filter_map(move |()| {
            let (db, clock) = (db.clone(), clock.clone());
            async move {
                let subject = accounts::repo::load_subject(&db, user_id).await.ok()?;
                let status = notices::status(&db, &subject, user_id, clock.now())
                    .await
                    .ok()?;
                Some(ReconnectStatus::new(status))
            }
        }))
    }
}

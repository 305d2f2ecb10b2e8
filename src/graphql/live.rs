//! Subscriptions (B3): the viewer's reconnect status, live, and the stream of account events, each
//! checked against the viewer's permissions again for every event.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt as _, stream};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;

use super::{
    accounts::{DisconnectReason, SocialAccount},
    context::{app, clock, database, viewer},
    errors::{ApiError, gql},
    guards::{Authenticated, OrgMember},
    ids::{self, Kind},
    notices::ReconnectStatus,
};
use crate::{
    accounts,
    clock::SharedClock,
    events::{EventBus, Published},
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
    /// Someone who may not reconnect it asked those who may.
    ReconnectRequested,
    /// One of its posts went out (`postId`): planners update without a reload.
    PostPublished,
    /// R19/B6: a reconnect flagged automation rules of it (`rulesFlagged`): see
    /// `automationRules(flagged: true)`.
    RulesFlagged,
}

impl SocialAccountEventKind {
    fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "CONNECTED" => Self::Connected,
            "DISCONNECTED" => Self::Disconnected,
            "RECONNECTED" => Self::Reconnected,
            "LIMITED" => Self::Limited,
            "EXPIRING" => Self::Expiring,
            "RECONNECT_REQUESTED" => Self::ReconnectRequested,
            "POST_PUBLISHED" => Self::PostPublished,
            "RULES_FLAGGED" => Self::RulesFlagged,
            _ => return None,
        })
    }
}

/// One change of an account, as a subscriber sees it.
pub struct SocialAccountEvent {
    published: Arc<Published>,
    kind: SocialAccountEventKind,
    account: entity::social_accounts::Model,
}

#[Object]
impl SocialAccountEvent {
    /// The event's id: pass it as `after` to resume from here after a reconnect of the socket.
    async fn id(&self) -> ID {
        ID(self.published.event.id.to_string())
    }

    /// What happened.
    async fn kind(&self) -> SocialAccountEventKind {
        self.kind
    }

    /// When.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.published.event.created_at
    }

    /// The disconnect reason, for a disconnect (B7).
    async fn reason(&self) -> Option<DisconnectReason> {
        self.published
            .event
            .payload
            .get("reason")
            .and_then(|reason| {
                serde_json::from_value::<entity::enums::DisconnectReason>(reason.clone()).ok()
            })
            .map(Into::into)
    }

    /// For `POST_PUBLISHED`: the post.
    async fn post_id(&self) -> Option<ID> {
        self.published
            .event
            .payload
            .get("postId")
            .and_then(serde_json::Value::as_i64)
            .map(|id| super::ids::encode(super::ids::Kind::ScheduledPost, id))
    }

    /// For `RULES_FLAGGED`: how many of its rules the reconnect flagged.
    async fn rules_flagged(&self) -> Option<i64> {
        self.published
            .event
            .payload
            .get("rulesFlagged")
            .and_then(serde_json::Value::as_i64)
    }

    /// The account as it was right after the change.
    async fn social_account(&self) -> SocialAccount {
        SocialAccount(self.account.clone())
    }
}

/// The event, if `user_id` may see its account now (the audience is resolved per event); for
/// any viewer when `any_audience` (each socket then checks the audience itself).
fn for_viewer(
    published: Arc<Published>,
    user_id: i64,
    organization: Option<i64>,
    any_audience: bool,
) -> Option<SocialAccountEvent> {
    let kind = SocialAccountEventKind::parse(&published.event.kind)?;
    if organization.is_some() && published.event.organization_id != organization {
        return None;
    }
    if !any_audience && !published.audience.contains(&user_id) {
        return None;
    }
    let account = published.account.clone()?;
    Some(SocialAccountEvent {
        published,
        kind,
        account,
    })
}

/// Set by `socialAccountEvents` as it hands on an event, when it runs for sockets that share it:
/// the event (with who may see it) and whether it is live, so each socket checks the audience
/// and measures the delivery as it writes the frame.
#[derive(Clone, Default)]
pub struct DeliveryStamp(Arc<std::sync::Mutex<Option<Stamped>>>);

/// An event as a shared subscription handed it on, and whether it was live.
pub type Stamped = (Arc<Published>, bool);

impl DeliveryStamp {
    fn set(&self, published: Arc<Published>, live: bool) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((published, live));
    }

    /// The event behind the value just produced, and whether it was live (not a resumed one).
    pub fn take(&self) -> Option<Stamped> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// In the session of a shared `socialAccountEvents` whose selection reads nothing that depends
/// on the viewer: every event of the organization goes out, each socket then lets through only
/// those its own viewer may see (the event's audience).
#[derive(Clone, Copy, Default)]
pub struct AnyAudience;

/// The newest event id when a socket's subscribe arrived (its request's data): a subscription
/// "from now" takes the events after it, so one that starts a moment later (after its checks, or
/// on joining a shared one) misses nothing that happened in between.
#[derive(Clone, Copy, Debug)]
pub struct EventsAfter(pub i64);

/// In the session of a check run before a socket joins a shared subscription: the field runs
/// its permission checks, notes whose they were, and returns no stream.
#[derive(Clone, Default)]
pub struct SubscriptionProbe(Arc<std::sync::Mutex<Option<i64>>>);

impl SubscriptionProbe {
    fn passed(&self, user_id: i64) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(user_id);
    }

    /// The viewer whose checks passed, if they did.
    pub fn viewer(&self) -> Option<i64> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether this run is a [`SubscriptionProbe`]: then `user_id`'s checks passed (noted), and the
/// field returns no stream.
fn probed(ctx: &Context<'_>, user_id: i64) -> bool {
    ctx.data_opt::<SubscriptionProbe>()
        .map(|probe| probe.passed(user_id))
        .is_some()
}

/// Whose events a subscriber catches up on from the table.
#[derive(Clone, Copy)]
struct Reader {
    user_id: i64,
    organization: Option<i64>,
    /// Every viewer's events, each with its audience (a shared subscription, see [`AnyAudience`]).
    any_audience: bool,
}

/// Every event after `after` that `reader` may see: first those stored (resume), then those the
/// relay publishes, each once, in id order. A subscriber that falls behind re-reads from the
/// table: nothing is lost. The table is read page by page, filtered in the database by what the
/// reader may see now, so a catch-up costs a few statements a page, never one per event.
fn event_stream(
    bus: EventBus,
    db: DatabaseConnection,
    after: i64,
    reader: Reader,
) -> impl Stream<Item = Arc<Published>> {
    let receiver = bus.subscribe();
    // The table is read only to catch up (at the start, to resume, and after falling behind the
    // broadcast); live events come from the relay without a query per subscriber.
    let catch_up = true;
    stream::unfold(
        (receiver, db, after, Vec::<Published>::new(), catch_up),
        move |(mut receiver, db, mut last, mut backlog, mut catch_up)| async move {
            loop {
                if let Some(published) = backlog.pop() {
                    last = published.event.id;
                    return Some((Arc::new(published), (receiver, db, last, backlog, catch_up)));
                }
                if catch_up {
                    let page = if reader.any_audience {
                        crate::events::catch_up_all(&db, reader.organization, last).await
                    } else {
                        crate::events::catch_up(&db, reader.user_id, reader.organization, last)
                            .await
                    };
                    match page {
                        Ok(page) if !page.is_empty() => {
                            backlog = page.into_iter().rev().collect();
                            continue;
                        }
                        Ok(_) => catch_up = false,
                        Err(error) => {
                            tracing::warn!(%error, "subscription could not read the outbox");
                            return None;
                        }
                    }
                }
                match receiver.recv().await {
                    Ok(published) if published.event.id > last => {
                        last = published.event.id;
                        return Some((published, (receiver, db, last, backlog, catch_up)));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => catch_up = true,
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    )
}

/// `after` names an event older than the retention window: reload, then subscribe from now.
fn cursor_expired() -> async_graphql::Error {
    use async_graphql::ErrorExtensions as _;
    async_graphql::Error::new(
        "That event is older than the events kept to resume from; reload the data and subscribe again without `after`.",
    )
    .extend_with(|_, ext| {
        ext.set("code", super::errors::code::CURSOR_EXPIRED);
    })
}

/// The subscription root.
#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Networks having problems: the open incidents now, then again whenever one opens or closes.
    #[graphql(guard = "Authenticated")]
    async fn network_incidents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Vec<super::incidents::NetworkIncident>>> {
        if probed(ctx, gql(viewer(ctx).await)?.user.id) {
            return Ok(stream::empty().left_stream());
        }
        Ok(super::incidents::watch(ctx).await?.right_stream())
    }

    /// Account events the viewer may see (optionally of one organization), from `after` (an
    /// event id) or from now.
    #[graphql(guard = "OrgMember(organization_id.as_ref())")]
    async fn social_account_events(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        after: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = SocialAccountEvent> + use<>> {
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
        let context = gql(app(ctx))?.clone();
        let bus = context.bus.clone();
        // Events after the newest when the subscribe arrived are delivered live, and their lag
        // is measured (a resumed history is not lag).
        let from_now = ctx.data_opt::<EventsAfter>().map(|from| from.0);
        let mut live_from = from_now.unwrap_or_else(|| bus.published());
        let start = match after {
            Some(id) => {
                let after = id.parse::<i64>().map_err(|_| {
                    async_graphql::Error::from(ApiError::BadUserInput(
                        "`after` is not an event id".to_owned(),
                    ))
                })?;
                let retention = gql(app(ctx))?.settings.event_retention;
                let now = gql(clock(ctx))?.now();
                if !crate::events::cursor_is_fresh(&db, after, now, retention)
                    .await
                    .map_err(|error| async_graphql::Error::from(ApiError::from(error)))?
                {
                    return Err(cursor_expired());
                }
                after
            }
            None => {
                if from_now.is_none() {
                    live_from = bus.newest(&db).await;
                }
                live_from
            }
        };
        let user_id = viewer.user.id;
        if probed(ctx, user_id) {
            return Ok(stream::empty().left_stream());
        }
        let any_audience = ctx.data_opt::<AnyAudience>().is_some();
        let reader = Reader {
            user_id,
            organization,
            any_audience,
        };
        let stamp = ctx.data_opt::<DeliveryStamp>().cloned();
        Ok(event_stream(bus, db, start, reader)
            .filter_map(move |published| {
                let (id, committed) = (published.event.id, published.event.created_at);
                let live = id > live_from;
                let event = for_viewer(published.clone(), user_id, organization, any_audience);
                match &stamp {
                    Some(stamp) if event.is_some() => stamp.set(published, live),
                    None if event.is_some() && live => {
                        let lag = (context.now() - committed).to_std().unwrap_or_default();
                        context.meters.event_delivered(lag.as_secs_f64());
                    }
                    _ => {}
                }
                std::future::ready(event)
            })
            .right_stream())
    }

    /// The viewer's banner, badge and restore list: the current value first, then a new value
    /// after every event that changes what the viewer sees.
    #[graphql(guard = "Authenticated")]
    async fn reconnect_status(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = ReconnectStatus>> {
        let viewer = gql(viewer(ctx).await)?;
        if probed(ctx, viewer.user.id) {
            return Ok(stream::empty().left_stream());
        }
        let db = gql(database(ctx))?.clone();
        let clock: SharedClock = gql(clock(ctx))?.clone();
        let bus = gql(app(ctx))?.bus.clone();
        let user_id = viewer.user.id;
        let signed_in_at = super::context::signed_in_at(ctx);
        let start = bus.newest(&db).await;
        // Only events about accounts this viewer may see change what the viewer sees.
        let reader = Reader {
            user_id,
            organization: None,
            any_audience: false,
        };
        let changes = event_stream(bus, db.clone(), start, reader)
            .filter(move |published| {
                std::future::ready(
                    published.audience.contains(&user_id)
                        || crate::incidents::is_incident_event(&published.event.kind),
                )
            })
            .map(|_| ());
        let ticks = stream::once(async {}).chain(changes);
        Ok(ticks
            .filter_map(move |()| {
                let (db, clock) = (db.clone(), clock.clone());
                async move {
                    let subject = accounts::repo::load_subject(&db, user_id).await.ok()?;
                    let status = notices::status(&db, &subject, user_id, signed_in_at, clock.now())
                        .await
                        .ok()?;
                    Some(ReconnectStatus::new(status))
                }
            })
            .right_stream())
    }
}

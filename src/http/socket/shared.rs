//! Subscriptions shared between sockets: the same subscription of the same sign-in, from now on,
//! runs once per process however many sockets ask for it (the dashboard's tabs, its banner and
//! badge on every page, a wall of screens), and each of its values is serialized once. Each socket
//! wraps the shared payload in its own frame (`{"type":"next","id":…,"payload":…}`).
//!
//! What may be shared is decided from the document: one subscription field at the root, of those
//! whose value depends only on the viewer and on events from now on (`socialAccountEvents` without
//! `after`, `reconnectStatus`, `networkIncidents`). A resume (`after`) replays a history of its
//! own, so it runs alone. Everything that makes the value differ between viewers is in the key:
//! the token's subject and sign-in (R9 dismissals are per sign-in), and the request itself.
//!
//! A socket that joins a running subscription gets the latest value first when the field starts
//! with the current value (`reconnectStatus`, `networkIncidents`), then every value after. A
//! socket that falls too far behind a stream of events is closed (1013): its client resumes with
//! `after` from the last event it saw, so nothing is lost; for current values only the newest
//! matters, and it goes on from there.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, PoisonError, Weak},
};

use async_graphql::{
    Data, Request,
    http::WebSocketProtocols,
    parser::types::{DocumentOperations, OperationType, Selection},
};
use futures_util::{Stream, StreamExt as _, stream, stream::BoxStream};
use tokio::sync::broadcast;

use crate::{
    auth::Claims,
    graphql::{
        RelinkSchema,
        context::RequestAuth,
        live::{AnyAudience, DeliveryStamp, EventsAfter, Stamped, SubscriptionProbe},
    },
};

/// Values a socket may fall behind a shared subscription before it is closed (events) or skips
/// to the newest (current values).
const CAPACITY: usize = 64;

/// One value of a shared subscription, serialized once.
pub struct Frame {
    /// The GraphQL response as JSON.
    pub payload: Box<str>,
    /// For an account event: the event with who may see it, and whether it is live (its
    /// delivery is measured).
    pub event: Option<Stamped>,
}

/// What a shared subscription hands one socket.
pub enum Item {
    /// The next value.
    Next(Arc<Frame>),
    /// The socket fell too far behind a stream of events: close it, the client resumes.
    Behind,
    /// The subscription ended (after an error, or the server's end of it).
    End,
}

/// How a subscription may be shared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Sharing {
    start: Start,
    scope: Scope,
}

/// Between whom a subscription is shared.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Scope {
    /// The sockets of one sign-in: the value may depend on the viewer.
    SignIn,
    /// Every socket, each letting through only the events its viewer may see: the selection
    /// reads nothing that depends on the viewer (see `viewer_independent`).
    Audience,
}

/// Why a request runs alone, in the GraphQL session, and not shared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Alone {
    /// A subscription that cannot be shared: it may take the events from now on.
    Subscription,
    /// A query or a mutation, or a request that does not parse or name its operation: it takes
    /// no events.
    NoEvents,
}

/// Whether a request, shared or run alone, may take the events from now on (and so needs the
/// newest event id when its subscribe arrived, see [`EventsAfter`]).
pub fn from_now(sharing: Result<Sharing, Alone>) -> bool {
    match sharing {
        Ok(sharing) => sharing.start == Start::Next,
        Err(alone) => alone == Alone::Subscription,
    }
}

/// How a socket joining a running subscription starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Start {
    /// From the next event.
    Next,
    /// With the latest value (the field starts with the current value).
    Latest,
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Key {
    scope: Scope,
    /// Empty for [`Scope::Audience`].
    subject: String,
    signed_in_at: Option<i64>,
    query: String,
    operation: Option<String>,
    variables: String,
}

/// The shared subscriptions of one process.
#[derive(Clone, Default)]
pub struct SharedSubscriptions(Arc<Mutex<HashMap<Key, Weak<Upstream>>>>);

/// One running shared subscription; it stops when its last socket lets go.
struct Upstream {
    key: Key,
    registry: Weak<Mutex<HashMap<Key, Weak<Upstream>>>>,
    state: Arc<Mutex<State>>,
    task: tokio::task::AbortHandle,
    _counted: crate::metrics::SharedSubscriptionGuard,
}

/// What the running task and the sockets joining share.
struct State {
    /// `None` once the subscription ended: joiners start a new one.
    sender: Option<broadcast::Sender<Arc<Frame>>>,
    /// The latest value, for joiners of a field that starts with the current value.
    latest: Option<Arc<Frame>>,
    /// The last events sent (at most [`CAPACITY`]), for joiners whose subscribe arrived before
    /// them.
    recent: VecDeque<Arc<Frame>>,
    /// Every event after this id is in `recent` or still to come.
    covered_after: i64,
}

impl State {
    /// Keeps an event's frame for joiners that asked before it was sent.
    fn remember(&mut self, frame: &Arc<Frame>) {
        if frame.event.is_none() {
            return;
        }
        self.recent.push_back(frame.clone());
        if self.recent.len() > CAPACITY
            && let Some(dropped) = self.recent.pop_front()
        {
            self.covered_after = event_id(&dropped).unwrap_or(self.covered_after);
        }
    }

    /// The events sent after `after`, if every one of them is still kept.
    fn sent_after(&self, after: i64) -> Option<Vec<Arc<Frame>>> {
        (after >= self.covered_after).then(|| {
            self.recent
                .iter()
                .filter(|frame| event_id(frame).is_some_and(|id| id > after))
                .cloned()
                .collect()
        })
    }
}

/// The id of the event behind a frame, if it is an event's.
fn event_id(frame: &Frame) -> Option<i64> {
    frame
        .event
        .as_ref()
        .map(|(published, _)| published.event.id)
}

/// Closes the channel of a subscription whose task ended.
struct Ended(Arc<Mutex<State>>);

impl Drop for Ended {
    fn drop(&mut self) {
        lock(&self.0).sender = None;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(registry) = self.registry.upgrade() {
            let mut registry = lock(&registry);
            if registry
                .get(&self.key)
                .is_some_and(|entry| entry.strong_count() == 0)
            {
                registry.remove(&self.key);
            }
        }
    }
}

impl SharedSubscriptions {
    /// The shared stream for `request` by the holder of `claims`, as `sharing` allows. The
    /// request is first checked for this socket as if it ran alone (validation, the rate limit,
    /// the guards and the field's own checks); a refusal comes as the field's own error, then the
    /// end. Shared by every viewer, the socket gets only the events its viewer may see. A
    /// subscription from now takes every event after `from` (the newest when its subscribe
    /// arrived), those the shared one sent while this socket was checked included.
    pub async fn join(
        &self,
        schema: &RelinkSchema,
        meters: &crate::metrics::Meters,
        claims: &Claims,
        request: &Request,
        sharing: Sharing,
        from: Option<i64>,
    ) -> Option<BoxStream<'static, Item>> {
        // Every socket pays for its own subscribe (validation, the rate limit's charge, the
        // guards and the field's checks), as if it ran alone, whoever else follows it.
        let viewer = match probe(schema, claims, request, from).await {
            Ok(viewer) => Some(viewer).filter(|_| sharing.scope == Scope::Audience),
            Err(refusal) => return Some(refusal),
        };
        let start = sharing.start;
        let signed_in = sharing.scope == Scope::SignIn;
        let key = Key {
            scope: sharing.scope,
            subject: if signed_in {
                claims.sub.clone()
            } else {
                String::new()
            },
            signed_in_at: claims
                .signed_in_at()
                .map(|at| at.timestamp())
                .filter(|_| signed_in),
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        };
        let after = from.filter(|_| start == Start::Next);
        let (upstream, receiver, first) = {
            let mut registry = lock(&self.0);
            let running = registry.get(&key).and_then(Weak::upgrade);
            // `Some(None)`: running, but it started after this socket's subscribe arrived, or
            // has forgotten events sent since.
            let joined = running.as_ref().and_then(|upstream| {
                let state = lock(&upstream.state);
                let receiver = state.sender.as_ref()?.subscribe();
                let first = match (start, after) {
                    (Start::Latest, _) => Some(state.latest.clone().into_iter().collect()),
                    (Start::Next, Some(after)) => state.sent_after(after),
                    (Start::Next, None) => Some(Vec::new()),
                };
                Some(first.map(|first| (receiver, first)))
            });
            match (running, joined) {
                (Some(upstream), Some(Some((receiver, first)))) => (upstream, receiver, first),
                // This socket's own, unregistered, from its own start.
                (Some(_), Some(None)) => {
                    drop(registry);
                    let (upstream, receiver) =
                        self.run(schema, meters, claims, request, key, after);
                    (upstream, receiver, Vec::new())
                }
                // Dropped outside the registry's lock: its drop takes that lock.
                (stale, _) => {
                    let (upstream, receiver) =
                        self.run(schema, meters, claims, request, key.clone(), after);
                    registry.insert(key, Arc::downgrade(&upstream));
                    drop(registry);
                    drop(stale);
                    (upstream, receiver, Vec::new())
                }
            }
        };
        Some(follow(upstream, receiver, first, start, viewer, after).boxed())
    }

    /// Starts the one execution of a shared subscription.
    fn run(
        &self,
        schema: &RelinkSchema,
        meters: &crate::metrics::Meters,
        claims: &Claims,
        request: &Request,
        key: Key,
        after: Option<i64>,
    ) -> (Arc<Upstream>, broadcast::Receiver<Arc<Frame>>) {
        let (sender, receiver) = broadcast::channel(CAPACITY);
        let state = Arc::new(Mutex::new(State {
            sender: Some(sender),
            latest: None,
            recent: VecDeque::new(),
            // Unknown without a start: every later joiner runs on its own.
            covered_after: after.unwrap_or(i64::MAX),
        }));
        let stamp = DeliveryStamp::default();
        let mut data = session(claims);
        data.insert(stamp.clone());
        if let Some(after) = after {
            data.insert(EventsAfter(after));
        }
        if key.scope == Scope::Audience {
            data.insert(AnyAudience);
        }
        let mut responses =
            schema.execute_stream_with_session_data(clone_request(request), Arc::new(data));
        let task = tokio::spawn({
            let state = state.clone();
            async move {
                // However the task ends (the stream's end, a panic, the abort), joiners then
                // start a new one and the sockets following this one see it end.
                let _ended = Ended(state.clone());
                while let Some(response) = responses.next().await {
                    let payload = match serde_json::to_string(&response) {
                        Ok(payload) => payload.into_boxed_str(),
                        Err(error) => {
                            tracing::warn!(%error, "a subscription value could not be serialized");
                            break;
                        }
                    };
                    let frame = Arc::new(Frame {
                        payload,
                        event: stamp.take(),
                    });
                    let mut state = lock(&state);
                    state.remember(&frame);
                    state.latest = Some(frame.clone());
                    if let Some(sender) = &state.sender {
                        // No receiver now: the last socket is leaving; the abort follows.
                        let _ = sender.send(frame);
                    }
                }
            }
        });
        let upstream = Arc::new(Upstream {
            key,
            registry: Arc::downgrade(&self.0),
            state,
            task: task.abort_handle(),
            _counted: meters.shared_subscription_started(),
        });
        (upstream, receiver)
    }

    /// Shared subscriptions running now (for tests and metrics).
    pub fn running(&self) -> usize {
        lock(&self.0)
            .values()
            .filter(|entry| entry.strong_count() > 0)
            .count()
    }
}

/// One socket's view of a shared subscription: `first` (the latest value, or the events sent
/// since its subscribe arrived), then every value, then `End`; of the events, only those after
/// `after` that `viewer` may see, when given.
fn follow(
    upstream: Arc<Upstream>,
    receiver: broadcast::Receiver<Arc<Frame>>,
    first: Vec<Arc<Frame>>,
    start: Start,
    viewer: Option<i64>,
    after: Option<i64>,
) -> impl Stream<Item = Item> + Send + 'static {
    let sees = move |frame: &Frame| match (viewer, &frame.event) {
        (_, Some((published, _))) if after.is_some_and(|after| published.event.id <= after) => {
            false
        }
        (Some(viewer), Some((published, _))) => published.audience.contains(&viewer),
        _ => true,
    };
    let first = stream::iter(
        first
            .into_iter()
            .filter(move |frame| sees(frame))
            .map(Item::Next),
    );
    let rest = stream::unfold(Some((upstream, receiver)), move |held| async move {
        let (upstream, mut receiver) = held?;
        loop {
            match receiver.recv().await {
                Ok(frame) if sees(&frame) => {
                    return Some((Item::Next(frame), Some((upstream, receiver))));
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) if start == Start::Latest => {}
                Err(broadcast::error::RecvError::Lagged(_)) => return Some((Item::Behind, None)),
                Err(broadcast::error::RecvError::Closed) => return Some((Item::End, None)),
            }
        }
    });
    first.chain(rest)
}

/// How a request may be shared, if it may: a single subscription field at the root, one of those
/// whose value depends only on the viewer and on what happens from now on. If not, why it runs
/// alone.
pub fn shareable(request: &Request) -> Result<Sharing, Alone> {
    let document =
        async_graphql::parser::parse_query(&request.query).map_err(|_| Alone::NoEvents)?;
    let operation = match (&document.operations, &request.operation_name) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name.as_str()).ok_or(Alone::NoEvents)?
        }
        // A named operation is the one of its document when no name is asked for.
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().ok_or(Alone::NoEvents)?
        }
        (DocumentOperations::Multiple(_), None) => return Err(Alone::NoEvents),
    };
    let operation = &operation.node;
    if operation.ty != OperationType::Subscription {
        return Err(Alone::NoEvents);
    }
    if !operation.directives.is_empty() {
        return Err(Alone::Subscription);
    }
    let [selection] = operation.selection_set.node.items.as_slice() else {
        return Err(Alone::Subscription);
    };
    let Selection::Field(field) = &selection.node else {
        return Err(Alone::Subscription);
    };
    let field = &field.node;
    if !field.directives.is_empty() {
        return Err(Alone::Subscription);
    }
    let (start, scope) = match field.name.node.as_str() {
        "socialAccountEvents" if !resumes(operation, field, request) => {
            let scope = if viewer_independent(&document, &field.selection_set.node, EVENT, 0) {
                Scope::Audience
            } else {
                Scope::SignIn
            };
            (Start::Next, scope)
        }
        "reconnectStatus" | "networkIncidents" => (Start::Latest, Scope::SignIn),
        _ => return Err(Alone::Subscription),
    };
    Ok(Sharing { start, scope })
}

/// A type of the event's selection, with the fields whose values are the same for every viewer
/// who may see the event (no permission, grant or viewer enters them), and the type of each of
/// those fields that has fields of its own.
struct Independent {
    name: &'static str,
    fields: &'static [(&'static str, Option<&'static Independent>)],
}

const EVENT: &Independent = &Independent {
    name: "SocialAccountEvent",
    fields: &[
        ("__typename", None),
        ("id", None),
        ("kind", None),
        ("occurredAt", None),
        ("reason", None),
        ("postId", None),
        ("rulesFlagged", None),
        ("socialAccount", Some(ACCOUNT)),
    ],
};

const ACCOUNT: &Independent = &Independent {
    name: "SocialAccount",
    fields: &[
        ("__typename", None),
        ("id", None),
        ("network", None),
        ("kind", None),
        ("name", None),
        ("externalId", None),
        ("avatarUrl", None),
        ("health", None),
        ("flag", None),
        ("disconnect", Some(DISCONNECT)),
        ("limitedReason", None),
        ("isPersonal", None),
    ],
};

const DISCONNECT: &Independent = &Independent {
    name: "Disconnect",
    fields: &[
        ("__typename", None),
        ("reason", None),
        ("since", None),
        ("fix", None),
        ("heldPostCount", None),
    ],
};

/// Whether `selection` of type `of` reads only fields whose values are the same for every viewer
/// (through inline fragments and fragment spreads, at most eight deep).
fn viewer_independent(
    document: &async_graphql::parser::types::ExecutableDocument,
    selection: &async_graphql::parser::types::SelectionSet,
    of: &Independent,
    depth: usize,
) -> bool {
    if depth > 8 {
        return false;
    }
    let same_type = |condition: Option<&str>| condition.is_none_or(|name| name == of.name);
    selection.items.iter().all(|item| match &item.node {
        Selection::Field(field) => {
            let field = &field.node;
            let Some((_, child)) = of
                .fields
                .iter()
                .find(|(name, _)| *name == field.name.node.as_str())
            else {
                return false;
            };
            field.arguments.is_empty()
                && match child {
                    Some(child) => {
                        viewer_independent(document, &field.selection_set.node, child, depth + 1)
                    }
                    None => field.selection_set.node.items.is_empty(),
                }
        }
        Selection::InlineFragment(fragment) => {
            let fragment = &fragment.node;
            same_type(
                fragment
                    .type_condition
                    .as_ref()
                    .map(|condition| condition.node.on.node.as_str()),
            ) && viewer_independent(document, &fragment.selection_set.node, of, depth + 1)
        }
        Selection::FragmentSpread(spread) => document
            .fragments
            .get(&spread.node.fragment_name.node)
            .is_some_and(|fragment| {
                same_type(Some(fragment.node.type_condition.node.on.node.as_str()))
                    && viewer_independent(
                        document,
                        &fragment.node.selection_set.node,
                        of,
                        depth + 1,
                    )
            }),
    })
}

/// Runs the field's own checks for the holder of `claims`, as if the subscription ran alone: the
/// viewer, or the refusal to send (the field's error, then the end).
async fn probe(
    schema: &RelinkSchema,
    claims: &Claims,
    request: &Request,
    from: Option<i64>,
) -> Result<i64, BoxStream<'static, Item>> {
    let probe = SubscriptionProbe::default();
    let mut data = session(claims);
    data.insert(probe.clone());
    if let Some(from) = from {
        data.insert(EventsAfter(from));
    }
    let answers: Vec<async_graphql::Response> = schema
        .execute_stream_with_session_data(clone_request(request), Arc::new(data))
        .take(4)
        .collect()
        .await;
    match probe.viewer() {
        Some(viewer) if answers.is_empty() => Ok(viewer),
        _ => {
            let frames = answers.into_iter().filter_map(|answer| {
                let payload = serde_json::to_string(&answer).ok()?.into_boxed_str();
                Some(Item::Next(Arc::new(Frame {
                    payload,
                    event: None,
                })))
            });
            Err(stream::iter(frames)
                .chain(stream::once(async { Item::End }))
                .boxed())
        }
    }
}

/// Whether `socialAccountEvents` is asked to resume: an `after` that is not null, given inline,
/// by a variable, or by a variable's default.
fn resumes(
    operation: &async_graphql::parser::types::OperationDefinition,
    field: &async_graphql::parser::types::Field,
    request: &Request,
) -> bool {
    use async_graphql::Value;
    let Some(after) = field.get_argument("after") else {
        return false;
    };
    let value = after.node.clone().into_const_with(|name| {
        let given = request.variables.get(&name).cloned();
        let default = || {
            operation
                .variable_definitions
                .iter()
                .find(|definition| definition.node.name.node == name)
                .and_then(|definition| definition.node.default_value.as_ref())
                .map(|default| default.node.clone())
        };
        Ok::<_, std::convert::Infallible>(given.or_else(default).unwrap_or(Value::Null))
    });
    !matches!(value, Ok(Value::Null))
}

/// The session of an execution on behalf of the holder of `claims`, as a socket's own.
fn session(claims: &Claims) -> Data {
    let mut data = Data::default();
    data.insert(RequestAuth::signed_in(claims.clone()));
    data
}

/// A copy of the parts of a request that execution reads (a `Request` is not `Clone`).
fn clone_request(request: &Request) -> Request {
    let mut copy = Request::new(request.query.clone()).variables(request.variables.clone());
    if let Some(name) = &request.operation_name {
        copy = copy.operation_name(name.clone());
    }
    copy
}

/// One subscription of a socket: its id, and the start of its value frames, escaped once.
pub struct Tag {
    /// The client's id of the subscription.
    pub id: String,
    /// `{"type":"next","id":…,"payload":` in the socket's protocol.
    next: String,
}

impl Tag {
    /// The subscription `id` on a socket speaking `protocol`.
    pub fn new(protocol: WebSocketProtocols, id: String) -> Self {
        let kind = match protocol {
            WebSocketProtocols::GraphQLWS => "next",
            WebSocketProtocols::SubscriptionsTransportWS => "data",
        };
        let quoted = serde_json::Value::from(id.as_str());
        let next = format!(r#"{{"type":"{kind}","id":{quoted},"payload":"#);
        Self { id, next }
    }

    /// The frame of one shared value of this subscription.
    pub fn next_frame(&self, payload: &str) -> String {
        let mut frame = String::with_capacity(self.next.len() + payload.len() + 1);
        frame.push_str(&self.next);
        frame.push_str(payload);
        frame.push('}');
        frame
    }
}

/// The frame that ends the subscription `id`.
pub fn complete_frame(id: &str) -> String {
    serde_json::json!({ "type": "complete", "id": id }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(query: &str) -> Option<Start> {
        shareable(&Request::new(query))
            .ok()
            .map(|sharing| sharing.start)
    }

    fn start_with(query: &str, variables: serde_json::Value) -> Option<Start> {
        let variables = async_graphql::Variables::from_json(variables);
        shareable(&Request::new(query).variables(variables))
            .ok()
            .map(|sharing| sharing.start)
    }

    fn scope(query: &str) -> Option<Scope> {
        shareable(&Request::new(query))
            .ok()
            .map(|sharing| sharing.scope)
    }

    #[test]
    fn only_subscriptions_read_where_the_events_from_now_on_start() {
        let from = |query: &str| from_now(shareable(&Request::new(query)));
        // Shared from now on, or with the latest value.
        assert!(from("subscription { socialAccountEvents { id } }"));
        assert!(!from("subscription { reconnectStatus { count } }"));
        // Alone, but a subscription: it may take the events from now on.
        assert_eq!(
            shareable(&Request::new(
                "subscription { socialAccountEvents { id } reconnectStatus { count } }"
            )),
            Err(Alone::Subscription)
        );
        assert!(from(
            "subscription { socialAccountEvents { id } reconnectStatus { count } }"
        ));
        assert!(from(
            "subscription @skip(if: false) { socialAccountEvents { id } }"
        ));
        // Queries, mutations and what does not parse take no events.
        for query in [
            "{ viewer { id } }",
            "mutation { __typename }",
            "subscription {",
        ] {
            assert_eq!(
                shareable(&Request::new(query)),
                Err(Alone::NoEvents),
                "{query}"
            );
            assert!(!from(query), "{query}");
        }
    }

    #[test]
    fn events_are_shared_by_every_viewer_only_when_nothing_selected_depends_on_the_viewer() {
        let every = Some(Scope::Audience);
        assert_eq!(
            scope("subscription { socialAccountEvents { id kind socialAccount { name health } } }"),
            every
        );
        assert_eq!(
            scope(
                "subscription { socialAccountEvents { __typename id kind reason occurredAt socialAccount { id name network kind health flag isPersonal disconnect { reason since fix heldPostCount } } } }"
            ),
            every
        );
        assert_eq!(
            scope(
                "subscription { socialAccountEvents { ...E } } fragment E on SocialAccountEvent { id socialAccount { ... on SocialAccount { name } } }"
            ),
            every
        );
        let own = Some(Scope::SignIn);
        // What the viewer may do, or what reaches other data through permissions.
        assert_eq!(
            scope("subscription { socialAccountEvents { socialAccount { viewerCanReconnect } } }"),
            own
        );
        assert_eq!(
            scope("subscription { socialAccountEvents { socialAccount { limitation { fix } } } }"),
            own
        );
        assert_eq!(
            scope(
                "subscription { socialAccountEvents { socialAccount { lastReconnectedBy { email } } } }"
            ),
            own
        );
        assert_eq!(
            scope("subscription { socialAccountEvents { socialAccount { login { name } } } }"),
            own
        );
        // A fragment on another type, an unknown fragment, a fragment that loops.
        assert_eq!(
            scope("subscription { socialAccountEvents { ... on Other { id } } }"),
            own
        );
        assert_eq!(
            scope("subscription { socialAccountEvents { ...Missing } }"),
            own
        );
        assert_eq!(
            scope(
                "subscription { socialAccountEvents { ...A } } fragment A on SocialAccountEvent { ...A }"
            ),
            own
        );
        // The status is the viewer's own.
        assert_eq!(
            scope("subscription { reconnectStatus { bannerVisible } }"),
            own
        );
    }

    #[test]
    fn only_live_subscriptions_of_the_viewer_are_shared() {
        assert!(start("subscription { socialAccountEvents { id } }") == Some(Start::Next));
        assert!(
            start("subscription S($o: ID) { socialAccountEvents(organizationId: $o) { id } }")
                == Some(Start::Next)
        );
        assert!(start("subscription { reconnectStatus { bannerVisible } }") == Some(Start::Latest));
        assert!(start("subscription { networkIncidents { network } }") == Some(Start::Latest));
        // A resume replays its own history.
        assert!(start(r#"subscription { socialAccountEvents(after: "3") { id } }"#).is_none());
        let resume = "subscription($a: ID) { socialAccountEvents(after: $a) { id } }";
        assert!(start_with(resume, serde_json::json!({ "a": "3" })).is_none());
        // `after` null or left out is from now, as the dashboard asks on its first subscribe.
        assert!(start_with(resume, serde_json::json!({ "a": null })) == Some(Start::Next));
        assert!(start(resume) == Some(Start::Next));
        assert!(
            start("subscription { socialAccountEvents(after: null) { id } }") == Some(Start::Next)
        );
        let defaulted = r#"subscription($a: ID = "3") { socialAccountEvents(after: $a) { id } }"#;
        assert!(start(defaulted).is_none());
        // Not a subscription, not one field, directives, unknown fields, bad documents.
        assert!(start("{ socialAccountEvents { id } }").is_none());
        assert!(start("subscription { ...F } fragment F on Subscription { reconnectStatus { bannerVisible } }").is_none());
        assert!(start("subscription { socialAccountEvents @skip(if: false) { id } }").is_none());
        assert!(start("subscription { other }").is_none());
        assert!(start("subscription {").is_none());
        assert!(start("subscription A { reconnectStatus { bannerVisible } } subscription B { networkIncidents { network } }").is_none());
    }

    #[test]
    fn frames_quote_the_id_and_embed_the_payload() {
        assert_eq!(
            Tag::new(WebSocketProtocols::GraphQLWS, "a\"b".to_owned()).next_frame(r#"{"data":{}}"#),
            r#"{"type":"next","id":"a\"b","payload":{"data":{}}}"#
        );
        assert_eq!(
            Tag::new(WebSocketProtocols::SubscriptionsTransportWS, "1".to_owned()).next_frame("{}"),
            r#"{"type":"data","id":"1","payload":{}}"#
        );
        let complete: serde_json::Value = serde_json::from_str(&complete_frame("x")).expect("json");
        assert_eq!(complete["type"], "complete");
        assert_eq!(complete["id"], "x");
    }

    fn event_frame(id: i64) -> Arc<Frame> {
        let event = entity::events::Model {
            id,
            kind: "DISCONNECTED".to_owned(),
            organization_id: None,
            owner_user_id: None,
            social_account_id: None,
            social_login_id: None,
            payload: serde_json::json!({}),
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let published = crate::events::Published {
            event,
            account: None,
            audience: Default::default(),
        };
        Arc::new(Frame {
            payload: "{}".into(),
            event: Some((Arc::new(published), true)),
        })
    }

    fn ids(frames: Option<Vec<Arc<Frame>>>) -> Option<Vec<i64>> {
        frames.map(|frames| frames.iter().filter_map(|frame| event_id(frame)).collect())
    }

    #[test]
    fn joiners_get_the_events_sent_since_they_asked_while_all_of_them_are_kept() {
        let mut state = State {
            sender: None,
            latest: None,
            recent: VecDeque::new(),
            covered_after: 10,
        };
        assert_eq!(ids(state.sent_after(10)), Some(vec![]));
        // Asked before the subscription started: not here.
        assert_eq!(ids(state.sent_after(9)), None);
        for id in 11..=12 {
            state.remember(&event_frame(id));
        }
        // A value that is no event (a status) is not kept.
        state.remember(&Arc::new(Frame {
            payload: "{}".into(),
            event: None,
        }));
        assert_eq!(ids(state.sent_after(10)), Some(vec![11, 12]));
        assert_eq!(ids(state.sent_after(11)), Some(vec![12]));
        assert_eq!(ids(state.sent_after(12)), Some(vec![]));
        // Past the capacity the oldest go, and who asked before them is told so.
        let last = 12 + i64::try_from(CAPACITY).expect("small");
        for id in 13..=last {
            state.remember(&event_frame(id));
        }
        assert_eq!(state.recent.len(), CAPACITY);
        assert_eq!(ids(state.sent_after(11)), None);
        assert_eq!(
            ids(state.sent_after(12)).map(|ids| ids.len()),
            Some(CAPACITY)
        );
        assert_eq!(ids(state.sent_after(last)), Some(vec![]));
    }
}

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
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError, Weak},
};

use async_graphql::{
    Data, Request,
    http::WebSocketProtocols,
    parser::types::{DocumentOperations, OperationType, Selection},
};
use futures_util::{Stream, StreamExt as _, stream};
use tokio::sync::broadcast;

use crate::{
    auth::Claims,
    graphql::{RelinkSchema, context::RequestAuth, live::DeliveryStamp},
};

/// Values a socket may fall behind a shared subscription before it is closed (events) or skips
/// to the newest (current values).
const CAPACITY: usize = 64;

/// One value of a shared subscription, serialized once.
pub struct Frame {
    /// The GraphQL response as JSON.
    pub payload: Box<str>,
    /// For an account event: its id and commit time, to measure delivery.
    pub stamp: Option<(i64, chrono::DateTime<chrono::Utc>)>,
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
    /// The shared stream for `request` by the holder of `claims`, or `None` when the request is
    /// not one that may be shared (then it runs on its own, as before).
    pub fn join(
        &self,
        schema: &RelinkSchema,
        meters: &crate::metrics::Meters,
        claims: &Claims,
        request: &Request,
        start: Start,
    ) -> Option<impl Stream<Item = Item> + Send + 'static + use<>> {
        let key = Key {
            subject: claims.sub.clone(),
            signed_in_at: claims.signed_in_at().map(|at| at.timestamp()),
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        };
        let (upstream, receiver, first) = {
            let mut registry = lock(&self.0);
            let running = registry.get(&key).and_then(Weak::upgrade);
            let joined = running.as_ref().and_then(|upstream| {
                let state = lock(&upstream.state);
                let receiver = state.sender.as_ref()?.subscribe();
                let first = state.latest.clone().filter(|_| start == Start::Latest);
                Some((receiver, first))
            });
            match (running, joined) {
                (Some(upstream), Some((receiver, first))) => (upstream, receiver, first),
                // Dropped outside the registry's lock: its drop takes that lock.
                (stale, _) => {
                    let (upstream, receiver) =
                        self.run(schema, meters, claims, request, key.clone());
                    registry.insert(key, Arc::downgrade(&upstream));
                    drop(registry);
                    drop(stale);
                    (upstream, receiver, None)
                }
            }
        };
        Some(follow(upstream, receiver, first, start))
    }

    /// Starts the one execution of a shared subscription.
    fn run(
        &self,
        schema: &RelinkSchema,
        meters: &crate::metrics::Meters,
        claims: &Claims,
        request: &Request,
        key: Key,
    ) -> (Arc<Upstream>, broadcast::Receiver<Arc<Frame>>) {
        let (sender, receiver) = broadcast::channel(CAPACITY);
        let state = Arc::new(Mutex::new(State {
            sender: Some(sender),
            latest: None,
        }));
        let stamp = DeliveryStamp::default();
        let mut data = Data::default();
        data.insert(RequestAuth::signed_in(claims.clone()));
        data.insert(stamp.clone());
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
                        stamp: stamp.take(),
                    });
                    let mut state = lock(&state);
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

/// One socket's view of a shared subscription: the latest value when it starts with one, then
/// every value, then `End`.
fn follow(
    upstream: Arc<Upstream>,
    receiver: broadcast::Receiver<Arc<Frame>>,
    first: Option<Arc<Frame>>,
    start: Start,
) -> impl Stream<Item = Item> + Send + 'static {
    let first = stream::iter(first.map(Item::Next));
    let rest = stream::unfold(Some((upstream, receiver)), move |held| async move {
        let (upstream, mut receiver) = held?;
        loop {
            match receiver.recv().await {
                Ok(frame) => return Some((Item::Next(frame), Some((upstream, receiver)))),
                Err(broadcast::error::RecvError::Lagged(_)) if start == Start::Latest => {}
                Err(broadcast::error::RecvError::Lagged(_)) => return Some((Item::Behind, None)),
                Err(broadcast::error::RecvError::Closed) => return Some((Item::End, None)),
            }
        }
    });
    first.chain(rest)
}

/// How a request may be shared, if it may: a single subscription field at the root, one of those
/// whose value depends only on the viewer and on what happens from now on.
pub fn shareable(request: &Request) -> Option<Start> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    let operation = match (&document.operations, &request.operation_name) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name.as_str())?,
        // A named operation is the one of its document when no name is asked for.
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()?
        }
        (DocumentOperations::Multiple(_), None) => return None,
    };
    let operation = &operation.node;
    if operation.ty != OperationType::Subscription || !operation.directives.is_empty() {
        return None;
    }
    let [selection] = operation.selection_set.node.items.as_slice() else {
        return None;
    };
    let Selection::Field(field) = &selection.node else {
        return None;
    };
    let field = &field.node;
    if !field.directives.is_empty() {
        return None;
    }
    match field.name.node.as_str() {
        "socialAccountEvents" if !resumes(operation, field, request) => Some(Start::Next),
        "reconnectStatus" | "networkIncidents" => Some(Start::Latest),
        _ => None,
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

/// A copy of the parts of a request that execution reads (a `Request` is not `Clone`).
fn clone_request(request: &Request) -> Request {
    let mut copy = Request::new(request.query.clone()).variables(request.variables.clone());
    if let Some(name) = &request.operation_name {
        copy = copy.operation_name(name.clone());
    }
    copy
}

/// The frame of one shared value for the subscription `id`, in the socket's protocol.
pub fn next_frame(protocol: WebSocketProtocols, id: &str, payload: &str) -> String {
    let kind = match protocol {
        WebSocketProtocols::GraphQLWS => "next",
        WebSocketProtocols::SubscriptionsTransportWS => "data",
    };
    let id = serde_json::Value::from(id);
    format!(r#"{{"type":"{kind}","id":{id},"payload":{payload}}}"#)
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
    }

    fn start_with(query: &str, variables: serde_json::Value) -> Option<Start> {
        let variables = async_graphql::Variables::from_json(variables);
        shareable(&Request::new(query).variables(variables))
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
            next_frame(WebSocketProtocols::GraphQLWS, "a\"b", r#"{"data":{}}"#),
            r#"{"type":"next","id":"a\"b","payload":{"data":{}}}"#
        );
        assert_eq!(
            next_frame(WebSocketProtocols::SubscriptionsTransportWS, "1", "{}"),
            r#"{"type":"data","id":"1","payload":{}}"#
        );
        let complete: serde_json::Value = serde_json::from_str(&complete_frame("x")).expect("json");
        assert_eq!(complete["type"], "complete");
        assert_eq!(complete["id"], "x");
    }
}

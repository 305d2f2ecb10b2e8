//! One subscription socket, from upgrade to close: async-graphql speaks the GraphQL protocol, this
//! loop owns the transport around it (the README's Security section: subscriptions).
//!
//! - Keep-alive: a WebSocket ping every `RELINK_WS_KEEPALIVE`; every browser answers it without
//!   any help from the page's GraphQL client. A peer silent for two intervals is gone: dropped.
//! - `connection_init` must come within `RELINK_WS_INIT_TIMEOUT` (10 s; 4408, on a timer of its
//!   own) and carry a valid token (4403); a subscribe before the ack is 4401; a second subscribe
//!   with a live id is 4409. Until then the socket holds one of its client IP's slots of sockets
//!   not signed in (`RELINK_WS_MAX_ANONYMOUS_SOCKETS`, 429 at the upgrade).
//! - The socket closes with 4403 when the dashboard token expires, by the server's clock, before it
//!   would deliver anything past that moment.
//! - Caps: sockets per user (4429 at init), subscriptions per socket (an `error` for that id).
//! - A reader too slow to take a message within two keep-alive intervals is dropped: the server
//!   never buffers for it (the subscription streams catch up from the outbox on reconnect).
//! - On shutdown every socket is closed with 1001, so clients reconnect to another replica.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use async_graphql::{
    Data,
    http::{ClientMessage, WebSocket as GraphQLSession, WebSocketProtocols, WsMessage},
};
use axum::{
    extract::ws::{CloseFrame, Message, WebSocket},
    http::{HeaderMap, header},
};
use chrono::{DateTime, Utc};
use futures_util::{
    SinkExt as _, StreamExt as _,
    future::Either,
    stream::{AbortHandle, Abortable, BoxStream, SelectAll},
};
use tokio::sync::mpsc;

mod shared;
mod slots;

pub use shared::{Item, SharedSubscriptions, Sharing, shareable};
pub use slots::{Slot, SocketSlots};

use super::HttpState;

/// Largest accepted WebSocket message (the README's Security section).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Close codes of the `graphql-transport-ws` protocol (and the WebSocket standard).
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const TOO_BIG: u16 = 1009;
    pub const TRY_AGAIN_LATER: u16 = 1013;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY: u16 = 4429;
}

/// What the server sends next, or does with a shared subscription.
enum Out {
    Text(String),
    Ping,
    Close(u16, String),
    /// Follow a shared subscription.
    Join(Box<Joining>),
    /// The client completed a shared subscription.
    Leave(String),
}

/// What the reader, the init callback and the writer share about one socket.
#[derive(Default)]
struct Session {
    /// Set once `connection_init` is accepted: when its token expires.
    expires_at: Option<DateTime<Utc>>,
    /// Why `connection_init` was refused, as a close code and reason.
    refusal: Option<(u16, String)>,
    /// Subscription ids running now.
    active: HashSet<String>,
    /// Of those, the ids that follow a shared subscription.
    shared: HashSet<String>,
    /// The accepted token's claims, for the shared subscriptions' key.
    claims: Option<crate::auth::Claims>,
    /// The last frame of any kind from the client.
    last_seen: Option<Instant>,
    /// The user's socket slot, held until the socket ends.
    slot: Option<Slot>,
    /// The client IP's slot of sockets not signed in yet, given back at `connection_init`.
    unidentified: Option<Slot>,
}

type Shared = Arc<Mutex<Session>>;

fn lock(session: &Shared) -> std::sync::MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves one upgraded socket until either side closes it. `unidentified` is the client's slot
/// of sockets not signed in yet, held until `connection_init` is accepted.
pub async fn serve(
    socket: WebSocket,
    state: HttpState,
    protocol: WebSocketProtocols,
    unidentified: Slot,
) {
    let _open = state.app.meters.socket_opened();
    let keepalive = state.app.config.ws_keepalive;
    let session: Shared = Arc::new(Mutex::new(Session {
        last_seen: Some(Instant::now()),
        unidentified: Some(unidentified),
        ..Session::default()
    }));
    let (mut sink, stream) = socket.split();
    // The reader answers some messages itself (caps, protocol errors) and hands on the shared
    // subscriptions through this channel: room for every subscription the socket may run to
    // start and complete in one burst; a client that floods past that is ended.
    let room = state
        .app
        .config
        .ws_max_subscriptions
        .saturating_mul(2)
        .saturating_add(16);
    let (control_tx, mut control_rx) = mpsc::channel::<Out>(room);
    let input = stream.filter_map({
        let session = session.clone();
        let max_subscriptions = state.app.config.ws_max_subscriptions;
        let app = state.app.clone();
        move |frame| match read(&session, &control_tx, max_subscriptions, frame) {
            Read::Message(message) => Either::Left(std::future::ready(message)),
            Read::Subscribe(subscribe) => {
                let (session, control, app) = (session.clone(), control_tx.clone(), app.clone());
                Either::Right(Box::pin(async move {
                    subscribe.start(&session, &control, &app).await
                }))
            }
        }
    });
    let mut graphql = GraphQLSession::from_message_stream(state.schema.clone(), input, protocol)
        .on_connection_init({
            let state = state.clone();
            let session = session.clone();
            move |payload| async move { init(&state, &session, &payload) }
        });
    // `connection_init` has a timer of its own, whatever the keep-alive interval.
    let init_deadline = tokio::time::sleep(state.app.config.ws_init_timeout);
    tokio::pin!(init_deadline);
    let mut init_pending = true;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopping = state.stopping.clone();
    // The shared subscriptions this socket follows, each tagged with its id; a handle each to
    // stop following.
    let mut following: Following = SelectAll::new();
    let mut handles: std::collections::HashMap<String, AbortHandle> = Default::default();
    loop {
        let mut stamp = None;
        let out = tokio::select! {
            biased;
            _ = stopping.wait_for(|stopping| *stopping) => {
                Out::Close(close::GOING_AWAY, "Relink is restarting; reconnect".to_owned())
            }
            Some(out) = control_rx.recv() => out,
            Some((tag, item)) = following.next(), if !following.is_empty() => match item {
                shared::Item::Next(frame) => {
                    stamp = frame
                        .event
                        .as_ref()
                        .filter(|(_, live)| *live)
                        .map(|(published, _)| (published.event.id, published.event.created_at));
                    Out::Text(tag.next_frame(&frame.payload))
                }
                shared::Item::Behind => {
                    // A reader this far behind stopped reading: it is dropped, not buffered for.
                    state.app.meters.slow_reader_dropped();
                    tracing::info!("subscription socket fell behind its events; closed to resume");
                    Out::Close(
                        close::TRY_AGAIN_LATER,
                        "Fell behind the events; reconnect and resume with `after`".to_owned(),
                    )
                }
                shared::Item::End => {
                    handles.remove(&tag.id);
                    let mut session = lock(&session);
                    session.active.remove(&tag.id);
                    session.shared.remove(&tag.id);
                    Out::Text(shared::complete_frame(&tag.id))
                }
            },
            () = &mut init_deadline, if init_pending => {
                init_pending = false;
                if lock(&session).expires_at.is_some() {
                    continue;
                }
                Out::Close(close::INIT_TIMEOUT, "Connection initialisation timeout".to_owned())
            }
            message = graphql.next() => match message {
                Some(WsMessage::Text(text)) => {
                    finished(&session, &text);
                    Out::Text(text)
                }
                Some(WsMessage::Close(code, reason)) => remap_close(&session, code, reason),
                // The client's side ended; a close the reader queued on the way out still goes.
                None => match control_rx.try_recv() {
                    Ok(Out::Close(code, reason)) => Out::Close(code, reason),
                    _ => break,
                },
            },
            _ = ticks.tick() => {
                let last_seen = lock(&session).last_seen;
                if last_seen.is_none_or(|seen| seen.elapsed() >= keepalive * 2) {
                    tracing::debug!("subscription socket silent for two keep-alive intervals; dropped");
                    break;
                } else {
                    Out::Ping
                }
            }
        };
        let out = match out {
            Out::Join(joining) => {
                let tag = shared::Tag::new(protocol, joining.id.clone());
                join(
                    &state,
                    &session,
                    &mut following,
                    &mut handles,
                    tag,
                    &joining,
                )
                .await;
                continue;
            }
            Out::Leave(id) => match handles.remove(&id) {
                Some(handle) => {
                    handle.abort();
                    Out::Text(shared::complete_frame(&id))
                }
                None => continue,
            },
            out => out,
        };
        // Nothing goes out past the token's expiry, by the server's clock.
        let out = match out {
            Out::Text(_) | Out::Ping if expired(&state, &session) => Out::Close(
                close::FORBIDDEN,
                "Forbidden: the dashboard token expired; reconnect with a fresh one".to_owned(),
            ),
            out => out,
        };
        let (frame, last) = match out {
            Out::Text(text) => (Message::Text(text.into()), false),
            Out::Ping => (Message::Ping(Default::default()), false),
            Out::Close(code, reason) => (
                Message::Close(Some(CloseFrame {
                    code,
                    reason: close_reason(reason).into(),
                })),
                true,
            ),
            // Handled above.
            Out::Join(..) | Out::Leave(_) => continue,
        };
        // A reader that cannot take one message in two keep-alive intervals is dropped rather
        // than buffered for.
        match tokio::time::timeout(keepalive * 2, sink.send(frame)).await {
            Ok(Ok(())) if !last => {
                if let Some((event, committed)) = stamp {
                    let lag = (state.app.now() - committed).to_std().unwrap_or_default();
                    state
                        .app
                        .meters
                        .event_frame_written(event, lag.as_secs_f64());
                }
            }
            Ok(Ok(())) => break,
            Ok(Err(_)) => break,
            Err(_) => {
                state.app.meters.slow_reader_dropped();
                tracing::info!("subscription socket dropped: the client stopped reading");
                break;
            }
        }
    }
}

/// What to do with one frame from the client.
enum Read {
    /// Pass this on to the GraphQL session, if anything.
    Message(Option<serde_json::Result<ClientMessage>>),
    /// An accepted subscribe: it starts once the newest event id is read.
    Subscribe(Subscribe),
}

/// An accepted subscribe, with how it may be shared.
struct Subscribe {
    id: String,
    request: async_graphql::Request,
    sharing: Result<shared::Sharing, shared::Alone>,
}

impl Subscribe {
    /// Starts the subscription, from the newest event now if it may take the events from now on
    /// (a subscription is checked and started a moment after it arrives; whatever happens in that
    /// moment is the client's too; a query or a mutation reads nothing here). A shared one is followed by the socket's loop, others run in
    /// the GraphQL session.
    async fn start(
        self,
        session: &Shared,
        control: &mpsc::Sender<Out>,
        app: &crate::app::App,
    ) -> Option<serde_json::Result<ClientMessage>> {
        let Self {
            id,
            mut request,
            sharing,
        } = self;
        let from = match shared::from_now(sharing) {
            true => Some(app.bus.newest(&app.db).await),
            false => None,
        };
        let Ok(sharing) = sharing else {
            if let Some(from) = from {
                request.data.insert(crate::graphql::live::EventsAfter(from));
            }
            return Some(Ok(ClientMessage::Start {
                id,
                payload: request,
            }));
        };
        lock(session).shared.insert(id.clone());
        let joining = Joining {
            id,
            request,
            sharing,
            from,
        };
        if control.try_send(Out::Join(Box::new(joining))).is_err() {
            return Some(Ok(ClientMessage::ConnectionTerminate));
        }
        None
    }
}

/// A shared subscription a socket is to follow.
struct Joining {
    /// The client's id for it.
    id: String,
    request: async_graphql::Request,
    sharing: shared::Sharing,
    /// The newest event id when its subscribe arrived, if it takes the events from now on.
    from: Option<i64>,
}

/// One frame from the client: updates the session and says what to pass on.
fn read(
    session: &Shared,
    control: &mpsc::Sender<Out>,
    max_subscriptions: usize,
    frame: Result<Message, axum::Error>,
) -> Read {
    let read = read_message(session, control, max_subscriptions, frame);
    match read {
        Some(Ok(ClientMessage::Start { id, payload })) => {
            let sharing = shared::shareable(&payload);
            Read::Subscribe(Subscribe {
                id,
                request: payload,
                sharing,
            })
        }
        other => Read::Message(other),
    }
}

/// One frame from the client: updates the session and passes GraphQL messages on.
fn read_message(
    session: &Shared,
    control: &mpsc::Sender<Out>,
    max_subscriptions: usize,
    frame: Result<Message, axum::Error>,
) -> Option<serde_json::Result<ClientMessage>> {
    let mut session = lock(session);
    session.last_seen = Some(Instant::now());
    let bytes = match frame {
        Ok(Message::Text(text)) => text.as_bytes().to_vec(),
        Ok(Message::Binary(bytes)) => bytes.to_vec(),
        Ok(Message::Ping(_) | Message::Pong(_)) => return None,
        // Over the 64 KiB cap: say so (1009) before ending the session.
        Err(error) if error.to_string().contains("too long") => {
            let _ = control.try_send(Out::Close(
                close::TOO_BIG,
                format!("Messages are at most {} KiB", MAX_MESSAGE_BYTES / 1024),
            ));
            return None;
        }
        // Closed or broken: end the GraphQL session.
        Ok(Message::Close(_)) | Err(_) => return Some(Ok(ClientMessage::ConnectionTerminate)),
    };
    let message = match ClientMessage::from_bytes(bytes) {
        Ok(message) => message,
        Err(error) => {
            let _ = control.try_send(Out::Close(
                close::BAD_REQUEST,
                format!("Invalid message: {error}"),
            ));
            return None;
        }
    };
    match &message {
        ClientMessage::Start { id, .. } => {
            if session.expires_at.is_none() {
                let _ =
                    control.try_send(Out::Close(close::UNAUTHORIZED, "Unauthorized".to_owned()));
                return None;
            }
            if session.active.contains(id) {
                let _ = control.try_send(Out::Close(
                    close::DUPLICATE_ID,
                    format!("Subscriber for {id} already exists"),
                ));
                return None;
            }
            if session.active.len() >= max_subscriptions {
                let refusal = too_many_subscriptions(id, max_subscriptions);
                if control.try_send(Out::Text(refusal)).is_err() {
                    // The client floods faster than refusals go out: end it.
                    return Some(Ok(ClientMessage::ConnectionTerminate));
                }
                return None;
            }
            session.active.insert(id.clone());
        }
        ClientMessage::Stop { id } => {
            session.active.remove(id);
            if session.shared.remove(id) {
                let _ = control.try_send(Out::Leave(id.clone()));
                return None;
            }
        }
        _ => {}
    }
    Some(Ok(message))
}

/// Checks the `connection_init` token and takes a socket slot for its user.
fn init(
    state: &HttpState,
    session: &Shared,
    payload: &serde_json::Value,
) -> async_graphql::Result<Data> {
    let refuse = |code: u16, reason: &str| {
        lock(session).refusal = Some((code, reason.to_owned()));
        Err(async_graphql::Error::new(reason))
    };
    let auth = match authenticate_init(state, payload) {
        Ok(auth) => auth,
        Err(error) => {
            tracing::debug!(reason = %error, "subscription connection refused");
            return refuse(
                close::FORBIDDEN,
                "Forbidden: the dashboard token is missing or not valid",
            );
        }
    };
    let user = auth.subject().unwrap_or_default();
    let Some(slot) = state
        .sockets
        .acquire(user, state.app.config.ws_max_sockets_per_user)
    else {
        return refuse(
            close::TOO_MANY,
            "Too many open sockets for this user; close one first",
        );
    };
    {
        let mut session = lock(session);
        session.expires_at = auth.expires_at();
        session.claims = auth.claims().cloned();
        session.slot = Some(slot);
        session.unidentified = None;
    }
    let mut data = Data::default();
    data.insert(auth);
    Ok(data)
}

/// The shared subscriptions a socket follows, each item with the subscription it is for.
type Following = SelectAll<BoxStream<'static, (Arc<shared::Tag>, shared::Item)>>;

/// Starts following the shared subscription `joining` as `tag`.
async fn join(
    state: &HttpState,
    session: &Shared,
    following: &mut Following,
    handles: &mut std::collections::HashMap<String, AbortHandle>,
    tag: shared::Tag,
    joining: &Joining,
) {
    let Some(claims) = lock(session).claims.clone() else {
        return;
    };
    let Some(values) = state
        .shared
        .join(
            &state.schema,
            &state.app.meters,
            &claims,
            &joining.request,
            joining.sharing,
            joining.from,
        )
        .await
    else {
        return;
    };
    let (handle, registration) = AbortHandle::new_pair();
    handles.insert(tag.id.clone(), handle);
    let tag = Arc::new(tag);
    let tagged = values.map(move |item| (tag.clone(), item));
    following.push(Abortable::new(tagged, registration).boxed());
}

/// async-graphql closes a refused init with 1002; the protocol asks for the codes above.
fn remap_close(session: &Shared, code: u16, reason: String) -> Out {
    match (code, lock(session).refusal.clone()) {
        (1002, Some((code, reason))) => Out::Close(code, reason),
        (1002, None) => Out::Close(close::BAD_REQUEST, reason),
        _ => Out::Close(code, reason),
    }
}

/// Frees the id of a subscription the server ended (`complete` or `error`).
fn finished(session: &Shared, text: &str) {
    if !(text.contains("\"complete\"") || text.contains("\"error\"")) {
        return;
    }
    #[derive(serde::Deserialize)]
    struct Ended {
        id: Option<String>,
        #[serde(rename = "type")]
        kind: String,
    }
    if let Ok(Ended { id: Some(id), kind }) = serde_json::from_str(text)
        && (kind == "complete" || kind == "error")
    {
        lock(session).active.remove(&id);
    }
}

/// A close frame's reason holds at most 123 bytes (RFC 6455 §5.5); cut on a character boundary.
fn close_reason(mut reason: String) -> String {
    const MAX: usize = 123;
    if reason.len() > MAX {
        let mut end = MAX;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

fn expired(state: &HttpState, session: &Shared) -> bool {
    lock(session)
        .expires_at
        .is_some_and(|expires_at| state.app.clock.now() >= expires_at)
}

fn too_many_subscriptions(id: &str, max: usize) -> String {
    serde_json::json!({
        "id": id,
        "type": "error",
        "payload": [{
            "message": format!("At most {max} subscriptions may run on one socket; complete one first."),
            "extensions": { "code": "TOO_MANY_SUBSCRIPTIONS" },
        }],
    })
    .to_string()
}

/// Checks a `connection_init` payload's token the way HTTP checks the header.
fn authenticate_init(
    state: &HttpState,
    payload: &serde_json::Value,
) -> Result<crate::graphql::context::RequestAuth, crate::auth::AuthError> {
    let auth = super::answer::authenticate(&state.app, &payload_headers(payload))?;
    if auth.expires_at().is_none() {
        return Err(crate::auth::AuthError::Invalid(
            "no token in the connection_init payload".to_owned(),
        ));
    }
    Ok(auth)
}

/// `{"Authorization": "Bearer …"}` as a header map, so HTTP and WebSocket share one check. A
/// missing token is refused here: a socket is only for signed-in users.
fn payload_headers(payload: &serde_json::Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("Bearer ");
    if let Ok(value) = value.parse() {
        headers.insert(header::AUTHORIZATION, value);
    }
    headers
}

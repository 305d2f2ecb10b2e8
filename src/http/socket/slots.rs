//! Open sockets counted per key (a user, or a client IP before it signs in), for the caps: a slot
//! is given back when it is dropped, whatever ends the socket.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

/// Open sockets per key, for the caps.
#[derive(Clone, Default)]
pub struct SocketSlots(Arc<Mutex<HashMap<String, usize>>>);

/// One user's socket slot, given back when dropped.
pub struct Slot {
    slots: SocketSlots,
    user: String,
}

impl SocketSlots {
    /// Takes a slot for `user` unless they already hold `max`.
    pub fn acquire(&self, user: &str, max: usize) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(user.to_owned()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Slot {
            slots: self.clone(),
            user: user.to_owned(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

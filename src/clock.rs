//! Where time comes from: the system clock in production, a clock tests can move.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time, shared by every part of the app so tests can move time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move; for tests and benchmarks.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }

    /// The instant the clock shows.
    pub fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The clock handle kept in state.
pub type SharedClock = Arc<dyn Clock>;

/// `at + by`, saturating at the ends of time instead of panicking: durations come from settings
/// and from networks (`expires_in`), instants from users (`scheduledAt`), and chrono's `+`
/// panics past year 262,143.
pub fn after(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_add_signed(by)
        .unwrap_or(if by < Duration::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// `at - by`, saturating like [`after`].
pub fn before(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_sub_signed(by)
        .unwrap_or(if by < Duration::zero() {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_time_saturates_instead_of_panicking() {
        let now = Utc::now();
        assert_eq!(after(now, Duration::hours(1)), now + Duration::hours(1));
        assert_eq!(
            after(DateTime::<Utc>::MAX_UTC, Duration::days(1)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(after(now, Duration::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(after(now, Duration::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(before(now, Duration::MAX), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            before(now, Duration::minutes(1)),
            now - Duration::minutes(1)
        );
    }
}

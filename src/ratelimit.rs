//! Per-user rate limit charged by query cost (the README's Security section), like Shopify's leaky
//! bucket: each user has `capacity` points that refill at `refill_per_second`; a request costs
//! its complexity (at least 1). Driven by the injectable clock, so tests move time instead of
//! sleeping. Per process: with several replicas a user gets each replica's bucket, which bounds
//! abuse per connection without a shared store.
//!
//! Kept rather than `governor` (compared: its keyed limiter with `check_n` charges a cost too):
//! governor's clock is its own (`quanta`), not the injectable one every test here drives, its keyed
//! store needs a separate `retain_recent` sweep to stay bounded, and it would bring `dashmap` and
//! `quanta` for what these 120 lines do with one map.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use chrono::{DateTime, Duration, Utc};

/// Buckets beyond this many are pruned of full (idle) ones, so memory stays bounded.
const PRUNE_ABOVE: usize = 10_000;

/// The limiter of one process.
#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    refill_per_second: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    points: f64,
    at: DateTime<Utc>,
}

impl RateLimiter {
    /// A limiter; `capacity` 0 turns it off.
    pub fn new(capacity: u32, refill_per_second: u32) -> Self {
        Self {
            capacity: f64::from(capacity),
            refill_per_second: f64::from(refill_per_second.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Charges `cost` points to `user` at `now`. On refusal nothing is charged, and the answer
    /// says how long until the points are there.
    pub fn charge(&self, user: &str, cost: usize, now: DateTime<Utc>) -> Result<(), Duration> {
        if self.capacity <= 0.0 {
            return Ok(());
        }
        let cost = (cost.max(1) as f64).min(self.capacity);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            let (capacity, rate) = (self.capacity, self.refill_per_second);
            buckets.retain(|_, bucket| refilled(*bucket, capacity, rate, now) < capacity);
        }
        let bucket = buckets.entry(user.to_owned()).or_insert(Bucket {
            points: self.capacity,
            at: now,
        });
        let points = refilled(*bucket, self.capacity, self.refill_per_second, now);
        if points < cost {
            let wait = (cost - points) / self.refill_per_second;
            return Err(Duration::milliseconds((wait * 1000.0).ceil() as i64));
        }
        *bucket = Bucket {
            points: points - cost,
            at: now,
        };
        Ok(())
    }
}

fn refilled(bucket: Bucket, capacity: f64, rate: f64, now: DateTime<Utc>) -> f64 {
    let elapsed = (now - bucket.at).num_milliseconds().max(0) as f64 / 1000.0;
    (bucket.points + elapsed * rate).min(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time")
    }

    #[test]
    fn a_burst_up_to_the_capacity_then_the_refill_rate() {
        let limiter = RateLimiter::new(100, 10);
        assert_eq!(limiter.charge("ada", 60, t(0)), Ok(()));
        assert_eq!(limiter.charge("ada", 40, t(0)), Ok(()));
        // Empty: 25 points take 2.5 s to come back.
        assert_eq!(
            limiter.charge("ada", 25, t(0)),
            Err(Duration::milliseconds(2_500))
        );
        // Refused requests cost nothing; after 3 s 30 points are back.
        assert_eq!(limiter.charge("ada", 25, t(3)), Ok(()));
        // Each user has a bucket of their own.
        assert_eq!(limiter.charge("ben", 100, t(3)), Ok(()));
    }

    #[test]
    fn the_bucket_never_holds_more_than_its_capacity_and_zero_turns_it_off() {
        let limiter = RateLimiter::new(100, 10);
        assert_eq!(limiter.charge("ada", 1, t(0)), Ok(()));
        assert_eq!(limiter.charge("ada", 100, t(3_600)), Ok(()));
        assert!(limiter.charge("ada", 1, t(3_600)).is_err());
        let off = RateLimiter::new(0, 10);
        for _ in 0..1_000 {
            assert_eq!(off.charge("ada", 5_000, t(0)), Ok(()));
        }
    }
}

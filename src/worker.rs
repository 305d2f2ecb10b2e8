//! Background workers (keeper, postman, publisher, event relay) under one supervisor: each pass
//! runs as a task of its own, so a panic in it is caught, logged and counted, and the next pass
//! runs as if nothing happened. A worker never dies of one bad row or one odd network answer.

use std::{future::Future, time::Duration};

use tokio::task::JoinHandle;

use crate::metrics::Meters;

/// The shortest pause between passes: an interval of zero would spin.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Runs `pass` every `interval`, the first one an interval after start. A pass that fails is
/// logged and tried again next time; a pass that panics is logged, counted in
/// `relink_worker_panics_total{worker=name}`, and tried again next time.
pub fn spawn_worker<F, Fut>(
    name: &'static str,
    interval: Duration,
    meters: Meters,
    pass: F,
) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let interval = interval.max(MIN_INTERVAL);
    tokio::spawn(async move {
        let now = tokio::time::Instant::now();
        // A settings value too large for the clock waits "forever" rather than panicking.
        let first = now
            .checked_add(interval)
            .unwrap_or(now + Duration::from_secs(86_400 * 365));
        let mut tick = tokio::time::interval_at(first, interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            supervised(name, &meters, pass()).await;
        }
    })
}

/// Runs `task` until it ends, again and again: a long-running worker (the event relay) that
/// panics is logged, counted and started afresh after a short pause.
pub fn spawn_forever<F, Fut>(name: &'static str, meters: Meters, task: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let running = task();
            let run = async move {
                running.await;
                anyhow::Ok(())
            };
            supervised(name, &meters, run).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// A task aborted when its handle is dropped: aborting a worker aborts the pass it runs, so
/// nothing of it outlives the server (a pass on a closed database pool).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One pass in a task of its own; what it returned or how it panicked is logged and counted.
async fn supervised(
    name: &'static str,
    meters: &Meters,
    pass: impl Future<Output = anyhow::Result<()>> + Send + 'static,
) {
    let mut running = AbortOnDrop(tokio::spawn(pass));
    match (&mut running.0).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(
            worker = name,
            error = format!("{error:#}"),
            "worker pass failed; trying again next time"
        ),
        Err(join) if join.is_panic() => {
            meters.worker_panicked(name);
            let panic = join.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(
                worker = name,
                panic = message,
                "worker pass panicked; it runs again next time"
            );
        }
        Err(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_pass_is_caught_counted_and_the_worker_goes_on() {
        let meters = Meters::default();
        let passes = Arc::new(AtomicUsize::new(0));
        let counted = passes.clone();
        let worker = spawn_worker("test", Duration::from_secs(60), meters.clone(), move || {
            let pass = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                match pass {
                    0 => panic!("an odd row"),
                    1 => anyhow::bail!("a failed pass"),
                    _ => Ok(()),
                }
            }
        });
        // Paused time moves on by itself whenever every task waits.
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        assert!(
            passes.load(Ordering::SeqCst) >= 3,
            "the worker kept running"
        );
        assert_eq!(meters.worker_panics("test"), 1);
        assert!(!worker.is_finished());
        worker.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_a_worker_stops_the_pass_it_runs() {
        let held = Arc::new(());
        let inside = held.clone();
        let worker = spawn_worker(
            "test",
            Duration::from_secs(1),
            Meters::default(),
            move || {
                let inside = inside.clone();
                async move {
                    let _held = inside;
                    std::future::pending::<()>().await;
                    Ok(())
                }
            },
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(Arc::strong_count(&held), 3, "a pass is running");
        worker.abort();
        let _ = worker.await;
        tokio::task::yield_now().await;
        assert_eq!(Arc::strong_count(&held), 1, "nothing of the worker is left");
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_running_task_that_panics_is_started_again() {
        let meters = Meters::default();
        let starts = Arc::new(AtomicUsize::new(0));
        let counted = starts.clone();
        let relay = spawn_forever("relay", meters.clone(), move || {
            let start = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if start == 0 {
                    panic!("lost its way");
                }
                std::future::pending::<()>().await;
            }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(starts.load(Ordering::SeqCst), 2);
        assert_eq!(meters.worker_panics("relay"), 1);
        relay.abort();
    }
}

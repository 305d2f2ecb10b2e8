//! The background workers of one process, each supervised (`crate::worker`): the event relay,
//! the keeper, the postman, the publisher and the pruner.

use tokio::task::JoinHandle;

use super::Server;
use crate::worker::{spawn_forever, spawn_worker};

/// How often events older than the retention window are deleted.
const PRUNE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3_600);

impl Server {
    /// Starts every worker; abort the handles to stop them.
    pub(super) fn spawn_workers(&self) -> Vec<JoinHandle<()>> {
        let config = &self.state.app.config;
        let meters = &self.state.app.meters;
        let relay = spawn_forever("relay", meters.clone(), {
            let (bus, db) = (self.state.app.bus.clone(), self.state.app.db.clone());
            move || bus.clone().run_relay(db.clone())
        });
        let keeper = spawn_worker("keeper", config.keeper_interval, meters.clone(), {
            let keeper = self.keeper.clone();
            move || {
                let keeper = keeper.clone();
                async move { keeper.run_once().await }
            }
        });
        let postman = spawn_worker("postman", config.keeper_interval, meters.clone(), {
            let postman = self.postman.clone();
            move || {
                let postman = postman.clone();
                async move { postman.run_once().await.map(drop) }
            }
        });
        let pruner = spawn_worker("pruner", PRUNE_INTERVAL, meters.clone(), {
            let (db, clock, retention) = (
                self.state.app.db.clone(),
                self.state.app.clock.clone(),
                self.state.app.settings.event_retention,
            );
            move || {
                let (db, now) = (db.clone(), clock.now());
                async move {
                    crate::events::prune(&db, now, retention).await?;
                    crate::accounts::deauthorize::prune_receipts(&db, now).await?;
                    crate::reconnect::links::prune(&db, now).await?;
                    Ok(())
                }
            }
        });
        let publisher = spawn_worker("publisher", config.publish_interval, meters.clone(), {
            let publisher = self.publisher.clone();
            move || {
                let publisher = publisher.clone();
                async move { publisher.run_once().await.map(drop) }
            }
        });
        vec![relay, keeper, postman, pruner, publisher]
    }
}

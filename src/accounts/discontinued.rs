//! Kinds of accounts a network no longer lets apps reach: Facebook removed the Groups API for
//! every version on 22 April 2024, so once Relink speaks to the real Facebook its group accounts
//! can never publish again. They become `DISCONNECTED` with `NETWORK_DISCONTINUED` through the
//! usual disconnect path (episode, held posts, audit entry and event), once: on every start, by
//! every replica, only the accounts not yet marked are touched, each under its row lock.

use entity::{
    enums::{AccountKind, DisconnectReason, Network},
    social_accounts,
};
use sea_orm::{ColumnTrait as _, Condition, DbErr, EntityTrait as _, QueryFilter as _};

use super::status::{Verdict, apply_verdict};
use crate::app::App;

/// Marks every `kind` account of `network` as discontinued by the network, unless it is already;
/// returns the accounts that changed.
pub async fn discontinue(
    app: &App,
    network: Network,
    kind: AccountKind,
) -> Result<Vec<social_accounts::Model>, DbErr> {
    let reason = DisconnectReason::NetworkDiscontinued;
    let pending = social_accounts::Entity::find()
        .filter(social_accounts::Column::Network.eq(network))
        .filter(social_accounts::Column::Kind.eq(kind))
        .filter(
            Condition::any()
                .add(social_accounts::Column::DisconnectReason.is_null())
                .add(social_accounts::Column::DisconnectReason.ne(reason)),
        )
        .all(&app.db)
        .await?;
    let now = app.now();
    let mut changed = Vec::with_capacity(pending.len());
    for account in pending {
        let txn = app.begin().await?;
        super::repo::lock_account(&txn, account.id).await?;
        // Read again under the lock: another replica starting at the same time may have done it.
        let Some(current) = social_accounts::Entity::find_by_id(account.id)
            .one(&txn)
            .await?
            .filter(|current| current.disconnect_reason != Some(reason))
        else {
            continue;
        };
        let updated = apply_verdict(
            &txn,
            &current,
            Verdict::Disconnected(reason),
            current.social_login_id,
            None,
            now,
        )
        .await?;
        app.commit(txn).await?;
        changed.push(updated);
    }
    Ok(changed)
}

/// Facebook's groups, when Relink speaks to the real Facebook (the sandbox keeps its groups).
pub async fn facebook_groups(app: &App) -> Result<Vec<social_accounts::Model>, DbErr> {
    let changed = discontinue(app, Network::Facebook, AccountKind::Group).await?;
    if !changed.is_empty() {
        tracing::info!(
            accounts = changed.len(),
            "Facebook group accounts disconnected: Facebook removed the Groups API on 22 April 2024"
        );
    }
    Ok(changed)
}

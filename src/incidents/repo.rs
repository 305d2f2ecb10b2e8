//! Queries of network incidents: one open row per network at most (a unique index on
//! `open_network`), opened and closed with their event and audit entry in the same transaction.

use chrono::{DateTime, Utc};
use entity::{enums::Network, network_incidents};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, Set, sea_query::OnConflict,
};

use crate::audit;

/// Whether the network has an open incident.
pub async fn is_open(db: &impl ConnectionTrait, network: Network) -> Result<bool, DbErr> {
    Ok(network_incidents::Entity::find()
        .filter(network_incidents::Column::OpenNetwork.eq(network.slug()))
        .one(db)
        .await?
        .is_some())
}

/// The open incidents, oldest first.
pub async fn open_incidents(
    db: &impl ConnectionTrait,
) -> Result<Vec<network_incidents::Model>, DbErr> {
    network_incidents::Entity::find()
        .filter(network_incidents::Column::OpenNetwork.is_not_null())
        .order_by_asc(network_incidents::Column::OpenedAt)
        .all(db)
        .await
}

async fn note(
    db: &impl ConnectionTrait,
    incident: &network_incidents::Model,
    kind: &str,
    action: &'static str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let detail = serde_json::json!({
        "network": incident.network,
        "since": incident.opened_at,
        "closedAt": incident.closed_at,
        "failingLogins": incident.failing_logins,
        "message": incident.message,
    });
    audit::record(
        db,
        audit::Entry {
            organization_id: None,
            actor_user_id: None,
            action,
            target_type: "network_incident",
            target_id: Some(incident.id),
            detail: detail.clone(),
        },
        now,
    )
    .await?;
    crate::events::repo::append(db, crate::events::repo::row(kind, detail, now))
        .await
        .map(drop)
}

/// Opens the network's incident unless one is open; returns whether this call opened it.
pub async fn open(
    db: &impl ConnectionTrait,
    network: Network,
    failing_logins: usize,
    message: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = network_incidents::Entity::insert(network_incidents::ActiveModel {
        id: NotSet,
        network: Set(network.slug().to_owned()),
        open_network: Set(Some(network.slug().to_owned())),
        opened_at: Set(now),
        closed_at: Set(None),
        failing_logins: Set(i32::try_from(failing_logins).unwrap_or(i32::MAX)),
        message: Set(message.to_owned()),
    })
    .on_conflict(
        OnConflict::column(network_incidents::Column::OpenNetwork)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let Some(incident) = network_incidents::Entity::find()
        .filter(network_incidents::Column::OpenNetwork.eq(network.slug()))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    note(db, &incident, super::OPENED, "network.incident_opened", now).await?;
    Ok(true)
}

/// Closes the network's open incident; returns whether this call closed it.
pub async fn close(
    db: &impl ConnectionTrait,
    network: Network,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(incident) = network_incidents::Entity::find()
        .filter(network_incidents::Column::OpenNetwork.eq(network.slug()))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let closed = network_incidents::Entity::update_many()
        .col_expr(
            network_incidents::Column::OpenNetwork,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            network_incidents::Column::ClosedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(network_incidents::Column::Id.eq(incident.id))
        .filter(network_incidents::Column::OpenNetwork.is_not_null())
        .exec(db)
        .await?
        .rows_affected;
    if closed == 0 {
        return Ok(false);
    }
    let incident = network_incidents::Model {
        open_network: None,
        closed_at: Some(now),
        ..incident
    };
    note(db, &incident, super::CLOSED, "network.incident_closed", now).await?;
    Ok(true)
}

//! Entity for `disconnect_episodes`: one period during which a social account was disconnected.

use sea_orm::entity::prelude::*;

use crate::enums::DisconnectReason;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disconnect_episodes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub social_account_id: i64,
    pub reason: DisconnectReason,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub ended_by: Option<i64>,
    pub email_sent_at: Option<DateTimeUtc>,
    /// Failed attempts to send the disconnect email (R12), for retries.
    #[sea_orm(default_value = 0)]
    pub email_attempts: i32,
    /// When the "recovered" email went out, after the episode ended.
    pub recovered_email_sent_at: Option<DateTimeUtc>,
    /// Whom the disconnect email told (user ids), so the "recovered" email tells each (R12).
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub told_user_ids: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

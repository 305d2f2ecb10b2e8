//! An automation rule of an account (auto-tag, auto-assign) that must be re-checked after a
//! reconnect (R19, B6).

use sea_orm::entity::prelude::*;

use crate::enums::{AutomationKind, ReviewReason};

/// A rule row. `config` holds the rule's settings: `requiresScope` (a network permission the rule
/// reads with), `assigneeUserId` (auto-assign), `tag` (auto-tag).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub social_account_id: i64,
    pub kind: AutomationKind,
    pub name: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub config: Json,
    pub needs_review: bool,
    pub review_reason: Option<ReviewReason>,
    pub last_checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The user who made the rule (its owner), when known.
    pub created_by: Option<i64>,
    /// The user whose reconnect flagged it, while flagged.
    pub flagged_by: Option<i64>,
    /// When the review email about the current flag went out (once per flag).
    pub review_emailed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

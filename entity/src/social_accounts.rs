//! Entity for `social_accounts`: a profile, page, group or channel reachable through a social login.

use sea_orm::entity::prelude::*;

use crate::enums::{AccountKind, DisconnectReason, Health, LimitedReason, Network};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "social_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network: Network,
    pub kind: AccountKind,
    pub external_id: String,
    pub name: String,
    pub avatar_url: Option<String>,
    pub owner_organization_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    pub social_login_id: i64,
    pub original_login_external_id: String,
    pub linked_account_id: Option<i64>,
    pub health: Health,
    pub limited_reason: Option<LimitedReason>,
    pub disconnect_reason: Option<DisconnectReason>,
    pub disconnected_at: Option<DateTimeUtc>,
    pub current_episode_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The login the account is reached through.
    #[sea_orm(
        belongs_to = "super::social_logins::Entity",
        from = "Column::SocialLoginId",
        to = "super::social_logins::Column::Id"
    )]
    SocialLogin,
}

impl Related<super::social_logins::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SocialLogin.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

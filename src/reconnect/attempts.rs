//! Sign-in attempts: recorded at the start, spent once at the finish.

use chrono::{DateTime, Utc};
use entity::{enums::Network, oauth_attempts};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, NotSet,
    QueryFilter as _, Set, sea_query::Expr,
};

use crate::{
    config::Secret,
    crypto::{CryptoError, Slot, TokenCipher},
};

/// What a sign-in is for, as its attempt records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Bring back an account and, by R7, its login's other accounts.
    Reconnect,
    /// Add a network's accounts to an organization or a person (R17).
    Connect,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reconnect => "RECONNECT",
            Self::Connect => "CONNECT",
        }
    }

    /// The kind of a stored attempt; anything unknown reads as a reconnect, whose checks are
    /// the stricter (a target account the user may reconnect).
    pub fn of(attempt: &oauth_attempts::Model) -> Self {
        if attempt.purpose == Self::Connect.as_str() {
            Self::Connect
        } else {
            Self::Reconnect
        }
    }
}

/// An attempt to record.
pub struct NewAttempt<'a> {
    /// SHA-256 of the state.
    pub state_hash: String,
    /// SHA-256 of the starting browser's `relink_flow` cookie.
    pub flow_hash: String,
    /// Who started it.
    pub user_id: i64,
    /// What it is for.
    pub purpose: Kind,
    /// The network.
    pub network: Network,
    /// The account clicked.
    pub target_account_id: Option<i64>,
    /// The organization, for a connect.
    pub organization_id: Option<i64>,
    /// The reconnect link that started it, if one did (issue 15).
    pub link_id: Option<i64>,
    /// The PKCE verifier, sealed before it is stored.
    pub verifier: &'a Secret,
    /// End of life.
    pub expires_at: DateTime<Utc>,
    /// Now.
    pub now: DateTime<Utc>,
}

const VERIFIER: &str = "pkce_verifier_enc";

/// Inserts an attempt and seals its verifier bound to the new row.
pub async fn insert_attempt(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    attempt: NewAttempt<'_>,
) -> Result<i64, DbErr> {
    let row = oauth_attempts::ActiveModel {
        id: NotSet,
        state_hash: Set(attempt.state_hash),
        user_id: Set(attempt.user_id),
        purpose: Set(attempt.purpose.as_str().to_owned()),
        network: Set(attempt.network),
        target_account_id: Set(attempt.target_account_id),
        organization_id: Set(attempt.organization_id),
        pkce_verifier_enc: Set(Vec::new()),
        key_id: Set(String::new()),
        expires_at: Set(attempt.expires_at),
        used_at: Set(None),
        created_at: Set(attempt.now),
        flow_hash: Set(Some(attempt.flow_hash)),
        link_id: Set(attempt.link_id),
    }
    .insert(db)
    .await?;
    let sealed = cipher.seal(
        attempt.verifier,
        &Slot {
            table: "oauth_attempts",
            row_id: row.id,
            column: VERIFIER,
        },
    );
    oauth_attempts::ActiveModel {
        id: Set(row.id),
        pkce_verifier_enc: Set(sealed.bytes),
        key_id: Set(sealed.key_id),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(row.id)
}

/// The attempt with this state hash.
pub async fn attempt_by_state(
    db: &impl ConnectionTrait,
    state_hash: &str,
) -> Result<Option<oauth_attempts::Model>, DbErr> {
    oauth_attempts::Entity::find()
        .filter(oauth_attempts::Column::StateHash.eq(state_hash))
        .one(db)
        .await
}

/// Marks the attempt used, once: false when it already was (a replay).
pub async fn claim_attempt(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = oauth_attempts::Entity::update_many()
        .col_expr(oauth_attempts::Column::UsedAt, Expr::value(now))
        .filter(oauth_attempts::Column::Id.eq(id))
        .filter(oauth_attempts::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The attempt's PKCE verifier.
pub fn open_verifier(
    cipher: &TokenCipher,
    attempt: &oauth_attempts::Model,
) -> Result<Secret, CryptoError> {
    cipher.open(
        &attempt.key_id,
        &attempt.pkce_verifier_enc,
        &Slot {
            table: "oauth_attempts",
            row_id: attempt.id,
            column: VERIFIER,
        },
    )
}

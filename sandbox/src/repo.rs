//! Sandbox queries, as free functions over any connection or transaction (STYLE 8).

use chrono::{DateTime, Utc};
use entity::{
    enums::Network,
    sandbox_assets, sandbox_clients, sandbox_codes, sandbox_identities,
    sandbox_roles::{self, SandboxRole},
    sandbox_tokens::{self, SandboxTokenKind},
};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _,
    NotSet, PaginatorTrait as _, QueryFilter as _, QueryOrder as _, Set, sea_query::Expr,
};

/// An asset as one identity holds it.
#[derive(Clone, Debug)]
pub struct Held {
    /// The identity holding the role.
    pub identity_id: i64,
    /// The asset.
    pub asset: sandbox_assets::Model,
    /// The identity's current role on it.
    pub role: SandboxRole,
}

/// True when no sandbox identity and no sandbox client exist yet.
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(sandbox_identities::Entity::find().count(db).await? == 0
        && sandbox_clients::Entity::find().count(db).await? == 0)
}

/// The client with this `client_id`.
pub async fn client_by_client_id(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<sandbox_clients::Model>, DbErr> {
    sandbox_clients::Entity::find()
        .filter(sandbox_clients::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// The client of `network`.
pub async fn client_of_network(
    db: &impl ConnectionTrait,
    network: Network,
) -> Result<Option<sandbox_clients::Model>, DbErr> {
    sandbox_clients::Entity::find()
        .filter(sandbox_clients::Column::Network.eq(network))
        .order_by_asc(sandbox_clients::Column::Id)
        .one(db)
        .await
}

/// Every identity, by network and external id (or only those of `network`).
pub async fn identities(
    db: &impl ConnectionTrait,
    network: Option<Network>,
) -> Result<Vec<sandbox_identities::Model>, DbErr> {
    let mut query = sandbox_identities::Entity::find();
    if let Some(network) = network {
        query = query.filter(sandbox_identities::Column::Network.eq(network));
    }
    query
        .order_by_asc(sandbox_identities::Column::Network)
        .order_by_asc(sandbox_identities::Column::ExternalId)
        .all(db)
        .await
}

/// The identity with this id.
pub async fn identity(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<sandbox_identities::Model>, DbErr> {
    sandbox_identities::Entity::find_by_id(id).one(db).await
}

/// The identities with this external id: one per network at most.
pub async fn identities_by_external_id(
    db: &impl ConnectionTrait,
    external_id: &str,
    network: Option<Network>,
) -> Result<Vec<sandbox_identities::Model>, DbErr> {
    let mut query = sandbox_identities::Entity::find()
        .filter(sandbox_identities::Column::ExternalId.eq(external_id));
    if let Some(network) = network {
        query = query.filter(sandbox_identities::Column::Network.eq(network));
    }
    query
        .order_by_asc(sandbox_identities::Column::Id)
        .all(db)
        .await
}

/// The assets the given identities hold a role on, ordered by asset external id.
pub async fn held_assets(
    db: &impl ConnectionTrait,
    identity_ids: &[i64],
) -> Result<Vec<Held>, DbErr> {
    let roles = sandbox_roles::Entity::find()
        .filter(sandbox_roles::Column::IdentityId.is_in(identity_ids.iter().copied()))
        .all(db)
        .await?;
    let assets = sandbox_assets::Entity::find()
        .filter(sandbox_assets::Column::Id.is_in(roles.iter().map(|role| role.asset_id)))
        .order_by_asc(sandbox_assets::Column::ExternalId)
        .all(db)
        .await?;
    let mut held = Vec::with_capacity(roles.len());
    for asset in assets {
        for role in roles.iter().filter(|role| role.asset_id == asset.id) {
            held.push(Held {
                identity_id: role.identity_id,
                asset: asset.clone(),
                role: role.role,
            });
        }
    }
    Ok(held)
}

/// The asset with this external id, on any network.
pub async fn asset_by_external_id(
    db: &impl ConnectionTrait,
    external_id: &str,
) -> Result<Option<sandbox_assets::Model>, DbErr> {
    sandbox_assets::Entity::find()
        .filter(sandbox_assets::Column::ExternalId.eq(external_id))
        .order_by_asc(sandbox_assets::Column::Id)
        .one(db)
        .await
}

/// Gives `identity_id` the role on `asset_id`, or takes its role away with `None`.
pub async fn set_role(
    db: &impl ConnectionTrait,
    identity_id: i64,
    asset_id: i64,
    role: Option<SandboxRole>,
) -> Result<(), DbErr> {
    sandbox_roles::Entity::delete_many()
        .filter(sandbox_roles::Column::IdentityId.eq(identity_id))
        .filter(sandbox_roles::Column::AssetId.eq(asset_id))
        .exec(db)
        .await?;
    if let Some(role) = role {
        sandbox_roles::ActiveModel {
            id: NotSet,
            identity_id: Set(identity_id),
            asset_id: Set(asset_id),
            role: Set(role),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Stores a new authorization code.
pub async fn insert_code(
    db: &impl ConnectionTrait,
    code: sandbox_codes::ActiveModel,
) -> Result<sandbox_codes::Model, DbErr> {
    code.insert(db).await
}

/// The code with this hash.
pub async fn code_by_hash(
    db: &impl ConnectionTrait,
    code_hash: &str,
) -> Result<Option<sandbox_codes::Model>, DbErr> {
    sandbox_codes::Entity::find()
        .filter(sandbox_codes::Column::CodeHash.eq(code_hash))
        .one(db)
        .await
}

/// Marks a code used; false when it already was (a concurrent exchange won).
pub async fn use_code(
    db: &impl ConnectionTrait,
    code_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = sandbox_codes::Entity::update_many()
        .col_expr(sandbox_codes::Column::UsedAt, Expr::value(now))
        .filter(sandbox_codes::Column::Id.eq(code_id))
        .filter(sandbox_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Stores a new token.
pub async fn insert_token(
    db: &impl ConnectionTrait,
    token: sandbox_tokens::ActiveModel,
) -> Result<sandbox_tokens::Model, DbErr> {
    token.insert(db).await
}

/// The token of this kind with this hash, whatever its state.
pub async fn token_by_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
    kind: Option<SandboxTokenKind>,
) -> Result<Option<sandbox_tokens::Model>, DbErr> {
    let mut query =
        sandbox_tokens::Entity::find().filter(sandbox_tokens::Column::TokenHash.eq(token_hash));
    if let Some(kind) = kind {
        query = query.filter(sandbox_tokens::Column::Kind.eq(kind));
    }
    query.one(db).await
}

/// Revokes the tokens matching `condition` that are not revoked yet; returns how many.
async fn revoke_where(
    db: &impl ConnectionTrait,
    condition: Condition,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = sandbox_tokens::Entity::update_many()
        .col_expr(sandbox_tokens::Column::RevokedAt, Expr::value(now))
        .filter(condition)
        .filter(sandbox_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Revokes one token; false when it was already revoked.
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let condition = Condition::all().add(sandbox_tokens::Column::Id.eq(token_id));
    Ok(revoke_where(db, condition, now).await? == 1)
}

/// Revokes every token descended from a code (used when the code is replayed).
pub async fn revoke_tokens_of_code(
    db: &impl ConnectionTrait,
    code_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let condition = Condition::all().add(sandbox_tokens::Column::IssuedFromCode.eq(code_id));
    revoke_where(db, condition, now).await
}

/// Revokes every token of these identities.
pub async fn revoke_tokens_of_identities(
    db: &impl ConnectionTrait,
    identity_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let condition = Condition::all()
        .add(sandbox_tokens::Column::IdentityId.is_in(identity_ids.iter().copied()));
    revoke_where(db, condition, now).await
}

/// Makes every live token of these identities expire at `now`; returns how many.
pub async fn expire_tokens_of_identities(
    db: &impl ConnectionTrait,
    identity_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = sandbox_tokens::Entity::update_many()
        .col_expr(sandbox_tokens::Column::ExpiresAt, Expr::value(now))
        .filter(sandbox_tokens::Column::IdentityId.is_in(identity_ids.iter().copied()))
        .filter(sandbox_tokens::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(sandbox_tokens::Column::ExpiresAt.is_null())
                .add(sandbox_tokens::Column::ExpiresAt.gt(now)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

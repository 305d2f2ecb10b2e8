//! Queries of the flow: attempts, and the one transaction that applies a sign-in.

use chrono::{DateTime, Utc};
use entity::{
    enums::{LoginStatus, Network},
    social_accounts, social_logins,
};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _,
    IntoActiveModel as _, NotSet, QueryFilter as _, QueryOrder as _, Set, sea_query::OnConflict,
};

use crate::{
    access::Owner,
    crypto::{Slot, TokenCipher},
    networks::{Identity, TokenSet},
};

/// Stores fresh tokens on a login and marks it connected, if the login is still at the version
/// `login` was read at (optimistic concurrency: a refresh and a reconnect never overwrite each
/// other's tokens); `reconnected_by` is the person who signed in (R4), `None` for a refresh.
/// Returns false, writing nothing, when someone else wrote the login since it was read.
pub async fn store_tokens(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    login: &social_logins::Model,
    tokens: &TokenSet,
    reconnected_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let access = cipher.seal(
        &tokens.access,
        &Slot {
            table: "social_logins",
            row_id: login.id,
            column: "access_token_enc",
        },
    );
    let mut row = social_logins::ActiveModel {
        id: Set(login.id),
        access_token_enc: Set(Some(access.bytes)),
        key_id: Set(Some(access.key_id.clone())),
        token_expires_at: Set(tokens
            .expires_in
            .map(|after| crate::clock::after(now, after))),
        status: Set(LoginStatus::Connected),
        disconnect_reason: Set(None),
        disconnected_at: Set(None),
        version: Set(login.version + 1),
        refresh_failures: Set(0),
        next_refresh_at: Set(None),
        checked_at: Set(Some(now)),
        ..Default::default()
    };
    // LinkedIn, TikTok and Pinterest say how long the refresh token lives; LinkedIn's does not
    // restart when used, so the newest answer is the truth.
    if let Some(lifetime) = tokens.refresh_expires_in {
        row.refresh_expires_at = Set(Some(crate::clock::after(now, lifetime)));
    }
    // An answer that names no scopes (Meta's token exchanges) says nothing about them: the
    // granted ones stay as stored.
    if !tokens.scopes.is_empty() {
        row.scopes = Set(tokens.scopes.join(" "));
    }
    // R4: a person's sign-in is remembered; the keeper's refresh is not a reconnect.
    if let Some(user_id) = reconnected_by {
        row.last_reconnected_by = Set(Some(user_id));
        row.last_reconnected_at = Set(Some(now));
    }
    // Never overwrite a refresh token with nothing: Facebook-like networks issue none. The row has
    // one key id, so a kept refresh token sealed with an older key is re-sealed with the current.
    let refresh_slot = Slot {
        table: "social_logins",
        row_id: login.id,
        column: "refresh_token_enc",
    };
    let refresh = match (&tokens.refresh, &login.refresh_token_enc, &login.key_id) {
        (Some(fresh), _, _) => Some(fresh.clone()),
        (None, Some(kept), Some(key_id)) => Some(
            cipher
                .open(key_id, kept, &refresh_slot)
                .map_err(|error| DbErr::Custom(format!("stored refresh token: {error}")))?,
        ),
        _ => None,
    };
    if let Some(refresh) = refresh {
        row.refresh_token_enc = Set(Some(cipher.seal(&refresh, &refresh_slot).bytes));
    }
    row.id = sea_orm::ActiveValue::NotSet;
    let written = social_logins::Entity::update_many()
        .set(row)
        .filter(social_logins::Column::Id.eq(login.id))
        .filter(social_logins::Column::Version.eq(login.version))
        .exec(db)
        .await?;
    Ok(written.rows_affected == 1)
}

/// A person's sign-in stores its tokens whatever happened to the login meanwhile: when a refresh
/// (or another sign-in) wrote it since `login` was read, the login is read again and the write
/// repeated on top, so the newest person's tokens win. Returns the login as written.
pub async fn store_sign_in_tokens(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    login: &social_logins::Model,
    tokens: &TokenSet,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<social_logins::Model, DbErr> {
    let mut current = login.clone();
    for _ in 0..5 {
        if store_tokens(db, cipher, &current, tokens, Some(user_id), now).await? {
            return social_logins::Entity::find_by_id(current.id)
                .one(db)
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(format!("login {}", current.id)));
        }
        current = social_logins::Entity::find_by_id(current.id)
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("login {}", current.id)))?;
    }
    Err(DbErr::Custom(format!(
        "login {} kept changing while a sign-in stored its tokens",
        login.id
    )))
}

/// Finds the login of `identity` at the network of `like`, for the same owner, or creates it (R6:
/// a page brought back by another of its admins moves to that admin's login).
pub async fn login_for_identity(
    db: &impl ConnectionTrait,
    like: &social_logins::Model,
    identity: &Identity,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<social_logins::Model, DbErr> {
    let owner = Owner::from_columns(like.owner_organization_id, like.owner_user_id)
        .ok_or_else(|| DbErr::Custom(format!("login {} has no single owner", like.id)))?;
    match find_login(db, like.network, &identity.external_id, owner).await? {
        Some(login) => Ok(login),
        None => insert_login(db, like.network, owner, identity, user_id, now).await,
    }
}

// Connect (R17): the queries of `connect::apply_connect`.

/// The owner columns (organization, user) of `owner`.
fn owner_columns(owner: Owner) -> (Option<i64>, Option<i64>) {
    match owner {
        Owner::Organization(org) => (Some(org), None),
        Owner::User(user) => (None, Some(user)),
    }
}

/// The login of `external_user_id` at `network` that `owner` holds, if any.
pub async fn find_login(
    db: &impl ConnectionTrait,
    network: Network,
    external_user_id: &str,
    owner: Owner,
) -> Result<Option<social_logins::Model>, DbErr> {
    let owned = match owner {
        Owner::Organization(org) => social_logins::Column::OwnerOrganizationId.eq(org),
        Owner::User(user) => social_logins::Column::OwnerUserId.eq(user),
    };
    social_logins::Entity::find()
        .filter(social_logins::Column::Network.eq(network))
        .filter(social_logins::Column::ExternalUserId.eq(external_user_id))
        .filter(owned)
        .order_by_asc(social_logins::Column::Id)
        .one(db)
        .await
}

/// Creates the login of `identity` at `network` for `owner`, connected by `user_id` now (R4); the
/// caller stores its tokens next. When another sign-in created it meanwhile (two connects of one
/// identity at once), the unique index keeps one and that one is returned: `ON CONFLICT DO
/// NOTHING`, then read.
pub async fn insert_login(
    db: &impl ConnectionTrait,
    network: Network,
    owner: Owner,
    identity: &Identity,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<social_logins::Model, DbErr> {
    let (organization, user) = owner_columns(owner);
    let row = social_logins::ActiveModel {
        id: NotSet,
        network: Set(network),
        external_user_id: Set(identity.external_id.clone()),
        display_name: Set(identity.name.clone()),
        owner_organization_id: Set(organization),
        owner_user_id: Set(user),
        access_token_enc: Set(None),
        refresh_token_enc: Set(None),
        key_id: Set(None),
        token_expires_at: Set(None),
        refresh_expires_at: Set(None),
        scopes: Set(String::new()),
        status: Set(LoginStatus::Connected),
        disconnect_reason: Set(None),
        disconnected_at: Set(None),
        connected_by: Set(Some(user_id)),
        connected_at: Set(now),
        last_reconnected_by: Set(None),
        last_reconnected_at: Set(None),
        version: Set(0),
        created_at: Set(now),
        refresh_lease_until: Set(None),
        refresh_failures: Set(0),
        next_refresh_at: Set(None),
        checked_at: Set(None),
    };
    social_logins::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    find_login(db, network, &identity.external_id, owner)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("the login of {}", identity.external_id)))
}

/// The accounts of `owner` whose external id is one of `external_ids` (at any network, so an
/// Instagram profile finds its Facebook page, R18), and every account of the login `login_id`.
pub async fn accounts_for_connect(
    db: &impl ConnectionTrait,
    owner: Owner,
    external_ids: &[String],
    login_id: i64,
) -> Result<Vec<social_accounts::Model>, DbErr> {
    let owned = match owner {
        Owner::Organization(org) => social_accounts::Column::OwnerOrganizationId.eq(org),
        Owner::User(user) => social_accounts::Column::OwnerUserId.eq(user),
    };
    social_accounts::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all().add(owned).add(
                        social_accounts::Column::ExternalId.is_in(external_ids.iter().cloned()),
                    ),
                )
                .add(social_accounts::Column::SocialLoginId.eq(login_id)),
        )
        .order_by_asc(social_accounts::Column::Id)
        .all(db)
        .await
}

/// Inserts `draft` as a new account (its `id` is ignored) and records it like
/// [`crate::accounts::status::record_account_change`] does: audit `account.connected`, event
/// `CONNECTED` (B8). `None` when the owner holds that asset already (another connect added it
/// meanwhile: the unique index keeps one, `ON CONFLICT DO NOTHING`).
pub async fn insert_account(
    db: &impl ConnectionTrait,
    draft: social_accounts::Model,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<social_accounts::Model>, DbErr> {
    let (network, external_id) = (draft.network, draft.external_id.clone());
    let owner = Owner::from_columns(draft.owner_organization_id, draft.owner_user_id)
        .ok_or_else(|| DbErr::Custom("an account needs one owner".to_owned()))?;
    let mut row = draft.into_active_model().reset_all();
    row.id = NotSet;
    let inserted = social_accounts::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let account = find_account(db, network, &external_id, owner)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("the account {external_id}")))?;
    crate::accounts::status::record_account_change(
        db,
        &account,
        "account.connected",
        "CONNECTED",
        Some(user_id),
        now,
    )
    .await?;
    Ok(Some(account))
}

/// The account of `external_id` at `network` that `owner` holds, if any.
pub async fn find_account(
    db: &impl ConnectionTrait,
    network: Network,
    external_id: &str,
    owner: Owner,
) -> Result<Option<social_accounts::Model>, DbErr> {
    let owned = match owner {
        Owner::Organization(org) => social_accounts::Column::OwnerOrganizationId.eq(org),
        Owner::User(user) => social_accounts::Column::OwnerUserId.eq(user),
    };
    social_accounts::Entity::find()
        .filter(social_accounts::Column::Network.eq(network))
        .filter(social_accounts::Column::ExternalId.eq(external_id))
        .filter(owned)
        .one(db)
        .await
}

/// The login `login_id` with every account of it, if it exists.
pub async fn login_with_accounts(
    db: &impl ConnectionTrait,
    login_id: i64,
) -> Result<Option<(social_logins::Model, Vec<social_accounts::Model>)>, DbErr> {
    let Some(login) = social_logins::Entity::find_by_id(login_id).one(db).await? else {
        return Ok(None);
    };
    let accounts = social_accounts::Entity::find()
        .filter(social_accounts::Column::SocialLoginId.eq(login.id))
        .all(db)
        .await?;
    Ok(Some((login, accounts)))
}

/// The health of the accounts `accounts` are linked to (an Instagram profile's page, R18), by id.
pub async fn health_of_linked(
    db: &impl ConnectionTrait,
    accounts: &[social_accounts::Model],
) -> Result<std::collections::HashMap<i64, entity::enums::Health>, DbErr> {
    let linked: Vec<i64> = accounts
        .iter()
        .filter_map(|account| account.linked_account_id)
        .collect();
    Ok(social_accounts::Entity::find()
        .filter(social_accounts::Column::Id.is_in(linked))
        .all(db)
        .await?
        .into_iter()
        .map(|page| (page.id, page.health))
        .collect())
}

//! DataLoaders: nested fields of a list resolve in one statement per kind, not one per row.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{organizations, social_logins, users};
use sea_orm::{DatabaseConnection, DbErr};

use super::errors::{ApiError, ApiResult};
use crate::{access::Owner, accounts};

/// Batches lookups of one request.
pub struct Store {
    db: DatabaseConnection,
}

/// The request's loader, with a per-request cache.
pub type RequestLoader = DataLoader<Store, HashMapCache>;

/// A loader for one request.
pub fn for_request(db: DatabaseConnection) -> RequestLoader {
    DataLoader::with_cache(Store { db }, tokio::spawn, HashMapCache::default())
}

/// Loads one value through the request's loader; a database failure is an internal error.
pub async fn load<K>(
    ctx: &async_graphql::Context<'_>,
    key: K,
) -> ApiResult<Option<<Store as Loader<K>>::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + std::fmt::Debug + 'static,
    Store: Loader<K, Error = Arc<DbErr>>,
{
    let result = match ctx.data_opt::<RequestLoader>() {
        Some(loader) => loader.load_one(key.clone()).await,
        // Subscriptions resolve each pushed value without a request: a fresh loader, so nothing
        // cached from an earlier value is shown.
        None => {
            let db = super::context::database(ctx)?;
            for_request(db.clone()).load_one(key.clone()).await
        }
    };
    result.map_err(|error| ApiError::Internal(anyhow::anyhow!("loading {key:?}: {error}")))
}

/// A login by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoginKey(pub i64);
/// A user by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserKey(pub i64);
/// An organization by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrganizationKey(pub i64);
/// The accounts (id, owner) of a login, for R8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoginAccountsKey(pub i64);

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DbErr>>;

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> i64) -> Vec<i64> {
    keys.iter().map(|key| id(*key)).collect()
}

impl Loader<LoginKey> for Store {
    type Value = social_logins::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[LoginKey]) -> LoadResult<LoginKey, Self::Value> {
        let found = accounts::repo::logins_by_ids(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(found
            .into_iter()
            .map(|(id, login)| (LoginKey(id), login))
            .collect())
    }
}

impl Loader<UserKey> for Store {
    type Value = users::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[UserKey]) -> LoadResult<UserKey, Self::Value> {
        let found = crate::people::repo::users_by_ids(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(found
            .into_iter()
            .map(|(id, user)| (UserKey(id), user))
            .collect())
    }
}

impl Loader<OrganizationKey> for Store {
    type Value = organizations::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[OrganizationKey]) -> LoadResult<OrganizationKey, Self::Value> {
        let found =
            crate::people::repo::organizations_by_ids(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(found
            .into_iter()
            .map(|(id, org)| (OrganizationKey(id), org))
            .collect())
    }
}

impl Loader<LoginAccountsKey> for Store {
    type Value = Vec<(i64, Owner)>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[LoginAccountsKey]) -> LoadResult<LoginAccountsKey, Self::Value> {
        let found = accounts::repo::account_owners_by_login(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(found
            .into_iter()
            .map(|(id, owners)| (LoginAccountsKey(id), owners))
            .collect())
    }
}

/// The number of held posts of an account (R13), for `disconnect { heldPostCount }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HeldPostsKey(pub i64);

impl Loader<HeldPostsKey> for Store {
    type Value = i64;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[HeldPostsKey]) -> LoadResult<HeldPostsKey, Self::Value> {
        let found = crate::posts::repo::held_counts(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(found
            .into_iter()
            .map(|(id, count)| (HeldPostsKey(id), count))
            .collect())
    }
}

/// The analytics gaps of an account (B5), oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AnalyticsGapsKey(pub i64);

impl Loader<AnalyticsGapsKey> for Store {
    type Value = Vec<entity::analytics_gaps::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[AnalyticsGapsKey]) -> LoadResult<AnalyticsGapsKey, Self::Value> {
        let rows = accounts::repo::gaps_of(&self.db, &ids(keys, |k| k.0)).await?;
        let mut found: HashMap<AnalyticsGapsKey, Self::Value> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for gap in rows {
            found
                .entry(AnalyticsGapsKey(gap.social_account_id))
                .or_default()
                .push(gap);
        }
        Ok(found)
    }
}

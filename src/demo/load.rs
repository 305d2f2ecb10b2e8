//! A large synthetic organization for load tests and benchmarks.

use chrono::{DateTime, Duration, Utc};
use entity::{
    enums::{AccessLevel, AccountKind, DisconnectReason, Health, Network, OrgRole},
    organizations, social_accounts,
};
use sea_orm::{
    ActiveModelTrait as _, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait as _, NotSet,
    Set,
};

use crate::db;

use super::builders::{AccountSeed, LoginSeed, grant, login, member, user};

/// A large organization for load tests: `total` accounts (ten per login, every fifth login
/// disconnected) of which the member `viewer@load.example` is granted the first `visible`.
/// Returns the viewer's email.
pub async fn seed_load(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    total: usize,
    visible: usize,
) -> Result<String, DbErr> {
    let txn = db::begin_write(db).await?;
    let org = organizations::ActiveModel {
        id: NotSet,
        name: Set("Load Test Org".to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?
    .id;
    let admin = user(&txn, "admin@load.example", "Load Admin", now).await?;
    let viewer = user(&txn, "viewer@load.example", "Load Viewer", now).await?;
    member(&txn, org, admin, OrgRole::Admin, now).await?;
    member(&txn, org, viewer, OrgRole::Member, now).await?;
    let mut granted = 0;
    for batch in 0..total.div_ceil(10) {
        let external = format!("load-login-{batch}");
        let broken = (batch % 5 == 0).then(|| {
            (
                DisconnectReason::TokenExpired,
                now - Duration::minutes(i64::try_from(batch).unwrap_or(0)),
            )
        });
        let login_id = login(
            &txn,
            LoginSeed {
                network: Network::Facebook,
                external: &external,
                name: &external,
                org: Some(org),
                user: None,
                broken,
                expires: Some(now + Duration::days(30)),
                scopes: "pages_manage_posts",
                connected_by: admin,
                connected_at: now - Duration::days(10),
                reconnected: None,
            },
            now,
        )
        .await?;
        let health = if broken.is_some() {
            Health::Disconnected
        } else {
            Health::Connected
        };
        let rows: Vec<social_accounts::ActiveModel> = (batch * 10..(batch * 10 + 10).min(total))
            .map(|n| {
                AccountSeed {
                    login: login_id,
                    login_external: &external,
                    network: Network::Facebook,
                    kind: AccountKind::Page,
                    external: &format!("load-page-{n}"),
                    name: &format!("Load page {n}"),
                    org: Some(org),
                    user: None,
                    health,
                    broken,
                    linked: None,
                    limited: None,
                }
                .row(now)
            })
            .collect();
        social_accounts::Entity::insert_many(rows)
            .exec(&txn)
            .await?;
        if granted < visible {
            let ids: Vec<i64> = social_accounts_of(&txn, login_id).await?;
            for id in ids.into_iter().take(visible - granted) {
                grant(&txn, id, Some(viewer), None, AccessLevel::Editor, now).await?;
                granted += 1;
            }
        }
    }
    txn.commit().await?;
    Ok("viewer@load.example".to_owned())
}

async fn social_accounts_of(db: &impl ConnectionTrait, login_id: i64) -> Result<Vec<i64>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _, QuerySelect as _};
    social_accounts::Entity::find()
        .select_only()
        .column(social_accounts::Column::Id)
        .filter(social_accounts::Column::SocialLoginId.eq(login_id))
        .into_tuple()
        .all(db)
        .await
}

//! Round-trip test of the migrations: up, one row in every table through the entities, down, up again.
//! Runs on SQLite always; the PostgreSQL twin is `#[ignore]`d in a plain `cargo test` and run by
//! `.ci/run` with `RELINK_TEST_PG_URL` and `--include-ignored`, where a missing server fails it.

use std::time::{SystemTime, UNIX_EPOCH};

use entity::enums::{
    AccessLevel, AccountKind, DisconnectReason, Health, LimitedReason, LoginStatus, Network,
    OrgRole,
};
use entity::prelude::*;
use entity::{
    account_grants, audit_log, banner_dismissals, disconnect_episodes, events, memberships,
    organizations, social_accounts, social_logins, team_members, teams, users,
};
use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::prelude::{DateTimeUtc, Json};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, Set, Statement,
};

const TABLES: [&str; 17] = [
    "users",
    "organizations",
    "memberships",
    "teams",
    "team_members",
    "social_logins",
    "social_accounts",
    "account_grants",
    "disconnect_episodes",
    "banner_dismissals",
    "audit_log",
    "events",
    "scheduled_posts",
    "streams",
    "analytics_gaps",
    "sandbox_posts",
    "reconnect_links",
];

/// A name unique to this process and moment.
fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}_{}", std::process::id(), nanos)
}

fn ts(secs: i64) -> DateTimeUtc {
    DateTimeUtc::from_timestamp(secs, 0).expect("valid timestamp")
}

fn json(text: &str) -> Json {
    text.parse().expect("valid json")
}

async fn assert_tables(db: &DatabaseConnection, present: bool) -> Result<(), DbErr> {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert_eq!(
            manager.has_table(table).await?,
            present,
            "table {table} presence should be {present}"
        );
    }
    Ok(())
}

/// Inserts one row into every table through the entities and reads each back.
async fn insert_and_read_back(db: &DatabaseConnection) -> Result<(), DbErr> {
    let t0 = ts(1_700_000_000);
    let t1 = ts(1_700_003_600);

    let user = users::ActiveModel {
        email: Set("ada@example.com".to_owned()),
        name: Set("Ada".to_owned()),
        avatar_url: Set(Some("https://example.com/ada.png".to_owned())),
        external_subject: Set("sub-ada".to_owned()),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert!(user.id > 0);
    assert_eq!(
        Users::find_by_id(user.id).one(db).await?,
        Some(user.clone())
    );

    let org = organizations::ActiveModel {
        name: Set("Acme".to_owned()),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(
        Organizations::find_by_id(org.id).one(db).await?,
        Some(org.clone())
    );

    let membership = memberships::ActiveModel {
        organization_id: Set(org.id),
        user_id: Set(user.id),
        role: Set(OrgRole::SuperAdmin),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(
        Memberships::find_by_id(membership.id).one(db).await?,
        Some(membership)
    );

    let team = teams::ActiveModel {
        organization_id: Set(org.id),
        name: Set("Social".to_owned()),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(
        Teams::find_by_id(team.id).one(db).await?,
        Some(team.clone())
    );

    let team_member = team_members::ActiveModel {
        team_id: Set(team.id),
        user_id: Set(user.id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(
        TeamMembers::find_by_id(team_member.id).one(db).await?,
        Some(team_member)
    );

    let login = social_logins::ActiveModel {
        network: Set(Network::Facebook),
        external_user_id: Set("fb-123".to_owned()),
        display_name: Set("Ada on Facebook".to_owned()),
        owner_organization_id: Set(Some(org.id)),
        owner_user_id: Set(None),
        access_token_enc: Set(Some(vec![0, 1, 2, 255])),
        refresh_token_enc: Set(Some(vec![9, 8, 7])),
        key_id: Set(Some("k1".to_owned())),
        token_expires_at: Set(Some(t1)),
        refresh_expires_at: Set(None),
        scopes: Set("pages_show_list pages_read_engagement".to_owned()),
        status: Set(LoginStatus::Connected),
        disconnect_reason: Set(Some(DisconnectReason::DisconnectedByAdmin)),
        disconnected_at: Set(Some(t1)),
        connected_by: Set(Some(user.id)),
        connected_at: Set(t0),
        last_reconnected_by: Set(Some(user.id)),
        last_reconnected_at: Set(Some(t1)),
        version: Set(0),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(
        SocialLogins::find_by_id(login.id).one(db).await?,
        Some(login.clone())
    );

    let page = social_accounts::ActiveModel {
        network: Set(Network::Facebook),
        kind: Set(AccountKind::Page),
        external_id: Set("page-1".to_owned()),
        name: Set("Acme Page".to_owned()),
        avatar_url: Set(None),
        owner_organization_id: Set(Some(org.id)),
        owner_user_id: Set(None),
        social_login_id: Set(login.id),
        original_login_external_id: Set("fb-123".to_owned()),
        linked_account_id: Set(None),
        health: Set(Health::Connected),
        limited_reason: Set(None),
        disconnect_reason: Set(None),
        disconnected_at: Set(None),
        current_episode_id: Set(None),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let account = social_accounts::ActiveModel {
        network: Set(Network::Instagram),
        kind: Set(AccountKind::BusinessProfile),
        external_id: Set("ig-1".to_owned()),
        name: Set("Acme IG".to_owned()),
        avatar_url: Set(Some("https://example.com/ig.png".to_owned())),
        owner_organization_id: Set(Some(org.id)),
        owner_user_id: Set(None),
        social_login_id: Set(login.id),
        original_login_external_id: Set("fb-123".to_owned()),
        linked_account_id: Set(Some(page.id)),
        health: Set(Health::Limited),
        limited_reason: Set(Some(LimitedReason::LinkedPageNotAuthorized)),
        disconnect_reason: Set(Some(DisconnectReason::PageRoleLost)),
        disconnected_at: Set(Some(t1)),
        current_episode_id: Set(Some(42)),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(
        SocialAccounts::find_by_id(page.id).one(db).await?,
        Some(page)
    );
    assert_eq!(
        SocialAccounts::find_by_id(account.id).one(db).await?,
        Some(account.clone())
    );

    let grant = account_grants::ActiveModel {
        social_account_id: Set(account.id),
        user_id: Set(None),
        team_id: Set(Some(team.id)),
        level: Set(AccessLevel::Advanced),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(
        AccountGrants::find_by_id(grant.id).one(db).await?,
        Some(grant)
    );

    let episode = disconnect_episodes::ActiveModel {
        social_account_id: Set(account.id),
        reason: Set(DisconnectReason::TokenExpired),
        started_at: Set(t0),
        ended_at: Set(Some(t1)),
        ended_by: Set(Some(user.id)),
        email_sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(
        DisconnectEpisodes::find_by_id(episode.id).one(db).await?,
        Some(episode)
    );

    let dismissal = banner_dismissals::ActiveModel {
        user_id: Set(user.id),
        dismissed_at: Set(t1),
    }
    .insert(db)
    .await?;
    assert_eq!(dismissal.user_id, user.id);
    assert_eq!(
        BannerDismissals::find_by_id(user.id).one(db).await?,
        Some(dismissal)
    );

    let audit = audit_log::ActiveModel {
        organization_id: Set(Some(org.id)),
        actor_user_id: Set(Some(user.id)),
        action: Set("social_account.connected".to_owned()),
        target_type: Set("social_account".to_owned()),
        target_id: Set(Some(account.id)),
        detail: Set(json(r#"{"network":"INSTAGRAM","ids":[1,2,3],"ok":true}"#)),
        at: Set(t1),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(AuditLog::find_by_id(audit.id).one(db).await?, Some(audit));

    let event = events::ActiveModel {
        kind: Set("ACCOUNT_HEALTH_CHANGED".to_owned()),
        organization_id: Set(Some(org.id)),
        owner_user_id: Set(None),
        social_account_id: Set(Some(account.id)),
        social_login_id: Set(Some(login.id)),
        payload: Set(json(r#"{"health":"LIMITED"}"#)),
        created_at: Set(t1),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(Events::find_by_id(event.id).one(db).await?, Some(event));

    // The default on `version` applies when the column is left unset.
    let second_login = social_logins::ActiveModel {
        network: Set(Network::X),
        external_user_id: Set("x-1".to_owned()),
        display_name: Set("Ada on X".to_owned()),
        owner_user_id: Set(Some(user.id)),
        scopes: Set(String::new()),
        status: Set(LoginStatus::Disconnected),
        connected_at: Set(t0),
        created_at: Set(t0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(second_login.version, 0);
    assert_eq!(second_login.access_token_enc, None);

    assert_eq!(SocialLogins::find().count(db).await?, 2);
    assert_eq!(SocialAccounts::find().count(db).await?, 2);
    Ok(())
}

/// Up, insert everything, down, up again (and insert again into the recreated schema).
async fn round_trip(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    assert_tables(db, true).await?;
    assert_eq!(Migrator::get_pending_migrations(db).await?.len(), 0);
    insert_and_read_back(db).await?;

    Migrator::down(db, None).await?;
    assert_tables(db, false).await?;
    assert_eq!(
        Migrator::get_pending_migrations(db).await?.len(),
        Migrator::migrations().len()
    );

    Migrator::up(db, None).await?;
    assert_tables(db, true).await?;
    assert_eq!(Users::find().count(db).await?, 0);
    insert_and_read_back(db).await?;
    Ok(())
}

#[tokio::test]
async fn sqlite_up_down_up() -> Result<(), DbErr> {
    let path = std::env::temp_dir().join(format!("relink_mig_{}.sqlite", unique_suffix()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(&url).await?;
    let result = async {
        round_trip(&db).await?;
        // The i64 keys must be rowid aliases with AUTOINCREMENT on SQLite.
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("users table missing".to_owned()))?;
        let sql: String = row.try_get("", "sql")?;
        assert!(
            sql.contains("\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT"),
            "unexpected DDL: {sql}"
        );
        Ok::<(), DbErr>(())
    }
    .await;
    db.close().await?;
    let _ = std::fs::remove_file(&path);
    result
}

/// Returns `url` without any database path or query string.
fn server_url(url: &str) -> &str {
    let url = url.split('?').next().unwrap_or(url);
    match url.find("://") {
        Some(scheme_end) => match url[scheme_end + 3..].find('/') {
            Some(slash) => &url[..scheme_end + 3 + slash],
            None => url,
        },
        None => url,
    }
}

/// `data_type[(len)]/is_identity` of a PostgreSQL column.
async fn pg_column_type(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
) -> Result<String, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT data_type, character_maximum_length, is_identity \
             FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
            [table.into(), column.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("{table}.{column} missing")))?;
    let data_type: String = row.try_get("", "data_type")?;
    let len: Option<i32> = row.try_get("", "character_maximum_length")?;
    let identity: String = row.try_get("", "is_identity")?;
    Ok(match len {
        Some(len) => format!("{data_type}({len})/{identity}"),
        None => format!("{data_type}/{identity}"),
    })
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set RELINK_TEST_PG_URL and pass --include-ignored (see .ci/run)"]
async fn postgres_up_down_up() -> Result<(), DbErr> {
    let url = std::env::var("RELINK_TEST_PG_URL")
        .expect("RELINK_TEST_PG_URL must name the PostgreSQL server for this test");
    let base = server_url(&url).trim_end_matches('/').to_owned();
    let db_name = format!("relink_mig_{}", unique_suffix());

    let admin = Database::connect(format!("{base}/postgres")).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{db_name}\""))
        .await?;

    let result = async {
        let db = Database::connect(format!("{base}/{db_name}")).await?;
        let outcome = async {
            round_trip(&db).await?;
            for (table, column, expected) in [
                ("users", "id", "bigint/YES"),
                ("banner_dismissals", "user_id", "bigint/NO"),
                ("memberships", "role", "character varying(32)/NO"),
                ("social_logins", "access_token_enc", "bytea/NO"),
                ("audit_log", "detail", "jsonb/NO"),
                ("events", "created_at", "timestamp with time zone/NO"),
            ] {
                assert_eq!(pg_column_type(&db, table, column).await?, expected);
            }
            Ok::<(), DbErr>(())
        }
        .await;
        db.close().await?;
        outcome
    }
    .await;

    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
        ))
        .await?;
    admin.close().await?;
    result
}

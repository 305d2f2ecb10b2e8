//! Demo data: the Northwind Coffee organization of the README's walkthrough, and a large synthetic organization for
//! tests and benchmarks.

use chrono::{DateTime, Duration, Utc};
use entity::{
    account_grants, analytics_gaps, automation_rules, disconnect_episodes,
    enums::{
        AccessLevel, AccountKind, AutomationKind, DisconnectReason, Health, LimitedReason,
        LoginStatus, Network, OrgRole, PostState, StreamKind,
    },
    memberships, organizations, scheduled_posts, social_accounts, social_logins, team_members,
    teams, users,
};
use sea_orm::{
    ActiveModelTrait as _, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait as _, NotSet,
    PaginatorTrait as _, Set,
};

use crate::db;

/// True when the database has no users yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(users::Entity::find().count(db).await? == 0)
}

async fn user(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let subject = format!(
        "{}|{}",
        email.split('@').nth(1).unwrap_or("relink"),
        email.split('@').next().unwrap_or(email)
    );
    Ok(users::ActiveModel {
        id: NotSet,
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        avatar_url: Set(None),
        external_subject: Set(subject),
        created_at: Set(now),
    }
    .insert(db)
    .await?
    .id)
}

async fn member(
    db: &impl ConnectionTrait,
    org: i64,
    user: i64,
    role: OrgRole,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    memberships::ActiveModel {
        id: NotSet,
        organization_id: Set(org),
        user_id: Set(user),
        role: Set(role),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A login to insert.
struct LoginSeed<'a> {
    network: Network,
    external: &'a str,
    name: &'a str,
    org: Option<i64>,
    user: Option<i64>,
    broken: Option<(DisconnectReason, DateTime<Utc>)>,
    expires: Option<DateTime<Utc>>,
    scopes: &'a str,
    connected_by: i64,
    connected_at: DateTime<Utc>,
    reconnected: Option<(i64, DateTime<Utc>)>,
}

async fn login(
    db: &impl ConnectionTrait,
    seed: LoginSeed<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    Ok(social_logins::ActiveModel {
        id: NotSet,
        network: Set(seed.network),
        external_user_id: Set(seed.external.to_owned()),
        display_name: Set(seed.name.to_owned()),
        owner_organization_id: Set(seed.org),
        owner_user_id: Set(seed.user),
        // Demo logins carry no tokens: the sandbox issues real ones on the first (re)connect.
        access_token_enc: Set(None),
        refresh_token_enc: Set(None),
        key_id: Set(None),
        token_expires_at: Set(seed.expires),
        refresh_expires_at: Set(None),
        scopes: Set(seed.scopes.to_owned()),
        status: Set(if seed.broken.is_some() {
            LoginStatus::Disconnected
        } else {
            LoginStatus::Connected
        }),
        disconnect_reason: Set(seed.broken.map(|(reason, _)| reason)),
        disconnected_at: Set(seed.broken.map(|(_, at)| at)),
        connected_by: Set(Some(seed.connected_by)),
        connected_at: Set(seed.connected_at),
        last_reconnected_by: Set(seed.reconnected.map(|(user, _)| user)),
        last_reconnected_at: Set(seed.reconnected.map(|(_, at)| at)),
        version: Set(0),
        created_at: Set(now),
        refresh_lease_until: Set(None),
        refresh_failures: Set(0),
        next_refresh_at: Set(None),
        checked_at: Set(None),
    }
    .insert(db)
    .await?
    .id)
}

/// An account to insert.
struct AccountSeed<'a> {
    login: i64,
    login_external: &'a str,
    network: Network,
    kind: AccountKind,
    external: &'a str,
    name: &'a str,
    org: Option<i64>,
    user: Option<i64>,
    health: Health,
    broken: Option<(DisconnectReason, DateTime<Utc>)>,
    linked: Option<i64>,
    limited: Option<LimitedReason>,
}

impl AccountSeed<'_> {
    fn row(&self, now: DateTime<Utc>) -> social_accounts::ActiveModel {
        social_accounts::ActiveModel {
            id: NotSet,
            network: Set(self.network),
            kind: Set(self.kind),
            external_id: Set(self.external.to_owned()),
            name: Set(self.name.to_owned()),
            avatar_url: Set(None),
            owner_organization_id: Set(self.org),
            owner_user_id: Set(self.user),
            social_login_id: Set(self.login),
            original_login_external_id: Set(self.login_external.to_owned()),
            linked_account_id: Set(self.linked),
            health: Set(self.health),
            limited_reason: Set(self.limited),
            disconnect_reason: Set(self.broken.map(|(reason, _)| reason)),
            disconnected_at: Set(self.broken.map(|(_, at)| at)),
            current_episode_id: Set(None),
            created_at: Set(now),
        }
    }
}

async fn account(
    db: &impl ConnectionTrait,
    seed: AccountSeed<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let id = seed.row(now).insert(db).await?.id;
    if let Some((reason, at)) = seed.broken {
        open_episode(db, id, reason, at).await?;
    }
    Ok(id)
}

async fn open_episode(
    db: &impl ConnectionTrait,
    account: i64,
    reason: DisconnectReason,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let episode = disconnect_episodes::ActiveModel {
        id: NotSet,
        social_account_id: Set(account),
        reason: Set(reason),
        started_at: Set(at),
        ended_at: Set(None),
        ended_by: Set(None),
        email_sent_at: Set(None),
        email_attempts: Set(0),
        recovered_email_sent_at: Set(None),
    }
    .insert(db)
    .await?;
    // B5: no analytics since the disconnect.
    analytics_gaps::ActiveModel {
        id: NotSet,
        social_account_id: Set(account),
        episode_id: Set(episode.id),
        from: Set(at),
        to: Set(None),
    }
    .insert(db)
    .await?;
    social_accounts::ActiveModel {
        id: Set(account),
        current_episode_id: Set(Some(episode.id)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

async fn grant(
    db: &impl ConnectionTrait,
    account: i64,
    user: Option<i64>,
    team: Option<i64>,
    level: AccessLevel,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account_grants::ActiveModel {
        id: NotSet,
        social_account_id: Set(account),
        user_id: Set(user),
        team_id: Set(team),
        level: Set(level),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Loads Northwind Coffee (the README's walkthrough): four users with every kind of permission, Facebook pages and a
/// group behind one login that is disconnected (so the banner shows), an Instagram business
/// profile linked to a page, LinkedIn and X accounts, and a personal X profile.
pub async fn seed(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), DbErr> {
    let txn = db::begin_write(db).await?;
    let org = organizations::ActiveModel {
        id: NotSet,
        name: Set("Northwind Coffee".to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?
    .id;
    let ada = user(&txn, "ada@northwind.example", "Ada Lovelace", now).await?;
    let ben = user(&txn, "ben@northwind.example", "Ben Okafor", now).await?;
    let cleo = user(&txn, "cleo@northwind.example", "Cleo Martin", now).await?;
    let dev = user(&txn, "dev@northwind.example", "Dev Patel", now).await?;
    member(&txn, org, ada, OrgRole::SuperAdmin, now).await?;
    member(&txn, org, ben, OrgRole::Admin, now).await?;
    member(&txn, org, cleo, OrgRole::Member, now).await?;
    member(&txn, org, dev, OrgRole::Member, now).await?;
    let team = teams::ActiveModel {
        id: NotSet,
        organization_id: Set(org),
        name: Set("Content team".to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?
    .id;
    for user_id in [cleo, dev] {
        team_members::ActiveModel {
            id: NotSet,
            team_id: Set(team),
            user_id: Set(user_id),
        }
        .insert(&txn)
        .await?;
    }

    // Facebook: two pages and a group behind Nora's login, broken by a password change.
    let broke = Some((DisconnectReason::PasswordChanged, now - Duration::hours(2)));
    let fb = login(&txn, LoginSeed {
        network: Network::Facebook, external: "fb-nora", name: "Nora Fields", org: Some(org), user: None,
        broken: broke, expires: Some(now + Duration::days(40)),
        scopes: "pages_manage_posts pages_read_engagement pages_show_list groups_access_member_info",
        connected_by: ada, connected_at: now - Duration::days(200), reconnected: Some((ben, now - Duration::days(30))),
    }, now).await?;
    let fb_account = |external, name, kind| AccountSeed {
        login: fb,
        login_external: "fb-nora",
        network: Network::Facebook,
        kind,
        external,
        name,
        org: Some(org),
        user: None,
        health: Health::Disconnected,
        broken: broke,
        linked: None,
        limited: None,
    };
    let page = account(
        &txn,
        fb_account("fb-page-northwind", "Northwind Coffee", AccountKind::Page),
        now,
    )
    .await?;
    let roastery = account(
        &txn,
        fb_account("fb-page-roastery", "Northwind Roastery", AccountKind::Page),
        now,
    )
    .await?;
    let group = account(
        &txn,
        fb_account(
            "fb-group-lovers",
            "Northwind Coffee Lovers",
            AccountKind::Group,
        ),
        now,
    )
    .await?;

    // Instagram: the business profile linked to the Facebook page, limited while the page is out (R18).
    let ig = login(
        &txn,
        LoginSeed {
            network: Network::Instagram,
            external: "ig-nora",
            name: "Nora Fields",
            org: Some(org),
            user: None,
            broken: None,
            expires: Some(now + Duration::days(50)),
            scopes: "instagram_basic instagram_content_publish",
            connected_by: ben,
            connected_at: now - Duration::days(120),
            reconnected: None,
        },
        now,
    )
    .await?;
    let instagram = account(
        &txn,
        AccountSeed {
            login: ig,
            login_external: "ig-nora",
            network: Network::Instagram,
            kind: AccountKind::BusinessProfile,
            external: "ig-biz-northwind",
            name: "@northwindcoffee",
            org: Some(org),
            user: None,
            health: Health::Limited,
            broken: None,
            linked: Some(page),
            limited: Some(LimitedReason::LinkedPageNotAuthorized),
        },
        now,
    )
    .await?;

    // LinkedIn: a company page and a profile; the token cannot be refreshed and runs out in 5 days.
    let li = login(
        &txn,
        LoginSeed {
            network: Network::Linkedin,
            external: "li-ada",
            name: "Ada Lovelace",
            org: Some(org),
            user: None,
            broken: None,
            expires: Some(now + Duration::days(5)),
            scopes: "w_member_social w_organization_social r_organization_admin",
            connected_by: ada,
            connected_at: now - Duration::days(55),
            reconnected: None,
        },
        now,
    )
    .await?;
    let li_account = |external, name, kind| AccountSeed {
        login: li,
        login_external: "li-ada",
        network: Network::Linkedin,
        kind,
        external,
        name,
        org: Some(org),
        user: None,
        health: Health::Expiring,
        broken: None,
        linked: None,
        limited: None,
    };
    let company = account(
        &txn,
        li_account(
            "li-company-northwind",
            "Northwind Coffee",
            AccountKind::CompanyPage,
        ),
        now,
    )
    .await?;
    account(
        &txn,
        li_account("li-member-ada", "Ada Lovelace", AccountKind::Profile),
        now,
    )
    .await?;

    // X: the brand profile, and Ben's personal profile (R17).
    let x = login(
        &txn,
        LoginSeed {
            network: Network::X,
            external: "x-northwind",
            name: "@northwind",
            org: Some(org),
            user: None,
            broken: None,
            // Demo logins carry no tokens; X's would be refreshed, so no expiry to warn about.
            expires: None,
            scopes: "tweet.read tweet.write users.read offline.access",
            connected_by: ben,
            connected_at: now - Duration::days(90),
            reconnected: Some((ada, now - Duration::days(3))),
        },
        now,
    )
    .await?;
    let x_brand = account(
        &txn,
        AccountSeed {
            login: x,
            login_external: "x-northwind",
            network: Network::X,
            kind: AccountKind::Profile,
            external: "x-northwind",
            name: "@northwind",
            org: Some(org),
            user: None,
            health: Health::Connected,
            broken: None,
            linked: None,
            limited: None,
        },
        now,
    )
    .await?;
    let x_ben = login(
        &txn,
        LoginSeed {
            network: Network::X,
            external: "x-ben-brews",
            name: "@ben_brews",
            org: None,
            user: Some(ben),
            broken: None,
            expires: None,
            scopes: "tweet.read tweet.write users.read offline.access",
            connected_by: ben,
            connected_at: now - Duration::days(10),
            reconnected: None,
        },
        now,
    )
    .await?;
    account(
        &txn,
        AccountSeed {
            login: x_ben,
            login_external: "x-ben-brews",
            network: Network::X,
            kind: AccountKind::Profile,
            external: "x-ben-brews",
            name: "@ben_brews",
            org: None,
            user: Some(ben),
            health: Health::Connected,
            broken: None,
            linked: None,
            limited: None,
        },
        now,
    )
    .await?;

    // Cleo may reconnect the roastery page (and so, by R8, the whole Facebook login).
    grant(&txn, roastery, Some(cleo), None, AccessLevel::Advanced, now).await?;
    grant(&txn, company, Some(cleo), None, AccessLevel::Editor, now).await?;
    // Dev edits the broken page and group but may not reconnect: sees the banner and whom to ask.
    grant(&txn, page, Some(dev), None, AccessLevel::Editor, now).await?;
    grant(&txn, group, Some(dev), None, AccessLevel::Editor, now).await?;
    grant(&txn, instagram, None, Some(team), AccessLevel::Limited, now).await?;
    grant(&txn, x_brand, None, Some(team), AccessLevel::Limited, now).await?;

    // R19 / B6: rules checked again after every reconnect. Dev cannot see the roastery page, so
    // the assignment to him is flagged the next time that login comes back.
    let rules = [
        (
            page,
            AutomationKind::AutoTag,
            "Tag complaints",
            serde_json::json!({ "tag": "complaint", "requiresScope": "pages_read_engagement" }),
        ),
        (
            roastery,
            AutomationKind::AutoAssign,
            "Assign roastery messages to Dev",
            serde_json::json!({ "assigneeUserId": dev }),
        ),
        (
            group,
            AutomationKind::AutoTag,
            "Tag event questions",
            serde_json::json!({ "tag": "event", "requiresScope": "groups_access_member_info" }),
        ),
    ];
    // R13: posts in the planner, held on the broken page; R15: streams on every dashboard.
    let posts = [
        (
            page,
            dev,
            "Weekend roast: Ethiopian Yirgacheffe, light and floral.",
            Duration::days(1),
            PostState::Held,
        ),
        (
            page,
            ada,
            "Latte art class on Saturday, 10 am. Bring a friend!",
            Duration::days(3),
            PostState::Held,
        ),
        (
            x_brand,
            ben,
            "Flat whites are back on the menu.",
            Duration::hours(2),
            PostState::Scheduled,
        ),
        (
            company,
            ben,
            "We are hiring baristas in Hamburg.",
            Duration::days(1),
            PostState::Scheduled,
        ),
    ];
    for (account, author, body, after, state) in posts {
        scheduled_posts::ActiveModel {
            id: NotSet,
            social_account_id: Set(account),
            author_id: Set(author),
            body: Set(body.to_owned()),
            scheduled_at: Set(Some(now + after)),
            state: Set(state),
            idempotency_key: Set(crate::posts::compose::idempotency_key()),
            attempts: Set(0),
            lease_until: Set(None),
            not_before: Set(None),
            held_at: Set((state == PostState::Held).then_some(now)),
            published_at: Set(None),
            external_post_id: Set(None),
            failure_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let streams = [
        (ada, page, StreamKind::Posts, "Northwind Coffee: posts"),
        (ada, x_brand, StreamKind::Mentions, "@northwind: mentions"),
        (
            ben,
            company,
            StreamKind::Posts,
            "Northwind Coffee on LinkedIn",
        ),
        (cleo, roastery, StreamKind::Posts, "Roastery: posts"),
        (dev, page, StreamKind::Posts, "Northwind Coffee: posts"),
    ];
    for (owner, account, kind, title) in streams {
        entity::streams::ActiveModel {
            id: NotSet,
            owner_user_id: Set(owner),
            social_account_id: Set(account),
            kind: Set(kind),
            title: Set(title.to_owned()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }

    for (account, kind, name, config) in rules {
        automation_rules::ActiveModel {
            id: NotSet,
            organization_id: Set(org),
            social_account_id: Set(account),
            kind: Set(kind),
            name: Set(name.to_owned()),
            config: Set(config),
            needs_review: Set(false),
            review_reason: Set(None),
            last_checked_at: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await
}

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

/// Gives every connected login without tokens whose identity the sandbox network plays real
/// sandbox tokens (sealed at rest like any other), as if it had just been reconnected: the demo
/// data then publishes, refreshes and shows streams. A login's recorded expiry is kept, so the
/// demo's EXPIRING accounts stay so. Returns how many logins got tokens.
pub async fn connect_sandbox_logins(
    db: &DatabaseConnection,
    cipher: &crate::crypto::TokenCipher,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let logins = social_logins::Entity::find()
        .filter(social_logins::Column::Status.eq(LoginStatus::Connected))
        .filter(social_logins::Column::AccessTokenEnc.is_null())
        .all(db)
        .await?;
    let mut connected = 0;
    for login in logins {
        let Some(tokens) = crate::sandbox::tokens_for(
            db,
            login.network,
            &login.external_user_id,
            &login.scopes,
            now,
        )
        .await?
        else {
            continue;
        };
        let txn = db::begin_write(db).await?;
        if !crate::reconnect::repo::store_tokens(&txn, cipher, &login, &tokens, None, now).await? {
            continue;
        }
        if login.token_expires_at.is_some() {
            social_logins::ActiveModel {
                id: Set(login.id),
                token_expires_at: Set(login.token_expires_at),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        txn.commit().await?;
        connected += 1;
    }
    Ok(connected)
}

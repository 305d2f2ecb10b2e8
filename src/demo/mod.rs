//! Demo data: the Northwind Coffee organization of the README's walkthrough (its people and
//! accounts here, their permissions, rules, posts and streams in `work.rs`), a large synthetic
//! organization for tests and benchmarks (`load.rs`), and sandbox tokens for the demo's logins.

mod builders;
mod load;
mod tokens;
mod work;

pub use load::seed_load;
pub use tokens::connect_sandbox_logins;

use chrono::{DateTime, Duration, Utc};
use entity::{
    enums::{AccountKind, DisconnectReason, Health, LimitedReason, Network, OrgRole},
    organizations, team_members, teams, users,
};
use sea_orm::{
    ActiveModelTrait as _, DatabaseConnection, DbErr, EntityTrait as _, NotSet,
    PaginatorTrait as _, Set,
};

use crate::db;

use builders::{AccountSeed, LoginSeed, account, login, member, user};
use work::{Northwind, seed_work};

/// True when the database has no users yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(users::Entity::find().count(db).await? == 0)
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
    // The member's own profile has the member's id (LinkedIn's `sub`), as live LinkedIn lists it.
    account(
        &txn,
        li_account("li-ada", "Ada Lovelace", AccountKind::Profile),
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
    seed_work(
        &txn,
        &Northwind {
            org,
            ada,
            ben,
            cleo,
            dev,
            team,
            page,
            roastery,
            group,
            instagram,
            x_brand,
            company,
        },
        now,
    )
    .await?;
    txn.commit().await
}

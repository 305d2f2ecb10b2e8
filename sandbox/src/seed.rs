//! The sandbox's simulated identities and assets, matching the Northwind Coffee demo data
//! (the README's walkthrough), and one OAuth client per network.

use chrono::{DateTime, Utc};
use entity::{
    enums::{AccountKind, Network},
    sandbox_assets, sandbox_clients, sandbox_identities,
    sandbox_roles::{self, SandboxRole},
};
use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DatabaseConnection, DbErr, NotSet, Set};

use sea_orm::Iterable as _;

use super::{client_id, repo, secrets};

/// True when the sandbox has no identities and no clients yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    repo::is_empty(db).await
}

/// An asset to create: (external id, kind, name, linked page, added by).
type AssetSeed = (
    &'static str,
    AccountKind,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

#[rustfmt::skip]
const ASSETS: &[(Network, AssetSeed)] = &[
    (Network::Facebook, ("fb-page-northwind", AccountKind::Page, "Northwind Coffee", None, None)),
    (Network::Facebook, ("fb-page-roastery", AccountKind::Page, "Northwind Roastery", None, None)),
    // R5: a group remembers who added the app to it.
    (Network::Facebook, ("fb-group-lovers", AccountKind::Group, "Northwind Coffee Lovers", None, Some("fb-nora"))),
    // R18: an Instagram business profile is linked to a Facebook page.
    (Network::Instagram, ("ig-biz-northwind", AccountKind::BusinessProfile, "@northwindcoffee", Some("fb-page-northwind"), None)),
    (Network::Instagram, ("ig-biz-roastery", AccountKind::BusinessProfile, "@northwindroastery", Some("fb-page-roastery"), None)),
    (Network::Linkedin, ("li-ada", AccountKind::Profile, "Ada Lovelace", None, None)),
    (Network::Linkedin, ("li-member-ben", AccountKind::Profile, "Ben Okafor", None, None)),
    (Network::Linkedin, ("li-company-northwind", AccountKind::CompanyPage, "Northwind Coffee", None, None)),
    (Network::X, ("x-northwind", AccountKind::Profile, "@northwind", None, None)),
    (Network::X, ("x-ben-brews", AccountKind::Profile, "@ben_brews", None, None)),
    (Network::X, ("x-other", AccountKind::Profile, "@not_northwind", None, None)),
    (Network::Youtube, ("yt-channel-northwind", AccountKind::Channel, "Northwind Coffee", None, None)),
    (Network::Youtube, ("yt-channel-other", AccountKind::Channel, "Someone Else", None, None)),
];

/// An identity to create: (network, external id, name, [(asset, role)]).
type IdentitySeed = (
    Network,
    &'static str,
    &'static str,
    &'static [(&'static str, SandboxRole)],
);

#[rustfmt::skip]
const IDENTITIES: &[IdentitySeed] = &[
    (Network::Facebook, "fb-nora", "Nora Fields", &[
        ("fb-page-northwind", SandboxRole::Admin),
        ("fb-page-roastery", SandboxRole::Admin),
        ("fb-group-lovers", SandboxRole::Admin),
    ]),
    // R6: Omar only edits the main page, so he cannot reconnect it.
    (Network::Facebook, "fb-omar", "Omar Reyes", &[
        ("fb-page-northwind", SandboxRole::Editor),
        ("fb-page-roastery", SandboxRole::Admin),
        ("fb-group-lovers", SandboxRole::Member),
    ]),
    (Network::Facebook, "fb-priya", "Priya Shah", &[("fb-page-northwind", SandboxRole::Admin)]),
    (Network::Instagram, "ig-nora", "Nora Fields", &[("ig-biz-northwind", SandboxRole::Owner)]),
    (Network::Instagram, "ig-omar", "Omar Reyes", &[("ig-biz-roastery", SandboxRole::Owner)]),
    (Network::Linkedin, "li-ada", "Ada Lovelace", &[
        ("li-ada", SandboxRole::Owner),
        ("li-company-northwind", SandboxRole::Admin),
    ]),
    (Network::Linkedin, "li-ben", "Ben Okafor", &[
        ("li-member-ben", SandboxRole::Owner),
        ("li-company-northwind", SandboxRole::Editor),
    ]),
    (Network::X, "x-northwind", "@northwind", &[("x-northwind", SandboxRole::Owner)]),
    (Network::X, "x-ben-brews", "@ben_brews", &[("x-ben-brews", SandboxRole::Owner)]),
    (Network::X, "x-other", "@not_northwind", &[("x-other", SandboxRole::Owner)]),
    (Network::Youtube, "yt-northwind", "Northwind Coffee", &[("yt-channel-northwind", SandboxRole::Owner)]),
    (Network::Youtube, "yt-other", "Someone Else", &[("yt-channel-other", SandboxRole::Owner)]),
];

/// Loads the identities, assets, roles and one client per network (each with a fresh random
/// secret) into an empty sandbox, in one transaction. Returns false, changing nothing, when the
/// sandbox already has data, so running it again (or on a second replica) is harmless.
pub async fn seed(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, DbErr> {
    match seed_empty(db, now).await {
        Ok(seeded) => Ok(seeded),
        // Two replicas starting together on PostgreSQL: the loser hits a unique index.
        Err(_) if !repo::is_empty(db).await? => Ok(false),
        Err(error) => Err(error),
    }
}

async fn seed_empty(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let txn = crate::support::begin_write(db).await?;
    if !repo::is_empty(&txn).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    let mut assets = Vec::with_capacity(ASSETS.len());
    for (network, (external_id, kind, name, linked, added_by)) in ASSETS {
        let asset = sandbox_assets::ActiveModel {
            id: NotSet,
            network: Set(*network),
            external_id: Set((*external_id).to_owned()),
            kind: Set(*kind),
            name: Set((*name).to_owned()),
            linked_external_id: Set(linked.map(str::to_owned)),
            added_by_external_id: Set(added_by.map(str::to_owned)),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        assets.push(asset);
    }
    for (network, external_id, name, roles) in IDENTITIES {
        let identity = identity(&txn, *network, external_id, name, now).await?;
        for (asset_external_id, role) in *roles {
            let Some(asset) = assets
                .iter()
                .find(|asset| asset.network == *network && asset.external_id == *asset_external_id)
            else {
                continue;
            };
            sandbox_roles::ActiveModel {
                id: NotSet,
                identity_id: Set(identity),
                asset_id: Set(asset.id),
                role: Set(*role),
            }
            .insert(&txn)
            .await?;
        }
    }
    for network in Network::iter() {
        sandbox_clients::ActiveModel {
            id: NotSet,
            network: Set(network),
            client_id: Set(client_id(network)),
            client_secret: Set(secrets::random_token()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

async fn identity(
    db: &impl ConnectionTrait,
    network: Network,
    external_id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    Ok(sandbox_identities::ActiveModel {
        id: NotSet,
        network: Set(network),
        external_id: Set(external_id.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?
    .id)
}

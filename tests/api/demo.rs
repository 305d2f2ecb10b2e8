//! The demo organization answers the README's first query as the README promises (R3, R4, R8, R9–R11).

use serde_json::{Value, json};

use crate::helpers::TestApp;

const STATUS: &str = r#"{
  viewer { user { name email } organizations { name viewerRole } }
  reconnectStatus {
    bannerVisible badgeCount reauthPath
    accounts { name health viewerCanReconnect lastReconnectedBy { name } disconnect { reason fix } }
  }
}"#;

fn names(body: &Value) -> Vec<&str> {
    body["data"]["reconnectStatus"]["accounts"]
        .as_array()
        .map(|list| list.iter().filter_map(|a| a["name"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_super_admin_sees_every_account_that_needs_attention_and_may_reconnect_all() {
    let app = TestApp::spawn_demo().await;
    let body = app
        .graphql("ada@northwind.example", STATUS, json!({}))
        .await;
    let status = &body["data"]["reconnectStatus"];
    assert_eq!(status["bannerVisible"], true, "{body}");
    assert_eq!(
        status["badgeCount"], 3,
        "two pages and a group are disconnected"
    );
    assert_eq!(status["reauthPath"], "/dashboard#/social-networks/reauth");
    assert_eq!(
        body["data"]["viewer"]["organizations"][0]["viewerRole"],
        "SUPER_ADMIN"
    );
    let accounts = status["accounts"].as_array().expect("list");
    // 3 disconnected, 2 expiring LinkedIn accounts, 1 limited Instagram profile.
    assert_eq!(accounts.len(), 6, "{body}");
    assert!(accounts.iter().all(|a| a["viewerCanReconnect"] == true));
    let healths: Vec<&str> = accounts
        .iter()
        .filter_map(|a| a["health"].as_str())
        .collect();
    assert_eq!(
        healths,
        [
            "DISCONNECTED",
            "DISCONNECTED",
            "DISCONNECTED",
            "EXPIRING",
            "EXPIRING",
            "LIMITED"
        ],
        "most urgent first"
    );
    assert_eq!(accounts[0]["disconnect"]["reason"], "PASSWORD_CHANGED");
}

#[tokio::test]
async fn an_editor_sees_the_banner_may_not_reconnect_and_sees_whom_to_ask() {
    let app = TestApp::spawn_demo().await;
    let body = app
        .graphql("dev@northwind.example", STATUS, json!({}))
        .await;
    let status = &body["data"]["reconnectStatus"];
    assert_eq!(status["bannerVisible"], true, "{body}");
    assert_eq!(status["badgeCount"], 2);
    assert_eq!(
        names(&body),
        [
            "Northwind Coffee",
            "Northwind Coffee Lovers",
            "@northwindcoffee"
        ]
    );
    for account in status["accounts"].as_array().expect("list") {
        assert_eq!(
            account["viewerCanReconnect"], false,
            "R3: EDITOR may not reconnect"
        );
        // R4: whoever last (re)connected the login, so dev knows whom to ask.
        assert!(
            account["lastReconnectedBy"]["name"].is_string(),
            "{account}"
        );
    }
    assert_eq!(
        status["accounts"][0]["lastReconnectedBy"]["name"],
        "Ben Okafor"
    );
}

#[tokio::test]
async fn r8_advanced_on_one_page_is_enough_to_reconnect_the_whole_login() {
    let app = TestApp::spawn_demo().await;
    // Cleo holds ADVANCED on the roastery page only.
    let body = app
        .graphql("cleo@northwind.example", STATUS, json!({}))
        .await;
    let accounts = body["data"]["reconnectStatus"]["accounts"]
        .as_array()
        .expect("list");
    let roastery = accounts
        .iter()
        .find(|a| a["name"] == "Northwind Roastery")
        .expect("visible");
    assert_eq!(roastery["viewerCanReconnect"], true);
    // The Instagram profile (LIMITED grant through the team) is on another login: no.
    let instagram = accounts
        .iter()
        .find(|a| a["name"] == "@northwindcoffee")
        .expect("visible");
    assert_eq!(instagram["viewerCanReconnect"], false);

    // Give cleo a LIMITED grant on the main page: she may reconnect it too, through R8.
    let page = app.account_id("fb-page-northwind").await;
    let page_row =
        relink::graphql::ids::decode_as(relink::graphql::ids::Kind::SocialAccount, &page)
            .expect("id");
    let cleo = relink::people::repo::user_by_email(&app.db, "cleo@northwind.example")
        .await
        .expect("q")
        .expect("cleo");
    // Through the use case, as every permission change goes: its event reaches the caches.
    relink::people::permissions::set_grant(
        &app.context,
        None,
        page_row,
        cleo.id,
        Some(entity::enums::AccessLevel::Limited),
    )
    .await
    .expect("grant");
    let query = "query($id: ID!) { socialAccount(id: $id) { name viewerCanReconnect } }";
    let cleo_view = app
        .graphql("cleo@northwind.example", query, json!({ "id": page }))
        .await;
    assert_eq!(
        cleo_view["data"]["socialAccount"]["viewerCanReconnect"], true,
        "{cleo_view}"
    );
    let dev_view = app
        .graphql("dev@northwind.example", query, json!({ "id": page }))
        .await;
    assert_eq!(
        dev_view["data"]["socialAccount"]["viewerCanReconnect"], false,
        "{dev_view}"
    );
}

#[tokio::test]
async fn a_personal_account_is_visible_to_its_owner_only() {
    let app = TestApp::spawn_demo().await;
    let query = "{ socialAccounts(first: 100) { nodes { name isPersonal } } }";
    let ben = app.graphql("ben@northwind.example", query, json!({})).await;
    let ada = app.graphql("ada@northwind.example", query, json!({})).await;
    let has_personal = |body: &Value| {
        body["data"]["socialAccounts"]["nodes"]
            .as_array()
            .is_some_and(|nodes| {
                nodes
                    .iter()
                    .any(|n| n["name"] == "@ben_brews" && n["isPersonal"] == true)
            })
    };
    assert!(has_personal(&ben), "{ben}");
    assert!(
        !has_personal(&ada),
        "a super admin does not see a member's personal account: {ada}"
    );
    let ada_count = ada["data"]["socialAccounts"]["nodes"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(ada_count, 7, "every organization account: {ada}");
}

#[tokio::test]
async fn r17_each_member_lists_their_own_social_networks_apart_from_the_organizations() {
    let app = TestApp::spawn_demo().await;
    let query = "query($personal: Boolean) { socialAccounts(first: 100, filter: { personal: $personal }) { nodes { name isPersonal } } }";
    let names = |body: Value| -> Vec<(String, bool)> {
        body["data"]["socialAccounts"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|node| {
                (
                    node["name"].as_str().unwrap_or_default().to_owned(),
                    node["isPersonal"].as_bool().unwrap_or_default(),
                )
            })
            .collect()
    };
    let ben = names(
        app.graphql("ben@northwind.example", query, json!({ "personal": true }))
            .await,
    );
    assert!(
        !ben.is_empty() && ben.iter().all(|(_, personal)| *personal),
        "{ben:?}"
    );
    let organization = names(
        app.graphql("ben@northwind.example", query, json!({ "personal": false }))
            .await,
    );
    assert!(
        !organization.is_empty() && organization.iter().all(|(_, personal)| !*personal),
        "{organization:?}"
    );
    let all = names(app.graphql("ben@northwind.example", query, json!({})).await);
    assert_eq!(all.len(), ben.len() + organization.len());
    // Another member's personal accounts are nobody else's.
    let ada = names(
        app.graphql("ada@northwind.example", query, json!({ "personal": true }))
            .await,
    );
    assert!(
        ada.iter()
            .all(|(name, _)| !ben.iter().any(|(own, _)| own == name)),
        "{ada:?}"
    );
}

//! Adding accounts over real HTTP (R17, B8): `startConnect` → the sandbox's sign-in (POST) → the
//! OAuth callback (GET); organization accounts by its admins only, personal accounts for anyone.

use entity::{
    audit_log,
    enums::{Health, OrgRole},
    events, memberships, oauth_attempts, organizations, social_accounts, social_logins, users,
};
use relink::graphql::ids::{self, Kind};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, IntoActiveModel as _,
    PaginatorTrait as _, QueryFilter as _, Set,
};
use serde_json::{Value, json};

use crate::{
    access::globex,
    helpers::{TestApp, callback, event_count, first_code, health, sign_in},
};

const START: &str = "mutation($network: Network!, $org: ID) { startConnect(input: { network: $network, organizationId: $org }) { authorizeUrl expiresAt signInAs { network name advice } userErrors { code message } } }";

const ACCOUNTS: &str =
    "{ socialAccounts { nodes { externalId name health isPersonal lastReconnectedBy { name } } } }";

/// The global id of Northwind Coffee.
async fn northwind(app: &TestApp) -> String {
    let org = organizations::Entity::find()
        .filter(organizations::Column::Name.eq("Northwind Coffee"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Northwind Coffee");
    ids::encode(Kind::Organization, org.id).0
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&app.db)
        .await
        .expect("query")
        .expect("user")
        .id
}

/// The whole GraphQL answer of `startConnect` as `email`.
async fn start_body(app: &TestApp, email: &str, network: &str, org: Option<&str>) -> Value {
    app.graphql(email, START, json!({ "network": network, "org": org }))
        .await
}

/// Starts a connect as `email`, signs in as `identity` and follows the callback; returns the
/// callback URL (for replays) and the dashboard URL it redirected to.
async fn connect(
    app: &TestApp,
    email: &str,
    network: &str,
    org: Option<&str>,
    identity: &str,
) -> (String, String) {
    let body = start_body(app, email, network, org).await;
    let started = &body["data"]["startConnect"];
    assert_eq!(started["userErrors"], json!([]), "{body}");
    let url = started["authorizeUrl"].as_str().expect("url");
    assert!(url.contains("prompt=select_account"), "{url}");
    let back = sign_in(app, url, identity, &[], "allow").await;
    let done = callback(app, &back).await;
    (back, done)
}

/// The accounts `email` sees, by external id.
async fn visible(app: &TestApp, email: &str) -> Vec<Value> {
    app.graphql(email, ACCOUNTS, json!({})).await["data"]["socialAccounts"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn find<'a>(nodes: &'a [Value], external_id: &str) -> Option<&'a Value> {
    nodes.iter().find(|node| node["externalId"] == external_id)
}

async fn account(app: &TestApp, external_id: &str) -> social_accounts::Model {
    social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq(external_id))
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no account {external_id}"))
}

async fn account_count(app: &TestApp) -> u64 {
    social_accounts::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn an_org_admin_connects_linkedin_and_the_new_profile_joins_the_organization() {
    // Arrange
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;
    let ben = user_id(&app, "ben@northwind.example").await;

    // Act
    let (_, done) = connect(
        &app,
        "ben@northwind.example",
        "LINKEDIN",
        Some(&org),
        "li-ben",
    )
    .await;

    // Assert: the profile is added; the company page Ben only edits stays on Ada's login (R6).
    assert!(
        done.contains(
            "result=reconnected&released=0&needs_reschedule=0&reconnected=1&still_disconnected=0"
        ),
        "{done}"
    );
    let nodes = visible(&app, "ada@northwind.example").await;
    let profile = find(&nodes, "li-member-ben").expect("li-member-ben listed");
    assert_eq!(profile["health"], "CONNECTED");
    assert_eq!(profile["isPersonal"], false);
    assert_eq!(profile["lastReconnectedBy"]["name"], "Ben Okafor");
    let added = account(&app, "li-member-ben").await;
    assert_eq!(
        added.original_login_external_id, "li-ben",
        "remembers the identity that added it"
    );
    let login = social_logins::Entity::find_by_id(added.social_login_id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("login");
    assert_eq!(login.external_user_id, "li-ben");
    assert_eq!(login.connected_by, Some(ben));
    assert_eq!(login.connected_at, app.clock.now());
    assert!(login.access_token_enc.is_some(), "tokens stored");
    let company = account(&app, "li-company-northwind").await;
    assert_eq!(company.health, Health::Expiring);
    assert_ne!(company.social_login_id, login.id);
    // B8: the connect is audited and announced.
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("account.connected"))
        .filter(audit_log::Column::TargetId.eq(added.id))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(audited, 1);
    let announced = events::Entity::find()
        .filter(events::Column::Kind.eq("CONNECTED"))
        .filter(events::Column::SocialAccountId.eq(added.id))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(announced, 1);
}

#[tokio::test]
async fn connecting_an_identity_again_brings_its_disconnected_accounts_back() {
    // Arrange: the demo's Facebook login of Nora is disconnected with two pages and a group.
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;
    let before = account_count(&app).await;

    // Act
    let (_, done) = connect(
        &app,
        "ada@northwind.example",
        "FACEBOOK",
        Some(&org),
        "fb-nora",
    )
    .await;

    // Assert: the same rows come back, none is added.
    assert!(
        done.contains(
            "result=reconnected&released=2&needs_reschedule=0&reconnected=3&still_disconnected=0"
        ),
        "{done}"
    );
    for page in ["fb-page-northwind", "fb-page-roastery", "fb-group-lovers"] {
        assert_eq!(health(&app, page).await, Health::Connected, "{page}");
    }
    assert_eq!(account_count(&app).await, before);
    // One event per account, R18: @northwindcoffee, limited by the page, follows it back, and
    // R19: the roastery's rule assigned to Dev (who cannot see it) is flagged.
    assert_eq!(
        event_count(&app).await,
        5,
        "one per account, the profile's and the flagged rule's"
    );
    assert_eq!(health(&app, "ig-biz-northwind").await, Health::Connected);
}

#[tokio::test]
async fn a_member_may_not_connect_accounts_for_the_organization() {
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;

    let body = start_body(&app, "dev@northwind.example", "LINKEDIN", Some(&org)).await;

    let started = &body["data"]["startConnect"];
    assert_eq!(started["authorizeUrl"], Value::Null, "{body}");
    assert_eq!(started["userErrors"][0]["code"], "CONNECT_NOT_ALLOWED");
    let attempts = oauth_attempts::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(attempts, 0, "no sign-in was started");
}

#[tokio::test]
async fn an_admin_demoted_before_the_callback_connects_nothing() {
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;
    let before = account_count(&app).await;
    let body = start_body(&app, "ben@northwind.example", "LINKEDIN", Some(&org)).await;
    let url = body["data"]["startConnect"]["authorizeUrl"]
        .as_str()
        .expect("url");
    let back = sign_in(&app, url, "li-ben", &[], "allow").await;
    let ben = user_id(&app, "ben@northwind.example").await;
    let membership = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(ben))
        .one(&app.db)
        .await
        .expect("query")
        .expect("membership");
    let mut demoted = membership.into_active_model();
    demoted.role = Set(OrgRole::Member);
    demoted.update(&app.db).await.expect("demote");

    let done = callback(&app, &back).await;

    assert!(done.ends_with("code=CONNECT_NOT_ALLOWED"), "{done}");
    assert_eq!(account_count(&app).await, before);
    let logins = social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("li-ben"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(logins, 0);
}

#[tokio::test]
async fn a_personal_connect_adds_an_account_only_its_user_sees() {
    // Arrange
    let app = TestApp::spawn_demo().await;
    let cleo = user_id(&app, "cleo@northwind.example").await;

    // Act
    let (_, done) = connect(&app, "cleo@northwind.example", "X", None, "x-other").await;

    // Assert
    assert!(
        done.contains("result=reconnected&released=0&needs_reschedule=0&reconnected=1&"),
        "{done}"
    );
    let added = account(&app, "x-other").await;
    assert_eq!(added.owner_user_id, Some(cleo));
    assert_eq!(added.owner_organization_id, None);
    let mine = visible(&app, "cleo@northwind.example").await;
    let node = find(&mine, "x-other").expect("Cleo sees it");
    assert_eq!(node["isPersonal"], true);
    assert_eq!(node["health"], "CONNECTED");
    for other in ["ada@northwind.example", "ben@northwind.example"] {
        let nodes = visible(&app, other).await;
        assert!(find(&nodes, "x-other").is_none(), "{other} must not see it");
    }
}

#[tokio::test]
async fn another_organizations_id_reads_like_an_unknown_one() {
    let app = TestApp::spawn_demo().await;
    let other = globex(&app).await;
    let (_, globex_id) = other
        .ids
        .iter()
        .copied()
        .find(|(kind, _)| *kind == Kind::Organization)
        .expect("globex id");

    let foreign = start_body(
        &app,
        "ada@northwind.example",
        "FACEBOOK",
        Some(&ids::encode(Kind::Organization, globex_id).0),
    )
    .await;
    let unknown = start_body(
        &app,
        "ada@northwind.example",
        "FACEBOOK",
        Some(&ids::encode(Kind::Organization, 987_654).0),
    )
    .await;

    assert_eq!(first_code(&foreign), "NOT_FOUND", "{foreign}");
    assert_eq!(first_code(&unknown), "NOT_FOUND", "{unknown}");
    assert_eq!(
        foreign["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    let attempts = oauth_attempts::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(attempts, 0);
}

#[tokio::test]
async fn a_replayed_connect_callback_connects_nothing_twice() {
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;
    let (back, _) = connect(
        &app,
        "ben@northwind.example",
        "LINKEDIN",
        Some(&org),
        "li-ben",
    )
    .await;
    let accounts = account_count(&app).await;
    let events = event_count(&app).await;

    let again = callback(&app, &back).await;

    assert!(again.ends_with("code=STATE_INVALID"), "{again}");
    assert_eq!(account_count(&app).await, accounts);
    assert_eq!(event_count(&app).await, events);
}

#[tokio::test]
async fn two_connects_of_one_identity_at_once_make_one_login_and_one_account() {
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;
    // Ben starts two connects of LinkedIn (two tabs), signs in as li-ben in both…
    let mut answers = Vec::new();
    for _ in 0..2 {
        let body = start_body(&app, "ben@northwind.example", "LINKEDIN", Some(&org)).await;
        let url = body["data"]["startConnect"]["authorizeUrl"]
            .as_str()
            .expect("url")
            .to_owned();
        let back = sign_in(&app, &url, "li-ben", &[], "allow").await;
        let (state, code) = crate::helpers::state_and_code(&back);
        answers.push(json!({ "state": state, "code": code }));
    }
    // …and both finish at the same moment.
    let complete = "mutation($state: String!, $code: String!) { completeReconnect(input: { state: $state, code: $code }) { reconnectedAccounts { externalId } userErrors { code } } }";
    let (first, second) = tokio::join!(
        app.graphql("ben@northwind.example", complete, answers[0].clone()),
        app.graphql("ben@northwind.example", complete, answers[1].clone()),
    );
    for body in [&first, &second] {
        assert_eq!(body["errors"], Value::Null, "{body}");
        assert_eq!(
            body["data"]["completeReconnect"]["userErrors"],
            json!([]),
            "{body}"
        );
    }
    let logins = social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("li-ben"))
        .all(&app.db)
        .await
        .expect("logins");
    assert_eq!(logins.len(), 1, "{logins:?}");
    let profiles = social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq("li-member-ben"))
        .all(&app.db)
        .await
        .expect("accounts");
    assert_eq!(profiles.len(), 1, "{profiles:?}");
    assert_eq!(profiles[0].social_login_id, logins[0].id);
}

#[tokio::test]
async fn the_database_refuses_a_second_login_or_account_for_one_owner() {
    use sea_orm::{ActiveModelTrait as _, IntoActiveModel as _};
    let app = TestApp::spawn_demo().await;
    let login = social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq("li-ada"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("login");
    let mut twin = login.clone().into_active_model().reset_all();
    twin.id = sea_orm::ActiveValue::NotSet;
    assert!(
        twin.insert(&app.db).await.is_err(),
        "a second login of li-ada for Northwind"
    );
    let page = account(&app, "li-company-northwind").await;
    let mut twin = page.clone().into_active_model().reset_all();
    twin.id = sea_orm::ActiveValue::NotSet;
    assert!(
        twin.insert(&app.db).await.is_err(),
        "a second company page for Northwind"
    );
    // The same identity for another owner (a personal login) is fine.
    let mut personal = login.into_active_model().reset_all();
    personal.id = sea_orm::ActiveValue::NotSet;
    personal.owner_organization_id = sea_orm::Set(None);
    personal.owner_user_id = sea_orm::Set(Some(user_id(&app, "ada@northwind.example").await));
    assert!(personal.insert(&app.db).await.is_ok());
}

#[tokio::test]
async fn r20_a_connect_says_beforehand_to_sign_in_as_the_identity_that_manages_the_accounts() {
    let app = TestApp::spawn_demo().await;
    let org = northwind(&app).await;
    let body = start_body(&app, "ben@northwind.example", "LINKEDIN", Some(&org)).await;
    let needed = &body["data"]["startConnect"]["signInAs"];
    assert_eq!(needed["network"], "LINKEDIN", "{body}");
    assert_eq!(
        needed["name"],
        Value::Null,
        "any identity that manages the accounts"
    );
    let advice = needed["advice"].as_str().expect("advice");
    assert!(
        advice.contains("manages the accounts you want to add"),
        "{advice}"
    );
    assert!(advice.contains("sign out at LinkedIn first"), "{advice}");
}

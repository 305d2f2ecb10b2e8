//! Banner rules over HTTP with a clock that moves (R9, R10, R11, B8).

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, Set,
};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const STATUS: &str =
    "{ reconnectStatus { bannerVisible bannerDismissedUntil badgeCount accounts { name } } }";
const DISMISS: &str = "mutation { dismissReconnectBanner { reconnectStatus { bannerVisible bannerDismissedUntil badgeCount } userErrors { code } } }";

async fn status(app: &TestApp, email: &str) -> Value {
    app.graphql(email, STATUS, json!({})).await["data"]["reconnectStatus"].clone()
}

#[tokio::test]
async fn dismissed_banner_returns_after_24_hours() {
    let app = TestApp::spawn_demo().await;
    let dev = "dev@northwind.example";
    assert_eq!(status(&app, dev).await["bannerVisible"], true);

    let dismissed = app.graphql(dev, DISMISS, json!({})).await;
    let payload = &dismissed["data"]["dismissReconnectBanner"];
    assert_eq!(
        payload["reconnectStatus"]["bannerVisible"], false,
        "{dismissed}"
    );
    assert_eq!(
        payload["reconnectStatus"]["badgeCount"], 2,
        "R11: the badge stays"
    );
    assert_eq!(payload["userErrors"], json!([]));
    let until = (app.clock.now() + Duration::hours(24)).to_rfc3339();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(
            payload["reconnectStatus"]["bannerDismissedUntil"]
                .as_str()
                .expect("until")
        )
        .expect("date")
        .to_rfc3339(),
        until
    );
    // R10: the restore list is still there after dismissing.
    assert_eq!(
        status(&app, dev).await["accounts"].as_array().map(Vec::len),
        Some(3)
    );

    app.clock
        .advance(Duration::hours(23) + Duration::minutes(59));
    assert_eq!(status(&app, dev).await["bannerVisible"], false);
    app.clock.advance(Duration::minutes(1));
    let back = status(&app, dev).await;
    assert_eq!(back["bannerVisible"], true, "{back}");
    assert_eq!(back["bannerDismissedUntil"], Value::Null);
}

#[tokio::test]
async fn a_dismissal_is_per_user_and_audited() {
    let app = TestApp::spawn_demo().await;
    app.graphql("dev@northwind.example", DISMISS, json!({}))
        .await;
    assert_eq!(
        status(&app, "ada@northwind.example").await["bannerVisible"],
        true
    );
    let audited = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.eq("banner.dismissed"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(audited, 1, "B8: dismissals are recorded");
}

#[tokio::test]
async fn a_new_disconnect_after_the_dismissal_brings_the_banner_back_at_once() {
    let app = TestApp::spawn_demo().await;
    let ada = "ada@northwind.example";
    app.graphql(ada, DISMISS, json!({})).await;
    app.clock.advance(Duration::hours(1));
    assert_eq!(status(&app, ada).await["bannerVisible"], false);

    // The X profile breaks an hour after the dismissal: X revokes it (its signed webhook).
    app.revoke_at_network("x-northwind").await;

    let back = status(&app, ada).await;
    assert_eq!(back["bannerVisible"], true, "{back}");
    assert_eq!(back["badgeCount"], 4);
}

#[tokio::test]
async fn a_viewer_who_sees_nothing_disconnected_gets_no_banner() {
    let app = TestApp::spawn_demo().await;
    // Ben's view includes the broken Facebook login (he is an admin), so use a fresh member.
    use entity::{memberships, users};
    let user = users::ActiveModel {
        email: Set("erin@northwind.example".to_owned()),
        name: Set("Erin".to_owned()),
        external_subject: Set("northwind|erin".to_owned()),
        created_at: Set(app.clock.now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("user");
    memberships::ActiveModel {
        organization_id: Set(1),
        user_id: Set(user.id),
        role: Set(entity::enums::OrgRole::Member),
        created_at: Set(app.clock.now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("membership");
    let erin = status(&app, "erin@northwind.example").await;
    assert_eq!(
        erin,
        json!({ "bannerVisible": false, "bannerDismissedUntil": null, "badgeCount": 0, "accounts": [] })
    );
}

#[tokio::test]
async fn an_admin_reads_in_the_audit_log_who_dismissed_the_warning_and_about_what() {
    let app = TestApp::spawn_demo().await;
    app.graphql("dev@northwind.example", DISMISS, json!({}))
        .await;
    let org = entity::organizations::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("Northwind Coffee");
    let org_id = relink::graphql::ids::encode(relink::graphql::ids::Kind::Organization, org.id).0;
    let body = app
        .graphql(
            "ada@northwind.example",
            "query($id: ID!) { auditLog(organizationId: $id, first: 50) { nodes { action actor { name } detail } } }",
            json!({ "id": org_id }),
        )
        .await;
    let entry = body["data"]["auditLog"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["action"] == "banner.dismissed"))
        .cloned()
        .unwrap_or_else(|| panic!("no dismissal in {body}"));
    assert_eq!(entry["actor"]["name"], "Dev Patel");
    // The accounts the banner was warning Dev about: the broken page and group.
    let page = app.account_id("fb-page-northwind").await;
    let group = app.account_id("fb-group-lovers").await;
    let named: Vec<i64> = entry["detail"]["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    let decode = |id: &str| {
        relink::graphql::ids::decode_as(relink::graphql::ids::Kind::SocialAccount, id).expect("id")
    };
    let mut expected = vec![decode(&page), decode(&group)];
    expected.sort_unstable();
    let mut named = named;
    named.sort_unstable();
    assert_eq!(named, expected, "{entry}");
}

#[tokio::test]
async fn r9_a_dismissal_holds_for_its_sign_in_and_the_banner_is_back_at_the_next_sign_in() {
    // Arrange: Dev dismisses the banner.
    let app = TestApp::spawn_demo().await;
    let dev = "dev@northwind.example";
    app.graphql(dev, DISMISS, json!({})).await;
    app.clock.advance(Duration::hours(2));

    // The same sign-in, two hours and a refreshed token later: still dismissed.
    assert_eq!(status(&app, dev).await["bannerVisible"], false);

    // Act: Dev signs in again.
    app.clock.advance(Duration::minutes(1));
    app.sign_in_again(dev);

    // Assert: the article's "at every sign-in" — the banner is back, long before 24 hours.
    let back = status(&app, dev).await;
    assert_eq!(back["bannerVisible"], true, "{back}");
    assert_eq!(back["bannerDismissedUntil"], Value::Null);
    // Dismissed again in this sign-in, it holds for it.
    app.graphql(dev, DISMISS, json!({})).await;
    app.clock.advance(Duration::hours(1));
    assert_eq!(status(&app, dev).await["bannerVisible"], false);
}

#[tokio::test]
async fn r9_the_live_banner_follows_the_sockets_sign_in() {
    // A socket opened with a token of a later sign-in than the dismissal shows the banner.
    let app = TestApp::spawn_demo().await;
    let dev = "dev@northwind.example";
    app.graphql(dev, DISMISS, json!({})).await;
    app.clock.advance(Duration::minutes(5));
    let query = "subscription { reconnectStatus { bannerVisible } }";
    let mut same = crate::live::subscribe(&app, dev, query, json!({})).await;
    assert_eq!(
        crate::live::data(&mut same).await["reconnectStatus"]["bannerVisible"],
        false
    );
    app.sign_in_again(dev);
    let mut again = crate::live::subscribe(&app, dev, query, json!({})).await;
    assert_eq!(
        crate::live::data(&mut again).await["reconnectStatus"]["bannerVisible"],
        true
    );
}

#[tokio::test]
async fn r9_the_dashboards_token_refresh_keeps_the_sign_in_and_its_dismissal() {
    // Arrange: the demo as served; Dev signs in on the dashboard and dismisses the banner.
    let app = TestApp::spawn_with(|config| config.no_demo = false).await;
    let first = demo_sign_in(&app, "dev@northwind.example").await;
    let ask = |token: String, query: &'static str| {
        let app = &app;
        async move { app.graphql_as(Some(&token), query, json!({})).await.1 }
    };
    ask(first.clone(), DISMISS).await;
    app.clock.advance(Duration::hours(11));

    // Act: the dashboard refreshes its token before it runs out.
    let refreshed: Value = app
        .client
        .post(format!("{}/dashboard/demo-token/refresh", app.address))
        .bearer_auth(&first)
        .send()
        .await
        .expect("refresh")
        .json()
        .await
        .expect("json");
    let second = refreshed["token"].as_str().expect("token").to_owned();
    assert_ne!(first, second);

    // Assert: the same sign-in, so still dismissed; a new sign-in shows it again.
    let same = ask(second, STATUS).await;
    assert_eq!(
        same["data"]["reconnectStatus"]["bannerVisible"], false,
        "{same}"
    );
    let again = demo_sign_in(&app, "dev@northwind.example").await;
    let new = ask(again, STATUS).await;
    assert_eq!(
        new["data"]["reconnectStatus"]["bannerVisible"], true,
        "{new}"
    );
    // A refresh without a valid token is refused.
    let refused = app
        .client
        .post(format!("{}/dashboard/demo-token/refresh", app.address))
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("refresh");
    assert_eq!(refused.status(), 401);
}

/// A dashboard sign-in as the demo's sign-in page does it: a new token of a new sign-in.
async fn demo_sign_in(app: &TestApp, email: &str) -> String {
    let answer: Value = app
        .client
        .post(format!("{}/dashboard/demo-token", app.address))
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("json");
    answer["token"].as_str().expect("token").to_owned()
}

//! What the live tests read back and do through the public API, shared by every network's tests.

use chrono::Duration;
use entity::{enums::DisconnectReason, scheduled_posts, social_accounts, social_logins};
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
use serde_json::json;

use crate::helpers::TestApp;

/// The login of this network identity.
pub async fn login(app: &TestApp, external: &str) -> social_logins::Model {
    social_logins::Entity::find()
        .filter(social_logins::Column::ExternalUserId.eq(external))
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no login {external}"))
}

/// The account with this external id.
pub async fn account(app: &TestApp, external: &str) -> social_accounts::Model {
    social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq(external))
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no account {external}"))
}

/// Why the account is disconnected, if it is.
pub async fn reason(app: &TestApp, external: &str) -> Option<DisconnectReason> {
    account(app, external).await.disconnect_reason
}

/// Schedules `text` to the account five minutes ahead as Ada; returns the post's id.
pub async fn schedule(app: &TestApp, external: &str, text: &str) -> i64 {
    let body = app
        .graphql(
            "ada@northwind.example",
            "mutation($ids: [ID!]!, $body: String!, $at: DateTime!) { schedulePost(input: { socialAccountIds: $ids, body: $body, scheduledAt: $at }) { posts { id } userErrors { code } } }",
            json!({
                "ids": [app.account_id(external).await],
                "body": text,
                "at": (app.clock.now() + Duration::minutes(5)).to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(
        body["data"]["schedulePost"]["userErrors"],
        json!([]),
        "{body}"
    );
    scheduled_posts::Entity::find()
        .filter(scheduled_posts::Column::Body.eq(text))
        .order_by_desc(scheduled_posts::Column::Id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("post")
        .id
}

/// A post as stored.
pub async fn post(app: &TestApp, id: i64) -> scheduled_posts::Model {
    scheduled_posts::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("post")
}

/// Starts adding an account of `network` (its GraphQL enum name) to Northwind Coffee as Ada;
/// answers the network's authorize URL.
pub async fn start_connect(app: &TestApp, network: &str) -> String {
    use entity::organizations;
    let org = organizations::Entity::find()
        .filter(organizations::Column::Name.eq("Northwind Coffee"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Northwind Coffee");
    let org = relink::graphql::ids::encode(relink::graphql::ids::Kind::Organization, org.id).0;
    let body = app
        .graphql(
            "ada@northwind.example",
            "mutation($network: Network!, $org: ID) { startConnect(input: { network: $network, organizationId: $org }) { authorizeUrl userErrors { code } } }",
            json!({ "network": network, "org": org }),
        )
        .await;
    let started = &body["data"]["startConnect"];
    assert_eq!(started["userErrors"], json!([]), "{body}");
    started["authorizeUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

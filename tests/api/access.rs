//! Deny by default, proven from the schema itself: every root field refuses an anonymous caller
//! unless it is on the public list, and every id-taking field reads another organization's ids
//! exactly like unknown ids (the README's Security section).

use chrono::Utc;
use entity::{
    enums::{AccountKind, Health, LoginStatus, Network, OrgRole},
    memberships, organizations, social_accounts, social_logins, users,
};
use relink::graphql::{
    guards::PUBLIC_ROOT_FIELDS,
    ids::{self, Kind},
};
use sea_orm::{ActiveModelTrait as _, Set};
use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

const TYPE_REF: &str = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";

async fn root_fields(app: &TestApp) -> Vec<(String, Value)> {
    let query = format!(
        "{{ __schema {{ queryType {{ fields {{ name args {{ name type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} }} \
           mutationType {{ fields {{ name args {{ name type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} }} }} }}"
    );
    let (status, body) = app.graphql_as(None, &query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let mut fields = Vec::new();
    for (root, operation) in [("queryType", "query"), ("mutationType", "mutation")] {
        for field in body["data"]["__schema"][root]["fields"]
            .as_array()
            .expect("fields")
        {
            fields.push((operation.to_owned(), field.clone()));
        }
    }
    fields
}

/// The named type under NON_NULL / LIST wrappers.
fn named(type_ref: &Value) -> (&str, &str) {
    let mut current = type_ref;
    while current["name"].is_null() {
        current = &current["ofType"];
    }
    (
        current["kind"].as_str().unwrap_or_default(),
        current["name"].as_str().unwrap_or_default(),
    )
}

/// A valid literal for a required value of `type_ref`, building input objects from `inputs`.
fn dummy(type_ref: &Value, inputs: &Value) -> String {
    let (kind, name) = named(type_ref);
    match (kind, name) {
        ("SCALAR", "Int") => "1".to_owned(),
        ("SCALAR", "Boolean") => "true".to_owned(),
        ("SCALAR", "Float") => "1.0".to_owned(),
        ("SCALAR", "DateTime") => "\"2030-01-01T00:00:00Z\"".to_owned(),
        ("ENUM", _) => inputs["enum:".to_owned() + name]
            .as_str()
            .unwrap_or("X")
            .to_owned(),
        ("INPUT_OBJECT", _) => {
            let fields = inputs[name].as_array().cloned().unwrap_or_default();
            let required: Vec<String> = fields
                .iter()
                .filter(|field| field["type"]["kind"] == "NON_NULL")
                .map(|field| {
                    format!(
                        "{}: {}",
                        field["name"].as_str().unwrap_or_default(),
                        dummy(&field["type"], inputs)
                    )
                })
                .collect();
            format!("{{ {} }}", required.join(", "))
        }
        _ => "\"x\"".to_owned(),
    }
}

/// `field(requiredArg: dummy…) { __typename }` for one root field.
fn call(field: &Value, inputs: &Value) -> String {
    let args: Vec<String> = field["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|arg| arg["type"]["kind"] == "NON_NULL")
        .map(|arg| {
            format!(
                "{}: {}",
                arg["name"].as_str().unwrap_or_default(),
                dummy(&arg["type"], inputs)
            )
        })
        .collect();
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("({})", args.join(", "))
    };
    let selection = match named(&field["type"]).0 {
        "SCALAR" | "ENUM" => "",
        _ => " { __typename }",
    };
    format!(
        "{}{args}{selection}",
        field["name"].as_str().unwrap_or_default()
    )
}

/// Input object name → its fields, and `enum:Name` → a value of that enum, from introspection.
async fn input_types(app: &TestApp) -> Value {
    let query = format!(
        "{{ __schema {{ types {{ name kind enumValues {{ name }} inputFields {{ name type {{ {TYPE_REF} }} }} }} }} }}"
    );
    let (_, body) = app.graphql_as(None, &query, json!({})).await;
    let mut inputs = serde_json::Map::new();
    for ty in body["data"]["__schema"]["types"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if ty["kind"] == "ENUM" {
            let first = ty["enumValues"][0]["name"].clone();
            inputs.insert(
                format!("enum:{}", ty["name"].as_str().unwrap_or_default()),
                first,
            );
        }
        if ty["kind"] == "INPUT_OBJECT" {
            inputs.insert(
                ty["name"].as_str().unwrap_or_default().to_owned(),
                ty["inputFields"].clone(),
            );
        }
    }
    Value::Object(inputs)
}

#[tokio::test]
async fn every_root_field_has_a_guard_or_is_public() {
    let app = TestApp::spawn_demo().await;
    let fields = root_fields(&app).await;
    let inputs = input_types(&app).await;
    assert!(fields.len() >= 9, "{fields:?}");
    for (operation, field) in fields {
        let name = field["name"].as_str().unwrap_or_default();
        let document = format!("{operation} {{ {} }}", call(&field, &inputs));
        let (status, body) = app.graphql_as(None, &document, json!({})).await;
        if PUBLIC_ROOT_FIELDS.contains(&name) {
            assert!(body["errors"].is_null(), "{name} is public: {body}");
        } else {
            assert_eq!(status, 200, "{document}: {body}");
            assert_eq!(
                first_code(&body),
                "UNAUTHENTICATED",
                "{document} must be guarded: {body}"
            );
        }
    }
}

pub(crate) struct OtherOrganization {
    pub(crate) ids: Vec<(Kind, i64)>,
}

/// Globex, an organization Northwind's users have nothing to do with.
pub(crate) async fn globex(app: &TestApp) -> OtherOrganization {
    let now = Utc::now();
    let org = organizations::ActiveModel {
        name: Set("Globex".to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("org");
    let gina = users::ActiveModel {
        email: Set("gina@globex.example".to_owned()),
        name: Set("Gina".to_owned()),
        external_subject: Set("globex|gina".to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("user");
    memberships::ActiveModel {
        organization_id: Set(org.id),
        user_id: Set(gina.id),
        role: Set(OrgRole::SuperAdmin),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("membership");
    let login = social_logins::ActiveModel {
        network: Set(Network::Facebook),
        external_user_id: Set("fb-gina".to_owned()),
        display_name: Set("Gina".to_owned()),
        owner_organization_id: Set(Some(org.id)),
        scopes: Set(String::new()),
        status: Set(LoginStatus::Connected),
        connected_by: Set(Some(gina.id)),
        connected_at: Set(now),
        version: Set(0),
        refresh_failures: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("login");
    let account = social_accounts::ActiveModel {
        network: Set(Network::Facebook),
        kind: Set(AccountKind::Page),
        external_id: Set("fb-page-globex".to_owned()),
        name: Set("Globex".to_owned()),
        owner_organization_id: Set(Some(org.id)),
        social_login_id: Set(login.id),
        original_login_external_id: Set("fb-gina".to_owned()),
        health: Set(Health::Connected),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("account");
    OtherOrganization {
        ids: vec![
            (Kind::SocialAccount, account.id),
            (Kind::SocialLogin, login.id),
            (Kind::Organization, org.id),
            (Kind::User, gina.id),
        ],
    }
}

#[tokio::test]
async fn another_organizations_ids_read_exactly_like_unknown_ids_on_every_id_field() {
    let app = TestApp::spawn_demo().await;
    let other = globex(&app).await;
    let token = app.token_for("ada@northwind.example").await;
    let mut checked = 0;
    for (operation, field) in root_fields(&app).await {
        let args = field["args"].as_array().cloned().unwrap_or_default();
        let Some(id_arg) = args.iter().find(|arg| named(&arg["type"]).1 == "ID") else {
            continue;
        };
        let arg_name = id_arg["name"].as_str().unwrap_or_default();
        let field_name = field["name"].as_str().unwrap_or_default();
        for (kind, row) in &other.ids {
            let document = format!(
                "{operation}($id: ID!) {{ {field_name}({arg_name}: $id) {{ __typename }} }}"
            );
            let foreign = ids::encode(*kind, *row).0;
            let unknown = ids::encode(*kind, 987_654).0;
            let (_, foreign_body) = app
                .graphql_as(Some(&token), &document, json!({ "id": foreign }))
                .await;
            let (_, unknown_body) = app
                .graphql_as(Some(&token), &document, json!({ "id": unknown }))
                .await;
            assert_eq!(
                foreign_body, unknown_body,
                "{field_name} with a {kind:?} id of another organization"
            );
            assert_eq!(
                first_code(&foreign_body),
                "NOT_FOUND",
                "{field_name}: {foreign_body}"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 12,
        "node, socialAccount and organization, four kinds each: {checked}"
    );

    // The organization filter of a list is an id-taking input too.
    let list =
        "query($org: ID!) { socialAccounts(filter: { organizationId: $org }) { nodes { name } } }";
    let foreign = app
        .graphql(
            "ada@northwind.example",
            list,
            json!({ "org": ids::encode(Kind::Organization, other.ids[2].1).0 }),
        )
        .await;
    let unknown = app
        .graphql(
            "ada@northwind.example",
            list,
            json!({ "org": ids::encode(Kind::Organization, 987_654).0 }),
        )
        .await;
    assert_eq!(foreign, unknown);
    assert_eq!(foreign["data"]["socialAccounts"]["nodes"], json!([]));
}

#[tokio::test]
async fn node_applies_the_same_checks_as_the_root_fields() {
    let app = TestApp::spawn_demo().await;
    let page = app.account_id("fb-page-northwind").await;
    let roastery = app.account_id("fb-page-roastery").await;
    let query = "query($id: ID!) { node(id: $id) { id ... on SocialAccount { name } } }";
    // dev has EDITOR on the main page, nothing on the roastery page.
    let visible = app
        .graphql("dev@northwind.example", query, json!({ "id": page }))
        .await;
    assert_eq!(
        visible["data"]["node"]["name"], "Northwind Coffee",
        "{visible}"
    );
    let hidden = app
        .graphql("dev@northwind.example", query, json!({ "id": roastery }))
        .await;
    assert_eq!(first_code(&hidden), "NOT_FOUND", "{hidden}");
    let direct = app
        .graphql(
            "dev@northwind.example",
            "query($id: ID!) { socialAccount(id: $id) { name } }",
            json!({ "id": roastery }),
        )
        .await;
    assert_eq!(first_code(&direct), "NOT_FOUND");
    // Nested fields go through the same rules: a member may not open the admin view (R16).
    let org = app
        .graphql(
            "dev@northwind.example",
            "{ viewer { organizations { id } } }",
            json!({}),
        )
        .await;
    let org_id = org["data"]["viewer"]["organizations"][0]["id"].clone();
    let admin_view = "query($id: ID!) { organization(id: $id) { name socialAccounts { nodes { name health } } } }";
    let refused = app
        .graphql("dev@northwind.example", admin_view, json!({ "id": org_id }))
        .await;
    assert_eq!(first_code(&refused), "FORBIDDEN", "{refused}");
    let allowed = app
        .graphql("ben@northwind.example", admin_view, json!({ "id": org_id }))
        .await;
    let nodes = allowed["data"]["organization"]["socialAccounts"]["nodes"]
        .as_array()
        .expect("nodes");
    assert_eq!(nodes.len(), 7, "{allowed}");
    assert_eq!(
        nodes
            .iter()
            .filter(|n| n["health"] == "DISCONNECTED")
            .count(),
        3,
        "R16: flagged"
    );
}

#[tokio::test]
async fn errors_reveal_nothing_internal() {
    let app = TestApp::spawn_demo().await;
    // Break the database under the server: the answer is a coded INTERNAL error, no SQL text.
    use sea_orm::ConnectionTrait as _;
    app.db
        .execute_unprepared("DROP TABLE banner_dismissals")
        .await
        .expect("drop");
    let body = app
        .graphql(
            "ada@northwind.example",
            "{ reconnectStatus { bannerVisible } }",
            json!({}),
        )
        .await;
    assert_eq!(first_code(&body), "INTERNAL", "{body}");
    let text = body.to_string().to_lowercase();
    for leak in [
        "banner_dismissals",
        "select",
        "sqlite",
        "postgres",
        "no such table",
        "relation",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {body}");
    }
}

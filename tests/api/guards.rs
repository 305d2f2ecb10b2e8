//! Permissions are declared as field guards, read off the schema code: every argument that names
//! an account, a login, a post or an organization (directly, or as a field of a mutation's
//! input) is checked by the field's guard, or sits on `UNGUARDED_ID_ARGUMENTS` with its reason;
//! and a guard's refusal reads exactly like an unknown id and changes nothing.

use std::{collections::BTreeSet, path::Path};

use chrono::Utc;
use entity::{enums::PostState, scheduled_posts};
use relink::graphql::{
    guards::UNGUARDED_ID_ARGUMENTS,
    ids::{self, Kind},
};
use sea_orm::{ActiveModelTrait as _, EntityTrait as _, Set};
use serde_json::{Value, json};

use crate::{
    access::globex,
    helpers::{TestApp, event_count, first_code},
};

const TYPE_REF: &str = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";

/// Whether an argument (or input field) of this name and named type names an account, a login, a
/// post or an organization.
fn names_an_object(name: &str, type_name: &str) -> bool {
    type_name == "ID"
        && (name == "id"
            || [
                "AccountId",
                "AccountIds",
                "LoginId",
                "LoginIds",
                "PostId",
                "PostIds",
            ]
            .iter()
            .any(|suffix| name.to_lowercase().ends_with(&suffix.to_lowercase()))
            || name == "organizationId")
}

fn named(type_ref: &Value) -> (&str, &str) {
    let mut current = type_ref;
    while current["kind"] == "NON_NULL" || current["kind"] == "LIST" {
        current = &current["ofType"];
    }
    (
        current["kind"].as_str().unwrap_or_default(),
        current["name"].as_str().unwrap_or_default(),
    )
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// `(type, field, argument, what the guard must mention)` for every id-naming argument of the
/// schema, from introspection.
async fn id_arguments(app: &TestApp) -> Vec<(String, String, String, String)> {
    let query = format!(
        "{{ __schema {{ types {{ name kind \
           fields {{ name args {{ name type {{ {TYPE_REF} }} }} }} \
           inputFields {{ name type {{ {TYPE_REF} }} }} }} }} }}"
    );
    let (status, body) = app.graphql_as(None, &query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let types = body["data"]["__schema"]["types"]
        .as_array()
        .expect("types")
        .clone();
    let input_fields = |name: &str| -> Vec<Value> {
        types
            .iter()
            .find(|ty| ty["name"] == name)
            .and_then(|ty| ty["inputFields"].as_array().cloned())
            .unwrap_or_default()
    };
    let mut found = Vec::new();
    for ty in &types {
        let type_name = ty["name"].as_str().unwrap_or_default();
        if type_name.starts_with("__") {
            continue;
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = field["name"].as_str().unwrap_or_default();
            for arg in field["args"].as_array().into_iter().flatten() {
                let arg_name = arg["name"].as_str().unwrap_or_default();
                let (kind, arg_type) = named(&arg["type"]);
                if names_an_object(arg_name, arg_type) {
                    found.push((
                        type_name.to_owned(),
                        field_name.to_owned(),
                        arg_name.to_owned(),
                        snake(arg_name),
                    ));
                } else if kind == "INPUT_OBJECT" {
                    for input in input_fields(arg_type) {
                        let input_name = input["name"].as_str().unwrap_or_default();
                        if names_an_object(input_name, named(&input["type"]).1) {
                            found.push((
                                type_name.to_owned(),
                                field_name.to_owned(),
                                arg_name.to_owned(),
                                format!("{}.{}", snake(arg_name), snake(input_name)),
                            ));
                        }
                    }
                }
            }
        }
    }
    found
}

/// Every resolver `async fn` under `src/graphql`: its name, its parameter list and the guard
/// expression of its `#[graphql(...)]` attribute, if any.
fn resolvers() -> Vec<(String, String, Option<String>)> {
    fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/graphql") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/graphql"),
        &mut files,
    );
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        let mut attribute = String::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let trimmed = line.trim();
            if trimmed.starts_with("#[graphql(") {
                attribute = trimmed.to_owned();
                while !attribute.ends_with(")]") {
                    let Some(next) = lines.next() else { break };
                    attribute.push(' ');
                    attribute.push_str(next.trim());
                }
            } else if let Some(rest) = trimmed
                .strip_prefix("async fn ")
                .or_else(|| trimmed.strip_prefix("pub async fn "))
            {
                let name = rest.split('(').next().unwrap_or_default().to_owned();
                let mut signature = rest.to_owned();
                while !signature.contains(")") || !signature.contains('{') {
                    let Some(next) = lines.next() else { break };
                    signature.push_str(next.trim());
                }
                let guard = attribute
                    .split("guard = \"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .map(str::to_owned);
                found.push((name, signature, guard));
                attribute.clear();
            } else if !trimmed.starts_with("#[") && !trimmed.starts_with("///") {
                attribute.clear();
            }
        }
    }
    found
}

#[tokio::test]
async fn every_id_argument_is_checked_by_the_fields_guard_or_listed_with_its_reason() {
    let app = TestApp::spawn().await;
    let arguments = id_arguments(&app).await;
    let resolvers = resolvers();
    let unguarded: BTreeSet<(&str, &str, &str)> = UNGUARDED_ID_ARGUMENTS
        .iter()
        .map(|(ty, field, arg, reason)| {
            assert!(reason.len() > 20, "{ty}.{field}({arg}) needs its reason");
            (*ty, *field, *arg)
        })
        .collect();
    let mut guarded = Vec::new();
    for (ty, field, arg, mention) in &arguments {
        if unguarded.contains(&(ty.as_str(), field.as_str(), arg.as_str())) {
            continue;
        }
        let parameter = format!("{}:", snake(arg));
        let candidates: Vec<_> = resolvers
            .iter()
            .filter(|(name, signature, _)| *name == snake(field) && signature.contains(&parameter))
            .collect();
        assert!(
            !candidates.is_empty(),
            "{ty}.{field}({arg}): no resolver `async fn {}` with `{parameter}` under src/graphql",
            snake(field)
        );
        for (_, _, guard) in candidates {
            let guard = guard.as_deref().unwrap_or_default();
            assert!(
                guard.contains(mention.as_str()),
                "{ty}.{field}({arg}) names an object, so its guard must check `{mention}`: \
                 guard = {guard:?} (or list it in UNGUARDED_ID_ARGUMENTS with the reason)"
            );
        }
        guarded.push(format!("{ty}.{field}({mention})"));
    }
    // The walk sees what it should: the root id fields, the mutations' inputs, the subscription.
    for expected in [
        "Query.node(id)",
        "Query.socialAccount(id)",
        "Query.organization(id)",
        "Query.auditLog(organization_id)",
        "Mutation.startReconnect(input.social_account_id)",
        "Mutation.schedulePost(input.social_account_ids)",
        "Mutation.resolveHeldPost(input.post_ids)",
        "Mutation.startConnect(input.organization_id)",
        "Subscription.socialAccountEvents(organization_id)",
    ] {
        assert!(
            guarded.iter().any(|seen| seen == expected),
            "{expected} not walked: {guarded:?}"
        );
    }
}

/// A guarded mutation called with another organization's ids answers exactly as with unknown
/// ids, and writes nothing.
#[tokio::test]
async fn mutations_refuse_another_organizations_ids_like_unknown_ones_and_change_nothing() {
    let app = TestApp::spawn_demo().await;
    let other = globex(&app).await;
    let (account, organization) = (other.ids[0].1, other.ids[2].1);
    let now = Utc::now();
    let post = scheduled_posts::ActiveModel {
        social_account_id: Set(account),
        author_id: Set(other.ids[3].1),
        body: Set("Globex news".to_owned()),
        scheduled_at: Set(Some(now)),
        state: Set(PostState::Held),
        idempotency_key: Set("globex-1".to_owned()),
        attempts: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("post")
    .id;
    let account_id = |row| ids::encode(Kind::SocialAccount, row).0;
    let cases = [
        (
            "mutation($a: ID!) { startReconnect(input: { socialAccountId: $a }) { authorizeUrl } }",
            account_id(account),
            account_id(987_654),
        ),
        (
            "mutation($a: ID!) { disconnectSocialAccount(input: { socialAccountId: $a }) { socialAccount { id } } }",
            account_id(account),
            account_id(987_654),
        ),
        (
            "mutation($a: ID!) { requestReconnect(input: { socialAccountId: $a }) { asked { id } } }",
            account_id(account),
            account_id(987_654),
        ),
        (
            "mutation($a: ID!) { saveDraft(input: { socialAccountId: $a, body: \"x\" }) { post { id } } }",
            account_id(account),
            account_id(987_654),
        ),
        (
            "mutation($a: ID!) { schedulePost(input: { socialAccountIds: [$a], body: \"x\", scheduledAt: \"2030-01-01T00:00:00Z\" }) { posts { id } } }",
            account_id(account),
            account_id(987_654),
        ),
        (
            "mutation($a: ID!) { resolveHeldPost(input: { postIds: [$a], action: DRAFT }) { posts { id } } }",
            ids::encode(Kind::ScheduledPost, post).0,
            ids::encode(Kind::ScheduledPost, 987_654).0,
        ),
        (
            "mutation($a: ID!) { startConnect(input: { network: FACEBOOK, organizationId: $a }) { authorizeUrl } }",
            ids::encode(Kind::Organization, organization).0,
            ids::encode(Kind::Organization, 987_654).0,
        ),
        (
            "query($a: ID!) { auditLog(organizationId: $a) { nodes { id } } }",
            ids::encode(Kind::Organization, organization).0,
            ids::encode(Kind::Organization, 987_654).0,
        ),
    ];
    let events = event_count(&app).await;
    for (document, foreign, unknown) in cases {
        let foreign = app
            .graphql("ada@northwind.example", document, json!({ "a": foreign }))
            .await;
        let unknown = app
            .graphql("ada@northwind.example", document, json!({ "a": unknown }))
            .await;
        assert_eq!(first_code(&foreign), "NOT_FOUND", "{document}: {foreign}");
        assert_eq!(foreign, unknown, "{document}");
    }
    assert_eq!(event_count(&app).await, events, "nothing written");
    let untouched = scheduled_posts::Entity::find_by_id(post)
        .one(&app.db)
        .await
        .expect("read")
        .expect("post");
    assert_eq!(untouched.state, PostState::Held);
}

/// A member who is not an admin learns FORBIDDEN from an admin-only field of their own
/// organization; the guard decides before the resolver reads anything.
#[tokio::test]
async fn the_admin_guard_refuses_a_member_and_lets_an_admin_through() {
    let app = TestApp::spawn_demo().await;
    let org = app
        .graphql(
            "dev@northwind.example",
            "{ viewer { organizations { id } } }",
            json!({}),
        )
        .await["data"]["viewer"]["organizations"][0]["id"]
        .clone();
    let document = "query($o: ID!) { auditLog(organizationId: $o) { nodes { action } } \
                    organization(id: $o) { socialAccountHealth { total } } }";
    let member = app
        .graphql("dev@northwind.example", document, json!({ "o": org }))
        .await;
    let codes: Vec<&str> = member["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|error| error["extensions"]["code"].as_str())
        .collect();
    assert_eq!(codes, ["FORBIDDEN", "FORBIDDEN"], "{member}");
    let admin = app
        .graphql("ben@northwind.example", document, json!({ "o": org }))
        .await;
    assert!(admin["errors"].is_null(), "{admin}");
    assert_eq!(
        admin["data"]["organization"]["socialAccountHealth"]["total"],
        7
    );
}

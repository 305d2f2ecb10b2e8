//! An abuse campaign against a real server: the classic GraphQL attacks (graphql-cop's list: alias
//! overloading, field duplication, directive overloading, circular fragments, deep introspection,
//! batching, GET mutations, huge strings and numbers, unicode edge cases, thousands of variables)
//! and the holes the hardening closed. Each attack must get its typed refusal (a status and a
//! stable code), be answered within the server's request timeout (a hang would answer `TIMEOUT`
//! instead, and fail), and change nothing in the database.

use std::fmt::Write as _;

use chrono::Duration;
use entity::{
    audit_log, banner_dismissals, events, oauth_attempts, scheduled_posts, social_accounts,
    social_logins, users,
};
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Everything an attack could change, as it stands.
async fn fingerprint(app: &TestApp) -> Value {
    let db = &app.db;
    json!({
        "users": users::Entity::find().count(db).await.expect("count"),
        "logins": format!("{:?}", social_logins::Entity::find().all(db).await.expect("logins")),
        "accounts": format!("{:?}", social_accounts::Entity::find().all(db).await.expect("accounts")),
        "posts": format!("{:?}", scheduled_posts::Entity::find().all(db).await.expect("posts")),
        "events": events::Entity::find().count(db).await.expect("count"),
        "audit": audit_log::Entity::find().count(db).await.expect("count"),
        "attempts": format!("{:?}", oauth_attempts::Entity::find().all(db).await.expect("attempts")),
        "dismissals": banner_dismissals::Entity::find().count(db).await.expect("count"),
    })
}

/// What an attack sends.
enum Send {
    /// A JSON body to `POST /graphql`, with this token (or none).
    Post(Value, Option<String>),
    /// Raw bytes to `POST /graphql` with this content type.
    Raw(&'static str, Vec<u8>),
    /// `GET /graphql` with these query parameters.
    Get(Vec<(&'static str, String)>),
    /// A `GET` of this path (the OAuth callback).
    Browse(String),
    /// A form to this path (a webhook).
    Form(String, Vec<(&'static str, String)>),
}

/// One attack and the refusal it must get: HTTP status and `errors[0].extensions.code` (for a
/// route outside GraphQL, a fragment of the body or the `Location`).
struct Attack {
    name: &'static str,
    send: Send,
    status: u16,
    expect: &'static str,
}

fn repeat(count: usize, piece: impl Fn(usize) -> String) -> String {
    (0..count).fold(String::new(), |mut out, n| {
        let _ = write!(out, "{} ", piece(n));
        out
    })
}

fn post(query: String, token: &str) -> Send {
    Send::Post(json!({ "query": query }), Some(token.to_owned()))
}

async fn attacks(app: &TestApp) -> Vec<Attack> {
    let ada = app.token_for("ada@northwind.example").await;
    let dev = app.token_for("dev@northwind.example").await;
    let page = app.account_id("fb-page-northwind").await;
    let nested = |depth: usize| {
        format!(
            "{{ __schema {{ types {{ {}name{} }} }} }}",
            "fields { type { ofType { ".repeat(depth),
            " } } }".repeat(depth)
        )
    };
    let forged = {
        use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            r#"{"sub":"northwind.example|ada","iss":"relink","aud":"relink-dashboard","exp":99999999999}"#,
        );
        format!("{header}.{claims}.")
    };
    let expired = {
        let user = relink::people::repo::user_by_email(&app.db, "ada@northwind.example")
            .await
            .expect("query")
            .expect("ada");
        app.keys
            .issue(
                &user.external_subject,
                app.clock.now() - Duration::days(2),
                Duration::hours(1),
            )
            .expect("token")
    };
    let stale_webhook = {
        let (_, secret) = relink_sandbox::client_credentials(&app.db, entity::enums::Network::X)
            .await
            .expect("query")
            .expect("app");
        relink_sandbox::sign_request(
            &json!({ "algorithm": "HMAC-SHA256", "user_id": "x-northwind", "issued_at": app.clock.now().timestamp() - 3_600 })
                .to_string(),
            secret.expose(),
        )
    };
    vec![
        Attack {
            name: "alias overloading: 6,000 aliases of __typename",
            send: post(format!("{{ {} }}", repeat(6_000, |n| format!("a{n}: __typename"))), &ada),
            status: 400,
            expect: "QUERY_TOO_COMPLEX",
        },
        Attack {
            name: "alias overloading of a field that calls a network: 200 stream states",
            send: post(
                format!("{{ {} }}", repeat(200, |n| format!("a{n}: streams(first: 1) {{ state }}"))),
                &ada,
            ),
            status: 400,
            expect: "QUERY_TOO_COMPLEX",
        },
        Attack {
            name: "field duplication: one field 6,000 times",
            send: post(format!("{{ viewer {{ user {{ {} }} }} }}", "name ".repeat(6_000)), &ada),
            status: 400,
            expect: "QUERY_TOO_COMPLEX",
        },
        Attack {
            name: "directive overloading: 1,000 directives on one field",
            send: post(
                format!("{{ __typename {} }}", "@include(if: true) ".repeat(1_000)),
                &ada,
            ),
            status: 400,
            expect: "QUERY_TOO_COMPLEX",
        },
        Attack {
            name: "circular fragments",
            send: post(
                "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }".to_owned(),
                &ada,
            ),
            status: 400,
            expect: "QUERY_TOO_COMPLEX",
        },
        Attack {
            name: "alias overloading as graphql-cop tries it: 101 aliases",
            send: post(format!("{{ {} }}", repeat(101, |n| format!("a{n}: __typename"))), &ada),
            status: 400,
            expect: "QUERY_TOO_COMPLEX",
        },
        Attack {
            name: "one small fragment spread 3,000 times",
            send: post(
                format!(
                    "query {{ {} }} fragment F on Query {{ __typename viewer {{ user {{ id }} }} }}",
                    "...F ".repeat(3_000)
                ),
                &ada,
            ),
            status: 400,
            expect: "QUERY_TOO_COMPLEX",
        },
        Attack {
            name: "deep introspection: 20 levels of types",
            send: post(nested(20), &ada),
            status: 400,
            expect: "QUERY_TOO_COMPLEX",
        },
        Attack {
            name: "deep nesting: 10,000 open selection sets",
            send: post(format!("{}{}", "{ a ".repeat(10_000), "}".repeat(10_000)), &ada),
            status: 400,
            expect: "GRAPHQL_PARSE_FAILED",
        },
        Attack {
            name: "deep nesting inside a variable: 10,000 nested lists",
            send: Send::Raw(
                "application/json",
                format!(
                    r#"{{"query":"{{ __typename }}","variables":{{"v":{}{}}}}}"#,
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                )
                .into_bytes(),
            ),
            status: 400,
            expect: "BAD_REQUEST",
        },
        Attack {
            name: "batching: an array of 100 operations",
            send: Send::Raw(
                "application/json",
                serde_json::to_vec(&vec![json!({ "query": "{ __typename }" }); 100]).expect("json"),
            ),
            status: 400,
            expect: "BAD_REQUEST",
        },
        Attack {
            name: "a mutation over GET",
            send: Send::Get(vec![("query", "mutation { dismissReconnectBanner { userErrors { code } } }".to_owned())]),
            status: 405,
            expect: "BAD_REQUEST",
        },
        Attack {
            name: "a 2 MiB body",
            send: Send::Raw(
                "application/json",
                format!(r#"{{"query":"{{ __typename }} # {}"}}"#, "x".repeat(2 << 20)).into_bytes(),
            ),
            status: 413,
            expect: "BAD_REQUEST",
        },
        Attack {
            name: "a huge string: a 900 KB note",
            send: Send::Post(
                json!({
                    "query": "mutation($id: ID!, $note: String) { requestReconnect(input: { socialAccountId: $id, message: $note }) { asked { name } } }",
                    "variables": { "id": page, "note": "w ".repeat(450_000) },
                }),
                Some(dev.clone()),
            ),
            status: 200,
            expect: "BAD_USER_INPUT",
        },
        Attack {
            name: "a huge number: first past 32 bits",
            send: post("{ socialAccounts(first: 99999999999999999999) { nodes { id } } }".to_owned(), &ada),
            status: 400,
            expect: "GRAPHQL_VALIDATION_FAILED",
        },
        Attack {
            name: "a huge number: first of a million",
            send: post("{ socialAccounts(first: 1000000) { nodes { id } } }".to_owned(), &ada),
            status: 200,
            expect: "BAD_USER_INPUT",
        },
        Attack {
            name: "a number beyond JSON's doubles in the variables",
            send: Send::Raw(
                "application/json",
                br#"{"query":"query($n: Int) { socialAccounts(first: $n) { nodes { id } } }","variables":{"n":1e400}}"#.to_vec(),
            ),
            status: 400,
            expect: "BAD_REQUEST",
        },
        Attack {
            name: "a date past year 262,143",
            send: Send::Post(
                json!({
                    "query": "mutation($id: ID!) { saveDraft(input: { socialAccountId: $id, body: \"x\", scheduledAt: \"+262142-12-31T12:00:00Z\" }) { userErrors { code } } }",
                    "variables": { "id": page },
                }),
                Some(ada.clone()),
            ),
            status: 200,
            expect: "BAD_USER_INPUT",
        },
        Attack {
            name: "unicode: a lone surrogate in the JSON",
            send: Send::Raw("application/json", br#"{"query":"{ socialAccount(id: \"\ud800\") { id } }"}"#.to_vec()),
            status: 400,
            expect: "BAD_REQUEST",
        },
        Attack {
            name: "unicode: a right-to-left override in a note",
            send: Send::Post(
                json!({
                    "query": "mutation($id: ID!, $note: String) { requestReconnect(input: { socialAccountId: $id, message: $note }) { asked { name } } }",
                    "variables": { "id": page, "note": "invoice\u{202E}fdp.exe" },
                }),
                Some(dev.clone()),
            ),
            status: 200,
            expect: "BAD_USER_INPUT",
        },
        Attack {
            name: "unicode: an id of emoji and zero-width joiners",
            send: post("{ socialAccount(id: \"👩‍👩‍👧‍👦\u{200D}\u{FEFF}\") { id } }".to_owned(), &ada),
            status: 200,
            expect: "NOT_FOUND",
        },
        Attack {
            name: "10,000 variables",
            send: post(
                format!(
                    "query({}) {{ __typename }}",
                    (0..10_000).map(|n| format!("$v{n}: Int")).collect::<Vec<_>>().join(", ")
                ),
                &ada,
            ),
            status: 400,
            expect: "GRAPHQL_VALIDATION_FAILED",
        },
        Attack {
            name: "a body without a query",
            send: Send::Post(json!({ "qeury": "{ __typename }" }), Some(ada.clone())),
            status: 400,
            expect: "BAD_REQUEST",
        },
        Attack {
            name: "a form body instead of JSON",
            send: Send::Raw("application/x-www-form-urlencoded", b"query=%7B__typename%7D".to_vec()),
            status: 415,
            expect: "BAD_REQUEST",
        },
        Attack {
            name: "an unsigned token (alg none)",
            send: post("{ viewer { user { name } } }".to_owned(), &forged),
            status: 401,
            expect: "UNAUTHENTICATED",
        },
        Attack {
            name: "an expired token",
            send: post("{ viewer { user { name } } }".to_owned(), &expired),
            status: 401,
            expect: "UNAUTHENTICATED",
        },
        Attack {
            name: "a mutation without a token",
            send: Send::Post(json!({ "query": "mutation { dismissReconnectBanner { userErrors { code } } }" }), None),
            status: 200,
            expect: "UNAUTHENTICATED",
        },
        Attack {
            name: "another organization's id",
            send: post(
                format!(
                    "{{ organization(id: \"{}\") {{ name }} }}",
                    relink::graphql::ids::encode(relink::graphql::ids::Kind::Organization, 424_242).0
                ),
                &ada,
            ),
            status: 200,
            expect: "NOT_FOUND",
        },
        Attack {
            name: "a forged OAuth state on the callback",
            send: Send::Browse("/oauth/callback/facebook?state=forged&code=stolen".to_owned()),
            status: 303,
            expect: "result=refused&code=STATE_INVALID",
        },
        Attack {
            name: "an OAuth callback to an unknown network",
            send: Send::Browse("/oauth/callback/myspace?state=s&code=c".to_owned()),
            status: 404,
            expect: "",
        },
        Attack {
            name: "a deauthorize webhook signed with the wrong secret",
            send: Send::Form(
                "/webhooks/x/deauthorize".to_owned(),
                vec![(
                    "signed_request",
                    relink_sandbox::sign_request(
                        r#"{"algorithm":"HMAC-SHA256","user_id":"x-northwind"}"#,
                        "not-the-secret",
                    ),
                )],
            ),
            status: 401,
            expect: "invalid_signature",
        },
        Attack {
            name: "a deauthorize webhook an hour old (replayed)",
            send: Send::Form(
                "/webhooks/x/deauthorize".to_owned(),
                vec![("signed_request", stale_webhook)],
            ),
            status: 400,
            expect: "stale_request",
        },
    ]
}

async fn launch(app: &TestApp, send: &Send) -> (u16, String, Value) {
    let url = |path: &str| format!("{}{path}", app.address);
    let accept = "application/graphql-response+json";
    let request = match send {
        Send::Post(body, token) => {
            let request = app
                .client
                .post(url("/graphql"))
                .header("accept", accept)
                .json(body);
            match token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
        }
        Send::Raw(kind, bytes) => app
            .client
            .post(url("/graphql"))
            .header("accept", accept)
            .header("content-type", *kind)
            .body(bytes.clone()),
        Send::Get(params) => app
            .client
            .get(url("/graphql"))
            .header("accept", accept)
            .query(params),
        Send::Browse(path) => app.client.get(url(path)),
        Send::Form(path, form) => app.client.post(url(path)).form(form),
    };
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        location,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn every_attack_of_the_campaign_is_refused_with_its_code_and_changes_nothing() {
    let app = TestApp::spawn_with(|config| {
        config.no_demo = false;
        // A hang would answer TIMEOUT instead of the expected code: the bound on answer time.
        config.request_timeout = std::time::Duration::from_secs(5);
        config.rate_limit = 0;
    })
    .await;
    let attacks = attacks(&app).await;
    let before = fingerprint(&app).await;
    let mut report = Vec::new();
    for attack in &attacks {
        let (status, location, body) = launch(&app, &attack.send).await;
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| location.clone() + &body.to_string());
        let refused = status == attack.status && code.contains(attack.expect);
        report.push(format!(
            "{} {}: {status} {}",
            if refused { "refused" } else { "NOT REFUSED" },
            attack.name,
            code.chars().take(120).collect::<String>()
        ));
        // No message leaks what is inside.
        let text = body.to_string();
        for inside in ["SELECT", "sqlx", "panicked", "DbErr", "stack backtrace"] {
            assert!(
                !text.contains(inside),
                "{}: {inside} in {text}",
                attack.name
            );
        }
    }
    println!(
        "abuse campaign: {} attacks\n{}",
        attacks.len(),
        report.join("\n")
    );
    assert!(
        report.iter().all(|line| line.starts_with("refused")),
        "{}",
        report.join("\n")
    );
    assert_eq!(
        fingerprint(&app).await,
        before,
        "an attack changed the database"
    );
    // The server is still well.
    let (status, body) = app
        .graphql_as(
            Some(&app.token_for("ada@northwind.example").await),
            "{ __typename }",
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["data"]["__typename"].as_str()),
        (200, Some("Query"))
    );
}

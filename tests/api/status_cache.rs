//! The status cache is exact: after any sequence of disconnects, reconnects, grant and membership
//! changes, dismissals, new sign-ins and passing time, the `reconnectStatus` each viewer gets
//! from the cache equals the one computed from the database (a property test with a fixed seed,
//! on SQLite and PostgreSQL).

use chrono::Duration;
use entity::enums::{AccessLevel, OrgRole};
use serde_json::{Value, json};

use crate::helpers::{TestApp, reconnect_as};

const STATUS: &str = "{ reconnectStatus { bannerVisible bannerDismissedUntil badgeCount accounts { id name health limitedReason viewerCanReconnect lastReconnectedBy { name } disconnect { reason since } } } }";
const USERS: [&str; 4] = [
    "ada@northwind.example",
    "ben@northwind.example",
    "cleo@northwind.example",
    "dev@northwind.example",
];
const ACCOUNTS: [&str; 7] = [
    "fb-page-northwind",
    "fb-page-roastery",
    "fb-group-lovers",
    "ig-biz-northwind",
    "x-northwind",
    "li-company-northwind",
    "li-ada",
];
const SIGN_INS: [(&str, &str); 4] = [
    ("fb-page-northwind", "fb-nora"),
    ("fb-page-roastery", "fb-nora"),
    ("x-northwind", "x-northwind"),
    ("li-company-northwind", "li-ada"),
];

/// A small deterministic generator (xorshift64*), so a failure replays exactly.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        usize::try_from(value % sides as u64).unwrap_or(0)
    }
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    relink::people::repo::user_by_email(&app.db, email)
        .await
        .expect("query")
        .expect("user")
        .id
}

async fn account_row_id(app: &TestApp, external: &str) -> i64 {
    let id = app.account_id(external).await;
    relink::graphql::ids::decode_as(relink::graphql::ids::Kind::SocialAccount, &id).expect("id")
}

/// Waits until this replica's relay has handed every committed event to the cache.
async fn settle(app: &TestApp) {
    for _ in 0..1_000 {
        let newest = relink::events::repo::newest_id(&app.db)
            .await
            .expect("newest");
        if app.context.bus.published() >= newest {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("the relay did not catch up");
}

async fn status(app: &TestApp, email: &str) -> Value {
    let body = app.graphql(email, STATUS, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["reconnectStatus"].clone()
}

#[tokio::test]
async fn the_cached_status_always_equals_the_one_computed_from_the_database() {
    let app = TestApp::spawn_demo().await;
    let org = 1;
    let mut dice = Dice(0x5eed_1234_abcd_0001);
    let mut hits = 0;
    for step in 0..30 {
        // Everyone looks first, so the cache holds a snapshot of each before the change.
        settle(&app).await;
        for email in USERS {
            status(&app, email).await;
        }
        let what = match dice.roll(7) {
            0 => {
                let account = ACCOUNTS[dice.roll(ACCOUNTS.len())];
                let id = app.account_id(account).await;
                app.graphql(USERS[0], crate::live::DISCONNECT, json!({ "id": id }))
                    .await;
                format!("an admin disconnects {account}")
            }
            1 => {
                let (account, identity) = SIGN_INS[dice.roll(SIGN_INS.len())];
                reconnect_as(&app, USERS[0], account, identity).await;
                format!("Ada reconnects {account} as {identity}")
            }
            2 => {
                let account = ACCOUNTS[dice.roll(ACCOUNTS.len())];
                let email = USERS[2 + dice.roll(2)];
                let level = [
                    None,
                    Some(AccessLevel::Limited),
                    Some(AccessLevel::Editor),
                    Some(AccessLevel::Advanced),
                    Some(AccessLevel::Owner),
                ][dice.roll(5)];
                let (account_id, user) = (
                    account_row_id(&app, account).await,
                    user_id(&app, email).await,
                );
                relink::people::permissions::set_grant(&app.context, None, account_id, user, level)
                    .await
                    .expect("grant");
                format!("{email} gets {level:?} on {account}")
            }
            3 => {
                let email = USERS[1 + dice.roll(3)];
                let role = [None, Some(OrgRole::Member), Some(OrgRole::Admin)][dice.roll(3)];
                let user = user_id(&app, email).await;
                relink::people::permissions::set_membership(&app.context, None, org, user, role)
                    .await
                    .expect("membership");
                format!("{email} becomes {role:?}")
            }
            4 => {
                let email = USERS[dice.roll(USERS.len())];
                app.graphql(
                    email,
                    "mutation { dismissReconnectBanner { userErrors { code } } }",
                    json!({}),
                )
                .await;
                format!("{email} dismisses the banner")
            }
            5 => {
                let email = USERS[dice.roll(USERS.len())];
                app.sign_in_again(email);
                format!("{email} signs in again")
            }
            _ => {
                let hours = i64::try_from(dice.roll(30)).unwrap_or(1);
                app.clock.advance(Duration::hours(hours));
                format!("{hours} hours pass")
            }
        };
        settle(&app).await;
        for email in USERS {
            let first = status(&app, email).await;
            let second = status(&app, email).await;
            hits += usize::from(!app.context.status_cache.is_empty());
            app.context.status_cache.clear();
            let computed = status(&app, email).await;
            assert_eq!(
                first, computed,
                "step {step} ({what}), {email}: right after"
            );
            assert_eq!(
                second, computed,
                "step {step} ({what}), {email}: from the cache"
            );
        }
    }
    assert!(hits > 0, "the cache was never used");
}

#[tokio::test]
async fn a_status_from_the_cache_runs_at_most_one_statement() {
    let app = TestApp::spawn_demo().await;
    settle(&app).await;
    status(&app, "ada@northwind.example").await;
    settle(&app).await;
    // The keeper and the relay run in the background: count the fewest over a few requests.
    let mut fewest = u64::MAX;
    // The token is made first: making it reads the user (the test's lookup, not the server's).
    let token = app.token_for("ada@northwind.example").await;
    for _ in 0..5 {
        let before = app.statements.get();
        let (_, body) = app.graphql_as(Some(&token), STATUS, json!({})).await;
        assert!(body["errors"].is_null(), "{body}");
        fewest = fewest.min(app.statements.get() - before);
    }
    // PostgreSQL (replicas) asks the outbox for its newest id; the embedded SQLite has one
    // process, which knows its own commits.
    let expected = u64::from(crate::helpers::postgres_base_url().is_some());
    assert_eq!(
        fewest, expected,
        "at most the newest event's id, nothing else"
    );
    // Anonymous callers are still refused.
    let (_, anonymous) = app
        .graphql_as(None, "{ reconnectStatus { badgeCount } }", json!({}))
        .await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{anonymous}"
    );
}

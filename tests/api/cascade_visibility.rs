//! The cascade (R7, R8) reconnects accounts the reconnecting user may not see; what the reconnect
//! returns to them lists only what they may see, and counts the rest.

use entity::enums::Health;
use serde_json::json;

use crate::helpers::{TestApp, health, sign_in, start};

#[tokio::test]
async fn cleo_reconnecting_through_noras_login_sees_only_her_own_page() {
    let app = TestApp::spawn_demo().await;
    // Cleo holds ADVANCED on the roastery page only; the Northwind Coffee page (with two held
    // posts by Dev and Ada) and the group share Nora's login.
    let started = start(&app, "cleo@northwind.example", "fb-page-roastery").await;
    let back = sign_in(
        &app,
        started["authorizeUrl"].as_str().expect("url"),
        "fb-nora",
        &[],
        "allow",
    )
    .await;
    let (state, code) = crate::helpers::state_and_code(&back);
    let body = app
        .graphql(
            "cleo@northwind.example",
            "mutation($state: String!, $code: String!) { completeReconnect(input: { state: $state, code: $code }) {
                reconnectedAccounts { name lastReconnectedBy { name } }
                stillDisconnected { name }
                rulesToReview { name socialAccount { name } }
                releasedPosts { body author { name } socialAccount { name } }
                hiddenAccountCount hiddenReleasedPostCount
                userErrors { code } } }",
            json!({ "state": state, "code": code }),
        )
        .await;
    let done = &body["data"]["completeReconnect"];
    assert_eq!(done["userErrors"], json!([]), "{body}");
    // Everything of the login came back (R7, R8)…
    for page in ["fb-page-northwind", "fb-page-roastery", "fb-group-lovers"] {
        assert_eq!(health(&app, page).await, Health::Connected, "{page}");
    }
    // …but Cleo is told only of what she may see.
    assert_eq!(
        done["reconnectedAccounts"],
        json!([{ "name": "Northwind Roastery", "lastReconnectedBy": { "name": "Cleo Martin" } }]),
        "{body}"
    );
    assert_eq!(done["stillDisconnected"], json!([]));
    assert_eq!(done["releasedPosts"], json!([]), "{body}");
    assert_eq!(done["hiddenAccountCount"], 2);
    assert_eq!(done["hiddenReleasedPostCount"], 2);
    let text = body.to_string();
    for secret in [
        "Northwind Coffee",
        "Coffee Lovers",
        "Weekend roast",
        "Latte art",
        "Tag complaints",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

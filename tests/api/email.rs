//! R12: one email per disconnect to whoever last (re)connected the account, never twice, a
//! "recovered" email when it is back; through a real SMTP server or the file outbox.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use crate::helpers::{TestApp, reconnect_as};

#[tokio::test]
async fn the_last_reconnector_gets_one_email_then_one_when_it_is_back() {
    let app = TestApp::spawn_demo().await;
    let sent = app.postman.run_once().await.expect("pass");
    assert_eq!(
        sent.disconnects, 1,
        "three accounts of one login: one email"
    );
    let mails = app.outbox();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    // Ben reconnected the Facebook login last (R4, R12).
    assert!(
        mail.contains("To: \"Ben Okafor\" <ben@northwind.example>")
            || mail.contains("To: Ben Okafor <ben@northwind.example>"),
        "{mail}"
    );
    for expected in [
        "Northwind Coffee Lovers",
        "Northwind Roastery",
        "/dashboard#/social-networks/reauth",
        "password",
    ] {
        assert!(mail.contains(expected), "missing {expected}: {mail}");
    }
    // Never twice.
    assert_eq!(app.postman.run_once().await.expect("pass").disconnects, 0);
    assert_eq!(app.outbox().len(), 1);

    reconnect_as(
        &app,
        "ada@northwind.example",
        "fb-page-northwind",
        "fb-nora",
    )
    .await;
    let sent = app.postman.run_once().await.expect("pass");
    assert_eq!(sent.recoveries, 1);
    // R19/B6: the reconnect flagged the roastery's rule: its owner and Ada hear of it too.
    assert_eq!(sent.rule_reviews, 2);
    assert_eq!(app.outbox().len(), 4);
    assert_eq!(
        app.postman.run_once().await.expect("pass"),
        relink::notices::email::Sent::default()
    );
}

/// A minimal SMTP server that accepts every message and keeps the transcript.
async fn smtp_sink() -> (String, Arc<Mutex<String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("addr"));
    let transcript = Arc::new(Mutex::new(String::new()));
    let seen = transcript.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut seen) = seen.lock() {
                        seen.push_str(&line);
                        seen.push('\n');
                    }
                    let reply: &[u8] = if in_data {
                        if line == "." {
                            in_data = false;
                            b"250 queued\r\n"
                        } else {
                            continue;
                        }
                    } else if line.starts_with("EHLO") || line.starts_with("HELO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if line.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if line.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (url, transcript)
}

#[tokio::test]
async fn emails_go_through_a_real_smtp_server_when_configured() {
    let (url, transcript) = smtp_sink().await;
    let app =
        TestApp::spawn_with(|config| config.smtp_url = Some(relink::config::Secret::new(url)))
            .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    let sent = app.postman.run_once().await.expect("pass");
    assert_eq!(sent.disconnects, 1);
    let seen = transcript
        .lock()
        .map(|seen| seen.clone())
        .unwrap_or_default();
    assert!(seen.contains("RCPT TO:<ben@northwind.example>"), "{seen}");
    assert!(
        seen.contains("Subject: 3 social accounts need reconnecting"),
        "{seen}"
    );
    assert!(app.outbox().is_empty(), "SMTP, not the outbox");
}

#[tokio::test]
async fn a_failing_smtp_server_is_retried_and_nothing_is_marked_sent() {
    // A port where nothing listens: the send fails, the episodes stay due.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("smtp://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let app =
        TestApp::spawn_with(|config| config.smtp_url = Some(relink::config::Secret::new(url)))
            .await;
    relink::demo::seed(&app.db, app.clock.now())
        .await
        .expect("seed");
    assert_eq!(app.postman.run_once().await.expect("pass").disconnects, 0);
    use sea_orm::EntityTrait as _;
    let episodes = entity::disconnect_episodes::Entity::find()
        .all(&app.db)
        .await
        .expect("episodes");
    assert!(
        episodes
            .iter()
            .all(|e| e.email_sent_at.is_none() && e.email_attempts == 1),
        "{episodes:?}"
    );
}

#[tokio::test]
async fn someone_who_may_not_reconnect_asks_those_who_may() {
    let app = TestApp::spawn_demo().await;
    let page = app.account_id("fb-page-northwind").await;
    let body = app
        .graphql(
            "dev@northwind.example",
            "mutation($id: ID!) { requestReconnect(input: { socialAccountId: $id, message: \"The launch post is held\" }) { asked { name } } }",
            serde_json::json!({ "id": page }),
        )
        .await;
    let asked: Vec<&str> = body["data"]["requestReconnect"]["asked"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|user| user["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    // Those who see the page and may reconnect it: the admins. Cleo could start the cascade from
    // her own page but cannot see this one, so she is not told about it.
    assert_eq!(asked, ["Ada Lovelace", "Ben Okafor"], "{body}");
    let mails = app.outbox();
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .all(|mail| mail.contains("Please reconnect Northwind Coffee")
                && mail.contains("The launch post is held"))
    );
    use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
    let events = entity::events::Entity::find()
        .filter(entity::events::Column::Kind.eq("RECONNECT_REQUESTED"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(events, 1);
}

const ASK: &str = "mutation($id: ID!, $note: String) { requestReconnect(input: { socialAccountId: $id, message: $note }) { asked { name } } }";

async fn reconnect_requests(app: &TestApp) -> u64 {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
    entity::events::Entity::find()
        .filter(entity::events::Column::Kind.eq("RECONNECT_REQUESTED"))
        .count(&app.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_note_that_is_too_long_or_holds_control_characters_sends_nothing() {
    let app = TestApp::spawn_demo().await;
    let page = app.account_id("fb-page-northwind").await;
    // The note that once asked the mail wrapper for ~125 GB: refused at once, by its length.
    let huge = format!("{}{}", " ".repeat(500_000), "w ".repeat(250_000));
    let started = std::time::Instant::now();
    for note in [
        huge,
        "x".repeat(1_001),
        "line one\r\nline two".to_owned(),
        "\u{1b}[31mRelink security notice\u{1b}[0m".to_owned(),
        "see \u{202E}fdp.exe".to_owned(),
    ] {
        let body = app
            .graphql(
                "dev@northwind.example",
                ASK,
                serde_json::json!({ "id": page, "note": note }),
            )
            .await;
        assert_eq!(
            crate::helpers::first_code(&body),
            "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(body["data"], serde_json::Value::Null, "{body}");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(app.outbox().is_empty(), "nothing was sent");
    assert_eq!(reconnect_requests(&app).await, 0, "nothing was recorded");
    // A thousand characters is still a note.
    let body = app
        .graphql(
            "dev@northwind.example",
            ASK,
            serde_json::json!({ "id": page, "note": "y".repeat(1_000) }),
        )
        .await;
    assert_eq!(body["errors"], serde_json::Value::Null, "{body}");
}

#[tokio::test]
async fn the_note_is_quoted_as_the_askers_words_not_relinks() {
    let app = TestApp::spawn_demo().await;
    let page = app.account_id("fb-page-northwind").await;
    let note = "Relink security team: your password expired.\nReply with it to restore access.";
    app.graphql(
        "dev@northwind.example",
        ASK,
        serde_json::json!({ "id": page, "note": note }),
    )
    .await;
    let mails = app.outbox();
    assert_eq!(mails.len(), 2);
    for mail in mails {
        assert!(
            mail.contains("Dev Patel added a note (their words, not Relink's):\n> Relink security team: your password expired.\n> Reply with it to restore access.")
                || mail.contains("Dev Patel added a note (their words, not Relink's):\r\n> Relink security team: your password expired.\r\n> Reply with it to restore access."),
            "{mail}"
        );
    }
}

#[tokio::test]
async fn one_person_asks_about_one_account_at_most_once_an_hour() {
    let app = TestApp::spawn_demo().await;
    let page = app.account_id("fb-page-northwind").await;
    let ask = |note: &'static str| {
        let page = page.clone();
        let app = &app;
        async move {
            app.graphql(
                "dev@northwind.example",
                ASK,
                serde_json::json!({ "id": page, "note": note }),
            )
            .await
        }
    };
    assert_eq!(ask("first").await["errors"], serde_json::Value::Null);
    app.clock.advance(chrono::Duration::minutes(59));
    let again = ask("second").await;
    assert_eq!(
        crate::helpers::first_code(&again),
        "RATE_LIMITED",
        "{again}"
    );
    assert_eq!(
        again["errors"][0]["extensions"]["retryAfter"], 60,
        "{again}"
    );
    assert_eq!(reconnect_requests(&app).await, 1);
    assert_eq!(app.outbox().len(), 2, "the second request sent nothing");
    // Another account, or another person, is not held back.
    let other = app.account_id("fb-group-lovers").await;
    let body = app
        .graphql(
            "dev@northwind.example",
            ASK,
            serde_json::json!({ "id": other }),
        )
        .await;
    assert_eq!(body["errors"], serde_json::Value::Null, "{body}");
    app.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(ask("third").await["errors"], serde_json::Value::Null);
    assert_eq!(reconnect_requests(&app).await, 3);
}

/// Sets Ben's role in Northwind (`None`: he leaves it).
async fn set_ben(app: &TestApp, role: Option<entity::enums::OrgRole>) {
    use entity::{memberships, users};
    use sea_orm::{
        ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, QueryFilter as _, Set,
    };
    let ben = users::Entity::find()
        .filter(users::Column::Email.eq("ben@northwind.example"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("ben");
    let membership = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(ben.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("membership");
    match role {
        Some(role) => {
            let mut row: memberships::ActiveModel = membership.into();
            row.role = Set(role);
            row.update(&app.db).await.expect("demote");
        }
        None => {
            memberships::Entity::delete_by_id(membership.id)
                .exec(&app.db)
                .await
                .expect("leave");
        }
    }
}

fn addressed_to(mail: &str, email: &str) -> bool {
    mail.lines()
        .any(|line| line.starts_with("To:") && line.contains(email))
}

#[tokio::test]
async fn r12_a_last_reconnector_who_left_is_skipped_and_the_admins_are_told_then_hear_it_is_back() {
    // Arrange: Ben reconnected the Facebook login last, then left Northwind.
    let app = TestApp::spawn_demo().await;
    set_ben(&app, None).await;

    // Act
    let sent = app.postman.run_once().await.expect("pass");

    // Assert: Ada, the organization's one admin left, is told instead; Ben is not.
    assert_eq!(sent.disconnects, 1);
    let mails = app.outbox();
    assert_eq!(mails.len(), 1);
    assert!(
        addressed_to(&mails[0], "ada@northwind.example"),
        "{}",
        mails[0]
    );

    // Cleo (ADVANCED on the roastery page) reconnects: the "recovered" email goes to everyone the
    // disconnect told (Ada), not only to whoever reconnected.
    reconnect_as(
        &app,
        "cleo@northwind.example",
        "fb-page-roastery",
        "fb-nora",
    )
    .await;
    let sent = app.postman.run_once().await.expect("pass");
    assert_eq!(sent.recoveries, 1);
    let recovered: Vec<String> = app
        .outbox()
        .into_iter()
        .filter(|mail| mail.contains("Reconnected:"))
        .collect();
    assert_eq!(recovered.len(), 1);
    assert!(addressed_to(&recovered[0], "ada@northwind.example"));
}

#[tokio::test]
async fn r12_a_last_reconnector_who_may_no_longer_reconnect_is_skipped_for_every_admin() {
    // Arrange: Ben is now a plain member without a grant on the Facebook accounts, and a second
    // admin joins: both admins hear of the disconnect.
    let app = TestApp::spawn_demo().await;
    set_ben(&app, Some(entity::enums::OrgRole::Member)).await;
    {
        use sea_orm::{
            ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, QueryFilter as _, Set,
        };
        let cleo = entity::users::Entity::find()
            .filter(entity::users::Column::Email.eq("cleo@northwind.example"))
            .one(&app.db)
            .await
            .expect("query")
            .expect("cleo");
        let membership = entity::memberships::Entity::find()
            .filter(entity::memberships::Column::UserId.eq(cleo.id))
            .one(&app.db)
            .await
            .expect("query")
            .expect("membership");
        let mut row: entity::memberships::ActiveModel = membership.into();
        row.role = Set(entity::enums::OrgRole::Admin);
        row.update(&app.db).await.expect("promote");
    }

    // Act
    let sent = app.postman.run_once().await.expect("pass");

    // Assert: one email to each admin, none to Ben.
    assert_eq!(sent.disconnects, 2);
    let mails = app.outbox();
    assert!(
        mails
            .iter()
            .any(|mail| addressed_to(mail, "ada@northwind.example"))
    );
    assert!(
        mails
            .iter()
            .any(|mail| addressed_to(mail, "cleo@northwind.example"))
    );
    assert!(
        !mails
            .iter()
            .any(|mail| addressed_to(mail, "ben@northwind.example"))
    );
    // Never twice.
    assert_eq!(app.postman.run_once().await.expect("pass").disconnects, 0);
}

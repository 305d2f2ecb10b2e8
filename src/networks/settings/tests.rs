//! The networks file refused or read, case by case.

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn facebook(settings: &[NetworkSettings]) -> Option<&NetworkSettings> {
    settings.iter().find(|s| s.network == Network::Facebook)
}

#[test]
fn without_a_file_the_sandbox_plays_every_network_or_none() {
    use sea_orm::Iterable as _;
    let all = resolve("", true, no_env).expect("valid");
    assert_eq!(all.len(), Network::iter().count());
    assert!(
        all.iter()
            .all(|s| s.mode == Mode::Sandbox && s.live.is_none())
    );
    assert_eq!(
        facebook(&all).expect("valid").scopes,
        default_scopes(Network::Facebook)
    );
    assert!(resolve("", false, no_env).expect("valid").is_empty());
}

#[test]
fn a_live_network_takes_its_secret_from_the_environment_and_defaults_its_endpoints() {
    let text = r#"
        [facebook]
        mode = "live"
        client_id = "1234"
        client_secret_env = "FB_SECRET"
        scopes = ["pages_show_list"]
        [x]
        mode = "off"
    "#;
    let env = |name: &str| (name == "FB_SECRET").then(|| "app-secret-value".to_owned());
    let settings = resolve(text, true, env).expect("valid");
    let fb = facebook(&settings).expect("valid");
    assert_eq!(fb.mode, Mode::Live);
    assert_eq!(fb.scopes, ["pages_show_list"]);
    let live = fb.live.as_ref().expect("valid");
    assert_eq!(live.client_id, "1234");
    assert_eq!(live.client_secret.expose(), "app-secret-value");
    assert!(live.token_url.starts_with("https://graph.facebook.com/"));
    assert!(
        !settings.iter().any(|s| s.network == Network::X),
        "x is off"
    );
    let shown = format!("{settings:?}");
    assert!(!shown.contains("app-secret-value"), "{shown}");
}

#[test]
fn every_mistake_is_refused_with_the_field_to_fix() {
    let env = |name: &str| (name == "SET").then(|| "s".to_owned());
    let cases = [
        (
            "[myspace]\nmode = \"live\"",
            true,
            "unknown network `myspace`",
        ),
        ("[facebook]\nmode = \"sometimes\"", true, "unknown variant"),
        (
            "[facebook]\nmode = \"live\"\nclient_id = \"1\"\ncolor = \"blue\"",
            true,
            "unknown field",
        ),
        (
            "[facebook]\nmode = \"live\"\nclient_secret_env = \"SET\"",
            true,
            "needs `client_id`",
        ),
        (
            "[facebook]\nmode = \"live\"\nclient_id = \"1\"",
            true,
            "needs `client_secret_env`",
        ),
        (
            "[facebook]\nmode = \"live\"\nclient_id = \"1\"\nclient_secret_env = \"UNSET\"",
            true,
            "UNSET is not set",
        ),
        (
            "[facebook]\nmode = \"live\"\nclient_id = \"1\"\nclient_secret_env = \"SET\"\ntoken_url = \"http://graph.example.com/token\"",
            true,
            "`token_url` must use https",
        ),
        (
            "[facebook]\nmode = \"live\"\nclient_id = \"1\"\nclient_secret_env = \"SET\"\napi_url = \"not a url\"",
            true,
            "`api_url` is not a URL",
        ),
        (
            "[facebook]\nmode = \"sandbox\"",
            false,
            "the sandbox is off",
        ),
        (
            "[facebook]\nmode = \"sandbox\"\nclient_id = \"1\"",
            true,
            "`client_id` applies to mode \"live\" only",
        ),
        ("[facebook]\nscopes = []", true, "scopes must be non-empty"),
    ];
    for (text, sandbox_on, expected) in cases {
        let error = resolve(text, sandbox_on, env).expect_err("refused");
        assert!(error.to_string().contains(expected), "{text}: {error}");
        assert!(error.to_string().starts_with("RELINK_NETWORKS_FILE: "));
    }
}

#[test]
fn plain_http_is_allowed_on_loopback_only() {
    assert!(check_url("x", "token_url", "http://127.0.0.1:9000/token").is_ok());
    assert!(check_url("x", "token_url", "http://localhost:9000/token").is_ok());
    assert!(check_url("x", "token_url", "http://[::1]:9000/token").is_ok());
    assert!(check_url("x", "token_url", "http://10.0.0.1/token").is_err());
    assert!(check_url("x", "token_url", "ftp://example.com/token").is_err());
}

#[test]
fn tiktok_and_pinterest_endpoints_keep_their_documented_trailing_slash() {
    let text = "[tiktok]\nmode = \"live\"\nclient_id = \"ck\"\nclient_secret_env = \"S\"\n\
                [pinterest]\nmode = \"live\"\nclient_id = \"1\"\nclient_secret_env = \"S\"\n\
                api_url = \"https://api.pinterest.com/v5/\"";
    let env = |name: &str| (name == "S").then(|| "s".to_owned());
    let settings = resolve(text, true, env).expect("valid");
    let app = |network| {
        settings
            .iter()
            .find(|s| s.network == network)
            .and_then(|s| s.live.clone())
            .expect("live")
    };
    let tiktok = app(Network::Tiktok);
    assert_eq!(
        tiktok.authorize_url,
        "https://www.tiktok.com/v2/auth/authorize/"
    );
    assert_eq!(
        tiktok.token_url,
        "https://open.tiktokapis.com/v2/oauth/token/"
    );
    assert_eq!(
        tiktok.revoke_url.as_deref(),
        Some("https://open.tiktokapis.com/v2/oauth/revoke/")
    );
    let pinterest = app(Network::Pinterest);
    assert_eq!(pinterest.authorize_url, "https://www.pinterest.com/oauth/");
    assert_eq!(
        pinterest.api_url, "https://api.pinterest.com/v5",
        "joined to paths"
    );
}

#[test]
fn linkedin_alone_takes_a_consent_retry_delay() {
    let env = |name: &str| (name == "SET").then(|| "s".to_owned());
    let live = "mode = \"live\"\nclient_id = \"1\"\nclient_secret_env = \"SET\"";
    let settings = resolve(
        &format!("[linkedin]\n{live}\nconsent_retry_ms = 0"),
        true,
        env,
    )
    .expect("valid");
    let linkedin = settings
        .iter()
        .find(|s| s.network == Network::Linkedin)
        .and_then(|s| s.live.as_ref())
        .expect("live linkedin");
    assert_eq!(linkedin.consent_retry, Some(std::time::Duration::ZERO));
    for (text, expected) in [
        (
            format!("[linkedin]\n{live}\nconsent_retry_ms = 60001"),
            "at most 60000",
        ),
        (
            format!("[x]\n{live}\nconsent_retry_ms = 5"),
            "applies to linkedin only",
        ),
        (
            "[linkedin]\nconsent_retry_ms = 5".to_owned(),
            "applies to mode \"live\" only",
        ),
    ] {
        let error = resolve(&text, true, env).expect_err("refused");
        assert!(error.to_string().contains(expected), "{text}: {error}");
    }
}

#[test]
fn post_privacy_and_media_origins_are_checked_where_they_apply() {
    let env = |name: &str| (name == "SET").then(|| "s".to_owned());
    let live = |network: &str, more: &str| {
        format!(
            "[{network}]\nmode = \"live\"\nclient_id = \"1\"\nclient_secret_env = \"SET\"\n{more}"
        )
    };
    let refused = [
        (
            live("tiktok", "post_privacy = \"public\""),
            "one of SELF_ONLY",
        ),
        (
            live("youtube", "post_privacy = \"PUBLIC_TO_EVERYONE\""),
            "one of private",
        ),
        (
            live("facebook", "post_privacy = \"public\""),
            "tiktok and youtube only",
        ),
        (
            live("tiktok", "media_origins = [\"https://cdn.example\"]"),
            "youtube only",
        ),
        (
            live("youtube", "media_origins = [\"http://cdn.example\"]"),
            "must use https",
        ),
        (
            live(
                "youtube",
                "media_origins = [\"https://cdn.example/videos\"]",
            ),
            "origins only",
        ),
        (
            live("youtube", "media_origins = [\"https://u:p@cdn.example\"]"),
            "origins only",
        ),
    ];
    for (text, expected) in refused {
        let error = resolve(&text, true, env).expect_err("refused");
        assert!(error.to_string().contains(expected), "{text}: {error}");
    }
    let text = live(
        "youtube",
        "post_privacy = \"unlisted\"\nmedia_origins = [\"https://cdn.example\", \"http://127.0.0.1:9000\"]",
    );
    let settings = resolve(&text, true, env).expect("valid");
    let youtube = settings
        .iter()
        .find(|s| s.network == Network::Youtube)
        .and_then(|s| s.live.as_ref())
        .expect("live youtube");
    assert_eq!(youtube.post_privacy.as_deref(), Some("unlisted"));
    assert_eq!(youtube.media_origins.len(), 2);
}

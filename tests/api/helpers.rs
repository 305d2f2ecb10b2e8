//! The test harness: a real server on port 0 with a fresh database (SQLite file, or a fresh
//! PostgreSQL database when `RELINK_TEST_PG_URL` is set), a movable clock and a real HTTP client.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use entity::{enums::Health, events, social_accounts};
use relink::{
    auth::TokenKeys,
    clock::ManualClock,
    config::{Config, DatabaseUrl},
    db::StatementCounter,
    demo,
    server::Server,
};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, Database, DatabaseConnection, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _,
};
use serde_json::{Value, json};

/// The start of time in tests.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z")
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A running server.
pub struct TestApp {
    pub address: String,
    /// The metrics listener (`/metrics`), never the public one.
    pub metrics_address: String,
    pub db: DatabaseConnection,
    pub clock: ManualClock,
    pub keys: Arc<TokenKeys>,
    pub cipher: Arc<relink::crypto::TokenCipher>,
    pub keeper: relink::keeper::Keeper,
    pub postman: relink::notices::email::Postman,
    pub publisher: relink::posts::publisher::Publisher,
    pub statements: StatementCounter,
    /// The server's application context, for use cases a test drives directly.
    pub context: relink::app::App,
    pub client: reqwest::Client,
    /// The test's browser: the `relink_flow` cookie the last started sign-in set.
    pub flow_cookie: std::sync::Mutex<Option<String>>,
    /// Each user's dashboard sign-in (R9): their tokens are refreshed within it until
    /// [`TestApp::sign_in_again`].
    pub sessions: std::sync::Mutex<std::collections::HashMap<String, DateTime<Utc>>>,
    pub config: Config,
    _data_dir: Option<tempfile::TempDir>,
    pg_database: Option<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Which database this run uses.
pub fn postgres_base_url() -> Option<String> {
    std::env::var("RELINK_TEST_PG_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

pub(crate) async fn fresh_postgres_database(base: &str) -> (String, String) {
    let name = format!("relink_t_{:016x}", rand::random::<u64>());
    let admin = Database::connect(format!("{base}/postgres"))
        .await
        .expect("RELINK_TEST_PG_URL is set but PostgreSQL cannot be reached: the PostgreSQL suite must not skip");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the test database");
    admin.close().await.ok();
    (format!("{base}/{name}"), name)
}

impl TestApp {
    /// A server with an empty database.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A server with the Northwind Coffee demo data.
    pub async fn spawn_demo() -> Self {
        let app = Self::spawn().await;
        demo::seed(&app.db, app.clock.now())
            .await
            .expect("seed demo");
        app
    }

    /// A server whose config the test may adjust first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        relink::telemetry::init(relink::config::LogFormat::Text);
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::for_tests(data_dir.path().to_path_buf());
        let pg_database = match postgres_base_url() {
            Some(base) => {
                let (url, name) = fresh_postgres_database(&base).await;
                config.database_url = Some(DatabaseUrl(url));
                Some((base, name))
            }
            None => None,
        };
        adjust(&mut config);
        let mut app = Self::start(config, ManualClock::new(t0())).await;
        app._data_dir = Some(data_dir);
        app.pg_database = pg_database;
        app
    }

    /// A second server on the same database, as another replica would be.
    pub async fn spawn_replica(&self) -> Self {
        let mut config = self.config.clone();
        config.addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        config.public_url = None;
        Self::start(config, self.clock.clone()).await
    }

    async fn start(config: Config, clock: ManualClock) -> Self {
        let app = Server::build_with_clock(config.clone(), Arc::new(clock.clone()))
            .await
            .expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = format!(
            "http://127.0.0.1:{}",
            app.metrics_port().expect("a metrics listener")
        );
        let db = app.db().clone();
        let keys = app.keys();
        let cipher = app.cipher();
        let keeper = app.keeper();
        let postman = app.postman();
        let publisher = app.publisher();
        let statements = app.statements();
        let context = app.app();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        Self {
            address,
            metrics_address,
            db,
            clock,
            keys,
            cipher,
            keeper,
            postman,
            publisher,
            statements,
            context,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            flow_cookie: std::sync::Mutex::default(),
            sessions: std::sync::Mutex::default(),
            config,
            _data_dir: None,
            pg_database: None,
            shutdown: Some(tx),
        }
    }

    /// A valid token for the user with this email, issued at the test clock's now, within the
    /// user's dashboard sign-in (the first token's time; a dashboard refreshes its token so).
    pub async fn token_for(&self, email: &str) -> String {
        let user = relink::people::repo::user_by_email(&self.db, email)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("no user {email}"));
        let now = self.clock.now();
        let signed_in_at = *self
            .sessions
            .lock()
            .expect("sessions")
            .entry(email.to_owned())
            .or_insert(now);
        self.keys
            .issue_for_sign_in(
                &user.external_subject,
                signed_in_at,
                now,
                Duration::hours(12),
            )
            .expect("token")
    }

    /// The sandbox network revokes `identity`'s tokens and sends its signed deauthorize webhook,
    /// as a person removing the app at the network would.
    pub async fn revoke_at_network(&self, identity: &str) {
        let response = self
            .client
            .post(format!(
                "{}/sandbox/admin/identities/{identity}/revoke",
                self.address
            ))
            .send()
            .await
            .expect("revoke");
        assert!(response.status().is_success());
    }

    /// What reached the sandbox network's publishing endpoint.
    pub async fn published(&self) -> Vec<Value> {
        let body: Value = self
            .client
            .get(format!("{}/sandbox/admin/published", self.address))
            .send()
            .await
            .expect("published")
            .json()
            .await
            .expect("json");
        body["posts"].as_array().expect("posts").clone()
    }

    /// The emails written to the file outbox, sorted.
    pub fn outbox(&self) -> Vec<String> {
        let mut mails: Vec<String> = std::fs::read_dir(self.config.data_dir.join("outbox"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        mails.sort();
        mails
    }

    /// The user signs in to the dashboard again, now: their next tokens belong to a new sign-in.
    pub fn sign_in_again(&self, email: &str) {
        self.sessions
            .lock()
            .expect("sessions")
            .insert(email.to_owned(), self.clock.now());
    }

    /// Starts the server's shutdown, as SIGTERM would.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// POSTs a GraphQL request as `email` (or anonymously) and returns status and body. It
    /// accepts `application/graphql-response+json`, as the GraphQL-over-HTTP spec asks clients
    /// to, so a request that fails before execution answers 400.
    pub async fn graphql_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .header(
                "accept",
                "application/graphql-response+json, application/json;q=0.9",
            )
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        self.keep_flow_cookie(response.headers());
        (status, response.json().await.expect("json body"))
    }

    /// The page the metrics listener serves.
    pub async fn metrics_page(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.metrics_address))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// The value of the metric whose line starts with `name` (labels included).
    pub async fn metric(&self, name: &str) -> f64 {
        self.metrics_page()
            .await
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no metric {name}"))
    }

    /// Keeps a `relink_flow` cookie from a response, as a browser's cookie jar would.
    pub fn keep_flow_cookie(&self, headers: &reqwest::header::HeaderMap) {
        for value in headers.get_all("set-cookie") {
            let Some(pair) = value.to_str().ok().and_then(|text| text.split(';').next()) else {
                continue;
            };
            if pair.starts_with("relink_flow=") {
                *self.flow_cookie.lock().expect("jar") = Some(pair.to_owned());
            }
        }
    }

    /// A GET as the test's browser: the `relink_flow` cookie goes along to the OAuth callback.
    pub async fn browser_get(&self, url: &str) -> reqwest::Response {
        let mut request = self.client.get(url);
        let cookie = self.flow_cookie.lock().expect("jar").clone();
        if let Some(cookie) = cookie.filter(|_| url.contains("/oauth/callback/")) {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("browser request")
    }

    /// POSTs a GraphQL request as the user with this email; asserts HTTP 200.
    pub async fn graphql(&self, email: &str, query: &str, variables: Value) -> Value {
        let token = self.token_for(email).await;
        let (status, body) = self.graphql_as(Some(&token), query, variables).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The global id of the account with this external id.
    pub async fn account_id(&self, external_id: &str) -> String {
        use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
        let account = entity::social_accounts::Entity::find()
            .filter(entity::social_accounts::Column::ExternalId.eq(external_id))
            .one(&self.db)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("no account {external_id}"));
        relink::graphql::ids::encode(relink::graphql::ids::Kind::SocialAccount, account.id).0
    }
}

/// The value of `name` in the query of `url` (the part after `?`, wherever it is: a fragment's
/// query counts too).
pub fn query_param(url: &str, name: &str) -> String {
    let query = url.rsplit_once('?').map_or("", |(_, query)| query);
    reqwest::Url::parse(&format!("http://query.invalid/?{query}"))
        .expect("a query")
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

/// The `state` and `code` a network's redirect carries.
pub fn state_and_code(url: &str) -> (String, String) {
    (query_param(url, "state"), query_param(url, "code"))
}

/// The `extensions.code` of the first error.
pub fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some((base, name)) = self.pg_database.take() {
            // Drop the database from a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(admin) = Database::connect(format!("{base}/postgres")).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A "network" that accepts connections and never answers, for timeouts: its `http://` address
/// and the task that holds the connections open (abort it at the end).
pub async fn black_hole() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    (address, held)
}

// The reconnect flow as a browser goes through it: start, sign in at the sandbox, callback.

const START: &str = "mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) { authorizeUrl expiresAt userErrors { code message } } }";

/// Starts a reconnect of the account with this external id as `email`.
pub async fn start(app: &TestApp, email: &str, external_id: &str) -> Value {
    let id = app.account_id(external_id).await;
    app.graphql(email, START, json!({ "id": id })).await["data"]["startReconnect"].clone()
}

/// Signs in at the sandbox as `identity`, unticking `deny`; returns the callback URL.
pub async fn sign_in(
    app: &TestApp,
    authorize_url: &str,
    identity: &str,
    deny: &[&str],
    decision: &str,
) -> String {
    let page = app
        .client
        .get(authorize_url)
        .send()
        .await
        .expect("authorize page");
    assert_eq!(page.status(), 200);
    let mut form: Vec<(&str, &str)> = vec![("identity", identity), ("decision", decision)];
    form.extend(deny.iter().map(|asset| ("deny", *asset)));
    let response = app
        .client
        .post(authorize_url)
        .form(&form)
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 302, "{:?}", response.text().await);
    response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// The whole flow as `email`: start from `account`, allow everything as `identity`, follow the
/// callback; returns where the callback sends the browser.
pub async fn reconnect_as(app: &TestApp, email: &str, account: &str, identity: &str) -> String {
    let started = start(app, email, account).await;
    let back = sign_in(
        app,
        started["authorizeUrl"].as_str().expect("url"),
        identity,
        &[],
        "allow",
    )
    .await;
    callback(app, &back).await
}

/// Follows the network's redirect to our callback; returns the dashboard URL it redirects to.
pub async fn callback(app: &TestApp, url: &str) -> String {
    let response = app.browser_get(url).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with(&format!(
            "{}/dashboard#/social-networks/reauth?",
            app.address
        )),
        "{location}"
    );
    location
}

pub async fn health(app: &TestApp, external_id: &str) -> Health {
    social_accounts::Entity::find()
        .filter(social_accounts::Column::ExternalId.eq(external_id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("account")
        .health
}

pub async fn event_count(app: &TestApp) -> u64 {
    events::Entity::find().count(&app.db).await.expect("count")
}

/// The id of the newest event (0 with none): a subscription that resumes after it misses
/// nothing committed later, whenever the server takes its `subscribe`.
pub async fn newest_event_id(app: &TestApp) -> i64 {
    use sea_orm::QueryOrder as _;
    events::Entity::find()
        .order_by_desc(events::Column::Id)
        .one(&app.db)
        .await
        .expect("newest event")
        .map_or(0, |event| event.id)
}

//! Starting a daemon for a test and talking to it.

use std::sync::Arc;

use omegachat_contract::Config;
use omegachatd::store::Stores;
use omegachatd::{Application, Services};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The storage engine a story runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Declares `mod <story> { sqlite, postgres }` tests that run `story(Engine)` on each engine.
#[macro_export]
macro_rules! on_every_engine {
    ($($story:ident),* $(,)?) => {$(
        mod $story {
            use $crate::helpers::Engine;
            #[tokio::test]
            async fn sqlite() { super::$story(Engine::Sqlite).await }
            #[tokio::test]
            async fn postgres() { super::$story(Engine::Postgres).await }
        }
    )*};
}

/// A running daemon plus what a test needs to reach and restart it.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub services: Services,
    pub stores: Stores,
    pub config: Config,
    /// Keeps the SQLite data directory alive as long as the app (and across restarts).
    pub data_dir: Arc<tempfile::TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), omegachatd::StartupError>>>,
}

/// A registered, logged-in user.
pub struct TestUser {
    pub id: i64,
    pub password: String,
    pub token: String,
}

/// A fresh daemon on `engine` with default settings.
pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

/// A fresh daemon on `engine`, with `adjust` applied to its configuration.
pub async fn spawn_app_with(engine: Engine, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.database.data_dir = data_dir.path().join("data");
    config.database.max_connections = 5;
    if engine == Engine::Postgres {
        config.database.url = fresh_postgres_database().await;
        // PostgreSQL waits for `omegactl migrate up` by default; these tests want a serving daemon.
        config.database.auto_migrate = omegachat_contract::AutoMigrate::Always;
    }
    adjust(&mut config);
    start(config, data_dir).await
}

async fn start(config: Config, data_dir: Arc<tempfile::TempDir>) -> TestApp {
    let app = Application::build(config.clone())
        .await
        .expect("daemon starts");
    let base = format!("http://{}", app.local_addr());
    let services = app.services().expect("the schema is current").clone();
    let stores = app.stores().expect("the schema is current").clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        base,
        http: reqwest::Client::new(),
        services,
        stores,
        config,
        data_dir,
        shutdown: Some(tx),
        server: Some(server),
    }
}

/// Creates an empty database on the test PostgreSQL server and returns its URL.
///
/// The server is named by `OMEGACHAT_TEST_POSTGRES_URL` (`.ci/test` starts one). Without it the
/// test fails: a PostgreSQL test that silently skipped would prove nothing.
pub async fn fresh_postgres_database() -> String {
    let admin_url = std::env::var("OMEGACHAT_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "OMEGACHAT_TEST_POSTGRES_URL is not set: run the suite with .ci/test (which starts a throwaway \
             PostgreSQL server), or point the variable at a server, e.g. postgres://user@127.0.0.1:5432/postgres"
        )
    });
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server at {admin_url}: {e}"));
    let name = format!("omegachat_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("OMEGACHAT_TEST_POSTGRES_URL must name a database");
    format!("{base}/{name}")
}

/// Two nodes of one chat: one PostgreSQL database, one Redis (under a prefix of their own), each
/// with its own listener and data directory; `adjust` applies to both.
pub async fn spawn_cluster(adjust: impl Fn(&mut Config)) -> (TestApp, TestApp) {
    let (url, prefix) = test_redis();
    let first = spawn_app_with(Engine::Postgres, |c| {
        c.redis.url = url.clone();
        c.redis.key_prefix = prefix.clone();
        adjust(c);
    })
    .await;
    let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut config = first.config.clone();
    config.database.data_dir = data_dir.path().join("data");
    let second = start(config, data_dir).await;
    (first, second)
}

/// The test Redis server's URL and a key prefix no other test uses.
///
/// The server is named by `OMEGACHAT_TEST_REDIS_URL` (`.ci/test` starts one). Without it the test
/// fails rather than skip, as for PostgreSQL.
pub fn test_redis() -> (String, String) {
    let url = std::env::var("OMEGACHAT_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!(
            "OMEGACHAT_TEST_REDIS_URL is not set: run the suite with .ci/test (which starts a throwaway \
             Redis server), or point the variable at one, e.g. redis://127.0.0.1:6379/"
        )
    });
    (url, format!("test-{}:", uuid::Uuid::new_v4().simple()))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Delivers the shutdown signal (as SIGTERM would) without waiting for the exit.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Stops the daemon (graceful shutdown) and waits for it to exit.
    pub async fn stop(&mut self) {
        self.begin_shutdown();
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server exits cleanly");
        }
    }

    /// Stops this daemon and starts a new one on the same data (same SQLite dir, same database).
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let config = self.config.clone();
        let data_dir = self.data_dir.clone();
        start(config, data_dir).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// Any authenticated request, with an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    /// An authenticated request that must answer `expected`; returns the JSON body (or null).
    pub async fn expect(
        &self,
        expected: StatusCode,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Value {
        let response = self.call(method.clone(), path, token, body).await;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, expected, "{method} {path} answered {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Opens an authenticated Socket.IO connection for `user`.
    pub async fn socket(&self, user: &TestUser) -> crate::socket_client::SocketClient {
        crate::socket_client::SocketClient::connect(&self.base, Some(&user.token))
            .await
            .unwrap_or_else(|e| panic!("socket refused: {e}"))
    }

    /// Opens the direct conversation of two users; returns its id.
    pub async fn direct(&self, from: &TestUser, to: &TestUser) -> String {
        let body = self
            .expect(
                StatusCode::OK,
                reqwest::Method::POST,
                "/api/conversations/direct",
                &from.token,
                Some(json!({"user_id": to.id})),
            )
            .await;
        body["conversation_id"].as_str().unwrap().to_owned()
    }

    pub async fn patch_me(&self, token: &str, body: &Value) -> Response {
        self.http
            .patch(self.url("/api/users/me"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn register(&self, username: &str, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/auth/register",
            &json!({"username": username, "email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.post_json(
            "/api/auth/login",
            &json!({"login": login, "password": password}),
        )
        .await
    }

    /// Registers `username` (e-mail `<username>@example.org`) and logs in.
    pub async fn signed_up(&self, username: &str) -> TestUser {
        let password = format!("{username}-secret-pass");
        let response = self
            .register(username, &format!("{username}@example.org"), &password)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "registering {username}"
        );
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let token = self.token_for(username, &password).await;
        TestUser {
            id,
            password,
            token,
        }
    }

    /// Logs in and returns the access token, asserting success.
    pub async fn token_for(&self, login: &str, password: &str) -> String {
        let response = self.login(login, password).await;
        assert_eq!(response.status(), StatusCode::OK, "logging in as {login}");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.begin_shutdown();
    }
}

/// Status and the `error` object of an error answer, asserting the documented shape.
pub async fn error_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body: Value = response.json().await.expect("error bodies are JSON");
    let error = body["error"].clone();
    assert!(error["code"].is_string(), "error.code missing in {body}");
    assert!(
        error["message"].is_string(),
        "error.message missing in {body}"
    );
    (status, error)
}

/// Sends a text message over REST, asserting it was stored; returns the message.
pub async fn send(app: &TestApp, user: &TestUser, conversation: &str, content: &str) -> Value {
    let path = format!("/api/conversations/{conversation}/messages");
    app.expect(
        StatusCode::CREATED,
        reqwest::Method::POST,
        &path,
        &user.token,
        Some(json!({"content": content})),
    )
    .await
}

/// A page of history over REST (`query` like `?limit=3`).
pub async fn history(
    app: &TestApp,
    user: &TestUser,
    conversation: &str,
    query: &str,
) -> Vec<Value> {
    let path = format!("/api/conversations/{conversation}/messages{query}");
    let body = app
        .expect(
            StatusCode::OK,
            reqwest::Method::GET,
            &path,
            &user.token,
            None,
        )
        .await;
    body.as_array().unwrap().clone()
}

/// The contents of a list of messages, in order.
pub fn contents(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect()
}

//! A Redis server of a test's own, on a Unix socket, that the test can kill and start again
//! (the shared test Redis must stay up for every other test).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::time::Instant;

/// A Redis of this test's own, on a Unix socket, that it can kill and start again.
pub struct OwnRedis {
    dir: tempfile::TempDir,
    server: Option<Child>,
}

impl OwnRedis {
    pub async fn start() -> OwnRedis {
        let mut redis = OwnRedis {
            dir: tempfile::tempdir().unwrap(),
            server: None,
        };
        redis.restart().await;
        redis
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// Kills the server: everything it held is lost (it never saves).
    pub async fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill().await.unwrap();
        }
    }

    pub async fn restart(&mut self) {
        let _ = std::fs::remove_file(self.socket());
        let server = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(self.socket())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is installed");
        self.server = Some(server);
        wait_for_socket(&self.socket()).await;
    }
}

async fn wait_for_socket(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::UnixStream::connect(path).await.is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

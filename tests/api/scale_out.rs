//! Several nodes sharing Redis, told through the services: what a user's friends see when the
//! node holding the user's sockets dies.
//!
//! The daemon under test is the node the friend is connected to; the nodes around it are
//! presence services over `RedisPresence` sharing its stores and bus, as the scaled-out daemon
//! wires them. (The store-level stories are in `store_suite::presence_nodes`.)

use std::time::Duration;

use omegachatd::domain::UserId;
use omegachatd::service::presence::PresenceService;
use omegachatd::store::redis::presence::RedisPresence;
use tokio::time::Instant;

use crate::helpers::{Engine, TestApp, spawn_app, test_redis};

const LEASE: Duration = Duration::from_millis(1_500);

async fn node(app: &TestApp, url: &str, prefix: &str) -> (PresenceService, Duration) {
    let conn = omegachatd::store::redis::connect(url).await.unwrap();
    let presence = RedisPresence::start(conn, prefix, LEASE).await;
    let heartbeat = presence.heartbeat();
    let service = PresenceService::new(
        presence,
        app.stores.users.clone(),
        app.services.social.clone(),
        app.services.conversations.clone(),
        app.services.bus.clone(),
    );
    (service, heartbeat)
}

#[tokio::test]
async fn a_user_whose_node_dies_goes_offline_for_their_peers() {
    let app = spawn_app(Engine::Sqlite).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    app.direct(&ann, &ben).await;
    let mut ann_socket = app.socket(&ann).await;
    let (url, prefix) = test_redis();
    let (doomed, heartbeat) = node(&app, &url, &prefix).await;
    let (survivor, _) = node(&app, &url, &prefix).await;

    doomed.socket_opened(UserId(ben.id)).await.unwrap();
    let online = ann_socket.next("presence").await;
    assert_eq!(
        (online["user_id"].as_i64(), online["online"].as_bool()),
        (Some(ben.id), Some(true))
    );

    // Gone without a word, as kill -9 would leave it.
    drop(doomed);
    // Two seconds on top of the bound for a loaded test machine.
    let deadline = Instant::now() + LEASE + heartbeat + Duration::from_secs(2);
    let mut announced = 0;
    while announced == 0 {
        assert!(Instant::now() < deadline, "ben not reaped in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
        announced += survivor.sweep().await;
    }
    assert_eq!(announced, 1, "ben, once");
    let offline = ann_socket.next("presence").await;
    assert_eq!(
        (offline["user_id"].as_i64(), offline["online"].as_bool()),
        (Some(ben.id), Some(false))
    );
    assert!(offline["last_seen"].is_string(), "{offline}");
    assert_eq!(survivor.sweep().await, 0, "nothing more to announce");
}

//! Load and abuse: many connections held and served, the connection cap, and the
//! per-connection cost budget that keeps one client's heavy requests from starving the
//! others.

mod common;

use common::{Conn, TestServer, add_line, addr, error_code, rich_key};
use simplechain_server::Limits;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_connections_are_held_and_served() {
    let server = TestServer::start().await;
    let mut conns = Vec::with_capacity(1000);
    for _ in 0..1000 {
        conns.push(server.connect().await);
    }
    // Every one of them is live at once: all pipelined pings, then all answers.
    for c in conns.iter_mut() {
        c.send("PING").await;
    }
    for c in conns.iter_mut() {
        assert_eq!(c.read_line().await.as_deref(), Some("PONG"));
    }
    println!("held and served 1000 concurrent connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_requests_are_budgeted_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.limits = Limits::default();
    let server = TestServer::start_with(config).await;
    let mut c = server.connect().await;
    assert_eq!(
        c.ask(&add_line(&server.tx(&rich_key(), addr(1), 5, 0)))
            .await,
        "SUCCESS"
    );

    // One client floods VALIDATE_BLOCKCHAIN, pipelined.
    let mut flooder = server.connect().await;
    let flood = "VALIDATE_BLOCKCHAIN\n".repeat(50);
    flooder.send_raw(flood.as_bytes()).await;
    let mut valid = 0;
    let mut limited = 0;
    for _ in 0..50 {
        let line = flooder.read_line().await.unwrap();
        match line.as_str() {
            "VALID" => valid += 1,
            other => {
                assert_eq!(error_code(other), "rate_limited", "{other}");
                assert!(other.contains("retry VALIDATE_BLOCKCHAIN in"), "{other}");
                limited += 1;
            }
        }
    }
    assert!(
        valid >= 1 && limited >= 40,
        "valid {valid}, rate limited {limited}"
    );
    // Everyone else is unaffected, including their own heavy requests.
    let mut other: Conn = server.connect().await;
    assert_eq!(other.ask("PING").await, "PONG");
    assert_eq!(other.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    // Cheap requests on the flooding connection still work.
    assert_eq!(
        flooder.ask("GET_INFO").await.split(':').next(),
        Some("INFO")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_sync_does_not_stall_other_clients() {
    let server = TestServer::start().await;
    // A large (invalid) chain keeps one connection's SYNC busy decoding.
    let block = r#"{"height":1,"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","timestamp":1,"difficulty":4,"miner":"0000000000000000000000000000000000000000000000000000000000000000","reward":50,"tx_root":"0000000000000000000000000000000000000000000000000000000000000000","nonce":0,"hash":"0000000000000000000000000000000000000000000000000000000000000000","transactions":[]}"#;
    let mut payload = String::from("SYNC_BLOCKCHAIN:{\"blocks\":[");
    payload.push_str(&vec![block; 150_000].join(","));
    payload.push_str("]}\n");
    let mut syncer = server.connect().await;
    syncer.send_raw(payload.as_bytes()).await;
    let mut other = server.connect().await;
    for _ in 0..20 {
        assert_eq!(other.ask("PING").await, "PONG");
        assert_eq!(other.ask("GET_INFO").await.split(':').next(), Some("INFO"));
    }
    let answer = syncer.read_line().await.unwrap();
    assert!(answer.starts_with("ERROR:"), "{answer}");
    assert!(!syncer.is_closed_within(Duration::from_millis(100)).await);
}

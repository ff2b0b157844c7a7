//! Every message of PROTOCOL §6 and the errors of §7 that apply, over a real socket,
//! with exact lines in and out.

mod common;

use common::{
    Conn, TestServer, add_line, addr, error_code, key, payload, rich_key, wait_confirmed,
};
use simplechain_core::protocol::{ChainJson, ErrorCode};
use simplechain_core::transaction::address_of;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_info_and_account() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    assert_eq!(c.ask("PING").await, "PONG");
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["protocol"], 1);
    assert_eq!(info["chain_id"], server.chain_id.to_string());
    assert_eq!(info["height"], 0);
    assert_eq!(info["tip"], server.chain_id.to_string());
    assert_eq!(info["difficulty"], 4);
    assert_eq!(info["block_reward"], 50);
    assert_eq!(info["mempool"], 0);
    let rich = address_of(&rich_key());
    let account = payload(&c.ask(&format!("GET_ACCOUNT:{rich}")).await, "ACCOUNT");
    assert_eq!(account["balance"], 1_000_000);
    assert_eq!(account["nonce"], 0);
    assert_eq!(account["pending_balance"], 1_000_000);
    assert_eq!(account["pending_nonce"], 0);
    // Input hex is case-insensitive; output is lowercase.
    let upper = payload(
        &c.ask(&format!("GET_ACCOUNT:{}", rich.to_string().to_uppercase()))
            .await,
        "ACCOUNT",
    );
    assert_eq!(upper["address"], rich.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_lifecycle_history_and_blocks() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let tx = server.tx(&rich_key(), addr(1), 250, 0);
    let txid = tx.txid(&server.chain_id);
    assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
    let height = wait_confirmed(&mut c, &txid).await;
    assert_eq!(height, 1);
    let found = payload(&c.ask(&format!("GET_TRANSACTION:{txid}")).await, "TX");
    assert_eq!(found["txid"], txid.to_string());
    assert_eq!(found["transaction"]["amount"], 250);
    assert_eq!(found["transaction"]["signature"], tx.signature.to_string());

    // A second payment, and the receiver's history, newest first.
    let tx2 = server.tx(&rich_key(), addr(1), 5, 1);
    assert_eq!(c.ask(&add_line(&tx2)).await, "SUCCESS");
    wait_confirmed(&mut c, &tx2.txid(&server.chain_id)).await;
    let history = payload(&c.ask(&format!("GET_HISTORY:{}", addr(1))).await, "HISTORY");
    assert_eq!(history["total"], 2);
    assert_eq!(history["items"][0]["transaction"]["amount"], 5);
    assert_eq!(history["items"][1]["transaction"]["amount"], 250);
    let page = payload(
        &c.ask(&format!("GET_HISTORY:{}:1:1", addr(1))).await,
        "HISTORY",
    );
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["transaction"]["amount"], 250);

    // Blocks: the whole chain, a range, past the tip.
    let chain: ChainJson = serde_json::from_str(&c.ask("GET_BLOCKCHAIN").await).unwrap();
    assert_eq!(chain.blocks.len(), 3);
    assert_eq!(
        chain.blocks[0].hash,
        simplechain_core::BlockHash::from_bytes(server.chain_id.to_bytes())
    );
    let range: ChainJson = serde_json::from_str(&c.ask("GET_BLOCKS:1:1").await).unwrap();
    assert_eq!(range.blocks.len(), 1);
    assert_eq!(range.blocks[0], chain.blocks[1]);
    assert_eq!(c.ask("GET_BLOCKS:99").await, "{\"blocks\":[]}");
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    let rich = payload(
        &c.ask(&format!("GET_ACCOUNT:{}", address_of(&rich_key())))
            .await,
        "ACCOUNT",
    );
    assert_eq!(rich["balance"], 1_000_000 - 255);
    assert_eq!(rich["nonce"], 2);
    // The block rewards went to the miner (the treasury by default).
    let miner = payload(
        &c.ask(&format!("GET_ACCOUNT:{}", chain.blocks[2].header.miner))
            .await,
        "ACCOUNT",
    );
    assert_eq!(miner["balance"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_errors() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let rich = rich_key();
    let good = server.tx(&rich, addr(1), 10, 0);

    let mut forged = good;
    forged.amount = 11;
    assert_eq!(
        error_code(&c.ask(&add_line(&forged)).await),
        "bad_signature"
    );
    let other_chain = simplechain_core::Transaction::sign(
        &rich,
        &simplechain_core::ChainId::from_bytes([9; 32]),
        addr(1),
        10,
        0,
    );
    assert_eq!(
        error_code(&c.ask(&add_line(&other_chain)).await),
        "bad_signature"
    );
    assert_eq!(
        error_code(&c.ask(&add_line(&server.tx(&rich, addr(1), 10, 1))).await),
        "bad_nonce"
    );
    assert_eq!(
        error_code(&c.ask(&add_line(&server.tx(&rich, addr(1), 0, 0))).await),
        "invalid_amount"
    );
    assert_eq!(
        error_code(
            &c.ask(&add_line(&server.tx(&rich, addr(1), 1_000_001, 0)))
                .await
        ),
        "insufficient_funds"
    );
    assert_eq!(
        error_code(&c.ask(&add_line(&server.tx(&key(3), addr(1), 1, 0))).await),
        "insufficient_funds"
    );
    assert_eq!(c.ask(&add_line(&good)).await, "SUCCESS");
    let again = c.ask(&add_line(&good)).await;
    assert!(
        ["duplicate", "bad_nonce"].contains(&error_code(&again)),
        "{again}"
    );
    // Pending outgoing counts: the rest of the balance, not more.
    let spend_all = server.tx(&rich, addr(2), 1_000_000 - 10 + 1, 1);
    assert_eq!(
        error_code(&c.ask(&add_line(&spend_all)).await),
        "insufficient_funds"
    );
    let legacy = format!(
        "ADD_TRANSACTION:{}:{}:5:{}",
        address_of(&rich),
        addr(1),
        "ab".repeat(32)
    );
    let refused = c.ask(&legacy).await;
    assert_eq!(error_code(&refused), "private_key_refused");
    assert!(
        !refused.contains(&"ab".repeat(32)),
        "the key must not be echoed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_answered_and_change_nothing() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let info_before = c.ask("GET_INFO").await;
    let a = addr(1);
    let cases: &[(&str, ErrorCode)] = &[
        ("", ErrorCode::BadRequest),
        ("ping", ErrorCode::UnknownCommand),
        ("HELLO", ErrorCode::UnknownCommand),
        ("PING:x", ErrorCode::BadRequest),
        ("GET_ACCOUNT", ErrorCode::BadRequest),
        ("GET_ACCOUNT:xyz", ErrorCode::BadRequest),
        ("GET_BLOCKS:01", ErrorCode::BadRequest),
        ("GET_BLOCKS:-1", ErrorCode::BadRequest),
        ("GET_BLOCKS:0:0", ErrorCode::BadRequest),
        ("GET_BLOCKS:99999999999999999999", ErrorCode::BadRequest),
        ("GET_TRANSACTION:00", ErrorCode::BadRequest),
        ("ADD_TRANSACTION:1:2:3", ErrorCode::BadRequest),
        ("SYNC_BLOCKCHAIN", ErrorCode::BadRequest),
        ("SYNC_BLOCKCHAIN:not json", ErrorCode::BadRequest),
        ("SYNC_BLOCKCHAIN:{\"blocks\":[]}", ErrorCode::InvalidChain),
        ("FAUCET", ErrorCode::BadRequest),
    ];
    for (line, code) in cases {
        let reply = c.ask(line).await;
        assert_eq!(error_code(&reply), code.as_str(), "for {line:?}: {reply}");
    }
    let h = format!("GET_HISTORY:{a}:1");
    assert_eq!(error_code(&c.ask(&h).await), "bad_request");
    let unknown = format!("GET_TRANSACTION:{}", "00".repeat(32));
    assert_eq!(error_code(&c.ask(&unknown).await), "not_found");
    // Nothing changed and the connection still works.
    assert_eq!(c.ask("GET_INFO").await, info_before);
    assert_eq!(c.ask("PING").await, "PONG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_answered_in_order() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let rich = rich_key();
    let mut batch = String::new();
    let mut expected = Vec::new();
    for nonce in 0..50 {
        batch.push_str(&add_line(&server.tx(&rich, addr(1), 1, nonce)));
        batch.push('\n');
        expected.push("SUCCESS".to_string());
        batch.push_str("PING\n");
        expected.push("PONG".to_string());
    }
    // A read after the writes sees all of them.
    batch.push_str(&format!("GET_ACCOUNT:{}\n", address_of(&rich)));
    c.send_raw(batch.as_bytes()).await;
    for want in &expected {
        assert_eq!(&c.read_line().await.unwrap(), want);
    }
    let account = payload(&c.read_line().await.unwrap(), "ACCOUNT");
    assert_eq!(account["pending_nonce"], 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_get_tip_events_and_others_do_not() {
    let server = TestServer::start().await;
    let mut sub = server.connect().await;
    assert_eq!(sub.ask("SUBSCRIBE").await, "SUCCESS");
    let mut quiet = server.connect().await;
    let mut c = server.connect().await;
    let tx = server.tx(&rich_key(), addr(1), 1, 0);
    assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
    let event = sub.read_line().await.unwrap();
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(
        event,
        format!("EVENT:TIP:1:{}", info["tip"].as_str().unwrap())
    );
    // Events come between responses, never instead of one.
    assert_eq!(sub.ask("PING").await, "PONG");
    assert_eq!(quiet.ask("PING").await, "PONG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faucet_pays_and_can_be_rate_limited_or_disabled() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    // The treasury starts empty in test chains (genesis pays the rich key).
    let empty = c.ask(&format!("FAUCET:{}", addr(5))).await;
    assert_eq!(error_code(&empty), "insufficient_funds");
    server.fund_treasury(100_000).await;
    assert_eq!(c.ask(&format!("FAUCET:{}", addr(5))).await, "SUCCESS");
    let history = payload(&c.ask(&format!("GET_HISTORY:{}", addr(5))).await, "HISTORY");
    let txid = history["items"][0]["txid"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    wait_confirmed(&mut c, &txid).await;
    let account = payload(&c.ask(&format!("GET_ACCOUNT:{}", addr(5))).await, "ACCOUNT");
    assert_eq!(account["balance"], 1000);

    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.faucet.as_mut().unwrap().cooldown = std::time::Duration::from_secs(3600);
    let limited = TestServer::start_with(config).await;
    limited.fund_treasury(100_000).await;
    let mut c = limited.connect().await;
    assert_eq!(c.ask(&format!("FAUCET:{}", addr(5))).await, "SUCCESS");
    assert_eq!(
        error_code(&c.ask(&format!("FAUCET:{}", addr(5))).await),
        "rate_limited"
    );
    assert_eq!(c.ask(&format!("FAUCET:{}", addr(6))).await, "SUCCESS");
    limited.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.faucet = None;
    let off = TestServer::start_with(config).await;
    let mut c: Conn = off.connect().await;
    assert_eq!(
        error_code(&c.ask(&format!("FAUCET:{}", addr(5))).await),
        "faucet_disabled"
    );
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["faucet"], false);
}

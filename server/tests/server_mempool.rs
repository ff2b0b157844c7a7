//! The `GET_MEMPOOL` extension and `INFO`'s `idle_timeout_secs`, over a real socket.
//! The server runs without its miner (`--no-miner`), so what is pending stays pending.

mod common;

use common::{TestServer, add_line, addr, error_code, payload, rich_key, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mempool_lists_the_pending_transactions_a_page_at_a_time() {
    let temp = tempfile::tempdir().unwrap();
    let mut config = test_config(temp.path());
    config.miner.disabled = true;
    let server = TestServer::start_with(config).await;
    let mut c = server.connect().await;

    // Empty, and the request's shape is checked like any other.
    let empty = payload(&c.ask("GET_MEMPOOL").await, "MEMPOOL");
    assert_eq!(empty["total"], 0);
    assert_eq!(empty["items"].as_array().unwrap().len(), 0);
    assert_eq!(error_code(&c.ask("GET_MEMPOOL:0").await), "bad_request");
    assert_eq!(error_code(&c.ask("GET_MEMPOOL:0:0").await), "bad_request");
    assert_eq!(error_code(&c.ask("GET_MEMPOOL:x:1").await), "bad_request");

    let txs: Vec<_> = (0..3)
        .map(|i| server.tx(&rich_key(), addr(1), 10 + i, i))
        .collect();
    for tx in &txs {
        assert_eq!(c.ask(&add_line(tx)).await, "SUCCESS");
    }
    let txids: Vec<String> = txs
        .iter()
        .map(|t| t.txid(&server.chain_id).to_string())
        .collect();

    // Oldest first, shaped as TX: items, all pending; total is INFO's mempool.
    let all = payload(&c.ask("GET_MEMPOOL").await, "MEMPOOL");
    assert_eq!(all["total"], 3);
    let items = all["items"].as_array().unwrap();
    let listed: Vec<&str> = items.iter().map(|i| i["txid"].as_str().unwrap()).collect();
    assert_eq!(listed, txids);
    for item in items {
        assert_eq!(item["status"], "pending");
        assert!(item["height"].is_null());
    }
    assert_eq!(items[0]["transaction"]["amount"], 10);
    assert_eq!(items[0]["transaction"]["receiver"], addr(1).to_string());
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["mempool"], all["total"]);

    // A page: the second one alone; past the end, none (total still counts all).
    let page = payload(&c.ask("GET_MEMPOOL:1:1").await, "MEMPOOL");
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["txid"], txids[1]);
    let past = payload(&c.ask("GET_MEMPOOL:3:100").await, "MEMPOOL");
    assert_eq!(past["total"], 3);
    assert_eq!(past["items"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_says_the_idle_timeout() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["idle_timeout_secs"], 300);
    assert_eq!(info["faucet"], true);
}

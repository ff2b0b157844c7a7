//! The `GET_MEMPOOL` extension and `INFO`'s `idle_timeout_secs`, over a real socket.
//!
//! Until the server can run without its miner, a pending transaction lasts only until
//! the next block; the transfers are sent in one write with the `GET_MEMPOOL` behind
//! them, and the round is tried again if a block took them first.

mod common;

use common::{TestServer, add_line, addr, error_code, payload, rich_key};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mempool_lists_the_pending_transactions_a_page_at_a_time() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;

    // Empty, and the request's shape is checked like any other.
    let empty = payload(&c.ask("GET_MEMPOOL").await, "MEMPOOL");
    assert_eq!(empty["total"], 0);
    assert_eq!(empty["items"].as_array().unwrap().len(), 0);
    assert_eq!(error_code(&c.ask("GET_MEMPOOL:0").await), "bad_request");
    assert_eq!(error_code(&c.ask("GET_MEMPOOL:0:0").await), "bad_request");
    assert_eq!(error_code(&c.ask("GET_MEMPOOL:x:1").await), "bad_request");

    let mut nonce = 0;
    for _round in 0..20 {
        let txs: Vec<_> = (0..3)
            .map(|i| server.tx(&rich_key(), addr(1), 10 + i, nonce + i))
            .collect();
        nonce += 3;
        let mut lines: Vec<String> = txs.iter().map(add_line).collect();
        lines.push("GET_MEMPOOL".into());
        lines.push("GET_MEMPOOL:1:1".into());
        c.send_raw(format!("{}\n", lines.join("\n")).as_bytes())
            .await;
        for _ in &txs {
            assert_eq!(c.read_line().await.unwrap(), "SUCCESS");
        }
        let all = payload(&c.read_line().await.unwrap(), "MEMPOOL");
        let page = payload(&c.read_line().await.unwrap(), "MEMPOOL");
        let items = all["items"].as_array().unwrap();
        assert_eq!(all["total"].as_u64().unwrap() as usize, items.len());
        for item in items {
            assert_eq!(item["status"], "pending");
            assert!(item["height"].is_null());
        }
        if items.len() < 3 {
            continue; // a block took some of them first: try again
        }
        // Oldest first, as TX: items; the page is the second one.
        let txids: Vec<String> = txs
            .iter()
            .map(|t| t.txid(&server.chain_id).to_string())
            .collect();
        let listed: Vec<&str> = items.iter().map(|i| i["txid"].as_str().unwrap()).collect();
        assert_eq!(listed, txids);
        assert_eq!(items[0]["transaction"]["amount"], 10);
        assert_eq!(items[0]["transaction"]["receiver"], addr(1).to_string());
        if page["total"] == 3 {
            assert_eq!(page["items"].as_array().unwrap().len(), 1);
            assert_eq!(page["items"][0]["txid"], txids[1]);
        }
        return;
    }
    panic!("every round was mined before GET_MEMPOOL ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_says_the_idle_timeout() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["idle_timeout_secs"], 300);
    assert_eq!(info["faucet"], true);
}

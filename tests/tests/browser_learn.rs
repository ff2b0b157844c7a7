//! The learning sections answered by the real server, in headless Chromium (issue 10):
//! a text signed in the tab verifies until a letter or a bit changes; the transfers
//! the server must refuse (another chain, an overspend, a double spend, a replay) are
//! refused for the reason each teaches; a confirmed payment's Merkle proof folds to its
//! block's root in the tab; and each quest turns done only once the server has said
//! what completes it.

mod browser_support;

use browser_support::*;
use fantoccini::{Client, Locator};
use simplechain_tests::cli;
use std::path::Path;

const PASSPHRASE: &str = "correct horse battery staple";

/// `data-done` of each quest, in the page's order.
async fn quests(client: &Client) -> Vec<(String, bool)> {
    click(client, "quests-tab").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='quest']"))
        .await
        .expect("the quests");
    let mut out = Vec::new();
    for item in client
        .find_all(Locator::Css("[data-testid='quest']"))
        .await
        .unwrap()
    {
        let key = item.attr("data-quest").await.unwrap().unwrap();
        let done = item.attr("data-done").await.unwrap().unwrap() == "true";
        out.push((key, done));
    }
    out
}

/// The quests done, by key.
async fn done(client: &Client) -> Vec<String> {
    quests(client)
        .await
        .into_iter()
        .filter_map(|(key, done)| done.then_some(key))
        .collect()
}

/// Puts `payments` faucet payments to fresh CLI keys in the mempool, then mines one
/// block with the CLI (the server does not mine), so the next block holds them and
/// whatever the tab sent before.
fn mine_with_payments(server: &str, dir: &Path, payments: usize) {
    for n in 0..payments {
        let key = dir.join(format!("payee-{}-{n}.key", rand_tag()));
        let (ok, _, err) = cli(server, &key, &["keygen"]);
        assert!(ok, "{err}");
        let (ok, out, err) = cli(server, &key, &["faucet"]);
        assert!(ok, "{out}{err}");
    }
    let miner = dir.join("miner.key");
    if !miner.exists() {
        let (ok, _, err) = cli(server, &miner, &["keygen"]);
        assert!(ok, "{err}");
    }
    let (ok, out, err) = cli(server, &miner, &["mine", "--blocks", "1", "--threads", "1"]);
    assert!(ok, "{out}{err}");
}

/// A tag that keeps key file names apart between calls.
fn rand_tag() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Clicks a trial and waits for its verdict; returns (`data-ok`, the text).
async fn trial(client: &Client, key: &str) -> (bool, String) {
    click(client, &format!("trial-{key}")).await;
    let testid = format!("trial-{key}-result");
    let text = wait_text(client, &testid, "the server's answer", |_| true).await;
    let ok = client
        .find(Locator::Css(&format!("[data-testid='{testid}']")))
        .await
        .unwrap()
        .attr("data-ok")
        .await
        .unwrap()
        .unwrap();
    (ok == "true", text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_trials_proofs_and_quests_on_the_real_server() {
    let temp = tempfile::tempdir().unwrap();
    let tab = up_and_tab(
        temp.path(),
        &[
            "--faucet-cooldown-secs",
            "0",
            "--faucet-burst",
            "1000",
            "--no-miner",
        ],
        |_| {},
    )
    .await;
    let (server, dir) = (tab.server.clone(), temp.path());
    let client = tab.client.clone();
    client.set_window_size(1280, 1300).await.unwrap();
    create_wallet(&client, PASSPHRASE).await;
    assert!(
        done(&client).await.is_empty(),
        "nothing is done before the server says so"
    );

    // Coins: the quest waits for the server's balance.
    click(&client, "wallet-tab").await;
    click(&client, "faucet").await;
    wait_text(
        &client,
        "mempool-count",
        "the faucet's payment pending",
        |t| t.starts_with('1'),
    )
    .await;
    assert!(
        done(&client).await.is_empty(),
        "pending coins are not coins yet"
    );
    click(&client, "wallet-tab").await;
    mine_with_payments(&server, dir, 0);
    wait_text(&client, "balance", "the faucet's coins", |t| {
        shown_number(t) > 0
    })
    .await;
    assert_eq!(done(&client).await, vec!["get-coins".to_string()]);

    // A text signed in the tab verifies; one letter or one bit changed does not.
    click(&client, "sig-tab").await;
    type_into(
        &client,
        "sig-message",
        "I, the owner of this address, say hello.",
    )
    .await;
    click(&client, "sig-sign").await;
    click(&client, "sig-verify").await;
    let valid = wait_text(&client, "sig-result", "the check", |_| true).await;
    assert!(valid.starts_with('✔'), "{valid}");
    click(&client, "sig-flip-text").await;
    click(&client, "sig-verify").await;
    let broken = wait_text(&client, "sig-result", "the check", |t| t.starts_with('✘')).await;
    assert!(broken.contains("Invalid"), "{broken}");
    click(&client, "sig-sign").await;
    click(&client, "sig-flip-signature").await;
    click(&client, "sig-verify").await;
    wait_text(&client, "sig-result", "a flipped bit", |t| {
        t.starts_with('✘')
    })
    .await;
    screenshot(&client, "learn-signatures-laptop").await;

    // Nothing of ours to replay yet: said so, nothing sent, not done.
    let (ok, text) = trial(&client, "replay").await;
    assert!(!ok && text.contains("Send a payment"), "{text}");

    let (ok, text) = trial(&client, "other-chain").await;
    assert!(ok && text.contains("ERROR:bad_signature"), "{text}");
    let (ok, text) = trial(&client, "overspend").await;
    assert!(ok && text.contains("ERROR:insufficient_funds"), "{text}");
    let (ok, text) = trial(&client, "double-spend").await;
    assert!(ok && text.contains("ERROR:bad_nonce"), "{text}");

    // The double spend's first transfer was a real payment: once it is in a block
    // (with three other payments, so that its proof has a path), it is this wallet's
    // confirmed transfer, and it can be replayed.
    assert!(!done(&client).await.contains(&"send-payment".to_string()));
    mine_with_payments(&server, dir, 3);
    click(&client, "wallet-tab").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(
            "[data-testid='history-row']:has(td.out) [data-testid='confirmations']",
        ))
        .await
        .expect("the payment confirmed in a block");
    click(&client, "sig-tab").await;
    let (ok, text) = trial(&client, "replay").await;
    assert!(
        ok && (text.contains("ERROR:duplicate") || text.contains("ERROR:bad_nonce")),
        "{text}"
    );

    // Its Merkle proof, folded in the tab against the block's header.
    click(&client, "wallet-tab").await;
    client
        .find(Locator::Css(
            "[data-testid='history-row'] button[aria-label^='Transaction']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&client, "proof-ask").await;
    let verdict = wait_text(&client, "proof-verified", "the proof", |_| true).await;
    assert!(verdict.starts_with("✔ Verified"), "{verdict}");
    assert!(
        verdict.contains("with the 2 sibling hashes"),
        "4 transactions: {verdict}"
    );
    let drawn = client
        .find_all(Locator::Css(".merkle-tree .node"))
        .await
        .unwrap()
        .len();
    assert_eq!(drawn, 4 + 2 + 1, "the whole tree of 4 leaves is drawn");
    assert!(present(&client, "proof-view").await);
    screenshot(&client, "learn-proof-laptop").await;

    click(&client, "validate").await;
    wait_text(&client, "validate-result", "VALID", |t| t.contains("VALID")).await;

    let mut finished = done(&client).await;
    finished.sort();
    let mut expected = vec![
        "get-coins",
        "send-payment",
        "overspend",
        "double-spend",
        "replay",
        "other-chain",
        "prove",
        "validate",
    ];
    expected.sort();
    assert_eq!(finished, expected);
    let open: Vec<String> = quests(&client)
        .await
        .into_iter()
        .filter_map(|(key, done)| (!done).then_some(key))
        .collect();
    assert_eq!(open, vec!["mine-block", "fork-race", "tamper"]);
    screenshot(&client, "learn-quests-laptop").await;

    // Progress is kept in the tab: a reload keeps it.
    client.refresh().await.unwrap();
    wait_text(&client, "connection", "the reload", |t| t == "connected").await;
    assert_eq!(done(&client).await.len(), expected.len());

    client.set_window_size(390, 844).await.unwrap();
    screenshot(&client, "learn-quests-phone").await;
    click(&client, "sig-tab").await;
    screenshot(&client, "learn-signatures-phone").await;

    let errors: Vec<_> = log_entries(&client, "browser")
        .await
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

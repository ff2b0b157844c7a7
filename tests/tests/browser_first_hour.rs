//! A newcomer's first hour with the wallet, in headless Chromium (issue 12): a
//! passphrase typed twice, the backup asked for first, the explorer finding blocks,
//! transactions and addresses and walking back to genesis a page or a block at a
//! time, the mempool and its counts while a payment waits, the receiver told, and an
//! idle tab that stays connected past the server's idle timeout.

mod browser_support;

use browser_support::*;
use fantoccini::{Client, Locator};
use simplechain_tests::cli;
use std::path::Path;
use std::time::Duration;

const PASSPHRASE: &str = "correct horse battery staple";

/// The attribute `name` of the first element matching `css`.
async fn attribute(client: &Client, css: &str, name: &str) -> String {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .attr(name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{css} has no {name}"))
}

/// A key for the CLI in `dir`, and `blocks` blocks of one faucet payment each to it
/// (the faucet without a cooldown); returns its address.
fn faucet_blocks(server: &str, key: &Path, blocks: usize) -> String {
    let (ok, _, err) = cli(server, key, &["keygen"]);
    assert!(ok, "{err}");
    for _ in 0..blocks {
        let (ok, out, err) = cli(server, key, &["faucet", "--wait"]);
        assert!(ok, "{out}{err}");
    }
    cli(server, key, &["address"]).1.trim().to_string()
}

async fn search(client: &Client, key: &str) {
    type_into(client, "explore-input", key).await;
    click(client, "explore-go").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passphrase_typo_is_refused_and_a_new_wallet_asks_for_its_backup_first() {
    let temp = tempfile::tempdir().unwrap();
    let tab = up_and_tab(temp.path(), &[], |_| {}).await;
    let client = tab.client.clone();
    assert!(
        page_text(&client).await.contains("private window"),
        "the page says how to try a second wallet"
    );

    // One typo in the second field: refused, nothing created.
    type_into(&client, "passphrase", PASSPHRASE).await;
    type_into(
        &client,
        "passphrase-confirm",
        "correct horse battery stapel",
    )
    .await;
    click(&client, "create-wallet").await;
    wait_text(&client, "error", "the mismatch", |t| t.contains("differ")).await;
    assert!(!present(&client, "address").await);
    assert!(!present(&client, "backup-prompt").await);
    let stored = client
        .execute("return localStorage.getItem('simplechain-wallet')", vec![])
        .await
        .unwrap();
    assert!(stored.is_null(), "nothing stored: {stored}");

    // Typed twice alike: created, and the backup comes before anything else.
    type_into(&client, "passphrase-confirm", PASSPHRASE).await;
    click(&client, "create-wallet").await;
    wait_text(&client, "backup-prompt", "the backup prompt", |_| true).await;
    assert!(!present(&client, "address").await, "nothing else yet");
    assert!(!present(&client, "faucet").await);
    screenshot(&client, "10-backup-prompt").await;
    // Skipping says what is at risk, and needs a second click.
    click_button(&client, "Skip for now…").await;
    let warning = page_text(&client).await;
    assert!(warning.contains("every coin"), "{warning}");
    click(&client, "backup-skip").await;
    wait_text(&client, "address", "the wallet", |t| t.len() == 64).await;
    client.close().await.unwrap();
}

/// Twelve blocks made by the CLI (a faucet payment each), then the explorer: search by
/// height, block hash, txid and address; every block back to genesis by "previous";
/// the list paged back to genesis and forward again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_finds_any_block_transaction_or_address() {
    let temp = tempfile::tempdir().unwrap();
    let key = temp.path().join("cli.key");
    let mut address = String::new();
    let tab = up_and_tab(
        temp.path(),
        &["--faucet-cooldown-secs", "0", "--faucet-burst", "1000"],
        |server| {
            address = faucet_blocks(server, &key, 12);
        },
    )
    .await;
    let client = tab.client.clone();
    wait_text(&client, "height", "the tip", |t| t == "12").await;

    // The newest page, then older pages back to genesis, then the newest again.
    wait_text(&client, "blocks-range", "the newest page", |t| {
        t.starts_with("blocks 3–12 of 13")
    })
    .await;
    click(&client, "blocks-older").await;
    wait_text(&client, "blocks-range", "the oldest page", |t| {
        t.starts_with("blocks 0–2 of 13")
    })
    .await;
    assert!(
        !present(&client, "blocks-older").await,
        "genesis is the end"
    );
    click(&client, "blocks-newer").await;
    wait_text(&client, "blocks-range", "the newest page again", |t| {
        t.starts_with("blocks 3–12")
    })
    .await;

    // By height.
    search(&client, "5").await;
    wait_text(&client, "detail-title", "block 5", |t| t == "Block 5").await;
    let hash5 = text(&client, "block-hash").await.unwrap();

    // By txid: block 5's one transaction.
    let txid = attribute(
        &client,
        "[data-testid='block-detail'] button[aria-label^='Transaction ']",
        "title",
    )
    .await;
    search(&client, &txid).await;
    wait_text(&client, "detail-title", "the transaction", |t| {
        t == "Transaction"
    })
    .await;
    assert_eq!(text(&client, "tx-txid").await.unwrap(), txid);
    // The faucet's payer is named, and the block is a link.
    let detail = page_text(&client).await;
    assert!(detail.contains("treasury and faucet"), "{detail}");
    click(&client, "tx-block").await;
    wait_text(&client, "detail-title", "block 5 again", |t| t == "Block 5").await;

    // By block hash (block 5 is on the page shown).
    search(&client, "0").await;
    wait_text(&client, "detail-title", "block 0", |t| t == "Block 0").await;
    search(&client, &hash5).await;
    wait_text(&client, "detail-title", "block 5 by its hash", |t| {
        t == "Block 5"
    })
    .await;

    // By address: its page, balance and history.
    search(&client, &address).await;
    wait_text(&client, "detail-title", "the address", |t| t == "Address").await;
    assert_eq!(text(&client, "address-hex").await.unwrap(), address);
    let balance = wait_text(&client, "address-balance", "its balance", |t| {
        shown_number(t) > 0
    })
    .await;
    assert_eq!(shown_number(&balance), 12 * 1000);
    // A label, kept in the tab, names it everywhere.
    type_into(&client, "label-input", "CLI wallet").await;
    click(&client, "label-save").await;
    wait_text(&client, "address-name", "the label", |t| t == "CLI wallet").await;

    // A search that finds nothing replaces what was open.
    search(&client, "not a key").await;
    wait_text(&client, "explorer-message", "the explanation", |t| {
        t.contains("64 hexadecimal")
    })
    .await;
    assert!(!present(&client, "address-detail").await, "no stale detail");

    // From the tip back to genesis by "previous" links, one block at a time.
    search(&client, "12").await;
    wait_text(&client, "detail-title", "the tip", |t| t == "Block 12").await;
    for height in (0..12).rev() {
        click(&client, "prev-block").await;
        wait_text(&client, "detail-title", "the previous block", |t| {
            t == format!("Block {height}")
        })
        .await;
    }
    let genesis = text(&client, "prev-block").await.unwrap();
    assert!(genesis.contains("genesis"), "{genesis}");
    let shot = screenshot(&client, "11-explorer-genesis").await;
    // The README's picture, refreshed on request only (as in browser.rs).
    if std::env::var_os("SIMPLECHAIN_UPDATE_SCREENSHOT").is_some() {
        let docs = simplechain_tests::workspace_root().join("docs");
        std::fs::copy(&shot, docs.join("explorer.png")).expect("docs/explorer.png");
    }
    client.close().await.unwrap();
}

/// A block hash that is not on the page: the explorer asks the server (`GET_BLOCK`,
/// PROTOCOL §9).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_finds_a_block_hash_off_the_page() {
    let temp = tempfile::tempdir().unwrap();
    let key = temp.path().join("cli.key");
    let tab = up_and_tab(
        temp.path(),
        &["--faucet-cooldown-secs", "0", "--faucet-burst", "1000"],
        |server| {
            faucet_blocks(server, &key, 11);
        },
    )
    .await;
    let client = tab.client.clone();
    search(&client, "1").await;
    wait_text(&client, "detail-title", "block 1", |t| t == "Block 1").await;
    let hash1 = text(&client, "block-hash").await.unwrap();
    search(&client, "11").await;
    wait_text(&client, "detail-title", "block 11", |t| t == "Block 11").await;
    search(&client, &hash1).await;
    wait_text(&client, "detail-title", "block 1 by its hash", |t| {
        t == "Block 1"
    })
    .await;
    client.close().await.unwrap();
}

/// A payment that stays pending (the server mines nothing): the mempool view lists it,
/// every pending count on the page agrees with the server, and the receiver's tab shows
/// it as incoming and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mempool_view_and_the_receivers_notice_while_a_payment_is_pending() {
    let temp = tempfile::tempdir().unwrap();
    let key = temp.path().join("cli.key");
    // The CLI's key holds the genesis supply, so it can pay without any block mined.
    let sender = faucet_blocks("127.0.0.1:1", &key, 0);
    let tab = up_and_tab(
        temp.path(),
        &["--genesis-address", &sender, "--no-miner"],
        |_| {},
    )
    .await;
    let (server, client) = (tab.server.clone(), tab.client.clone());
    let receiver = create_wallet(&client, PASSPHRASE).await;
    wait_text(&client, "mempool-count", "an empty mempool", |t| t == "0").await;

    let (ok, out, err) = cli(&server, &key, &["send", &receiver, "250"]);
    assert!(ok, "{out}{err}");
    let notice = wait_text(&client, "received", "the receiver's notice", |t| {
        t.contains("You received 250 coins")
    })
    .await;
    assert!(notice.contains("pending"), "{notice}");
    wait_text(
        &client,
        "mempool-count",
        "the payment in the mempool",
        |t| t == "1",
    )
    .await;
    wait_text(&client, "chain-pending", "the chain card's count", |t| {
        t == "1"
    })
    .await;
    wait_text(&client, "incoming-pending", "the incoming payment", |t| {
        shown_number(t) == 250
    })
    .await;
    assert_eq!(text(&client, "balance").await.unwrap(), "0");
    assert_eq!(text(&client, "spendable").await.unwrap(), "0");
    let rows = client
        .find_all(Locator::Css("[data-testid='mempool-row']"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let history = text(&client, "history-row").await.unwrap();
    assert!(history.contains("pending (incoming)"), "{history}");
    // The server's own count is the page's.
    let (_, info, _) = cli(&server, &key, &["info", "--json"]);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["mempool"], 1);
    screenshot(&client, "12-mempool-pending").await;
    client.close().await.unwrap();
}

/// The server drops a connection that sends nothing for `--idle-timeout-secs`; a tab
/// left alone pings under it and never shows "reconnecting".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_subscribed_tab_stays_connected_past_the_idle_timeout() {
    let temp = tempfile::tempdir().unwrap();
    let tab = up_and_tab(temp.path(), &["--idle-timeout-secs", "2"], |_| {}).await;
    let client = tab.client.clone();
    client
        .execute(
            r#"
            window.__links = [];
            const el = document.querySelector("[data-testid='connection']");
            new MutationObserver(() => window.__links.push(el.textContent))
                .observe(el, { subtree: true, childList: true, characterData: true });
            "#,
            vec![],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let seen = client
        .execute("return window.__links", vec![])
        .await
        .unwrap();
    assert_eq!(
        text(&client, "connection").await.as_deref(),
        Some("connected")
    );
    assert_eq!(seen, serde_json::json!([]), "the link never changed");
    client.close().await.unwrap();
}

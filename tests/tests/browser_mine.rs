//! Mining in the tab and the block tree (issue 10, items 1 and 2), in headless
//! Chromium against `simplechain up --no-miner` (only the tabs and the test mine):
//!
//! - a tab mines a block that becomes the tip, and its reward appears in the wallet;
//! - two tabs mine against each other (under a hash-rate cap) until one's block lands
//!   on a side branch, and both trees show it;
//! - an external miner (this test, with core's `NonceSearch`, over TCP) makes a longer
//!   branch: the tab's block turns side in the tree, the reorg is told, the tab's
//!   payment goes back to pending, and confirms again in the tab's next block.
//!
//! Run: `cargo test -p simplechain-tests --test browser_mine -- --nocapture` (after
//! `scripts/build-wallet.sh`).

mod browser_support;

use browser_support::*;
use fantoccini::Client;
use simplechain_core::block::meets_difficulty;
use simplechain_core::nonce_search::NonceSearch;
use simplechain_core::{Address, Block, BlockHash, BlockHeader, MerkleRoot};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "correct horse battery staple";

/// `simplechain up` without its own miner, at `difficulty`; returns it with the
/// server's TCP address and the wallet's URL.
fn up(dir: &Path, difficulty: &str) -> (simplechain_tests::Running, String, String) {
    let up = start_up_with(
        &built_wallet(),
        &dir.join("chain"),
        &dir.join("up.log"),
        &["--difficulty", difficulty, "--no-miner"],
    );
    let server = up.wait_for_line("Server:");
    let url = up.wait_for_line("Wallet:");
    (up, server, url)
}

/// One request line over TCP, its answer line.
fn ask(server: &str, line: &str) -> String {
    let stream = TcpStream::connect(server).expect("the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    writer.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).unwrap();
    answer.trim_end().to_string()
}

/// Mines and submits an empty block on `parent` for `miner`; returns it and the
/// server's answer.
fn mine_on(server: &str, parent: &Block, miner: Address) -> (Block, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let header = BlockHeader {
        height: parent.header.height + 1,
        prev_hash: parent.hash,
        timestamp: now.max(parent.header.timestamp),
        difficulty: parent.header.difficulty,
        miner,
        reward: simplechain_core::BLOCK_REWARD,
        tx_root: MerkleRoot::EMPTY,
        nonce: 0,
    };
    let (mined, hash) = NonceSearch::new(header)
        .run(0, u64::MAX)
        .found
        .expect("a nonce");
    assert!(meets_difficulty(&hash, mined.difficulty));
    let block = Block::from_mined(mined, hash, Vec::new());
    let answer = ask(
        server,
        &format!("SUBMIT_BLOCK:{}", serde_json::to_string(&block).unwrap()),
    );
    (block, answer)
}

/// The block with this hash, as the server has it.
fn block(server: &str, hash: &str) -> Block {
    let answer = ask(server, &format!("GET_BLOCK:{hash}"));
    let json = answer
        .strip_prefix("BLOCK:")
        .unwrap_or_else(|| panic!("no block {hash}: {answer}"));
    serde_json::from_str(json).unwrap()
}

/// Runs `script` (which returns a string) in the page.
async fn js(client: &Client, script: &str) -> String {
    client
        .execute(script, vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits until `script` returns a non-empty string, and returns it.
async fn wait_js(client: &Client, what: &str, script: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = js(client, script).await;
        if !value.is_empty() {
            return value;
        }
        if Instant::now() > deadline {
            let shot = screenshot(client, "failed-mine").await;
            panic!(
                "waited {WAIT:?} for {what}; screenshot {}; page:\n{}",
                shot.display(),
                page_text(client).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The fate of the tab's last found block (`data-fate` of `miner-found`), once it is
/// not `waiting` any more, with the block's hash.
async fn fate(client: &Client) -> (String, String) {
    let both = wait_js(
        client,
        "the found block's fate",
        "const f = document.querySelector(\"[data-testid='miner-found']\");
         return f && f.dataset.fate !== 'waiting' ? f.dataset.fate + ' ' + f.dataset.hash : '';",
    )
    .await;
    let (fate, hash) = both.split_once(' ').unwrap();
    (fate.to_string(), hash.to_string())
}

/// `data-main` of the tree block with this hash ("" while it is not drawn).
fn tree_main(hash: &str) -> String {
    format!(
        "const b = document.querySelector(\"[data-testid='tree-block'][data-hash='{hash}']\");
         return b ? b.dataset.main : '';"
    )
}

/// Mines one block in the tab and returns its hash once the server said `tip`.
async fn mine_one_tip(client: &Client) -> String {
    click(client, "mine-tab").await;
    click(client, "miner-start").await;
    let (fate, hash) = fate(client).await;
    assert_eq!(fate, "tip", "{}", page_text(client).await);
    let text = text(client, "miner-found").await.unwrap();
    assert!(text.contains("tip"), "{text}");
    hash
}

async fn no_console_errors(client: &Client) {
    let console = log_entries(client, "browser").await;
    let severe: Vec<_> = console.iter().filter(|e| e["level"] == "SEVERE").collect();
    assert!(severe.is_empty(), "console errors: {severe:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_mines_a_block_that_becomes_the_tip_and_pays_its_wallet() {
    let temp = tempfile::tempdir().unwrap();
    let (_up, server, url) = up(temp.path(), "14");
    let (_driver, client) = open_wallet(&url, temp.path(), "the connection").await;

    // Locked or absent wallet: mining says why it cannot start.
    click(&client, "mine-tab").await;
    let locked = wait_text(&client, "mine-locked", "the unlock hint", |_| true).await;
    assert!(locked.contains("Unlock"), "{locked}");
    let start = client
        .find(fantoccini::Locator::Css("[data-testid='miner-start']"))
        .await
        .unwrap();
    assert!(!start.is_enabled().await.unwrap(), "no wallet, no mining");

    click(&client, "wallet-tab").await;
    let address = create_wallet(&client, PASSPHRASE).await;
    wait_text(&client, "balance", "the empty balance", |t| t == "0").await;

    // A bad cap is refused with a sentence; a good one is taken.
    click(&client, "mine-tab").await;
    type_into(&client, "miner-hashrate", "fast\n").await;
    let problem = wait_text(&client, "miner-problem", "the cap's complaint", |_| true).await;
    assert!(problem.contains("hashes per second"), "{problem}");
    type_into(&client, "miner-hashrate", "\n").await;

    let hash = mine_one_tip(&client).await;
    let nonce = text(&client, "miner-nonce").await.unwrap();
    assert!(nonce.parse::<u64>().is_ok(), "the nonce shown: {nonce:?}");
    let bits: u64 = js(
        &client,
        "return document.querySelector(\"[data-testid='miner-best']\").dataset.bits",
    )
    .await
    .parse()
    .unwrap();
    assert!(bits >= 14, "the best hash meets difficulty 14: {bits} bits");
    screenshot(&client, "mine-laptop").await;

    // The server has it as its tip, mined by this wallet.
    let mined = block(&server, &hash);
    assert_eq!(mined.header.miner.to_string(), address);
    assert_eq!(mined.header.height, 1);
    let info = ask(&server, "GET_INFO");
    assert!(info.contains(&format!("\"tip\":\"{hash}\"")), "{info}");

    // The reward lands in the wallet.
    click(&client, "wallet-tab").await;
    wait_text(&client, "balance", "the block reward", |t| t == "50").await;

    // The tree draws it on the main chain, as this wallet's.
    click(&client, "tree-tab").await;
    let main = wait_js(&client, "the block in the tree", &tree_main(&hash)).await;
    assert_eq!(main, "true");
    let own = js(
        &client,
        &format!(
            "return document.querySelector(\"[data-testid='tree-block'][data-hash='{hash}']\").dataset.own"
        ),
    )
    .await;
    assert_eq!(own, "true");
    screenshot(&client, "tree-laptop").await;

    // A block of the tree opens in the explorer.
    click(&client, "tree-block").await;
    wait_text(&client, "block-hash", "the block in the explorer", |t| {
        t == hash
    })
    .await;
    no_console_errors(&client).await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_race_and_the_tree_shows_the_side_block() {
    let temp = tempfile::tempdir().unwrap();
    let (_up, _server, url) = up(temp.path(), "12");
    let mut tabs = Vec::new();
    for name in ["a", "b"] {
        let dir = temp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let (driver, client) = open_wallet(&url, &dir, "the connection").await;
        create_wallet(&client, PASSPHRASE).await;
        // The tree is opened once so that it follows every block.
        click(&client, "tree-tab").await;
        wait_text(&client, "block-tree", "the tree", |_| true).await;
        click(&client, "mine-tab").await;
        // A cap keeps the race fair and the blocks a few per second.
        type_into(&client, "miner-hashrate", "20000\n").await;
        tabs.push((driver, client));
    }
    for (_, client) in &tabs {
        click(client, "miner-keep").await;
    }
    for (_, client) in &tabs {
        click(client, "tree-tab").await;
    }
    // Wait for a side block that both trees show.
    let (a, b) = (&tabs[0].1, &tabs[1].1);
    let side = "return [...document.querySelectorAll(\"[data-testid='tree-block'][data-main='false']\")].map(b => b.dataset.hash).join(' ');";
    let deadline = Instant::now() + Duration::from_secs(120);
    let shared = loop {
        let in_a = js(a, side).await;
        let in_b = js(b, side).await;
        if let Some(hash) = in_a.split(' ').find(|h| !h.is_empty() && in_b.contains(*h)) {
            break hash.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no side block in both trees after 120 s; a: {in_a:?}, b: {in_b:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (_, client) in &tabs {
        click(client, "mine-tab").await;
        click(client, "miner-stop").await;
    }
    // The side block was mined by one of the two tabs.
    let mut owners = 0;
    for (_, client) in &tabs {
        click(client, "tree-tab").await;
        let main = wait_js(client, "the side block", &tree_main(&shared)).await;
        assert_eq!(main, "false");
        let own = js(
            client,
            &format!(
                "return document.querySelector(\"[data-testid='tree-block'][data-hash='{shared}']\").dataset.own"
            ),
        )
        .await;
        owners += usize::from(own == "true");
        let work = text(client, "tree-work").await.unwrap();
        assert!(work.contains("Side branch 1"), "{work}");
    }
    assert_eq!(owners, 1, "the side block is one tab's");
    for (_, client) in &tabs {
        no_console_errors(client).await;
        client.clone().close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_reorg_is_drawn_and_the_payment_confirms_again() {
    let temp = tempfile::tempdir().unwrap();
    let (_up, server, url) = up(temp.path(), "14");
    let (_driver, client) = open_wallet(&url, temp.path(), "the connection").await;
    create_wallet(&client, PASSPHRASE).await;

    // Block 1 pays the tab; it then pays someone 10, and block 2 confirms it.
    let first = mine_one_tip(&client).await;
    click(&client, "wallet-tab").await;
    wait_text(&client, "balance", "the reward", |t| t == "50").await;
    let receiver = "5a".repeat(32);
    type_into(&client, "send-to", &receiver).await;
    type_into(&client, "send-amount", "10").await;
    click(&client, "send-submit").await;
    click(&client, "send-confirm").await;
    wait_text(&client, "tx-status", "the payment pending", |t| {
        t.contains("pending")
    })
    .await;
    let second = mine_one_tip(&client).await;
    // The wallet's history rows, as text.
    let rows = "[...document.querySelectorAll(\"[data-testid='history-row']\")].map(r => r.innerText).join('\\n')";
    click(&client, "wallet-tab").await;
    wait_text(&client, "tx-status", "the payment confirmed", |t| {
        t.contains("confirmed") && t.contains("block 2")
    })
    .await;
    click(&client, "tree-tab").await;
    assert_eq!(
        wait_js(&client, "block 2 in the tree", &tree_main(&second)).await,
        "true"
    );

    // An external miner forks from block 1 with two empty blocks: block 2 is replaced.
    let server_for_miner = server.clone();
    let answers = tokio::task::spawn_blocking(move || {
        let parent = block(&server_for_miner, &first);
        let outsider = Address::from_bytes([0x77; 32]);
        let (two, a) = mine_on(&server_for_miner, &parent, outsider);
        let (three, b) = mine_on(&server_for_miner, &two, outsider);
        (two.hash, three.hash, a, b)
    })
    .await
    .unwrap();
    let (_two, three, side, tip): (BlockHash, BlockHash, String, String) = answers;
    assert!(side.contains("\"status\":\"side\""), "{side}");
    assert!(
        tip.contains("\"status\":\"tip\"") && tip.contains("\"replaced\":1"),
        "{tip}"
    );

    // Drawn: the tab's block 2 left the main chain, the reorg is told.
    let deadline = Instant::now() + WAIT;
    while js(&client, &tree_main(&second)).await != "false" {
        assert!(
            Instant::now() < deadline,
            "block 2 still main: {}",
            page_text(&client).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        wait_js(&client, "the new tip", &tree_main(&three.to_string())).await,
        "true"
    );
    let reorg = wait_text(&client, "tree-reorg", "the reorg", |_| true).await;
    assert!(
        reorg.contains("1 block(s) left the main chain") && reorg.contains("1 transaction(s)"),
        "{reorg}"
    );
    screenshot(&client, "tree-reorg-laptop").await;

    // The payment is pending again in the wallet's history.
    click(&client, "wallet-tab").await;
    let pending = wait_js(
        &client,
        "the payment back to pending",
        &format!("const t = {rows}; return t.includes('pending (outgoing)') ? t : '';"),
    )
    .await;
    assert!(pending.contains("10"), "{pending}");

    // The tab's next block confirms it again.
    let fourth = mine_one_tip(&client).await;
    let mined = block(&server, &fourth);
    assert_eq!(mined.header.height, 4);
    assert_eq!(mined.transactions.len(), 1, "the payment is in block 4");
    click(&client, "wallet-tab").await;
    let confirmed = wait_js(
        &client,
        "the payment confirmed again",
        &format!("const t = {rows}; return t.includes('block 4') ? t : '';"),
    )
    .await;
    assert!(!confirmed.contains("pending"), "{confirmed}");
    no_console_errors(&client).await;
    client.close().await.unwrap();
}

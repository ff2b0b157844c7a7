//! The glass box and the tamper lab (issue 10, items 3 and 4) in headless Chromium,
//! against a real `simplechain up` at difficulty 12 whose blocks 1 to 3 the CLI's
//! faucet made. What the page shows is compared with what `core` says natively about
//! the same blocks, fetched from the server over TCP; the server's own answer to the
//! tampered blocks is the last word.

mod browser_support;

use browser_support::*;
use fantoccini::{Client, Locator};
use simplechain_core::block::{BlockHeader, leading_zero_bits};
use simplechain_core::protocol::ChainJson;
use simplechain_core::validate::checklist::{Context, checklist};
use simplechain_core::validate::validate_chain;
use simplechain_core::{Block, ChainId};
use simplechain_tests::cli;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DIFFICULTY: u64 = 12;

/// One request line to the server, its answer line.
fn ask(server: &str, line: &str) -> String {
    let mut stream = TcpStream::connect(server).expect("the server");
    stream.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).unwrap();
    answer.trim_end().to_string()
}

/// The server's main chain, read over TCP.
fn server_chain(server: &str) -> Vec<Block> {
    let answer = ask(server, "GET_BLOCKCHAIN");
    serde_json::from_str::<ChainJson>(&answer)
        .unwrap_or_else(|e| panic!("{e}: {answer}"))
        .blocks
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The rules listed under `css` as "rule" or "rule:tx", and whether each holds.
async fn listed_rules(client: &Client, css: &str) -> Vec<(String, bool)> {
    let script = format!(
        "return Array.from(document.querySelectorAll(\"{css} [data-testid='rule-check']\")).map(r => \
         [r.dataset.rule + (r.dataset.tx === undefined ? '' : ':' + r.dataset.tx), r.dataset.ok === 'true'])"
    );
    let value = client.execute(&script, vec![]).await.unwrap();
    serde_json::from_value::<Vec<(String, bool)>>(value).unwrap()
}

/// Each lab block's broken rules, as "rule" or "rule:tx".
async fn lab_failing(client: &Client) -> Vec<Vec<String>> {
    let script = "return Array.from(document.querySelectorAll(\"[data-testid='lab-block']\")).map(b => \
        Array.from(b.querySelectorAll(\"[data-testid='rule-check'][data-ok='false']\")).map(r => \
        r.dataset.rule + (r.dataset.tx === undefined ? '' : ':' + r.dataset.tx)))";
    let value = client.execute(script, vec![]).await.unwrap();
    serde_json::from_value(value).unwrap()
}

/// Waits until the lab's broken rules are `expected`.
async fn wait_lab(client: &Client, what: &str, expected: &[&[&str]]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let failing = lab_failing(client).await;
        if failing == expected {
            return;
        }
        if Instant::now() > deadline {
            let shot = screenshot(client, "failed-lab").await;
            panic!(
                "waited for {what}: the lab shows {failing:?}, expected {expected:?}; screenshot {}; page:\n{}",
                shot.display(),
                page_text(client).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types `text` into the lab input of `field` (of block `block`, transaction `tx`).
async fn lab_type(client: &Client, block: usize, tx: Option<usize>, field: &str, text: &str) {
    let tx = tx.map_or(":not([data-tx])".to_string(), |t| {
        format!("[data-tx='{t}']")
    });
    let css = format!("[data-testid='lab-field'][data-field='{field}'][data-block='{block}']{tx}");
    let input = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// From the real blocks, block 1's header `field` set to `value`, which makes it
/// `header`: its hash breaks (and its proof of work, unless the new hash happens to
/// meet the difficulty), and so does block 2's link to it.
async fn tamper_header(client: &Client, field: &str, value: u64, header: &BlockHeader) {
    click(client, "lab-reset").await;
    wait_lab(client, "the real blocks again", &[&[], &[], &[]]).await;
    lab_type(client, 0, None, field, &value.to_string()).await;
    let first: &[&str] = if leading_zero_bits(&header.hash()) < DIFFICULTY {
        &["hash", "pow"]
    } else {
        &["hash"]
    };
    let what = format!("the broken rules of a changed {field}");
    wait_lab(client, &what, &[first, &["prev_hash"], &[]]).await;
}

async fn search(client: &Client, key: &str) {
    type_into(client, "explore-input", key).await;
    click(client, "explore-go").await;
}

/// The attribute `name` of the element with this testid.
async fn testid_attr(client: &Client, testid: &str, name: &str) -> Option<String> {
    let css = format!("[data-testid='{testid}']");
    let element = client.find(Locator::Css(&css)).await.ok()?;
    element.attr(name).await.ok().flatten()
}

async fn screenshots(client: &Client, name: &str) {
    client.set_window_size(390, 1600).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    screenshot(client, &format!("{name}-390")).await;
    client.set_window_size(1280, 1300).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    screenshot(client, &format!("{name}-1280")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_glass_box_checks_a_block_and_the_lab_breaks_exactly_what_each_change_breaks() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let up = start_up_with(
        &built_wallet(),
        &dir.join("chain"),
        &dir.join("up.log"),
        &[
            "--difficulty",
            &DIFFICULTY.to_string(),
            "--faucet-cooldown-secs",
            "0",
            "--faucet-burst",
            "1000",
        ],
    );
    let server = up.wait_for_line("Server:");
    let url = up.wait_for_line("Wallet:");
    let key = dir.join("cli.key");
    let (ok, _, err) = cli(&server, &key, &["keygen"]);
    assert!(ok, "{err}");
    for _ in 0..3 {
        let (ok, out, err) = cli(&server, &key, &["faucet", "--wait"]);
        assert!(ok, "{out}{err}");
    }
    let blocks = server_chain(&server);
    assert_eq!(blocks.len(), 4, "genesis and three faucet blocks");
    let chain_id = ChainId::from(blocks[0].hash);

    let (_driver, client) = open_wallet(&url, dir, "the connection").await;
    client.set_window_size(1280, 1300).await.unwrap();
    wait_text(&client, "height", "the tip", |t| t == "3").await;

    // The glass box of block 2: the header message, the hash, every rule ✔.
    search(&client, "2").await;
    wait_text(&client, "detail-title", "block 2", |t| t == "Block 2").await;
    wait_text(&client, "replay-progress", "the replay to block 1", |t| {
        t.contains("replayed in this tab")
    })
    .await;
    let message = text(&client, "header-message").await.unwrap();
    assert_eq!(message, blocks[2].header.message());
    assert_eq!(
        testid_attr(&client, "hash-check", "data-match")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        testid_attr(&client, "zero-bits", "data-ok")
            .await
            .as_deref(),
        Some("true")
    );
    let state_after_1 = validate_chain(&blocks[..2], None).unwrap();
    let native = checklist(&blocks[2], &Context::on(&state_after_1, Some(now_ms())));
    let expected: Vec<(String, bool)> = native
        .iter()
        .map(|c| {
            let name = match c.name.transaction() {
                Some(i) => format!("{}:{i}", c.name.key()),
                None => c.name.key().to_string(),
            };
            (name, c.ok())
        })
        .collect();
    assert!(expected.iter().all(|(_, ok)| *ok));
    assert!(
        expected.iter().any(|(n, _)| n == "balance:0"),
        "{expected:?}"
    );
    let shown = listed_rules(&client, "[data-testid='rule-checks']").await;
    assert_eq!(shown, expected, "the page's rules are core's, all ✔");
    screenshots(&client, "lab-01-glass-box").await;

    // Its transaction: the signed message, the txid and the signature, checked here.
    let tx = blocks[2].transactions[0];
    client
        .find(Locator::Css(
            "[data-testid='block-detail'] button[aria-label^='Transaction ']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&client, "sig-check", "the signature verified", |t| {
        t.contains("verified here")
    })
    .await;
    assert_eq!(
        text(&client, "tx-message").await.unwrap(),
        tx.message(&chain_id).as_str()
    );
    assert_eq!(
        testid_attr(&client, "txid-check", "data-match")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        testid_attr(&client, "sig-check", "data-ok")
            .await
            .as_deref(),
        Some("true")
    );

    // The lab on blocks 1 to 3, each valid on the one before.
    search(&client, "1").await;
    wait_text(&client, "detail-title", "block 1", |t| t == "Block 1").await;
    click(&client, "lab-open").await;
    wait_lab(&client, "three valid blocks", &[&[], &[], &[]]).await;
    assert!(
        !present(&client, "lab-replay").await,
        "the balances are judged"
    );

    // Not a number: said, and nothing changes.
    lab_type(&client, 0, Some(0), "amount", "x").await;
    wait_text(&client, "lab-error", "the refusal", |t| {
        t.contains("not a whole number")
    })
    .await;
    wait_lab(&client, "nothing changed", &[&[], &[], &[]]).await;

    // A changed amount: the signature (it covers the amount) and the Merkle root.
    let amount = tx.amount + 1000;
    lab_type(&client, 0, Some(0), "amount", &amount.to_string()).await;
    wait_lab(
        &client,
        "the amount's broken rules",
        &[&["signature:0", "tx_root"], &[], &[]],
    )
    .await;
    assert!(!present(&client, "lab-error").await);

    // Re-mined: hash, proof of work, Merkle root and links mended; not the signature.
    click(&client, "lab-remine").await;
    wait_lab(&client, "the re-mine", &[&["signature:0"], &[], &[]]).await;
    wait_text(&client, "lab-cost", "the measured hash rate", |t| {
        t.contains("hashes per second")
    })
    .await;
    click(&client, "lab-submit").await;
    let answer = wait_text(&client, "lab-result", "the server's answer", |t| {
        t.contains("refused")
    })
    .await;
    assert!(
        answer.contains("block 1: refused: invalid_block"),
        "{answer}"
    );
    assert!(answer.contains("signature"), "{answer}");
    screenshots(&client, "lab-02-amount-refused").await;
    click(&client, "quests-tab").await;
    let tamper = client
        .find(Locator::Css("[data-quest='tamper']"))
        .await
        .unwrap()
        .attr("data-done")
        .await
        .unwrap();
    assert_eq!(
        tamper.as_deref(),
        Some("true"),
        "the server refused the tampered block"
    );
    click(&client, "lab-tab").await;

    // A changed nonce: the hash (and almost surely the proof of work), and the link
    // of the block after it.
    let mut header = blocks[1].header;
    header.nonce += 1;
    tamper_header(&client, "nonce", header.nonce, &header).await;

    // A changed timestamp: the same; re-mined, every block is valid, and the server
    // keeps them as a side branch (as much work as the main chain, not more).
    let mut header = blocks[1].header;
    header.timestamp += 1;
    tamper_header(&client, "timestamp", header.timestamp, &header).await;
    click(&client, "lab-remine").await;
    wait_lab(&client, "the re-mine", &[&[], &[], &[]]).await;
    click(&client, "lab-submit").await;
    let answer = wait_text(&client, "lab-result", "the three answers", |t| {
        t.contains("block 3:")
    })
    .await;
    assert!(
        answer.contains("block 1: side")
            && answer.contains("block 2: side")
            && answer.contains("block 3: side"),
        "{answer}"
    );
    let tree = ask(&server, "GET_TREE:0");
    assert_eq!(tree.matches("\"main\":false").count(), 3, "{tree}");
    assert_eq!(server_chain(&server), blocks, "the main chain is unchanged");
    screenshots(&client, "lab-03-side-branch").await;

    let console = log_entries(&client, "browser").await;
    let severe: Vec<_> = console.iter().filter(|e| e["level"] == "SEVERE").collect();
    assert!(severe.is_empty(), "console errors: {severe:#?}");
    client.close().await.unwrap();
}

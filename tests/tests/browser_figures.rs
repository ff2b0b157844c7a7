//! Issue 5's browser figures, measured in headless Chromium against the page served by
//! `simplechain up`, and printed on one line:
//!
//! - `load_to_interactive_ms`: from navigation start to the moment the wallet's first
//!   control (`create-wallet`, or `unlock` when a wallet is stored) is in the page and
//!   enabled, in fresh browser sessions (empty profile, cold cache). A script installed
//!   with the DevTools `Page.addScriptToEvaluateOnNewDocument` watches the DOM from the
//!   first byte and records `performance.now()` (relative to the navigation's time
//!   origin) in the mutation that makes the control ready, so WebDriver round trips are
//!   not counted. The median over `LOADS` loads is printed.
//! - `sign_median_ms`: the page's own signing benchmark (`data-testid="sign-bench"`).
//! - the gzip (`gzip -9`) sizes of `dist/*.wasm` and `dist/*.js` that the page loads
//!   first (issue 10's budget: 300 KB), and apart from them the mining worker's
//!   (`simplechain-miner*`), which loads only when mining starts;
//! - `mining_figures`: the tab's hash rate per worker against `simplechain mine
//!   --threads 1` on the same machine (the ratio; issue 10's goal is ≥ 0.25), and the
//!   time from a block found in the tab to its fate shown; screenshots of the Mine and
//!   Block tree sections at 1280 and 390 px.
//!
//! Run: `cargo test -p simplechain-tests --test browser_figures -- --nocapture`.

mod browser_support;

use browser_support::*;
use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Page loads measured, each in a fresh session.
const LOADS: usize = 5;
/// Issue 10's budget for the wallet's first load (wasm + JS, gzip): the mining
/// worker is not part of it.
const GZIP_BUDGET: u64 = 300_000;
/// The mining worker's files in `dist/` (trunk names them after the binary).
const WORKER_PREFIX: &str = "simplechain-miner";

/// Runs at document start in every page: records when the first wallet control is
/// present and enabled.
const WATCH_INTERACTIVE: &str = r#"
    (() => {
        const ready = () => {
            if (window.__interactive) return;
            const el = document.querySelector("[data-testid='create-wallet'], [data-testid='unlock']");
            if (el && !el.disabled) {
                window.__interactive = { at: performance.now(), control: el.dataset.testid };
            }
        };
        new MutationObserver(ready).observe(document, {
            subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"],
        });
        ready();
    })();
"#;

/// ChromeDriver's DevTools pass-through: `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.0, "params": self.1 });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Loads the wallet and returns (ms from navigation start to an enabled control, which
/// control).
async fn load_to_interactive(client: &Client, url: &str) -> (f64, String) {
    client
        .issue_cmd(Cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": WATCH_INTERACTIVE }),
        ))
        .await
        .expect("installing the load watcher");
    client.goto(url).await.unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = client
            .execute("return window.__interactive || null", vec![])
            .await
            .expect("reading the load watcher");
        if let (Some(at), Some(control)) = (seen["at"].as_f64(), seen["control"].as_str()) {
            return (at, control.to_string());
        }
        if Instant::now() > deadline {
            let shot = screenshot(client, "failed-load-to-interactive").await;
            panic!(
                "no enabled wallet control after {WAIT:?}; screenshot {}; page:\n{}",
                shot.display(),
                page_text(client).await
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Bytes of `gzip -9 -c file`.
fn gzip_size(file: &Path) -> u64 {
    let out = Command::new("gzip")
        .arg("-9")
        .arg("-c")
        .arg(file)
        .output()
        .expect("running gzip");
    assert!(out.status.success(), "gzip {} failed", file.display());
    out.stdout.len() as u64
}

/// Total gzip size of the files in `dist` whose names end with `suffix`: the page's
/// own (`worker: false`) or the mining worker's (`worker: true`).
fn gzip_total(dist: &Path, suffix: &str, worker: bool) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dist).expect("reading dist/") {
        let path = entry.unwrap().path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(suffix) && name.starts_with(WORKER_PREFIX) == worker {
            total += gzip_size(&path);
        }
    }
    total
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_figures() {
    let dist = built_wallet();
    let wasm_gzip = gzip_total(&dist, ".wasm", false);
    let js_gzip = gzip_total(&dist, ".js", false);
    let worker_gzip = gzip_total(&dist, ".wasm", true) + gzip_total(&dist, ".js", true);

    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("chain");
    let up = start_up(&dist, &data_dir, &temp.path().join("up.log"));
    let wallet_url = up.wait_for_line("Wallet:");
    let driver = start_chromedriver(&temp.path().join("chromedriver.log"));

    let mut loads = Vec::with_capacity(LOADS);
    let mut signing = String::new();
    for i in 0..LOADS {
        let client = open_browser(&driver, &temp.path().join(format!("profile-{i}"))).await;
        let (ms, control) = load_to_interactive(&client, &wallet_url).await;
        println!("browser figures: load {i}: {ms:.1} ms to an enabled {control}");
        loads.push(ms);
        if i == LOADS - 1 {
            open_developer_corner(&client).await;
            click(&client, "sign-bench").await;
            signing = wait_text(
                &client,
                "sign-bench-result",
                "the signing measurement",
                |t| t.contains("median"),
            )
            .await;
        }
        client.close().await.unwrap();
    }
    let load_median = median(&mut loads);
    let sign_median: f64 = signing
        .split_whitespace()
        .skip_while(|w| *w != "median")
        .nth(1)
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no median in {signing:?}"));
    let total = wasm_gzip + js_gzip;

    println!(
        "browser figures: load_to_interactive_ms median={load_median:.1} (n={LOADS}, min={:.1}, max={:.1}), \
         sign_median_ms={sign_median:.3}, wasm_gzip={wasm_gzip} js_gzip={js_gzip} total={total} (budget {GZIP_BUDGET})",
        loads[0],
        loads[LOADS - 1],
    );
    println!("browser figures: {signing}");
    println!(
        "browser figures: mining worker (loaded when mining starts, not in the first load): {worker_gzip} bytes gzip"
    );
    assert!(worker_gzip > 0, "no mining worker in dist/");

    assert!(wasm_gzip > 0 && js_gzip > 0, "no wasm or JS in dist/");
    assert!(load_median > 0.0, "load_to_interactive {load_median}");
    assert!(sign_median > 0.0, "signing {sign_median}");
    assert!(
        total <= GZIP_BUDGET,
        "wasm + JS is {total} bytes gzip, over the {GZIP_BUDGET} budget"
    );
}

/// The rate in `simplechain mine`'s status line (`mining block 5 | 1.25 MH/s | …`), in
/// hashes per second.
fn cli_rate(line: &str) -> Option<f64> {
    let field = line.split(" | ").nth(1)?;
    let (number, unit) = field.split_once(' ')?;
    let scale = match unit {
        "H/s" => 1.0,
        "kH/s" => 1e3,
        "MH/s" => 1e6,
        "GH/s" => 1e9,
        _ => return None,
    };
    Some(number.parse::<f64>().ok()? * scale)
}

/// `simplechain mine --threads 1` against `server` for a few seconds: its last rate.
fn cli_mining_rate(server: &str, dir: &Path) -> f64 {
    use std::io::BufRead;
    let key = dir.join("cli.key");
    let (ok, _, err) = simplechain_tests::cli(server, &key, &["keygen"]);
    assert!(ok, "{err}");
    let mut child = Command::new(simplechain_tests::simplechain_bin())
        .args(["--server", server, "--key"])
        .arg(&key)
        .args(["mine", "--threads", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("simplechain mine");
    let stdout = child.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut last = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(rate) = cli_rate(&line) {
            last = Some(rate);
        }
        if Instant::now() > deadline {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    last.expect("a status line from simplechain mine")
}

/// Waits until `script` returns a non-empty string.
async fn wait_js(client: &Client, what: &str, script: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = client.execute(script, vec![]).await.unwrap();
        if let Some(text) = value.as_str().filter(|t| !t.is_empty()) {
            return text.to_string();
        }
        assert!(Instant::now() < deadline, "waited {WAIT:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Records, in the page, when the found block's fate is first shown.
const WATCH_FATE: &str = r#"
    window.__fate = null;
    new MutationObserver(() => {
        const f = document.querySelector("[data-testid='miner-found']");
        if (f && f.dataset.fate !== 'waiting' && !window.__fate) {
            window.__fate = (Date.now() - Number(f.dataset.foundAt)) + ' ' + f.dataset.fate;
        }
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mining_figures() {
    let dist = built_wallet();
    let temp = tempfile::tempdir().unwrap();
    // A difficulty no one meets in seconds: the rates are measured, not blocks.
    let hard = start_up_with(
        &dist,
        &temp.path().join("hard"),
        &temp.path().join("hard.log"),
        &["--difficulty", "30", "--no-miner"],
    );
    let hard_server = hard.wait_for_line("Server:");
    let hard_url = hard.wait_for_line("Wallet:");
    let cli = cli_mining_rate(&hard_server, temp.path());

    let (driver, client) = open_wallet(&hard_url, temp.path(), "the connection").await;
    create_wallet(&client, "correct horse battery staple").await;
    click(&client, "mine-tab").await;
    type_into(&client, "miner-threads", "1\n").await;
    click(&client, "miner-keep").await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let per_worker: f64 = wait_js(
        &client,
        "the tab's hash rate",
        "const r = document.querySelector(\"[data-testid='miner-rate']\"); return r && Number(r.dataset.perWorker) > 0 ? r.dataset.perWorker : '';",
    )
    .await
    .parse()
    .unwrap();
    screenshot(&client, "mine-laptop-searching").await;
    client.set_window_size(390, 900).await.unwrap();
    screenshot(&client, "mine-phone").await;
    click(&client, "miner-stop").await;
    client.set_window_size(1280, 1000).await.unwrap();
    client.close().await.unwrap();
    println!(
        "browser figures: hash rate per worker: tab {per_worker:.0} H/s, `simplechain mine --threads 1` {cli:.0} H/s ({}), ratio {:.2} (goal ≥ 0.25)",
        simplechain_tests::simplechain_bin().display(),
        per_worker / cli
    );

    // Found to fate: a low difficulty, one block.
    let easy = start_up_with(
        &dist,
        &temp.path().join("easy"),
        &temp.path().join("easy.log"),
        &["--difficulty", "14", "--no-miner"],
    );
    let easy_url = easy.wait_for_line("Wallet:");
    let client = open_browser(&driver, &temp.path().join("profile-easy")).await;
    client.goto(&easy_url).await.unwrap();
    wait_text(&client, "connection", "the connection", |t| {
        t == "connected"
    })
    .await;
    create_wallet(&client, "correct horse battery staple").await;
    click(&client, "mine-tab").await;
    client.execute(WATCH_FATE, vec![]).await.unwrap();
    click(&client, "miner-start").await;
    let fate = wait_js(&client, "the fate", "return window.__fate || '';").await;
    let (ms, status) = fate.split_once(' ').unwrap();
    println!("browser figures: block found → fate shown: {ms} ms ({status})");
    assert_eq!(status, "tip");
    click(&client, "tree-tab").await;
    wait_text(&client, "block-tree", "the tree", |_| true).await;
    screenshot(&client, "tree-laptop-figures").await;
    client.set_window_size(390, 900).await.unwrap();
    screenshot(&client, "tree-phone").await;
    client.close().await.unwrap();
    assert!(per_worker > 0.0 && cli > 0.0);
}

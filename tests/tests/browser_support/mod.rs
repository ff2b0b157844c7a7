//! Headless Debian Chromium driven through ChromeDriver (WebDriver over plain HTTP on
//! loopback), with the few page helpers the wallet test needs.
#![allow(dead_code)]

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one thing on the page may take to appear.
pub const WAIT: Duration = Duration::from_secs(60);

/// A ChromeDriver process; it and the Chromium it started are killed when dropped.
pub struct ChromeDriver {
    child: Child,
    pub url: String,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // Killing chromedriver alone left its Chromium running, adopted by init, after
        // a test that did not close its session (or panicked): a `make test` run left
        // one behind. Its children (the browser) go first; the browser's own processes
        // end with it. (chromedriver stays in the test's process group, so that a
        // Ctrl-C still reaches all of them.)
        let _ = Command::new("pkill")
            .args(["-KILL", "-P", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `/usr/bin/chromedriver` (or `$CHROMEDRIVER`) on a free loopback port.
pub fn start_chromedriver(log: &Path) -> ChromeDriver {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        Path::new(&binary).exists(),
        "{binary} is missing: install Debian's chromium and chromium-driver (scripts/install-deps.sh does)"
    );
    let port = free_port();
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    // Made first, so that it is killed if it does not start.
    let driver = ChromeDriver {
        child,
        url: format!("http://{address}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(address).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

/// A new headless Chromium session with a fresh profile in `profile`, recording the
/// performance log (which holds every WebSocket frame) and the console.
pub async fn open_browser(driver: &ChromeDriver, profile: &Path) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = Capabilities::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-quic",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert(
        "goog:loggingPrefs".into(),
        json!({ "performance": "ALL", "browser": "ALL" }),
    );
    // Starting a session launches Chromium; chromedriver has been seen to reset that
    // first request once (a CI run, "Connection reset by peer"). A second try is made
    // after a pause; a driver that keeps failing still fails the test.
    let mut attempt = 1;
    loop {
        let session = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps.clone())
        .connect(&driver.url)
        .await;
        match session {
            Ok(client) => return client,
            Err(e) if attempt < 3 => {
                eprintln!("starting a WebDriver session failed (attempt {attempt} of 3): {e}");
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => panic!("a WebDriver session with headless Chromium: {e:?}"),
        }
    }
}

/// ChromeDriver's log endpoint: `POST /session/{id}/se/log {"type": kind}`.
#[derive(Debug)]
struct GetLog(&'static str);

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}

/// The entries of a browser log (`performance` or `browser`) since the last call.
pub async fn log_entries(client: &Client, kind: &'static str) -> Vec<Value> {
    match client
        .issue_cmd(GetLog(kind))
        .await
        .expect("reading a browser log")
    {
        Value::Array(entries) => entries,
        other => panic!("unexpected log answer: {other}"),
    }
}

/// Every WebSocket frame payload in the performance log entries, sent and received.
pub fn websocket_frames(entries: &[Value]) -> Vec<(String, String)> {
    entries
        .iter()
        .filter_map(|entry| {
            let message: Value = serde_json::from_str(entry["message"].as_str()?).ok()?;
            let method = message["message"]["method"].as_str()?;
            if !method.starts_with("Network.webSocketFrame") {
                return None;
            }
            let payload = message["message"]["params"]["response"]["payloadData"].as_str()?;
            Some((method.to_string(), payload.to_string()))
        })
        .collect()
}

/// Where screenshots go: `<workspace>/test-artifacts/`.
pub fn artifacts() -> PathBuf {
    let dir = simplechain_tests::workspace_root().join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("creating test-artifacts/");
    dir
}

/// Saves a screenshot of the viewport as `test-artifacts/<name>.png`.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("a screenshot");
    let path = artifacts().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("writing a screenshot");
    path
}

fn by_id(testid: &str) -> String {
    format!("[data-testid='{testid}']")
}

/// The text of the element with this `data-testid`, if it is on the page.
pub async fn text(client: &Client, testid: &str) -> Option<String> {
    let element = client.find(Locator::Css(&by_id(testid))).await.ok()?;
    element.text().await.ok()
}

/// The page's visible text, for failure messages.
pub async fn page_text(client: &Client) -> String {
    client
        .execute(
            "return document.body ? document.body.innerText : ''",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Waits until the element's text satisfies `ready`, and returns it.
pub async fn wait_text(
    client: &Client,
    testid: &str,
    what: &str,
    ready: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(text) = text(client, testid).await
            && ready(&text)
        {
            return text;
        }
        if Instant::now() > deadline {
            let shot = screenshot(client, &format!("failed-{testid}")).await;
            panic!(
                "waited {WAIT:?} for {what} ([data-testid={testid}] is {:?}); screenshot {}; page:\n{}",
                text(client, testid).await,
                shot.display(),
                page_text(client).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the element with this `data-testid` once it is there and enabled.
pub async fn click(client: &Client, testid: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(element) = client.find(Locator::Css(&by_id(testid))).await
            && element.is_enabled().await.unwrap_or(false)
            && element.click().await.is_ok()
        {
            return;
        }
        if Instant::now() > deadline {
            let shot = screenshot(client, &format!("failed-click-{testid}")).await;
            panic!(
                "could not click [data-testid={testid}]; screenshot {}; page:\n{}",
                shot.display(),
                page_text(client).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the first button whose text is exactly `label`.
pub async fn click_button(client: &Client, label: &str) {
    let xpath = format!("//button[normalize-space(.)='{label}']");
    let element = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button {label:?}: {e}"));
    element.click().await.expect("clicking a button");
}

/// Types into the input with this `data-testid`, replacing what it held.
pub async fn type_into(client: &Client, testid: &str, value: &str) {
    let element = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&by_id(testid)))
        .await
        .unwrap_or_else(|e| panic!("no input [data-testid={testid}]: {e}"));
    element.clear().await.expect("clearing an input");
    // WebDriver's clear fires no `input` event, so a controlled Yew input still holds
    // its old value in the page's state, and a re-render before the first keystroke
    // would put that text back in front of what is typed: tell the page it is empty.
    client
        .execute(
            "arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::to_value(&element).expect("an element as a script argument")],
        )
        .await
        .expect("announcing the cleared input");
    element.send_keys(value).await.expect("typing");
}

/// Whether an element with this `data-testid` is on the page now.
pub async fn present(client: &Client, testid: &str) -> bool {
    client.find(Locator::Css(&by_id(testid))).await.is_ok()
}

/// The built wallet (`dist/`); fails with how to build it when it is missing.
/// ChromeDriver and a fresh Chromium profile in `dir`, on the wallet at `url`, once
/// the page says it is connected (`what` names that moment in a failure).
pub async fn open_wallet(url: &str, dir: &Path, what: &str) -> (ChromeDriver, Client) {
    let driver = start_chromedriver(&dir.join("chromedriver.log"));
    let client = open_browser(&driver, &dir.join("profile")).await;
    client.goto(url).await.unwrap();
    wait_text(&client, "connection", what, |t| t == "connected").await;
    (driver, client)
}

/// Creates a wallet on the setup screen (the passphrase typed twice) and skips the
/// backup the page then asks for; returns once the new wallet's address shows.
pub async fn create_wallet(client: &Client, passphrase: &str) -> String {
    type_into(client, "passphrase", passphrase).await;
    type_into(client, "passphrase-confirm", passphrase).await;
    click(client, "create-wallet").await;
    wait_text(client, "backup-prompt", "the backup prompt", |_| true).await;
    click_button(client, "Skip for now…").await;
    click(client, "backup-skip").await;
    wait_text(client, "address", "the new wallet's address", |t| {
        t.len() == 64
    })
    .await
}

/// A number as the page shows it (thin spaces between groups of three digits).
pub fn shown_number(text: &str) -> u64 {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {text:?}"))
}

/// Starts `simplechain up` on free ports with these flags after the usual ones.
pub fn start_up_with(
    dist: &Path,
    data_dir: &Path,
    log: &Path,
    extra: &[&str],
) -> simplechain_tests::Running {
    let mut args = vec![
        "up",
        "--listen",
        "127.0.0.1:0",
        "--server-listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().expect("utf-8 path"),
        "--web-root",
        dist.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    simplechain_tests::Running::start(&args, log)
}

/// `simplechain up` serving the built wallet, with its chain and log in `dir`.
pub struct UpAndTab {
    pub up: simplechain_tests::Running,
    /// The server's TCP address, for the CLI.
    pub server: String,
    pub driver: ChromeDriver,
    pub client: Client,
}

/// Starts `simplechain up` in `dir` (difficulty 8, then `extra`), runs `before` with
/// the server's address (to make blocks with the CLI, say), then opens the wallet in a
/// fresh headless Chromium once it is connected.
pub async fn up_and_tab(dir: &Path, extra: &[&str], before: impl FnOnce(&str)) -> UpAndTab {
    let mut flags = vec!["--difficulty", "8"];
    flags.extend_from_slice(extra);
    let up = start_up_with(
        &built_wallet(),
        &dir.join("chain"),
        &dir.join("up.log"),
        &flags,
    );
    let server = up.wait_for_line("Server:");
    let url = up.wait_for_line("Wallet:");
    before(&server);
    let (driver, client) = open_wallet(&url, dir, "the connection").await;
    UpAndTab {
        up,
        server,
        driver,
        client,
    }
}

pub fn built_wallet() -> PathBuf {
    let dist = simplechain_tests::workspace_root().join("dist");
    assert!(
        dist.join("index.html").exists(),
        "the wallet is not built ({} is missing): run scripts/build-wallet.sh (make test does)",
        dist.join("index.html").display()
    );
    dist
}

/// Starts `simplechain up` on free ports (difficulty 8, faucet on), serving `dist`,
/// with its chain in `data_dir` and its log in `log`.
pub fn start_up(dist: &Path, data_dir: &Path, log: &Path) -> simplechain_tests::Running {
    start_up_with(dist, data_dir, log, &["--difficulty", "8"])
}

/// Opens the collapsed "Developer corner" (the signing benchmark lives there).
pub async fn open_developer_corner(client: &Client) {
    client
        .find(fantoccini::Locator::Css(
            "[data-testid='developer-corner'] summary",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

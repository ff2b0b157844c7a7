//! Issue 11 on the relay: each attack of the review, in a bounded loop on loopback
//! against a relay in this process (memory read from this process's
//! `/proc/self/status`), and the fix asserted. They run one at a time, so that the
//! figures are each test's own: `cargo test -p simplechain-relay --test
//! relay_hardening -- --nocapture`.

use futures::{SinkExt, StreamExt};
use simplechain_relay::RelayConfig;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

mod common;

use common::TestRelay;

/// The tests here measure this process's memory, so they run one at a time (also
/// under a plain `cargo test`, which runs tests in parallel).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// This process's resident memory, in MiB.
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        >> 10
}

/// A line server that answers every request with one shared line of `size` bytes
/// (not a copy per connection, so that this process's memory is the relay's).
async fn large_answer_server(size: usize) -> SocketAddr {
    let answer: std::sync::Arc<[u8]> = {
        let mut line = format!("{{\"blocks\":[\"{}\"]}}", "b".repeat(size)).into_bytes();
        line.push(b'\n');
        line.into()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(_)) = lines.next_line().await {
                    if write.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// A line server that answers every request line with `answer(line)`.
async fn answering_server(answer: fn(&str) -> String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut out = answer(&line);
                    out.push('\n');
                    if write.write_all(out.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn quick_config(server: SocketAddr) -> RelayConfig {
    let mut config = RelayConfig::new(server.to_string(), "/nonexistent");
    config.write_timeout = Duration::from_secs(2);
    config.header_timeout = Duration::from_secs(1);
    config
}

/// Finding 1: a browser that sends Pings and never reads. Each Ping's automatic Pong
/// used to go into an unbounded write buffer (982 MiB in 3 s, which under `simplechain
/// up` took the TCP server down with it). Now the write buffer is bounded (one Pong
/// waits, newer ones replace it) and the write deadline closes the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_from_a_browser_that_never_reads_do_not_grow_the_relay() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = answering_server(|_| "PONG".into()).await;
    let relay = TestRelay::start(quick_config(server)).await;
    let before = rss_mib();
    let mut browsers = Vec::new();
    for _ in 0..4 {
        browsers.push(relay.browser().await);
    }
    let mut peak = before;
    let mut sent = 0usize;
    let started = Instant::now();
    let mut closed = 0;
    let count = browsers.len();
    'flood: while started.elapsed() < Duration::from_secs(6) {
        for browser in &mut browsers {
            let ping = Message::Ping(vec![7u8; 125].into());
            match tokio::time::timeout(Duration::from_millis(100), browser.send(ping)).await {
                Ok(Ok(())) => sent += 1,
                Ok(Err(_)) => {
                    closed += 1;
                    if closed == count {
                        break 'flood;
                    }
                }
                Err(_) => {}
            }
        }
        if sent.is_multiple_of(1000) {
            peak = peak.max(rss_mib());
        }
    }
    peak = peak.max(rss_mib());
    println!(
        "ping flood: {sent} pings of 125 bytes from 4 browsers that never read; relay process RSS {before} -> peak {peak} MiB"
    );
    assert!(peak < before + 64, "RSS {before} -> {peak} MiB");
    relay.stop().await;
}

/// Finding 2: browsers that ask for a large answer and never read it, while sending a
/// tiny message each 500 ms. The answers are held once each (not twice), within the
/// relay-wide budget for large lines (a line that does not fit waits for it, and the
/// server for the relay), and each browser is closed by the write deadline. Before: ten of them,
/// for a 58.6 MiB chain, took the relay from 6 to 1,179 MiB and were held forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_that_stop_reading_large_answers_are_closed_and_held_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = large_answer_server(20 << 20).await;
    let mut config = quick_config(server);
    config.max_large_line_bytes = 200 << 20;
    let relay = TestRelay::start(config).await;
    let before = rss_mib();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let browser = relay.browser().await;
        tasks.push(tokio::spawn(async move {
            let (mut write, _read) = browser.split();
            let started = Instant::now();
            let _ = write.send(Message::text("GET_BLOCKCHAIN")).await;
            // Never reads; keeps sending a small request.
            while started.elapsed() < Duration::from_secs(30) {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let sent =
                    tokio::time::timeout(Duration::from_secs(1), write.send(Message::text("PING")))
                        .await;
                if !matches!(sent, Ok(Ok(()))) {
                    return Some(started.elapsed());
                }
            }
            None
        }));
    }
    let mut peak = before;
    let sampler = async {
        loop {
            peak = peak.max(rss_mib());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let mut closed = Vec::new();
    tokio::select! {
        () = sampler => {}
        () = async { for t in &mut tasks { closed.push(t.await.unwrap()); } } => {}
    }
    let longest = closed
        .iter()
        .map(|c| c.expect("a browser was never closed"))
        .max()
        .unwrap();
    println!(
        "10 browsers not reading a 20 MiB answer each: relay process RSS {before} -> peak {peak} MiB, all closed within {:.1} s",
        longest.as_secs_f64()
    );
    // The budget (200 MiB: three lines reserved at once) and what is on the sockets.
    assert!(peak < before + 260, "RSS {before} -> {peak} MiB");
    relay.stop().await;
}

/// Finding 11: messages that the relay refuses itself (a newline inside) are counted
/// with the requests in flight, and when the browser does not read them the relay
/// stops reading it instead of queueing them (35 MB of them once took 513 MiB, then
/// the browser was closed as "slow"). A browser that reads late gets every answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_messages_wait_for_the_browser_instead_of_queueing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = answering_server(|_| "PONG".into()).await;
    let relay = TestRelay::start(quick_config(server)).await;
    let before = rss_mib();
    let browser = relay.browser().await;
    let (mut write, mut read) = browser.split();
    // Past 16, each refusal pauses the browser's reading for 100 ms.
    const MESSAGES: usize = 60;
    let body = format!("{}\nx", "y".repeat(512 << 10));
    let sender = tokio::spawn(async move {
        for _ in 0..MESSAGES {
            if write.send(Message::text(body.clone())).await.is_err() {
                return false;
            }
        }
        true
    });
    // Read late, slowly at first: the relay waits for us.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let peak = rss_mib();
    let mut refused = 0;
    while refused < MESSAGES {
        match tokio::time::timeout(Duration::from_secs(10), read.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                assert!(t.starts_with("ERROR:bad_request:"), "{t}");
                refused += 1;
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("after {refused} answers: {other:?}"),
        }
    }
    assert!(sender.await.unwrap());
    println!(
        "{MESSAGES} refused messages of 512 KiB ({} MB), read late: all answered; relay process RSS {before} -> {peak} MiB",
        (MESSAGES * (512 << 10)) >> 20
    );
    assert!(peak < before + 64, "RSS {before} -> {peak} MiB");
    relay.stop().await;
}

/// Finding 12: the origin check does not trust `Host`. A DNS-rebinding page
/// (`evil.example` resolved to 127.0.0.1) sends `Origin` and `Host` that agree; only
/// the relay's own listen address and the configured origins pass.
#[tokio::test]
async fn a_rebound_host_does_not_make_its_origin_allowed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = answering_server(|_| "PONG".into()).await;
    let relay = TestRelay::start(quick_config(server)).await;
    let port = relay.addr.port();
    let mut request = format!("ws://{}/ws", relay.addr)
        .into_client_request()
        .unwrap();
    let evil = format!("evil.example:{port}");
    request.headers_mut().insert("host", evil.parse().unwrap());
    request
        .headers_mut()
        .insert("origin", format!("http://{evil}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    for origin in [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    ] {
        let mut request = format!("ws://{}/ws", relay.addr)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(request)
            .await
            .unwrap_or_else(|e| panic!("{origin}: {e}"));
    }
    relay.stop().await;
}

/// Finding 6 on the relay: one browser address gets at most its cap of WebSockets
/// (429 past it).
#[tokio::test]
async fn one_browser_address_cannot_take_every_websocket() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = answering_server(|_| "PONG".into()).await;
    let mut config = quick_config(server);
    config.max_connections_per_address = 3;
    let relay = TestRelay::start(config).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(relay.browser().await);
    }
    let request = format!("ws://{}/ws", relay.addr)
        .into_client_request()
        .unwrap();
    match tokio_tungstenite::connect_async(request).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!("expected 429, got {other:?}"),
    }
    relay.stop().await;
}

/// Finding 8: HTTP connections are capped per address, and silent ones are closed
/// after the header timeout (before: 19,990 silent sockets exhausted the relay's
/// file descriptors, idle ones lived past 330 s).
#[tokio::test]
async fn silent_http_connections_are_capped_and_timed_out() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = answering_server(|_| "PONG".into()).await;
    let mut config = quick_config(server);
    config.max_http_per_address = 5;
    let relay = TestRelay::start(config).await;
    let mut silent = Vec::new();
    for _ in 0..5 {
        silent.push(TcpStream::connect(relay.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Over the cap: refused at once.
    let mut sixth = TcpStream::connect(relay.addr).await.unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), sixth.read_to_end(&mut got)).await;
    assert!(
        String::from_utf8_lossy(&got).starts_with("HTTP/1.1 503"),
        "{got:?}"
    );
    // The silent ones are closed after the header timeout (1 s here).
    let started = Instant::now();
    for s in &mut silent {
        let mut buf = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
            .await
            .expect("a silent connection was kept open")
            .ok();
    }
    println!(
        "silent HTTP connections closed after {:.1} s (header timeout 1 s)",
        started.elapsed().as_secs_f64()
    );
    relay.stop().await;
}

/// Finding 8: static files are streamed, not read whole per request. 40 GETs of a
/// 5 MB file that are never read hold a few chunks each (before: 300 of them held
/// 1.44 GB), and each is closed by the write deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_downloads_hold_no_copy_of_the_file() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = answering_server(|_| "PONG".into()).await;
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("big.wasm"), vec![1u8; 5 << 20]).unwrap();
    let mut config = quick_config(server);
    config.web_root = root.path().to_path_buf();
    let relay = TestRelay::start(config).await;
    let before = rss_mib();
    let mut sockets = Vec::new();
    for _ in 0..40 {
        let mut s = TcpStream::connect(relay.addr).await.unwrap();
        s.write_all(b"GET /big.wasm HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        sockets.push(s);
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let peak = rss_mib();
    println!("40 unread GETs of a 5 MB file: relay process RSS {before} -> {peak} MiB");
    assert!(peak < before + 60, "RSS {before} -> {peak} MiB");
    // And one that reads gets the whole file.
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    s.write_all(b"GET /big.wasm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).await.unwrap();
    assert!(all.len() > 5 << 20);
    relay.stop().await;
}

/// Finding 15: pages carry a strict Content-Security-Policy (the wasm may be compiled,
/// connections only to the relay itself) and cannot be framed.
#[tokio::test]
async fn pages_carry_a_strict_csp_and_cannot_be_framed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = answering_server(|_| "PONG".into()).await;
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("index.html"),
        "<!doctype html><script type=module>import init from '/w.js'; init();</script>",
    )
    .unwrap();
    let mut config = quick_config(server);
    config.web_root = root.path().to_path_buf();
    let relay = TestRelay::start(config).await;
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    let csp = head
        .lines()
        .find_map(|l| l.strip_prefix("content-security-policy: "))
        .expect("a CSP header")
        .to_string();
    println!("CSP: {csp}");
    assert!(csp.contains("default-src 'none'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert!(
        csp.contains("worker-src 'self';"),
        "the mining worker: {csp}"
    );
    assert!(
        csp.contains("'sha256-"),
        "the inline loader is allowed by its hash"
    );
    assert!(csp.contains(&format!("ws://127.0.0.1:{}", relay.addr.port())));
    assert!(!csp.contains("unsafe-inline"));
    assert!(head.contains("x-frame-options: deny"));
    relay.stop().await;
}

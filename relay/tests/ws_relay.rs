//! The WebSocket relay (PROTOCOL §8) over real sockets: a relay on port 0 in front of a
//! scripted fake line server (and, once, the real server), driven by a tokio-tungstenite
//! client as a browser would.

use futures::{SinkExt, StreamExt};
use simplechain_relay::RelayConfig;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_util::sync::CancellationToken;

mod common;

use common::{Browser, TestRelay, WAIT};

/// A line server that hands each accepted connection to the test.
struct FakeServer {
    addr: SocketAddr,
    accepted: mpsc::Receiver<FakeConn>,
}

/// One connection the relay opened to the fake server.
struct FakeConn {
    /// Lines the relay forwarded, in order; closed at EOF.
    lines: mpsc::Receiver<String>,
    write: OwnedWriteHalf,
}

impl FakeServer {
    async fn start() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, accepted) = mpsc::channel(16);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (read, write) = socket.into_split();
                let (line_tx, lines) = mpsc::channel(1024);
                tokio::spawn(async move {
                    let mut read = BufReader::new(read).lines();
                    while let Ok(Some(line)) = read.next_line().await {
                        if line_tx.send(line).await.is_err() {
                            break;
                        }
                    }
                });
                if tx.send(FakeConn { lines, write }).await.is_err() {
                    break;
                }
            }
        });
        FakeServer { addr, accepted }
    }

    async fn accept(&mut self) -> FakeConn {
        tokio::time::timeout(WAIT, self.accepted.recv())
            .await
            .expect("the relay did not connect to the server")
            .unwrap()
    }
}

impl FakeConn {
    async fn line(&mut self) -> Option<String> {
        tokio::time::timeout(WAIT, self.lines.recv())
            .await
            .expect("no line from the relay in time")
    }

    async fn send(&mut self, bytes: &str) {
        self.write.write_all(bytes.as_bytes()).await.unwrap();
    }
}

/// A relay in front of `server`, with the default limits.
async fn relay_to(server: &FakeServer) -> TestRelay {
    TestRelay::start(RelayConfig::new(server.addr.to_string(), "/nonexistent")).await
}

/// The next message that is not a ping or pong.
async fn next(ws: &mut Browser) -> Option<Message> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no message from the relay in time")
        {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return Some(message),
            Some(Err(_)) | None => return None,
        }
    }
}

async fn text(ws: &mut Browser) -> String {
    match next(ws).await {
        Some(Message::Text(t)) => t.to_string(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

/// Reads until the close frame and returns its code; `None` if the socket ended
/// without one.
async fn close_code(ws: &mut Browser) -> Option<u16> {
    loop {
        match next(ws).await {
            Some(Message::Close(frame)) => return frame.map(|f: CloseFrame| f.code.into()),
            Some(_) => continue,
            None => return None,
        }
    }
}

async fn send(ws: &mut Browser, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

#[tokio::test]
async fn text_messages_and_lines_map_one_to_one() {
    let mut server = FakeServer::start().await;
    let relay = relay_to(&server).await;
    let mut browser = relay.browser().await;
    let mut conn = server.accept().await;

    send(&mut browser, "PING").await;
    send(&mut browser, "GET_ACCOUNT:ab").await;
    assert_eq!(conn.line().await.as_deref(), Some("PING"));
    assert_eq!(conn.line().await.as_deref(), Some("GET_ACCOUNT:ab"));

    // Two lines in one TCP write, one with \r\n: two messages, without line ends.
    conn.send("PONG\r\nERROR:bad_request:nope\n").await;
    assert_eq!(text(&mut browser).await, "PONG");
    assert_eq!(text(&mut browser).await, "ERROR:bad_request:nope");

    // A line split over two TCP writes is still one message.
    conn.send("INFO:{\"a\":").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    conn.send("1}\n").await;
    assert_eq!(text(&mut browser).await, "INFO:{\"a\":1}");
    relay.stop().await;
}

#[tokio::test]
async fn events_are_pushed_through_at_any_time() {
    let mut server = FakeServer::start().await;
    let relay = relay_to(&server).await;
    let mut browser = relay.browser().await;
    let mut conn = server.accept().await;
    let hash = "ab".repeat(32);
    conn.send(&format!("EVENT:TIP:7:{hash}\n")).await;
    assert_eq!(text(&mut browser).await, format!("EVENT:TIP:7:{hash}"));
    // An event between a request and its response does not count as the response.
    send(&mut browser, "GET_INFO").await;
    send(&mut browser, "bad\nline").await;
    assert_eq!(conn.line().await.as_deref(), Some("GET_INFO"));
    conn.send(&format!("EVENT:TIP:8:{hash}\nINFO:{{}}\n")).await;
    assert_eq!(text(&mut browser).await, format!("EVENT:TIP:8:{hash}"));
    assert_eq!(text(&mut browser).await, "INFO:{}");
    assert!(text(&mut browser).await.starts_with("ERROR:bad_request:"));
    relay.stop().await;
}

#[tokio::test]
async fn a_message_with_a_newline_is_refused_in_its_turn_and_not_forwarded() {
    let mut server = FakeServer::start().await;
    let relay = relay_to(&server).await;
    let mut browser = relay.browser().await;
    let mut conn = server.accept().await;

    send(&mut browser, "PING\nPING").await;
    let answer = text(&mut browser).await;
    assert!(answer.starts_with("ERROR:bad_request:"), "{answer}");

    // Pipelined: the refusal waits for the response to the request before it.
    send(&mut browser, "GET_INFO").await;
    send(&mut browser, "GET_INFO\n").await;
    send(&mut browser, "PING").await;
    assert_eq!(conn.line().await.as_deref(), Some("GET_INFO"));
    assert_eq!(conn.line().await.as_deref(), Some("PING"));
    conn.send("INFO:{}\n").await;
    assert_eq!(text(&mut browser).await, "INFO:{}");
    assert!(text(&mut browser).await.starts_with("ERROR:bad_request:"));
    conn.send("PONG\n").await;
    assert_eq!(text(&mut browser).await, "PONG");
    relay.stop().await;
}

#[tokio::test]
async fn a_binary_message_closes_with_1003() {
    let mut server = FakeServer::start().await;
    let relay = relay_to(&server).await;
    let mut browser = relay.browser().await;
    let mut conn = server.accept().await;
    browser
        .send(Message::binary(b"PING".to_vec()))
        .await
        .unwrap();
    assert_eq!(close_code(&mut browser).await, Some(1003));
    assert_eq!(conn.line().await, None, "nothing forwarded, TCP closed");
    relay.stop().await;
}

#[tokio::test]
async fn a_foreign_origin_gets_403() {
    let server = FakeServer::start().await;
    let mut config = RelayConfig::new(server.addr.to_string(), "/nonexistent");
    config.allowed_origins = vec!["https://wallet.example".into()];
    let relay = TestRelay::start(config).await;
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        match relay.browser_from(Some(origin)).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 403, "{origin}")
            }
            other => panic!("{origin}: expected 403, got {other:?}"),
        }
    }
    relay.browser().await;
    relay
        .browser_from(Some("https://wallet.example"))
        .await
        .expect("allow-listed origin");
    relay
        .browser_from(None)
        .await
        .expect("no origin: a program");
    relay.stop().await;
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_with_1009() {
    let mut server = FakeServer::start().await;
    let mut config = RelayConfig::new(server.addr.to_string(), "/nonexistent");
    config.max_message_bytes = 4096;
    let relay = TestRelay::start(config).await;
    let mut browser = relay.browser().await;
    let mut conn = server.accept().await;
    let at_limit = "x".repeat(4096);
    send(&mut browser, &at_limit).await;
    assert_eq!(conn.line().await.as_deref(), Some(at_limit.as_str()));
    send(&mut browser, &"y".repeat(4097)).await;
    assert_eq!(close_code(&mut browser).await, Some(1009));
    assert_eq!(conn.line().await, None);
    relay.stop().await;
}

#[tokio::test]
async fn the_default_size_limit_is_one_mib() {
    assert_eq!(RelayConfig::default().max_message_bytes, 1 << 20);
    assert_eq!(RelayConfig::default().max_connections, 1024);
}

#[tokio::test]
async fn the_server_going_away_closes_the_browser_socket() {
    let mut server = FakeServer::start().await;
    let relay = relay_to(&server).await;
    let mut browser = relay.browser().await;
    let conn = server.accept().await;
    let mut write = conn.write;
    // The server's last words still arrive, then the close.
    write
        .write_all(b"ERROR:too_long:line too long\n")
        .await
        .unwrap();
    drop(write);
    drop(conn.lines);
    assert_eq!(text(&mut browser).await, "ERROR:too_long:line too long");
    assert_eq!(close_code(&mut browser).await, Some(1001));
    relay.stop().await;
}

/// What a browser gets when the server writes `chunks` (the relay may hang up before
/// all are written): the text messages, then the close code.
async fn after_server_writes(chunks: Vec<Arc<[u8]>>) -> (Vec<String>, Option<u16>) {
    let mut server = FakeServer::start().await;
    let relay = relay_to(&server).await;
    let mut browser = relay.browser().await;
    let mut write = server.accept().await.write;
    let writer = tokio::spawn(async move {
        for chunk in chunks {
            if write.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let mut texts = Vec::new();
    let code = loop {
        match next(&mut browser).await {
            Some(Message::Text(t)) => texts.push(t.to_string()),
            Some(Message::Close(frame)) => break frame.map(|f| f.code.into()),
            Some(other) => panic!("unexpected {other:?}"),
            None => break None,
        }
    };
    writer.await.unwrap();
    relay.stop().await;
    (texts, code)
}

#[tokio::test]
async fn a_server_line_that_is_not_utf8_closes_with_1011() {
    // The lines before the broken one still arrive, then the close.
    let (texts, code) = after_server_writes(vec![Arc::from(&b"PONG\n\xff\xfe\nPONG\n"[..])]).await;
    assert_eq!(texts, ["PONG"]);
    assert_eq!(code, Some(1011));
}

#[tokio::test]
async fn a_server_line_over_the_limit_closes_with_1011() {
    let limit = simplechain_core::protocol::MAX_SERVER_LINE;
    // One MiB, written again and again (the clones share it).
    let endless = vec![Arc::from(vec![b'x'; 1 << 20]); limit / (1 << 20) + 1];
    let (texts, code) = after_server_writes(endless).await;
    assert!(texts.is_empty());
    assert_eq!(code, Some(1011));
}

#[tokio::test]
async fn an_unreachable_server_refuses_the_upgrade() {
    let unused = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = unused.local_addr().unwrap();
    drop(unused);
    let relay = TestRelay::start(RelayConfig::new(addr.to_string(), "/nonexistent")).await;
    match relay.browser_from(None).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 502),
        other => panic!("expected 502, got {other:?}"),
    }
    relay.stop().await;
}

#[tokio::test]
async fn the_browser_going_away_closes_the_server_connection() {
    let mut server = FakeServer::start().await;
    let relay = relay_to(&server).await;

    // A clean close.
    let mut browser = relay.browser().await;
    let mut conn = server.accept().await;
    send(&mut browser, "PING").await;
    assert_eq!(conn.line().await.as_deref(), Some("PING"));
    browser.close(None).await.unwrap();
    assert_eq!(conn.line().await, None);

    // A vanished browser (TCP dropped without a close frame).
    let browser = relay.browser().await;
    let mut conn = server.accept().await;
    drop(browser);
    assert_eq!(conn.line().await, None);
    relay.stop().await;
}

#[tokio::test]
async fn the_connection_cap_refuses_with_503_and_frees_slots() {
    let mut server = FakeServer::start().await;
    let mut config = RelayConfig::new(server.addr.to_string(), "/nonexistent");
    config.max_connections = 2;
    let relay = TestRelay::start(config).await;
    let first = relay.browser().await;
    let mut first_conn = server.accept().await;
    let _second = relay.browser().await;
    match relay.browser_from(None).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected 503, got {other:?}"),
    }
    drop(first);
    assert_eq!(first_conn.line().await, None);
    // The slot is released once the bridge has finished.
    let mut third = None;
    for _ in 0..50 {
        if let Ok(ws) = relay.browser_from(None).await {
            third = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(third.is_some(), "a freed slot can be used again");
    relay.stop().await;
}

#[tokio::test]
async fn a_browser_that_stops_reading_is_closed_not_buffered() {
    let mut server = FakeServer::start().await;
    let mut config = RelayConfig::new(server.addr.to_string(), "/nonexistent");
    config.write_timeout = Duration::from_secs(2);
    let relay = TestRelay::start(config).await;
    let browser = relay.browser().await;
    let conn = server.accept().await;
    let mut write = conn.write;
    // The browser never reads. The server writes until the relay hangs up on it; with
    // bounded buffers that happens long before 512 MiB.
    let line = format!("{}\n", "e".repeat(64 * 1024 - 1));
    let mut written = 0usize;
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        while written < 512 << 20 {
            if write.write_all(line.as_bytes()).await.is_err() {
                return true;
            }
            written += line.len();
        }
        false
    })
    .await;
    assert_eq!(
        result,
        Ok(true),
        "the relay kept accepting data for a browser that does not read ({written} bytes)"
    );
    assert!(
        written < 256 << 20,
        "{written} bytes buffered before closing"
    );
    drop(browser);
    relay.stop().await;
}

#[tokio::test]
async fn shutdown_closes_every_websocket_with_1001() {
    let mut server = FakeServer::start().await;
    let relay = relay_to(&server).await;
    let mut browser = relay.browser().await;
    let mut conn = server.accept().await;
    relay.shutdown.cancel();
    assert_eq!(close_code(&mut browser).await, Some(1001));
    assert_eq!(conn.line().await, None);
    tokio::time::timeout(WAIT, relay.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// A plain HTTP/1.1 GET; returns the status, the headers (lowercase names) and the body.
async fn http_get(addr: SocketAddr, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, socket.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status.parse().unwrap(), headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn write_file(root: &Path, name: &str, contents: &[u8]) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

#[tokio::test]
async fn static_files_are_served_with_their_content_types() {
    let server = FakeServer::start().await;
    let root = tempfile::tempdir().unwrap();
    write_file(
        root.path(),
        "index.html",
        b"<!doctype html><title>w</title>",
    );
    write_file(root.path(), "wallet-1a2b_bg.wasm", b"\0asm\x01\0\0\0");
    write_file(root.path(), "wallet-1a2b.js", b"export default 1;");
    write_file(root.path(), "style.css", b"body{}");
    write_file(root.path(), "img/logo.png", b"\x89PNG");
    let relay = TestRelay::start(RelayConfig::new(server.addr.to_string(), root.path())).await;

    for (path, content_type, body) in [
        (
            "/",
            "text/html; charset=utf-8",
            &b"<!doctype html><title>w</title>"[..],
        ),
        (
            "/index.html",
            "text/html; charset=utf-8",
            b"<!doctype html><title>w</title>",
        ),
        (
            "/wallet-1a2b_bg.wasm",
            "application/wasm",
            b"\0asm\x01\0\0\0",
        ),
        (
            "/wallet-1a2b.js",
            "text/javascript; charset=utf-8",
            b"export default 1;",
        ),
        ("/style.css", "text/css; charset=utf-8", b"body{}"),
        ("/img/logo.png", "image/png", b"\x89PNG"),
    ] {
        let (status, headers, got) = http_get(relay.addr, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            header(&headers, "content-type"),
            Some(content_type),
            "{path}"
        );
        assert_eq!(got, body, "{path}");
    }
    for missing in [
        "/nope.js",
        "/../Cargo.toml",
        "/.hidden",
        "/img/../../etc/passwd",
    ] {
        let (status, _, _) = http_get(relay.addr, missing).await;
        assert_eq!(status, 404, "{missing}");
    }
    // `/ws` without an upgrade is not a file.
    let (status, _, _) = http_get(relay.addr, "/ws").await;
    assert_ne!(status, 200);
    relay.stop().await;
}

/// A real central server in this process, on a new chain whose supply belongs to
/// `rich` (difficulty 4, so that blocks come quickly).
async fn real_server(
    dir: &Path,
    rich: &ed25519_dalek::SigningKey,
) -> (
    SocketAddr,
    simplechain_core::ChainId,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let mut config = simplechain_server::ServerConfig::new(dir);
    config.new_chain.difficulty = Some(4);
    config.new_chain.genesis_address = Some(simplechain_core::transaction::address_of(rich));
    let server = simplechain_server::Server::open(config).unwrap();
    let chain_id = server.chain_id();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { server.run(listener, shutdown).await.unwrap() }
    });
    (addr, chain_id, shutdown, task)
}

// The server's miner and storage need a multi-threaded runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_server_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let rich = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let (server_addr, chain_id, server_shutdown, server_task) =
        real_server(dir.path(), &rich).await;
    let relay = TestRelay::start(RelayConfig::new(server_addr.to_string(), "/nonexistent")).await;
    let mut browser = relay.browser().await;
    send(&mut browser, "PING").await;
    send(&mut browser, "GET_INFO").await;
    send(&mut browser, "SUBSCRIBE").await;
    assert_eq!(text(&mut browser).await, "PONG");
    assert!(text(&mut browser).await.starts_with("INFO:{"));
    assert_eq!(text(&mut browser).await, "SUCCESS");
    let to = simplechain_core::Address::from_bytes([2; 32]);
    let tx = simplechain_core::Transaction::sign(&rich, &chain_id, to, 5, 0);
    send(
        &mut browser,
        &simplechain_core::protocol::Request::AddTransaction(tx).encode(),
    )
    .await;
    // SUCCESS, then the block that confirms it arrives as an event.
    let mut got_success = false;
    let mut got_event = false;
    while !(got_success && got_event) {
        let message = text(&mut browser).await;
        if message == "SUCCESS" {
            got_success = true;
        } else if message.starts_with("EVENT:TIP:") {
            got_event = true;
        } else {
            panic!("unexpected {message}");
        }
    }
    relay.stop().await;
    server_shutdown.cancel();
    server_task.await.unwrap();
}

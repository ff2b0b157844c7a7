//! The limits of PROTOCOL §1 and the connection cap, over real sockets: oversized lines,
//! the larger `SYNC_BLOCKCHAIN` limit, the idle timeout (also against a client that
//! drips a line that never ends), the connection cap, and lines that are not requests.

mod common;

use common::{TestServer, error_code, test_config};
use simplechain_core::protocol::ChainJson;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

const MIB: usize = 1 << 20;

/// A connection that tolerates the server going away at any moment.
struct Raw {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Raw {
    async fn connect(server: &TestServer) -> Raw {
        let (read, writer) = TcpStream::connect(server.addr).await.unwrap().into_split();
        Raw {
            reader: BufReader::new(read),
            writer,
        }
    }

    /// Whether the bytes could be written.
    async fn write(&mut self, bytes: &[u8]) -> bool {
        self.writer.write_all(bytes).await.is_ok()
    }

    /// `Some(line)`, `Ok(None)` at EOF or reset, `Err` if nothing came within `within`.
    async fn line(&mut self, within: Duration) -> Result<Option<String>, ()> {
        let mut line = String::new();
        match tokio::time::timeout(within, self.reader.read_line(&mut line)).await {
            Ok(Ok(n)) if n > 0 => Ok(Some(line.trim_end_matches('\n').to_string())),
            Ok(_) => Ok(None),
            Err(_) => Err(()),
        }
    }

    async fn ask(&mut self, line: &str) -> Option<String> {
        if !self.write(format!("{line}\n").as_bytes()).await {
            return None;
        }
        self.line(Duration::from_secs(20))
            .await
            .expect("no answer within 20 s")
    }
}

/// Reads one line from a raw stream; `None` at EOF or on a reset.
async fn read_raw_line(reader: &mut BufReader<TcpStream>, within: Duration) -> Option<String> {
    let mut line = String::new();
    match tokio::time::timeout(within, reader.read_line(&mut line)).await {
        Ok(Ok(n)) if n > 0 => Some(line.trim_end_matches('\n').to_string()),
        Ok(_) => None,
        Err(_) => panic!("no line and no close within {within:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_line_is_refused_and_only_that_connection_closed() {
    let server = TestServer::start().await;
    let mut bystander = server.connect().await;
    assert_eq!(bystander.ask("PING").await, "PONG");

    // One byte over the limit, no newline: the server answers as soon as it has read
    // past the limit (and has read everything sent, so it closes cleanly).
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut big = BufReader::new(stream);
    let line = vec![b'A'; MIB + 1];
    big.get_mut().write_all(&line).await.unwrap();
    let reply = read_raw_line(&mut big, Duration::from_secs(20))
        .await
        .expect("an answer before the close");
    assert_eq!(error_code(&reply), "too_long", "{reply}");
    assert_eq!(
        read_raw_line(&mut big, Duration::from_secs(20)).await,
        None,
        "the connection must be closed after too_long"
    );

    // A line of exactly the limit is still a line (an unknown command).
    let mut at_limit = server.connect().await;
    let mut exact = "X".repeat(MIB);
    exact.push('\n');
    at_limit.send_raw(exact.as_bytes()).await;
    let reply = at_limit.read_line().await.unwrap();
    assert_eq!(error_code(&reply), "unknown_command");
    assert!(reply.len() < 1000, "the answer must not echo the line");
    assert_eq!(at_limit.ask("PING").await, "PONG");

    // Everyone else is unaffected.
    assert_eq!(bystander.ask("PING").await, "PONG");
    let mut fresh = server.connect().await;
    assert_eq!(fresh.ask("PING").await, "PONG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_line_over_1_mib_is_still_a_line() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let chain: ChainJson = serde_json::from_str(&c.ask("GET_BLOCKCHAIN").await).unwrap();
    let json = serde_json::to_string(&chain).unwrap();
    // The server's own chain, padded with JSON whitespace to 1.5 MiB.
    let padding = " ".repeat(MIB + MIB / 2);
    let line = format!("SYNC_BLOCKCHAIN:{}{padding}{}", &json[..1], &json[1..]);
    assert!(line.len() > MIB + MIB / 2);
    assert_eq!(c.ask(&line).await, "SUCCESS");
    // A big payload that is a chain of nothing is answered as such, not as too_long.
    let empty = format!("SYNC_BLOCKCHAIN:{{\"blocks\":[{padding}]}}");
    assert_eq!(error_code(&c.ask(&empty).await), "invalid_chain");
    assert_eq!(c.ask("PING").await, "PONG");
    // Any other command of that size is too long.
    let other = format!("GET_INFO:{padding}");
    c.send(&other).await;
    assert_eq!(error_code(&c.read_line().await.unwrap()), "too_long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_line_over_the_sync_limit_is_too_long() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.limits.max_line_bytes = 1024;
    config.limits.max_sync_bytes = 64 * 1024;
    let server = TestServer::start_with(config).await;
    let mut c = server.connect().await;
    let padding = " ".repeat(32 * 1024);
    let ok = format!("SYNC_BLOCKCHAIN:{{\"blocks\":[{padding}]}}");
    assert_eq!(error_code(&c.ask(&ok).await), "invalid_chain");
    assert_eq!(
        error_code(&c.ask(&format!("PING:{}", "x".repeat(2000))).await),
        "too_long"
    );
    assert!(c.is_closed_within(Duration::from_secs(20)).await);

    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut big = BufReader::new(stream);
    let mut line = b"SYNC_BLOCKCHAIN:".to_vec();
    line.resize(64 * 1024 + 1, b' ');
    big.get_mut().write_all(&line).await.unwrap();
    let reply = read_raw_line(&mut big, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(error_code(&reply), "too_long", "{reply}");
    assert_eq!(read_raw_line(&mut big, Duration::from_secs(20)).await, None);
    let mut other = server.connect().await;
    assert_eq!(other.ask("PING").await, "PONG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_drip_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.limits.idle_timeout = Duration::from_secs(1);
    let server = TestServer::start_with(config).await;

    let mut idle = server.connect().await;
    assert_eq!(idle.ask("PING").await, "PONG");
    let quiet_since = Instant::now();

    // A client that drips a line it never finishes.
    let mut drip = Raw::connect(&server).await;
    assert!(drip.write(b"PI").await);
    let drip_started = Instant::now();

    // A client that keeps asking stays connected well past the timeout.
    let mut busy = server.connect().await;
    let mut drip_closed = None;
    let mut idle_closed = None;
    let mut drip_bytes = 0;
    while drip_started.elapsed() < Duration::from_secs(10)
        && (drip_closed.is_none() || idle_closed.is_none())
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(busy.ask("PING").await, "PONG");
        if drip_closed.is_none() {
            // Writes may fail once the server is gone; that is what we wait for.
            if drip.write(b"N").await {
                drip_bytes += 1;
            }
            match drip.line(Duration::from_millis(10)).await {
                Ok(None) => drip_closed = Some(drip_started.elapsed()),
                Ok(Some(line)) => panic!("the dripping client got {line:?}"),
                Err(()) => {}
            }
        }
        if idle_closed.is_none() && idle.is_closed_within(Duration::from_millis(10)).await {
            idle_closed = Some(quiet_since.elapsed());
        }
    }
    let idle_closed = idle_closed.expect("the idle connection was not closed within 10 s");
    let drip_closed = drip_closed.expect("the dripping connection was not closed within 10 s");
    assert!(idle_closed >= Duration::from_millis(900), "{idle_closed:?}");
    assert!(drip_closed >= Duration::from_millis(900), "{drip_closed:?}");
    assert!(drip_bytes >= 3, "the drip sent {drip_bytes} bytes");
    // The busy one, asking every 200 ms, lives on well past the timeout.
    while drip_started.elapsed() < Duration::from_millis(2500) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(busy.ask("PING").await, "PONG");
    }
}

/// Connects and reports whether the server serves the connection (`PONG`) or refuses
/// it (the line it sent, `busy`, before closing).
async fn try_connection(server: &TestServer) -> Result<Raw, String> {
    let mut c = Raw::connect(server).await;
    // A refused connection is answered without asking; a served one stays silent.
    match c.line(Duration::from_millis(500)).await {
        Ok(Some(line)) => return Err(line),
        Ok(None) => return Err("closed without a word".into()),
        Err(()) => {}
    }
    match c.ask("PING").await {
        Some(line) if line == "PONG" => Ok(c),
        Some(line) => Err(line),
        None => Err("closed without a word".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_refuses_with_busy_until_one_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.limits.max_connections = 3;
    let server = TestServer::start_with(config).await;

    let mut served = Vec::new();
    for _ in 0..3 {
        served.push(try_connection(&server).await.expect("under the cap"));
    }
    // The fourth is refused, told why, and closed.
    let mut fourth = Raw::connect(&server).await;
    let refusal = fourth.line(Duration::from_secs(20)).await.unwrap();
    let refusal = refusal.expect("a busy line");
    assert_eq!(error_code(&refusal), "busy", "{refusal}");
    assert_eq!(fourth.line(Duration::from_secs(20)).await, Ok(None));
    // The refusal cost none of the three their place.
    for c in &mut served {
        assert_eq!(c.ask("PING").await.as_deref(), Some("PONG"));
    }
    let again = try_connection(&server)
        .await
        .err()
        .expect("still at the cap");
    assert_eq!(error_code(&again), "busy", "{again}");

    // One leaves; soon after, a new one is served (and the cap still holds).
    drop(served.pop());
    let mut newcomer = None;
    for _ in 0..100 {
        match try_connection(&server).await {
            Ok(c) => {
                newcomer = Some(c);
                break;
            }
            Err(line) => assert_eq!(error_code(&line), "busy", "{line}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut newcomer = newcomer.expect("no connection was served after one left");
    let info = newcomer.ask("GET_INFO").await.unwrap();
    assert!(info.starts_with("INFO:"), "{info}");
    let over = try_connection(&server)
        .await
        .err()
        .expect("at the cap again");
    assert_eq!(error_code(&over), "busy", "{over}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_utf8_and_empty_lines_are_bad_requests_and_the_connection_stays_usable() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let info = c.ask("GET_INFO").await;
    for raw in [
        &b"\xff\xfe\n"[..],
        b"PING\xc3\n",
        b"GET_ACCOUNT:\xe2\x82\n",
        b"\n",
        b"\r\n",
    ] {
        c.send_raw(raw).await;
        let reply = c.read_line().await.expect("an answer, not a close");
        assert_eq!(error_code(&reply), "bad_request", "{raw:?}: {reply}");
        assert_eq!(c.ask("PING").await, "PONG", "after {raw:?}");
    }
    // Pipelined with good lines, each gets its own answer, in order.
    c.send_raw(b"PING\n\xff\nPING\n\nPING\r\n").await;
    let answers = [
        c.read_line().await.unwrap(),
        c.read_line().await.unwrap(),
        c.read_line().await.unwrap(),
        c.read_line().await.unwrap(),
        c.read_line().await.unwrap(),
    ];
    assert_eq!(answers[0], "PONG");
    assert_eq!(error_code(&answers[1]), "bad_request");
    assert_eq!(answers[2], "PONG");
    assert_eq!(error_code(&answers[3]), "bad_request");
    assert_eq!(answers[4], "PONG");
    assert_eq!(c.ask("GET_INFO").await, info);
}

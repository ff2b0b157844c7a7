//! The WebSocket relay (PROTOCOL §8): one HTTP port that serves the wallet's static
//! files and, on `GET /ws`, bridges each WebSocket onto its own TCP connection to the
//! central server.
//!
//! - [`origin`]: which pages may connect;
//! - [`upgrade`]: the checks before a WebSocket is accepted;
//! - [`bridge`]: one WebSocket ↔ one TCP connection, text message ↔ line;
//! - [`reply_order`] and [`outbox`]: answer order and backpressure inside a bridge;
//! - [`static_files`]: everything that is not `/ws`;
//! - [`RelayError`]: why [`run`] failed;
//! - `deadline` and `admission`: every write has a deadline, every client address a
//!   cap on its connections.
//!
//! The relay never logs message contents at the default level: a line may carry a
//! signature or an address, and it is not the relay's business.

mod admission;
pub mod bridge;
mod deadline;
mod error;
pub mod origin;
pub mod outbox;
pub mod reply_order;
pub mod static_files;
mod upgrade;

pub use error::RelayError;

use admission::PerAddress;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{Method, Uri};
use axum::response::Response;
use axum::routing::get;
use deadline::Deadline;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The central server's TCP address; every WebSocket gets its own connection to it,
    /// and clients cannot choose another.
    pub server: String,
    /// The directory whose files are served on every path but `/ws` (the built wallet).
    pub web_root: PathBuf,
    /// Origins besides the relay's own (its listen address) that may open a WebSocket,
    /// as `scheme://host[:port]`. Never taken from a request's `Host`.
    pub allowed_origins: Vec<String>,
    /// The largest message a browser may send (bigger ones close the socket with 1009).
    pub max_message_bytes: usize,
    /// How many WebSockets may be open at once (more get 503).
    pub max_connections: usize,
    /// How many WebSockets one browser address may have open at once (more get 429).
    pub max_connections_per_address: usize,
    /// How many HTTP connections (page loads, handshakes) may be open at once, and
    /// from one address; more are closed at once.
    pub max_http_connections: usize,
    pub max_http_per_address: usize,
    /// How long a client may take to send a request's headers, and how long an HTTP
    /// connection may wait idle for its next request.
    pub header_timeout: Duration,
    /// How long any write to a client (a file, a WebSocket message, a pong) may wait
    /// for it to take data before the connection is closed.
    pub write_timeout: Duration,
    /// Bytes that large server lines (over 1 MiB, such as a whole chain) may hold in
    /// the relay at once, over all WebSockets.
    pub max_large_line_bytes: usize,
    /// The address the relay's connections to the server come from (the server may
    /// trust it as the relay's); `None` lets the system choose.
    pub source_address: Option<IpAddr>,
}

impl RelayConfig {
    /// A relay to `server` serving `web_root`, with the default limits.
    pub fn new(server: impl Into<String>, web_root: impl Into<PathBuf>) -> Self {
        RelayConfig {
            server: server.into(),
            web_root: web_root.into(),
            ..RelayConfig::default()
        }
    }
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            server: "127.0.0.1:7700".into(),
            web_root: PathBuf::from("dist"),
            allowed_origins: Vec::new(),
            max_message_bytes: 1 << 20,
            max_connections: 1024,
            max_connections_per_address: 32,
            max_http_connections: 1024,
            max_http_per_address: 64,
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(20),
            max_large_line_bytes: 256 << 20,
            source_address: None,
        }
    }
}

/// What every request handler of the relay shares.
#[derive(Debug)]
struct Relay {
    config: RelayConfig,
    /// The origins that may open a WebSocket.
    origins: origin::Origins,
    /// The WebSocket URLs of those origins, for the page's `connect-src`.
    connect: Vec<String>,
    /// One permit per open WebSocket.
    connections: Arc<Semaphore>,
    /// Open WebSockets per browser address.
    websockets_per_address: Arc<PerAddress>,
    /// The relay-wide budget for large server lines.
    large_lines: bridge::Budget,
    /// Every bridge task, so that shutdown can wait for them.
    tracker: TaskTracker,
    /// Cancelled when the relay stops; every bridge closes its sockets then.
    shutdown: CancellationToken,
}

/// Serves `listener` until `shutdown` is cancelled, then closes every WebSocket and
/// returns once all of them are gone.
pub async fn run(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: CancellationToken,
) -> Result<(), RelayError> {
    let address = listener.local_addr().map_err(RelayError::LocalAddr)?;
    let bridges = shutdown.child_token();
    let origins = origin::Origins::new(address, &config.allowed_origins);
    let connect = origins
        .list()
        .iter()
        .filter_map(|o| {
            (o.strip_prefix("http://").map(|a| format!("ws://{a}")))
                .or_else(|| o.strip_prefix("https://").map(|a| format!("wss://{a}")))
        })
        .collect();
    let relay = Arc::new(Relay {
        connections: Arc::new(Semaphore::new(config.max_connections)),
        websockets_per_address: PerAddress::new(config.max_connections_per_address),
        large_lines: bridge::Budget::new(config.max_large_line_bytes),
        origins,
        connect,
        config,
        tracker: TaskTracker::new(),
        shutdown: bridges.clone(),
    });
    tracing::info!(
        %address,
        server = %relay.config.server,
        web_root = %relay.config.web_root.display(),
        origins = ?relay.origins.list(),
        "relay listening"
    );
    let app = Router::new()
        .route("/ws", get(upgrade::upgrade))
        .fallback(static_file)
        .with_state(relay.clone());
    let http = Arc::new(Semaphore::new(relay.config.max_http_connections));
    let http_per_address = PerAddress::new(relay.config.max_http_per_address);
    let connections = TaskTracker::new();
    loop {
        let (socket, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = http.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "http connection refused: connection limit reached");
            refuse(socket);
            continue;
        };
        let Some(slot) = http_per_address.try_take(peer.ip()) else {
            tracing::debug!(%peer, "http connection refused: too many from this address");
            refuse(socket);
            continue;
        };
        let (app, config, shutdown) = (app.clone(), relay.config.clone(), shutdown.clone());
        connections.spawn(async move {
            serve_http(socket, peer, app, &config, shutdown).await;
            drop((permit, slot));
        });
    }
    drop(listener);
    connections.close();
    let _ = tokio::time::timeout(Duration::from_secs(5), connections.wait()).await;
    bridges.cancel();
    relay.tracker.close();
    relay.tracker.wait().await;
    tracing::info!("relay stopped");
    Ok(())
}

/// Closes a connection over a cap with a short 503, without waiting for the client.
fn refuse(socket: TcpStream) {
    let _ = socket.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    );
}

/// One HTTP connection: headers within `header_timeout` (also the wait for the next
/// request), every write within `write_timeout`, WebSocket upgrades handed on.
async fn serve_http(
    socket: TcpStream,
    peer: SocketAddr,
    app: Router,
    config: &RelayConfig,
    shutdown: CancellationToken,
) {
    let _ = socket.set_nodelay(true);
    let io = TokioIo::new(Deadline::new(socket, config.write_timeout));
    let service = hyper::service::service_fn(
        move |mut request: axum::extract::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request.map(axum::body::Body::new))
        },
    );
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_buf_size(64 << 10)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(connection);
    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            match tokio::time::timeout(Duration::from_secs(3), connection.as_mut()).await {
                Ok(served) => served,
                Err(_) => return,
            }
        }
    };
    if let Err(e) = served {
        tracing::debug!(%peer, error = %e, "http connection ended");
    }
}

async fn static_file(State(relay): State<Arc<Relay>>, method: Method, uri: Uri) -> Response {
    static_files::serve(&relay.config.web_root, &method, &uri, &relay.connect).await
}

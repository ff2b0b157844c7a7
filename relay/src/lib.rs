//! The WebSocket relay (PROTOCOL §8): one HTTP port that serves the wallet's static
//! files and, on `GET /ws`, bridges each WebSocket onto its own TCP connection to the
//! central server.
//!
//! - [`origin`]: which pages may connect;
//! - [`upgrade`]: the checks before a WebSocket is accepted;
//! - [`bridge`]: one WebSocket ↔ one TCP connection, text message ↔ line;
//! - [`reply_order`] and [`outbox`]: answer order and backpressure inside a bridge;
//! - [`static_files`]: everything that is not `/ws`;
//! - [`RelayError`]: why [`run`] failed.
//!
//! The relay never logs message contents at the default level: a line may carry a
//! signature or an address, and it is not the relay's business.

pub mod bridge;
mod error;
pub mod origin;
pub mod outbox;
pub mod reply_order;
pub mod static_files;
mod upgrade;

pub use error::RelayError;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::Response;
use axum::routing::get;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The central server's TCP address; every WebSocket gets its own connection to it,
    /// and clients cannot choose another.
    pub server: String,
    /// The directory whose files are served on every path but `/ws` (the built wallet).
    pub web_root: PathBuf,
    /// Origins besides the relay's own that may open a WebSocket, as
    /// `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    /// The largest message a browser may send (bigger ones close the socket with 1009).
    pub max_message_bytes: usize,
    /// How many WebSockets may be open at once (more get 503).
    pub max_connections: usize,
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
        }
    }
}

/// What every request handler of the relay shares.
#[derive(Debug)]
struct Relay {
    config: RelayConfig,
    /// One permit per open WebSocket.
    connections: Arc<Semaphore>,
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
    let relay = Arc::new(Relay {
        connections: Arc::new(Semaphore::new(config.max_connections)),
        config,
        tracker: TaskTracker::new(),
        shutdown: bridges.clone(),
    });
    tracing::info!(
        %address,
        server = %relay.config.server,
        web_root = %relay.config.web_root.display(),
        "relay listening"
    );
    let app = Router::new()
        .route("/ws", get(upgrade::upgrade))
        .fallback(static_file)
        .with_state(relay.clone());
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.clone().cancelled_owned())
    .await;
    // Also when serving ended for another reason than `shutdown`.
    bridges.cancel();
    relay.tracker.close();
    relay.tracker.wait().await;
    tracing::info!("relay stopped");
    served.map_err(RelayError::Serve)
}

async fn static_file(State(relay): State<Arc<Relay>>, method: Method, uri: Uri) -> Response {
    static_files::serve(&relay.config.web_root, &method, &uri).await
}

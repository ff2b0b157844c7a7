//! The WebSocket relay (PROTOCOL §8). Placeholder with the agreed API until the real
//! relay lands.

use std::path::PathBuf;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub server: String,
    pub web_root: PathBuf,
    pub allowed_origins: Vec<String>,
    pub max_message_bytes: usize,
    pub max_connections: usize,
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

/// Serves until `shutdown`.
pub async fn run(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let _ = (listener, config);
    shutdown.cancelled().await;
    Ok(())
}

//! Shared by the relay's socket tests: a relay running in this process, and a browser
//! that opens a WebSocket to it as the wallet does.
#![allow(dead_code)]

use simplechain_relay::{self as ws, RelayConfig, RelayError};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

pub type Browser = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub const WAIT: Duration = Duration::from_secs(10);

/// A relay running in this process.
pub struct TestRelay {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub task: tokio::task::JoinHandle<Result<(), RelayError>>,
}

impl TestRelay {
    pub async fn start(config: RelayConfig) -> TestRelay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(ws::run(listener, config, shutdown.clone()));
        TestRelay {
            addr,
            shutdown,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Opens a WebSocket with the page's own origin, as the wallet does.
    pub async fn browser(&self) -> Browser {
        self.browser_from(Some(&format!("http://{}", self.addr)))
            .await
            .expect("upgrade refused")
    }

    pub async fn browser_from(&self, origin: Option<&str>) -> Result<Browser, tungstenite::Error> {
        let mut request = self.url().into_client_request().unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
            .await
            .map(|(ws, _)| ws)
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the relay did not stop in time")
            .unwrap()
            .unwrap();
    }
}

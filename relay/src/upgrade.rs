//! `GET /ws`: the checks before a WebSocket is accepted, then the bridge.
//!
//! In order: the `Origin` (403), a free connection slot (503), a TCP connection to the
//! server (502). Only then is the upgrade answered, so a browser never holds an open
//! WebSocket that leads nowhere.

use crate::{Relay, bridge, origin};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Handles `GET /ws`.
pub async fn upgrade(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if !origin::allowed(
        text(header::ORIGIN),
        text(header::HOST),
        &relay.config.allowed_origins,
    ) {
        tracing::info!(%peer, origin = ?text(header::ORIGIN), "websocket refused: origin not allowed");
        return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let Ok(permit) = relay.connections.clone().try_acquire_owned() else {
        tracing::warn!(%peer, limit = relay.config.max_connections, "websocket refused: connection limit reached");
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections\n").into_response();
    };
    let server = &relay.config.server;
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(server)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => {
            tracing::warn!(%peer, %server, error = %e, "websocket refused: cannot reach the server");
            return (StatusCode::BAD_GATEWAY, "cannot reach the server\n").into_response();
        }
        Err(_) => {
            tracing::warn!(%peer, %server, "websocket refused: the server did not answer in time");
            return (
                StatusCode::GATEWAY_TIMEOUT,
                "the server did not answer in time\n",
            )
                .into_response();
        }
    };
    let limit = relay.config.max_message_bytes;
    let shutdown = relay.shutdown.clone();
    let tracker = relay.tracker.clone();
    upgrade
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_failed_upgrade(move |e| tracing::info!(%peer, error = %e, "websocket upgrade failed"))
        .on_upgrade(move |ws| {
            tracker.track_future(async move {
                bridge::bridge(ws, tcp, peer, shutdown).await;
                drop(permit);
            })
        })
}

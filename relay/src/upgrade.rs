//! `GET /ws`: the checks before a WebSocket is accepted, then the bridge.
//!
//! In order: the `Origin` (403), a WebSocket handshake (400), a free slot for this
//! browser's address (429) and in all (503), a TCP connection to the server (502).
//! Only then is the upgrade answered, so a browser never holds an open WebSocket that
//! leads nowhere. The handshake is answered here (not by axum's extractor) so that the
//! socket can be configured fully: its write buffer is bounded, and large lines go out
//! as several frames.

use crate::bridge::{self, FRAGMENT, MAX_WRITE_BUFFER};
use crate::{Relay, origin::Origins};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether `name` lists `token` (comma-separated, any case).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Handles `GET /ws`.
pub async fn upgrade(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Response {
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if !Origins::allows(&relay.origins, origin) {
        tracing::info!(%peer, ?origin, "websocket refused: origin not allowed");
        return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
    }
    let key = headers.get(header::SEC_WEBSOCKET_KEY).cloned();
    let is_handshake = has_token(headers, header::CONNECTION, "upgrade")
        && has_token(headers, header::UPGRADE, "websocket")
        && headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_some_and(|v| v == "13");
    let Some(key) = key.filter(|_| is_handshake) else {
        return (
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake is expected here\n",
        )
            .into_response();
    };
    let Some(address_slot) = relay.websockets_per_address.try_take(peer.ip()) else {
        tracing::warn!(%peer, limit = relay.config.max_connections_per_address, "websocket refused: too many from this address");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many connections from your address\n",
        )
            .into_response();
    };
    let Ok(permit) = relay.connections.clone().try_acquire_owned() else {
        tracing::warn!(%peer, limit = relay.config.max_connections, "websocket refused: connection limit reached");
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections\n").into_response();
    };
    let server = &relay.config.server;
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, connect(server, &relay)).await {
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
    let config = WebSocketConfig::default()
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit))
        .write_buffer_size(FRAGMENT)
        .max_write_buffer_size(MAX_WRITE_BUFFER);
    let on_upgrade = hyper::upgrade::on(&mut request);
    let shutdown = relay.shutdown.clone();
    let budget = relay.large_lines.clone();
    let write_timeout = relay.config.write_timeout;
    relay.tracker.spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                bridge::bridge(ws, tcp, peer, budget, write_timeout, shutdown).await;
            }
            Err(e) => tracing::info!(%peer, error = %e, "websocket upgrade failed"),
        }
        drop(permit);
        drop(address_slot);
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(
            header::SEC_WEBSOCKET_ACCEPT,
            derive_accept_key(key.as_bytes()),
        )
        .body(axum::body::Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A TCP connection to the server, from the configured source address if there is one
/// (the server can trust that address as the relay's, see `--trusted-address`).
async fn connect(server: &str, relay: &Relay) -> std::io::Result<TcpStream> {
    let Some(source) = relay.config.source_address else {
        return TcpStream::connect(server).await;
    };
    let target = tokio::net::lookup_host(server)
        .await?
        .find(|a| a.is_ipv4() == source.is_ipv4())
        .ok_or_else(|| std::io::Error::other("no server address of the source's family"))?;
    let socket = if source.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(target).await
}

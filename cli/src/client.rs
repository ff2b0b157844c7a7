//! A typed client for the line protocol, over TCP. The CLI and the tests use it.
//!
//! Requests and responses are paired in order; event lines that arrive in between are
//! queued for [`Client::next_event`].

use anyhow::{Context, anyhow, bail};
use simplechain_core::protocol::{
    AccountInfo, ChainJson, Event, History, Info, ProtocolError, Request, Response, ServerLine,
    TxInfo,
};
use simplechain_core::{Address, Transaction, TxId};
use std::collections::VecDeque;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// A connection to a server.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// Events read while waiting for a response.
    events: VecDeque<Event>,
    /// Where we are connected, for error messages.
    address: String,
}

/// A refusal by the server, kept typed so that callers can look at the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub ProtocolError);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server refused: {} ({})",
            self.0.message, self.0.code
        )
    }
}

impl std::error::Error for Refused {}

impl Client {
    /// Connects to `address` (`host:port`).
    pub async fn connect(address: &str) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(address).await.with_context(|| {
            format!("cannot connect to the server at {address} (is `simplechain server` running?)")
        })?;
        let _ = stream.set_nodelay(true);
        let (read, writer) = stream.into_split();
        Ok(Client {
            reader: BufReader::new(read),
            writer,
            events: VecDeque::new(),
            address: address.into(),
        })
    }

    /// Sends one raw line (a `\n` is added).
    pub async fn send_line(&mut self, line: &str) -> anyhow::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.writer
            .write_all(&bytes)
            .await
            .with_context(|| format!("lost the connection to {}", self.address))
    }

    /// Reads the next raw line from the server (responses and events alike).
    pub async fn read_raw_line(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).await?;
        if n == 0 {
            bail!("the server at {} closed the connection", self.address);
        }
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Ok(line)
    }

    /// Reads the next response, queuing events that come first.
    pub async fn read_response(&mut self) -> anyhow::Result<Response> {
        loop {
            let line = self.read_raw_line().await?;
            match ServerLine::parse(&line)? {
                ServerLine::Response(r) => return Ok(r),
                ServerLine::Event(e) => self.events.push_back(e),
            }
        }
    }

    /// Sends a request and reads its response.
    pub async fn request(&mut self, request: &Request<'_>) -> anyhow::Result<Response> {
        self.send_line(&request.encode()).await?;
        self.read_response().await
    }

    /// The next event (after [`Client::subscribe`]).
    pub async fn next_event(&mut self) -> anyhow::Result<Event> {
        if let Some(e) = self.events.pop_front() {
            return Ok(e);
        }
        let line = self.read_raw_line().await?;
        match ServerLine::parse(&line)? {
            ServerLine::Event(e) => Ok(e),
            ServerLine::Response(r) => {
                bail!("unexpected response while waiting for an event: {r:?}")
            }
        }
    }

    async fn expect(&mut self, request: &Request<'_>) -> anyhow::Result<Response> {
        match self.request(request).await? {
            Response::Error(e) => Err(Refused(e).into()),
            other => Ok(other),
        }
    }

    /// `PING`.
    pub async fn ping(&mut self) -> anyhow::Result<()> {
        match self.expect(&Request::Ping).await? {
            Response::Pong => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_INFO`.
    pub async fn info(&mut self) -> anyhow::Result<Info> {
        match self.expect(&Request::GetInfo).await? {
            Response::Info(i) => Ok(i),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_ACCOUNT`.
    pub async fn account(&mut self, address: Address) -> anyhow::Result<AccountInfo> {
        match self.expect(&Request::GetAccount(address)).await? {
            Response::Account(a) => Ok(a),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_TRANSACTION`; `None` when the server does not know it.
    pub async fn transaction(&mut self, txid: TxId) -> anyhow::Result<Option<TxInfo>> {
        match self.request(&Request::GetTransaction(txid)).await? {
            Response::Tx(t) => Ok(Some(t)),
            Response::Error(e) if e.code == simplechain_core::protocol::ErrorCode::NotFound => {
                Ok(None)
            }
            Response::Error(e) => Err(Refused(e).into()),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_HISTORY`.
    pub async fn history(
        &mut self,
        address: Address,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<History> {
        match self
            .expect(&Request::GetHistory {
                address,
                offset,
                limit,
            })
            .await?
        {
            Response::History(h) => Ok(h),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_BLOCKS`.
    pub async fn blocks(&mut self, from: u64, limit: u64) -> anyhow::Result<ChainJson> {
        match self.expect(&Request::GetBlocks { from, limit }).await? {
            Response::Blocks(raw) => {
                serde_json::from_str(&raw).context("the server sent blocks that do not decode")
            }
            other => Err(unexpected(other)),
        }
    }

    /// `GET_BLOCKCHAIN`, as the raw JSON text.
    pub async fn chain_json(&mut self) -> anyhow::Result<String> {
        match self.expect(&Request::GetBlockchain).await? {
            Response::Blocks(raw) => Ok(raw),
            other => Err(unexpected(other)),
        }
    }

    /// `ADD_TRANSACTION`.
    pub async fn submit(&mut self, tx: &Transaction) -> anyhow::Result<()> {
        match self.expect(&Request::AddTransaction(*tx)).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `FAUCET`.
    pub async fn faucet(&mut self, address: Address) -> anyhow::Result<()> {
        match self.expect(&Request::Faucet(address)).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `SUBSCRIBE`.
    pub async fn subscribe(&mut self) -> anyhow::Result<()> {
        match self.expect(&Request::Subscribe).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `VALIDATE_BLOCKCHAIN`: `Ok(None)` when valid, `Ok(Some((height, reason)))` if not.
    pub async fn validate(&mut self) -> anyhow::Result<Option<(u64, String)>> {
        match self.expect(&Request::ValidateBlockchain).await? {
            Response::Valid => Ok(None),
            Response::Invalid { height, reason } => Ok(Some((height, reason))),
            other => Err(unexpected(other)),
        }
    }

    /// `SYNC_BLOCKCHAIN`.
    pub async fn sync(&mut self, chain_json: &str) -> anyhow::Result<()> {
        match self.expect(&Request::SyncBlockchain(chain_json)).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }
}

fn unexpected(response: Response) -> anyhow::Error {
    anyhow!(
        "unexpected response from the server: {}",
        response.encode().chars().take(120).collect::<String>()
    )
}

//! A typed client for the line protocol, over TCP. The CLI and the tests use it.
//!
//! Requests and responses are paired in order; event lines that arrive in between are
//! queued for [`Client::next_event`]. Lines are read with core's bounded decoder, as
//! the server and the relay read theirs ([`LineCodec::server_lines`]), so a hostile
//! server costs at most [`MAX_SERVER_LINE`](simplechain_core::protocol::MAX_SERVER_LINE)
//! bytes of memory.

mod error;
#[cfg(test)]
mod tests;

pub use error::{ClientError, Refused};

use futures::StreamExt;
use simplechain_core::line::{Frame, LineCodec};
use simplechain_core::protocol::{
    AccountInfo, BlockInfo, ChainJson, ErrorCode, Event, History, Info, Proof, Request, Response,
    ServerLine, Submitted, Template, Tree, TxInfo,
};
use simplechain_core::{Address, Block, BlockHash, Transaction, TxId};
use std::collections::VecDeque;
use std::io;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_util::codec::FramedRead;

/// A connection to a server.
#[derive(Debug)]
pub struct Client {
    reader: FramedRead<OwnedReadHalf, LineCodec>,
    writer: OwnedWriteHalf,
    /// Events read while waiting for a response.
    events: VecDeque<Event>,
    /// Where we are connected, for error messages.
    address: String,
}

impl Client {
    /// Connects to `address` (`host:port`).
    pub async fn connect(address: &str) -> Result<Client, ClientError> {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|source| ClientError::Connect {
                address: address.into(),
                source,
            })?;
        let _ = stream.set_nodelay(true);
        let (read, writer) = stream.into_split();
        Ok(Client {
            reader: FramedRead::new(read, LineCodec::server_lines()),
            writer,
            events: VecDeque::new(),
            address: address.into(),
        })
    }

    /// Sends one raw line (a `\n` is added).
    pub async fn send_line(&mut self, line: &str) -> Result<(), ClientError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.writer
            .write_all(&bytes)
            .await
            .map_err(|source| ClientError::Io {
                address: self.address.clone(),
                source,
            })
    }

    /// Reads the next raw line from the server (responses and events alike), without
    /// its line end.
    pub async fn read_raw_line(&mut self) -> Result<String, ClientError> {
        match self.reader.next().await {
            Some(frame) => line_of(&self.address, frame),
            None => Err(ClientError::Closed {
                address: self.address.clone(),
            }),
        }
    }

    /// Reads the next response, queuing events that come first.
    pub async fn read_response(&mut self) -> Result<Response, ClientError> {
        loop {
            let line = self.read_raw_line().await?;
            match ServerLine::parse(&line)? {
                ServerLine::Response(r) => return Ok(r),
                ServerLine::Event(e) => self.events.push_back(e),
            }
        }
    }

    /// Sends a request and reads its response.
    pub async fn request(&mut self, request: &Request<'_>) -> Result<Response, ClientError> {
        self.send_line(&request.encode()).await?;
        self.read_response().await
    }

    /// The next event (after [`Client::subscribe`]).
    pub async fn next_event(&mut self) -> Result<Event, ClientError> {
        if let Some(e) = self.events.pop_front() {
            return Ok(e);
        }
        let line = self.read_raw_line().await?;
        match ServerLine::parse(&line)? {
            ServerLine::Event(e) => Ok(e),
            ServerLine::Response(r) => Err(ClientError::ResponseInsteadOfEvent(Box::new(r))),
        }
    }

    async fn expect(&mut self, request: &Request<'_>) -> Result<Response, ClientError> {
        match self.request(request).await? {
            Response::Error(e) => Err(Refused(e).into()),
            other => Ok(other),
        }
    }

    /// `PING`.
    pub async fn ping(&mut self) -> Result<(), ClientError> {
        match self.expect(&Request::Ping).await? {
            Response::Pong => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_INFO`.
    pub async fn info(&mut self) -> Result<Info, ClientError> {
        match self.expect(&Request::GetInfo).await? {
            Response::Info(i) => Ok(i),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_ACCOUNT`.
    pub async fn account(&mut self, address: Address) -> Result<AccountInfo, ClientError> {
        match self.expect(&Request::GetAccount(address)).await? {
            Response::Account(a) => Ok(a),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_TRANSACTION`; `None` when the server does not know it.
    pub async fn transaction(&mut self, txid: TxId) -> Result<Option<TxInfo>, ClientError> {
        match self.request(&Request::GetTransaction(txid)).await? {
            Response::Tx(t) => Ok(Some(t)),
            Response::Error(e) if e.code == ErrorCode::NotFound => Ok(None),
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
    ) -> Result<History, ClientError> {
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
    pub async fn blocks(&mut self, from: u64, limit: u64) -> Result<ChainJson, ClientError> {
        match self.expect(&Request::GetBlocks { from, limit }).await? {
            Response::Blocks(raw) => serde_json::from_str(&raw).map_err(ClientError::BadBlocks),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_BLOCKCHAIN`, as the raw JSON text.
    pub async fn chain_json(&mut self) -> Result<String, ClientError> {
        match self.expect(&Request::GetBlockchain).await? {
            Response::Blocks(raw) => Ok(raw),
            other => Err(unexpected(other)),
        }
    }

    /// `ADD_TRANSACTION`.
    pub async fn submit(&mut self, tx: &Transaction) -> Result<(), ClientError> {
        match self.expect(&Request::AddTransaction(*tx)).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `FAUCET`.
    pub async fn faucet(&mut self, address: Address) -> Result<(), ClientError> {
        match self.expect(&Request::Faucet(address)).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `SUBSCRIBE`.
    pub async fn subscribe(&mut self) -> Result<(), ClientError> {
        match self.expect(&Request::Subscribe).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `VALIDATE_BLOCKCHAIN`: `Ok(None)` when valid, `Ok(Some((height, reason)))` if not.
    pub async fn validate(&mut self) -> Result<Option<(u64, String)>, ClientError> {
        match self.expect(&Request::ValidateBlockchain).await? {
            Response::Valid => Ok(None),
            Response::Invalid { height, reason } => Ok(Some((height, reason))),
            other => Err(unexpected(other)),
        }
    }

    /// `SYNC_BLOCKCHAIN`.
    pub async fn sync(&mut self, chain_json: &str) -> Result<(), ClientError> {
        match self.expect(&Request::SyncBlockchain(chain_json)).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_TEMPLATE` (§9): the next block to mine for `miner`.
    pub async fn template(&mut self, miner: Address) -> Result<Template, ClientError> {
        match self.expect(&Request::GetTemplate(miner)).await? {
            Response::Template(t) => Ok(t),
            other => Err(unexpected(other)),
        }
    }

    /// `SUBMIT_BLOCK` (§9). A block the server refuses (`invalid_block`,
    /// `unknown_parent`, `reorg_too_deep`, …) is a [`ClientError::Refused`].
    pub async fn submit_block(&mut self, block: &Block) -> Result<Submitted, ClientError> {
        let json = serde_json::to_string(block).expect("a block always encodes as JSON");
        match self.expect(&Request::SubmitBlock(&json)).await? {
            Response::Submitted(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_TREE` (§9); `from: None` is the server's default (tip height − 100).
    pub async fn tree(&mut self, from: Option<u64>) -> Result<Tree, ClientError> {
        match self.expect(&Request::GetTree { from }).await? {
            Response::Tree(t) => Ok(t),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_BLOCK` (§9): any block of the tree; `None` when the server does not know it.
    pub async fn block(&mut self, hash: BlockHash) -> Result<Option<BlockInfo>, ClientError> {
        match self.request(&Request::GetBlock(hash)).await? {
            Response::Block(raw) => serde_json::from_str(&raw)
                .map(Some)
                .map_err(ClientError::BadBlocks),
            Response::Error(e) if e.code == ErrorCode::NotFound => Ok(None),
            Response::Error(e) => Err(Refused(e).into()),
            other => Err(unexpected(other)),
        }
    }

    /// `GET_PROOF` (§9); `None` for a txid that is unknown or only pending.
    pub async fn proof(&mut self, txid: TxId) -> Result<Option<Proof>, ClientError> {
        match self.request(&Request::GetProof(txid)).await? {
            Response::Proof(p) => Ok(Some(p)),
            Response::Error(e) if e.code == ErrorCode::NotFound => Ok(None),
            Response::Error(e) => Err(Refused(e).into()),
            other => Err(unexpected(other)),
        }
    }

    /// `SUBSCRIBE:BLOCKS` (§9): `EVENT:TIP` and `EVENT:BLOCK` from then on.
    pub async fn subscribe_blocks(&mut self) -> Result<(), ClientError> {
        match self.expect(&Request::SubscribeBlocks).await? {
            Response::Success => Ok(()),
            other => Err(unexpected(other)),
        }
    }
}

fn unexpected(response: Response) -> ClientError {
    ClientError::UnexpectedResponse(Box::new(response))
}

/// One frame read from the server at `address` as a line, or the error it means. The
/// bench's load connections read with it too.
pub(crate) fn line_of(address: &str, frame: io::Result<Frame>) -> Result<String, ClientError> {
    match frame {
        Ok(Frame::Line(line)) => Ok(line),
        Ok(Frame::TooLong { limit }) => Err(ClientError::LineTooLong {
            address: address.into(),
            limit,
        }),
        Ok(Frame::NotUtf8) => Err(ClientError::NotUtf8 {
            address: address.into(),
        }),
        Err(source) => Err(ClientError::Io {
            address: address.into(),
            source,
        }),
    }
}

//! Request lines (PROTOCOL §6): `COMMAND` or `COMMAND:<fields>`, fields split on `:`,
//! except `SYNC_BLOCKCHAIN`, whose payload is everything after the first `:`.
//!
//! Commands are case-sensitive: `ping` is an unknown command, not `PING`.

use super::error::{ErrorCode, ProtocolError};
use crate::ids::{Address, BlockHash, Signature, TxId};
use crate::number::parse_u64;
use crate::transaction::Transaction;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::str::FromStr;

/// `GET_BLOCKS` returns at most this many blocks (default and maximum).
pub const DEFAULT_BLOCKS_LIMIT: u64 = 500;
/// `GET_HISTORY` returns at most this many items (default and maximum).
pub const DEFAULT_HISTORY_LIMIT: u64 = 100;
/// `GET_MEMPOOL` (extension) returns at most this many items (default and maximum).
pub const DEFAULT_MEMPOOL_LIMIT: u64 = 100;
/// `GET_TREE` returns at most this many blocks (§9).
pub const MAX_TREE_ENTRIES: usize = 1000;

/// A parsed request. `SyncBlockchain` and `SubmitBlock` borrow their JSON payload from
/// the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// `ADD_TRANSACTION:<sender>:<receiver>:<amount>:<nonce>:<signature>`
    AddTransaction(Transaction),
    /// The original 4-field form that carried a private key. The key is dropped during
    /// parsing so that it cannot reach a log; the answer is always `private_key_refused`.
    AddTransactionWithPrivateKey,
    /// `GET_BLOCKCHAIN`
    GetBlockchain,
    /// `GET_BLOCKS:<from_height>[:<limit>]`; `limit` is clamped to 1..=500.
    GetBlocks { from: u64, limit: u64 },
    /// `SYNC_BLOCKCHAIN:<chain json>`
    SyncBlockchain(&'a str),
    /// `VALIDATE_BLOCKCHAIN`
    ValidateBlockchain,
    /// `GET_INFO`
    GetInfo,
    /// `GET_ACCOUNT:<address>`
    GetAccount(Address),
    /// `GET_TRANSACTION:<txid>`
    GetTransaction(TxId),
    /// `GET_HISTORY:<address>[:<offset>:<limit>]`; `limit` is clamped to 1..=100.
    GetHistory {
        address: Address,
        offset: u64,
        limit: u64,
    },
    /// `SUBSCRIBE`
    Subscribe,
    /// `FAUCET:<address>`
    Faucet(Address),
    /// `PING`
    Ping,
    /// Extension: `GET_MEMPOOL[:<offset>:<limit>]`; `limit` is clamped to 1..=100.
    GetMempool { offset: u64, limit: u64 },
    /// `GET_TEMPLATE:<miner_address>` (§9)
    GetTemplate(Address),
    /// `SUBMIT_BLOCK:<block json>` (§9)
    SubmitBlock(&'a str),
    /// `GET_TREE[:<from_height>]` (§9); `None`: tip height − 100.
    GetTree { from: Option<u64> },
    /// `GET_BLOCK:<hash>` (§9)
    GetBlock(BlockHash),
    /// `GET_PROOF:<txid>` (§9)
    GetProof(TxId),
    /// `SUBSCRIBE:BLOCKS` (§9)
    SubscribeBlocks,
}

fn bad(message: impl core::fmt::Display) -> ProtocolError {
    ProtocolError::new(ErrorCode::BadRequest, message)
}

fn field<T: FromStr>(name: &str, text: &str) -> Result<T, ProtocolError>
where
    T::Err: core::fmt::Display,
{
    text.parse().map_err(|e| bad(format!("{name}: {e}")))
}

fn number(name: &str, text: &str) -> Result<u64, ProtocolError> {
    parse_u64(text).map_err(|e| bad(format!("{name}: {e}")))
}

fn limit(name: &str, text: Option<&str>, max: u64) -> Result<u64, ProtocolError> {
    match text {
        None => Ok(max),
        Some(t) => match number(name, t)? {
            0 => Err(bad(format!("{name} must be at least 1"))),
            n => Ok(n.min(max)),
        },
    }
}

impl<'a> Request<'a> {
    /// Parses one line, without its `\n` (or `\r\n`).
    pub fn parse(line: &'a str) -> Result<Request<'a>, ProtocolError> {
        let (command, rest) = match line.split_once(':') {
            Some((c, r)) => (c, Some(r)),
            None => (line, None),
        };
        if command == "SYNC_BLOCKCHAIN" {
            return match rest {
                Some(json) if !json.is_empty() => Ok(Request::SyncBlockchain(json)),
                _ => Err(bad(
                    "SYNC_BLOCKCHAIN needs a chain: SYNC_BLOCKCHAIN:<chain json>",
                )),
            };
        }
        if command == "SUBMIT_BLOCK" {
            return match rest {
                Some(json) if !json.is_empty() => Ok(Request::SubmitBlock(json)),
                _ => Err(bad("SUBMIT_BLOCK needs a block: SUBMIT_BLOCK:<block json>")),
            };
        }
        let fields: Vec<&str> = rest.map(|r| r.split(':').collect()).unwrap_or_default();
        let arity = |expected: &[usize], usage: &str| {
            if expected.contains(&fields.len()) {
                Ok(())
            } else {
                Err(bad(format!(
                    "{command} takes {usage}, got {} field(s)",
                    fields.len()
                )))
            }
        };
        match command {
            "ADD_TRANSACTION" => match fields.len() {
                5 => Ok(Request::AddTransaction(Transaction {
                    sender: field("sender", fields[0])?,
                    receiver: field("receiver", fields[1])?,
                    amount: number("amount", fields[2])?,
                    nonce: number("nonce", fields[3])?,
                    signature: field::<Signature>("signature", fields[4])?,
                })),
                4 => Ok(Request::AddTransactionWithPrivateKey),
                n => Err(bad(format!(
                    "ADD_TRANSACTION takes 5 fields <sender>:<receiver>:<amount>:<nonce>:<signature>, got {n}"
                ))),
            },
            "GET_BLOCKCHAIN" => arity(&[0], "no fields").map(|()| Request::GetBlockchain),
            "VALIDATE_BLOCKCHAIN" => arity(&[0], "no fields").map(|()| Request::ValidateBlockchain),
            "GET_INFO" => arity(&[0], "no fields").map(|()| Request::GetInfo),
            "SUBSCRIBE" => match fields.as_slice() {
                [] => Ok(Request::Subscribe),
                ["BLOCKS"] => Ok(Request::SubscribeBlocks),
                _ => Err(bad(
                    "SUBSCRIBE takes no fields, or BLOCKS (SUBSCRIBE:BLOCKS)",
                )),
            },
            "GET_TEMPLATE" => {
                arity(&[1], "<miner_address>")?;
                Ok(Request::GetTemplate(field("miner_address", fields[0])?))
            }
            "GET_TREE" => {
                arity(&[0, 1], "[<from_height>]")?;
                Ok(Request::GetTree {
                    from: fields
                        .first()
                        .map(|h| number("from_height", h))
                        .transpose()?,
                })
            }
            "GET_BLOCK" => {
                arity(&[1], "<hash>")?;
                Ok(Request::GetBlock(field("hash", fields[0])?))
            }
            "GET_PROOF" => {
                arity(&[1], "<txid>")?;
                Ok(Request::GetProof(field("txid", fields[0])?))
            }
            "PING" => arity(&[0], "no fields").map(|()| Request::Ping),
            "GET_BLOCKS" => {
                arity(&[1, 2], "<from_height>[:<limit>]")?;
                Ok(Request::GetBlocks {
                    from: number("from_height", fields[0])?,
                    limit: limit("limit", fields.get(1).copied(), DEFAULT_BLOCKS_LIMIT)?,
                })
            }
            "GET_ACCOUNT" => {
                arity(&[1], "<address>")?;
                Ok(Request::GetAccount(field("address", fields[0])?))
            }
            "GET_TRANSACTION" => {
                arity(&[1], "<txid>")?;
                Ok(Request::GetTransaction(field("txid", fields[0])?))
            }
            "GET_HISTORY" => {
                arity(&[1, 3], "<address>[:<offset>:<limit>]")?;
                Ok(Request::GetHistory {
                    address: field("address", fields[0])?,
                    offset: fields
                        .get(1)
                        .map(|o| number("offset", o))
                        .transpose()?
                        .unwrap_or(0),
                    limit: limit("limit", fields.get(2).copied(), DEFAULT_HISTORY_LIMIT)?,
                })
            }
            "GET_MEMPOOL" => {
                arity(&[0, 2], "[<offset>:<limit>]")?;
                Ok(Request::GetMempool {
                    offset: fields
                        .first()
                        .map(|o| number("offset", o))
                        .transpose()?
                        .unwrap_or(0),
                    limit: limit("limit", fields.get(1).copied(), DEFAULT_MEMPOOL_LIMIT)?,
                })
            }
            "FAUCET" => {
                arity(&[1], "<address>")?;
                Ok(Request::Faucet(field("address", fields[0])?))
            }
            "" => Err(bad("empty request line")),
            other => Err(ProtocolError::new(
                ErrorCode::UnknownCommand,
                format!("unknown command {}", printable(other)),
            )),
        }
    }

    /// The request as one line, without `\n`.
    pub fn encode(&self) -> String {
        match self {
            Request::AddTransaction(tx) => format!(
                "ADD_TRANSACTION:{}:{}:{}:{}:{}",
                tx.sender, tx.receiver, tx.amount, tx.nonce, tx.signature
            ),
            Request::AddTransactionWithPrivateKey => {
                String::from("ADD_TRANSACTION:<sender>:<receiver>:<amount>:<private_key>")
            }
            Request::GetBlockchain => "GET_BLOCKCHAIN".into(),
            Request::GetBlocks { from, limit } => format!("GET_BLOCKS:{from}:{limit}"),
            Request::SyncBlockchain(json) => format!("SYNC_BLOCKCHAIN:{json}"),
            Request::ValidateBlockchain => "VALIDATE_BLOCKCHAIN".into(),
            Request::GetInfo => "GET_INFO".into(),
            Request::GetAccount(a) => format!("GET_ACCOUNT:{a}"),
            Request::GetTransaction(t) => format!("GET_TRANSACTION:{t}"),
            Request::GetHistory {
                address,
                offset,
                limit,
            } => {
                format!("GET_HISTORY:{address}:{offset}:{limit}")
            }
            Request::Subscribe => "SUBSCRIBE".into(),
            Request::Faucet(a) => format!("FAUCET:{a}"),
            Request::Ping => "PING".into(),
            Request::GetMempool { offset, limit } => format!("GET_MEMPOOL:{offset}:{limit}"),
            Request::GetTemplate(a) => format!("GET_TEMPLATE:{a}"),
            Request::SubmitBlock(json) => format!("SUBMIT_BLOCK:{json}"),
            Request::GetTree { from: None } => "GET_TREE".into(),
            Request::GetTree { from: Some(h) } => format!("GET_TREE:{h}"),
            Request::GetBlock(h) => format!("GET_BLOCK:{h}"),
            Request::GetProof(t) => format!("GET_PROOF:{t}"),
            Request::SubscribeBlocks => "SUBSCRIBE:BLOCKS".into(),
        }
    }

    /// The command word, for logs (never the payload).
    pub fn command(&self) -> &'static str {
        match self {
            Request::AddTransaction(_) | Request::AddTransactionWithPrivateKey => "ADD_TRANSACTION",
            Request::GetBlockchain => "GET_BLOCKCHAIN",
            Request::GetBlocks { .. } => "GET_BLOCKS",
            Request::SyncBlockchain(_) => "SYNC_BLOCKCHAIN",
            Request::ValidateBlockchain => "VALIDATE_BLOCKCHAIN",
            Request::GetInfo => "GET_INFO",
            Request::GetAccount(_) => "GET_ACCOUNT",
            Request::GetTransaction(_) => "GET_TRANSACTION",
            Request::GetHistory { .. } => "GET_HISTORY",
            Request::Subscribe => "SUBSCRIBE",
            Request::Faucet(_) => "FAUCET",
            Request::Ping => "PING",
            Request::GetMempool { .. } => "GET_MEMPOOL",
            Request::GetTemplate(_) => "GET_TEMPLATE",
            Request::SubmitBlock(_) => "SUBMIT_BLOCK",
            Request::GetTree { .. } => "GET_TREE",
            Request::GetBlock(_) => "GET_BLOCK",
            Request::GetProof(_) => "GET_PROOF",
            Request::SubscribeBlocks => "SUBSCRIBE",
        }
    }
}

/// At most 32 characters of untrusted text, for an error message.
fn printable(text: &str) -> String {
    let mut out: String = text.chars().take(32).filter(|c| !c.is_control()).collect();
    if text.chars().count() > 32 {
        out.push('…');
    }
    out
}

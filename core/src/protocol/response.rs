//! Response and event lines (PROTOCOL §6, §7), encoded by the server and parsed by
//! clients.

use super::error::{ErrorCode, ProtocolError};
use super::payloads::{
    AccountInfo, History, Info, Mempool, Proof, Submitted, Template, Tree, TxInfo,
};
use crate::ids::BlockHash;
use crate::number::parse_u64;
use alloc::format;
use alloc::string::{String, ToString};

/// One response line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `SUCCESS`
    Success,
    /// `VALID`
    Valid,
    /// `INVALID:<height>:<reason>`
    Invalid { height: u64, reason: String },
    /// `PONG`
    Pong,
    /// `ERROR:<code>:<text>`
    Error(ProtocolError),
    /// `INFO:<json>`
    Info(Info),
    /// `ACCOUNT:<json>`
    Account(AccountInfo),
    /// `TX:<json>`
    Tx(TxInfo),
    /// `HISTORY:<json>`
    History(History),
    /// Extension: `MEMPOOL:<json>`
    Mempool(Mempool),
    /// `{"blocks":[…]}` for `GET_BLOCKCHAIN` and `GET_BLOCKS`, kept as text: decode it
    /// with [`super::ChainJson`] when needed.
    Blocks(String),
    /// `TEMPLATE:<json>` (§9)
    Template(Template),
    /// `SUBMITTED:<json>` (§9)
    Submitted(Submitted),
    /// `TREE:<json>` (§9)
    Tree(Tree),
    /// `BLOCK:<json>` (§9), kept as text (the server sends its stored encoding): decode
    /// it with [`super::BlockInfo`].
    Block(String),
    /// `PROOF:<json>` (§9)
    Proof(Proof),
}

/// An event line, sent after `SUBSCRIBE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// `EVENT:TIP:<height>:<hash>`: the tip changed.
    Tip { height: u64, hash: BlockHash },
    /// `EVENT:BLOCK:<height>:<hash>:<prev_hash>:<main|side>` (§9, after
    /// `SUBSCRIBE:BLOCKS`): a block entered the tree.
    Block {
        height: u64,
        hash: BlockHash,
        prev_hash: BlockHash,
        main: bool,
    },
}

/// Anything the server writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerLine {
    Response(Response),
    Event(Event),
}

/// Replaces line breaks so that a message stays on its line.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

impl Response {
    /// An `ERROR` response.
    pub fn error(code: ErrorCode, message: impl ToString) -> Self {
        Response::Error(ProtocolError::new(code, message))
    }

    /// The line, without `\n`.
    pub fn encode(&self) -> String {
        match self {
            Response::Success => "SUCCESS".into(),
            Response::Valid => "VALID".into(),
            Response::Invalid { height, reason } => {
                format!("INVALID:{height}:{}", one_line(reason))
            }
            Response::Pong => "PONG".into(),
            Response::Error(e) => format!("ERROR:{}:{}", e.code, one_line(&e.message)),
            Response::Info(v) => format!("INFO:{}", json(v)),
            Response::Account(v) => format!("ACCOUNT:{}", json(v)),
            Response::Tx(v) => format!("TX:{}", json(v)),
            Response::History(v) => format!("HISTORY:{}", json(v)),
            Response::Mempool(v) => format!("MEMPOOL:{}", json(v)),
            Response::Blocks(raw) => raw.clone(),
            Response::Template(v) => format!("TEMPLATE:{}", json(v)),
            Response::Submitted(v) => format!("SUBMITTED:{}", json(v)),
            Response::Tree(v) => format!("TREE:{}", json(v)),
            Response::Block(raw) => format!("BLOCK:{raw}"),
            Response::Proof(v) => format!("PROOF:{}", json(v)),
        }
    }
}

/// Serialises a payload; these types cannot fail to serialise.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl Event {
    /// The line, without `\n`.
    pub fn encode(&self) -> String {
        match self {
            Event::Tip { height, hash } => format!("EVENT:TIP:{height}:{hash}"),
            Event::Block {
                height,
                hash,
                prev_hash,
                main,
            } => {
                let branch = if *main { "main" } else { "side" };
                format!("EVENT:BLOCK:{height}:{hash}:{prev_hash}:{branch}")
            }
        }
    }
}

/// Why a server line could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError(pub String);

impl core::fmt::Display for LineError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "unexpected line from the server: {}", self.0)
    }
}

impl core::error::Error for LineError {}

impl ServerLine {
    /// Parses a line the server wrote (without `\n`).
    pub fn parse(line: &str) -> Result<ServerLine, LineError> {
        let err = |why: &str| {
            LineError(format!(
                "{why}: {}",
                line.chars().take(80).collect::<String>()
            ))
        };
        let (head, rest) = line.split_once(':').unwrap_or((line, ""));
        let json_err = |e: serde_json::Error| err(&format!("{e}"));
        let response = match head {
            "SUCCESS" if rest.is_empty() => Response::Success,
            "VALID" if rest.is_empty() => Response::Valid,
            "PONG" if rest.is_empty() => Response::Pong,
            "INVALID" => {
                let (h, reason) = rest
                    .split_once(':')
                    .ok_or_else(|| err("INVALID without a reason"))?;
                let height = parse_u64(h).map_err(|_| err("INVALID with a bad height"))?;
                Response::Invalid {
                    height,
                    reason: reason.into(),
                }
            }
            "ERROR" => {
                let (code, message) = rest.split_once(':').unwrap_or((rest, ""));
                let code = code.parse().map_err(|()| err("unknown error code"))?;
                Response::Error(ProtocolError::new(code, message))
            }
            "INFO" => Response::Info(serde_json::from_str(rest).map_err(json_err)?),
            "ACCOUNT" => Response::Account(serde_json::from_str(rest).map_err(json_err)?),
            "TX" => Response::Tx(serde_json::from_str(rest).map_err(json_err)?),
            "HISTORY" => Response::History(serde_json::from_str(rest).map_err(json_err)?),
            "MEMPOOL" => Response::Mempool(serde_json::from_str(rest).map_err(json_err)?),
            "TEMPLATE" => Response::Template(serde_json::from_str(rest).map_err(json_err)?),
            "SUBMITTED" => Response::Submitted(serde_json::from_str(rest).map_err(json_err)?),
            "TREE" => Response::Tree(serde_json::from_str(rest).map_err(json_err)?),
            "BLOCK" if rest.starts_with('{') => Response::Block(rest.into()),
            "PROOF" => Response::Proof(serde_json::from_str(rest).map_err(json_err)?),
            "EVENT" => {
                let parts: alloc::vec::Vec<&str> = rest.split(':').collect();
                let height = |h: &str| parse_u64(h).map_err(|_| err("an event with a bad height"));
                let hash = |h: &str| {
                    h.parse::<BlockHash>()
                        .map_err(|_| err("an event with a bad hash"))
                };
                return match parts.as_slice() {
                    ["TIP", h, tip] => Ok(ServerLine::Event(Event::Tip {
                        height: height(h)?,
                        hash: hash(tip)?,
                    })),
                    ["BLOCK", h, block, prev, branch @ ("main" | "side")] => {
                        Ok(ServerLine::Event(Event::Block {
                            height: height(h)?,
                            hash: hash(block)?,
                            prev_hash: hash(prev)?,
                            main: *branch == "main",
                        }))
                    }
                    _ => Err(err("unknown event")),
                };
            }
            _ if line.starts_with('{') => Response::Blocks(line.into()),
            _ => return Err(err("unknown response")),
        };
        Ok(ServerLine::Response(response))
    }
}

//! Requests answered from the view, and the heavy ones (`VALIDATE_BLOCKCHAIN`,
//! `SYNC_BLOCKCHAIN`) run on blocking threads, one at a time.

use crate::Shared;
use crate::miner::now_ms;
use crate::sequencer::Command;
use simplechain_core::Address;
use simplechain_core::fork::{ForkChoice, ForkRejection, choose};
use simplechain_core::parallel::{validate_chain_parallel, validate_owned};
use simplechain_core::protocol::{ChainJson, ErrorCode, ProtocolError, Request, Response};
use simplechain_core::validate::ValidChain;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;

/// Responses larger than this are cut short by `GET_BLOCKS` (PROTOCOL §6).
pub const MAX_BLOCKS_RESPONSE: usize = 16 << 20;

/// A response, and whether it starts a subscription.
#[derive(Debug)]
pub struct Reply {
    pub line: String,
    pub subscribe: bool,
}

impl From<Response> for Reply {
    fn from(r: Response) -> Self {
        Reply {
            line: r.encode(),
            subscribe: false,
        }
    }
}

impl From<ProtocolError> for Reply {
    fn from(e: ProtocolError) -> Self {
        Response::Error(e).into()
    }
}

/// The protocol error for a refused fork.
pub fn fork_error(rejection: ForkRejection) -> ProtocolError {
    let code = match rejection {
        ForkRejection::GenesisMismatch => ErrorCode::GenesisMismatch,
        ForkRejection::NotBetter { .. } => ErrorCode::NotBetter,
        ForkRejection::ReorgTooDeep { .. } => ErrorCode::ReorgTooDeep,
    };
    ProtocolError::new(code, rejection)
}

/// Answers a request whose turn has come (everything before it on the connection is
/// answered). `ADD_TRANSACTION` is handled by the connection itself.
pub async fn execute(shared: &Arc<Shared>, request: Request<'_>) -> Reply {
    match request {
        Request::Ping => Response::Pong.into(),
        Request::GetInfo => Response::Info(shared.state().info()).into(),
        Request::GetAccount(address) => Response::Account(shared.state().account(address)).into(),
        Request::GetTransaction(txid) => match shared.state().transaction(&txid) {
            Some(info) => Response::Tx(info).into(),
            None => {
                ProtocolError::new(ErrorCode::NotFound, format!("no transaction {txid}")).into()
            }
        },
        Request::GetHistory {
            address,
            offset,
            limit,
        } => Response::History(shared.state().history(address, offset, limit)).into(),
        Request::GetBlocks { from, limit } => {
            let blocks = shared.state().block_range(from, limit);
            Response::Blocks(crate::state::blocks_json(&blocks, MAX_BLOCKS_RESPONSE)).into()
        }
        Request::GetBlockchain => {
            let blocks = shared.state().block_range(0, u64::MAX);
            Response::Blocks(crate::state::blocks_json(&blocks, usize::MAX)).into()
        }
        Request::Subscribe => Reply {
            line: Response::Success.encode(),
            subscribe: true,
        },
        Request::Faucet(to) => faucet(shared, to).await,
        Request::ValidateBlockchain => validate(shared).await,
        Request::SyncBlockchain(json) => match sync(shared, json.to_string()).await {
            Ok(()) => Response::Success.into(),
            Err(e) => e.into(),
        },
        Request::AddTransaction(_) | Request::AddTransactionWithPrivateKey => ProtocolError::new(
            ErrorCode::Internal,
            "ADD_TRANSACTION reached the wrong handler",
        )
        .into(),
    }
}

async fn faucet(shared: &Arc<Shared>, to: Address) -> Reply {
    let Some(config) = shared.faucet.as_ref() else {
        return ProtocolError::new(ErrorCode::FaucetDisabled, "this server has no faucet").into();
    };
    if !config.cooldown.is_zero() {
        let last = shared
            .faucet_paid
            .lock()
            .expect("faucet lock")
            .get(&to)
            .copied();
        if let Some(left) = last.and_then(|t| config.cooldown.checked_sub(t.elapsed())) {
            return ProtocolError::new(
                ErrorCode::RateLimited,
                format!(
                    "this address got test coins recently; try again in {} s",
                    left.as_secs() + 1
                ),
            )
            .into();
        }
    }
    let (reply, answer) = oneshot::channel();
    let command = Command::Faucet {
        to,
        amount: config.amount,
        reply,
    };
    if shared.commands.send(command).await.is_err() {
        return ProtocolError::new(ErrorCode::Internal, "the server is shutting down").into();
    }
    match answer.await {
        Ok(Ok(_txid)) => {
            shared
                .faucet_paid
                .lock()
                .expect("faucet lock")
                .insert(to, Instant::now());
            Response::Success.into()
        }
        Ok(Err(e)) => e.into(),
        Err(_) => ProtocolError::new(ErrorCode::Internal, "the server is shutting down").into(),
    }
}

async fn validate(shared: &Arc<Shared>) -> Reply {
    let _turn = shared.heavy.acquire().await;
    let storage = shared.storage.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let blocks = storage.read_blocks()?;
        Ok::<_, crate::storage::StorageError>(validate_chain_parallel(&blocks, Some(now_ms())))
    })
    .await;
    match checked {
        Ok(Ok(Ok(_))) => Response::Valid.into(),
        Ok(Ok(Err(e))) => Response::Invalid {
            height: e.height,
            reason: e.rule.to_string(),
        }
        .into(),
        Ok(Err(e)) => ProtocolError::new(ErrorCode::Internal, e).into(),
        Err(e) => ProtocolError::new(ErrorCode::Internal, format!("validation failed: {e}")).into(),
    }
}

async fn sync(shared: &Arc<Shared>, json: String) -> Result<(), ProtocolError> {
    let _turn = shared.heavy.acquire().await;
    let (ours, difficulty) = {
        let view = shared.state();
        (view.hashes(), view.chain.difficulty)
    };
    let checked = tokio::task::spawn_blocking(move || check_candidate(&json, &ours, difficulty))
        .await
        .map_err(|e| ProtocolError::new(ErrorCode::Internal, format!("sync failed: {e}")))?;
    let Some(chain) = checked? else {
        return Ok(());
    };
    let (reply, answer) = oneshot::channel();
    shared
        .commands
        .send(Command::Adopt { chain, reply })
        .await
        .map_err(|_| ProtocolError::new(ErrorCode::Internal, "the server is shutting down"))?;
    answer
        .await
        .map_err(|_| ProtocolError::new(ErrorCode::Internal, "the server is shutting down"))?
}

/// Decodes and checks a candidate chain: `None` if it is our chain (and valid), the
/// valid chain if it should be adopted.
fn check_candidate(
    json: &str,
    ours: &[simplechain_core::BlockHash],
    difficulty: u64,
) -> Result<Option<ValidChain>, ProtocolError> {
    let chain: ChainJson = serde_json::from_str(json).map_err(|e| {
        ProtocolError::new(
            ErrorCode::BadRequest,
            format!("the payload is not a chain: {e}"),
        )
    })?;
    if chain.blocks.is_empty() {
        return Err(ProtocolError::new(
            ErrorCode::InvalidChain,
            "the chain has no blocks",
        ));
    }
    let theirs: Vec<_> = chain.blocks.iter().map(|b| b.hash).collect();
    let same = match choose(ours, &theirs, difficulty).map_err(fork_error)? {
        ForkChoice::Same => true,
        ForkChoice::Adopt { .. } => false,
    };
    // Validated even when the claimed hashes are ours: signatures are not part of the
    // txid, so a copy of our chain with forged signatures has exactly our hashes.
    let invalid = |e| ProtocolError::new(ErrorCode::InvalidChain, e);
    if same {
        validate_chain_parallel(&chain.blocks, Some(now_ms())).map_err(invalid)?;
        return Ok(None);
    }
    validate_owned(chain.blocks, Some(now_ms()))
        .map(Some)
        .map_err(invalid)
}

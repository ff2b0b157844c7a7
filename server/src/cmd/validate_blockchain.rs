//! `VALIDATE_BLOCKCHAIN` (PROTOCOL §6): a full re-check of the stored chain from
//! genesis, signatures included, read back from the disk (not from memory): redb's
//! blocks, then those on top of them that only the acknowledgement log holds yet (a log
//! block that does not carry on the chain, or names a transaction nobody holds, is
//! `INVALID` at its height). It
//! runs on a blocking thread, one heavy job at a time in the whole server (with at most
//! `max_heavy_queued` waiting; more are `busy`), and costs the connection's
//! heavy-request budget: an estimate from the chain's transactions first, then the
//! time it really took.
//!
//! ```text
//! > VALIDATE_BLOCKCHAIN
//! < VALID
//! < INVALID:<height>:<reason>
//! ```

use super::session::Session;
use crate::clock::now_ms;
use crate::cost::Cost;
use crate::storage::{Storage, StorageError};
use crate::wal::OutOfStep;
use crate::wire_error::internal;
use simplechain_core::Block;
use simplechain_core::parallel::validate_chain_parallel;
use simplechain_core::protocol::{ProtocolError, Response};

/// `VALIDATE_BLOCKCHAIN`, which has no fields.
#[derive(Debug)]
pub struct ValidateBlockchain;

impl ValidateBlockchain {
    /// Charges, waits for the heavy-job turn, then validates what the disk holds.
    pub async fn apply(self, session: &mut Session) -> Result<Response, ProtocolError> {
        let transactions = session.shared.state().size().0;
        let storage = session.shared.storage.clone();
        let checked = session
            .run_heavy(
                "VALIDATE_BLOCKCHAIN",
                Cost::validate(transactions),
                move || {
                    let (blocks, stopped) = stored_chain(&storage)?;
                    let checked = validate_chain_parallel(&blocks, Some(now_ms()));
                    Ok::<_, StorageError>((checked, stopped))
                },
            )
            .await?;
        match checked {
            Ok((Err(e), _)) => Ok(Response::Invalid {
                height: e.height,
                reason: e.rule.to_string(),
            }),
            Ok((Ok(_), Some(why))) => Ok(Response::Invalid {
                height: why.height(),
                reason: why.to_string(),
            }),
            Ok((Ok(_), None)) => Ok(Response::Valid),
            Err(e) => Err(internal(e)),
        }
    }
}

/// The main chain on disk: redb's blocks, then the log's on top of them, their
/// transactions looked up in the log and in redb's mempool; and where the log's blocks
/// stopped carrying it on, if they did. The log is read first: a checkpoint between the
/// two reads only moves into redb what was read from the log (and the log's newest
/// records are left out; blocks its first pieces wrote are skipped), so a block that
/// does not carry on, or a transaction nobody holds, is damage, not a race.
fn stored_chain(storage: &Storage) -> Result<(Vec<Block>, Option<OutOfStep>), StorageError> {
    let data_dir = storage.path().parent().unwrap_or(std::path::Path::new("."));
    let log = crate::wal::read_back(data_dir)
        .map_err(|e| StorageError::new("reading the acknowledgement log", e))?;
    let stored = storage.load()?;
    let mut blocks = stored.blocks;
    let (on_top, stopped) =
        crate::wal::blocks_on(&log.records, stored.log_applied, &blocks, &stored.mempool);
    blocks.extend(on_top);
    Ok((blocks, stopped))
}

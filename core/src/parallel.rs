//! Signature checks of many transactions, spread over all cores. Strict verification
//! only: the result is exactly that of checking each one with `verify_strict`.

use crate::transaction::SignatureError;
use crate::validate::{
    ChainError, ChainState, PreverifiedBlock, Signatures, ValidChain, validate_chain_with,
};
use crate::{Block, ChainId, Transaction, VerifiedTx};
use alloc::vec::Vec;

/// The (height, index, error) of the first transaction whose signature fails, in
/// chain order, or `None` when all verify. The height is the block's position in
/// `blocks`, not the height it claims: a block that claims another block's height must
/// not have its bad signature reported against that other block.
pub fn first_bad_signature(
    chain: &ChainId,
    blocks: &[Block],
) -> Option<(u64, usize, SignatureError)> {
    let all: Vec<(u64, usize, &Transaction)> = blocks
        .iter()
        .enumerate()
        .flat_map(|(position, b)| {
            b.transactions
                .iter()
                .enumerate()
                .map(move |(i, tx)| (position as u64, i, tx))
        })
        .collect();
    // Chunks are in chain order, so the first failing chunk holds the first failure.
    on_all_cores(&all, |part| {
        part.iter()
            .find_map(|(h, i, tx)| tx.verify(chain).err().map(|e| (*h, *i, e)))
    })
    .into_iter()
    .find_map(|found| found)
}

/// Runs `work` on `items` split into one chunk per core (in order), and returns each
/// chunk's result in order. A panicking chunk panics here.
fn on_all_cores<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    if items.is_empty() {
        return Vec::new();
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a verifying thread panicked"))
            .collect()
    })
}

/// Validates a whole chain with every rule of PROTOCOL §5, checking signatures on all
/// cores. The cheap rules run first over the whole chain, so a chain that is broken
/// early costs no signature checks past the break; the error reported is the first in
/// chain order, exactly as a one-by-one check would report it.
pub fn validate_chain_parallel(
    blocks: &[Block],
    now_ms: Option<u64>,
) -> Result<ChainState, ChainError> {
    let rules = validate_chain_with(blocks, now_ms, |_, _| Signatures::NotChecked);
    let upto = match &rules {
        Ok(_) => blocks.len(),
        Err(e) => usize::try_from(e.height).map_or(blocks.len(), |h| (h + 1).min(blocks.len())),
    };
    let Some(genesis) = blocks.first() else {
        return rules;
    };
    let chain = ChainId::from(genesis.hash);
    match first_bad_signature(&chain, &blocks[..upto]) {
        // Every signature up to the first broken rule verifies: the rules decide.
        None => rules,
        Some((height, index, error)) => {
            validate_chain_with(&blocks[..upto], now_ms, |position, _| {
                Signatures::Reported((position as u64 == height).then_some((index, error)))
            })
        }
    }
}

/// [`validate_chain_parallel`], keeping the blocks as [`crate::ValidBlock`]s: for a chain
/// that is to be adopted.
pub fn validate_owned(blocks: Vec<Block>, now_ms: Option<u64>) -> Result<ValidChain, ChainError> {
    validate_chain_parallel(&blocks, now_ms)?;
    ValidChain::replay(blocks)
}

/// Verifies each transaction on `chain`, strictly, on all cores; the results are in
/// the order of `txs`.
pub fn verify_transactions(
    chain: &ChainId,
    txs: Vec<Transaction>,
) -> Vec<Result<VerifiedTx, SignatureError>> {
    on_all_cores(&txs, |part| {
        part.iter().map(|tx| tx.verified(chain)).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Verifies the signatures of one block for `chain` on all cores, before it is checked
/// against a branch's state.
pub fn preverify(chain: &ChainId, block: Block) -> PreverifiedBlock {
    let first_bad = first_bad_signature(chain, core::slice::from_ref(&block))
        .map(|(_, index, error)| (index, error));
    PreverifiedBlock::new(block, *chain, first_bad)
}

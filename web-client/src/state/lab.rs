//! The tamper lab: real blocks (one, and the main-chain blocks after it up to the
//! tip, at most [`LAB_BLOCKS`]) copied into a sandbox in the tab. The learner changes
//! any field; every block is judged again at once by `core` (its own rules, and its
//! link to the sandbox block before it); "re-mine" recomputes the Merkle root, links
//! each changed block to the one before and searches a nonce, a slice at a time
//! (`Action::Work`), measuring the tab's hash rate; "submit" offers the changed blocks
//! to the real server (`SUBMIT_BLOCK`, in order) and shows its answers.

use super::lab_field::LabField;
use super::link::{ServerRefusal, decode_blocks};
use super::{Awaiting, Detail, Section, State};
use simplechain_core::block::BlockHeader;
use simplechain_core::merkle::merkle_root;
use simplechain_core::nonce_search::NonceSearch;
use simplechain_core::protocol::{Request, Submitted};
use simplechain_core::validate::ChainState;
use simplechain_core::validate::checklist::{
    CheckName, Context, Parent, RuleCheck, checklist, ledger_after,
};
use simplechain_core::{Block, BlockHash, Ledger, TxId};
use std::rc::Rc;

/// The most blocks taken into the sandbox.
pub const LAB_BLOCKS: u64 = 10;
/// The first slice of a re-mine, in nonces; later slices last about [`SLICE_MS`].
const FIRST_SLICE: u64 = 4_000;
/// How long one slice of mining should take, so that the page stays responsive.
const SLICE_MS: u64 = 30;

/// Why the lab cannot do what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabError {
    /// The genesis block is the chain's id: there is no parent to re-link it to.
    Genesis,
    /// No block is open in the explorer.
    NoBlock,
    /// Re-mine: every block's hash, proof of work, Merkle root and link hold.
    NothingToMine,
    /// Submit: no block differs from the real one.
    NothingChanged,
    /// The chain id is not known yet (no `GET_INFO`).
    NoChain,
}

impl std::error::Error for LabError {}

/// A chain state kept as it was; two are equal when they are the same one.
#[derive(Debug, Clone)]
struct Snapshot(Rc<ChainState>);

impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A re-mine under way.
#[derive(Debug, Clone, PartialEq)]
pub struct Remine {
    /// The sandbox block being mined.
    pub index: usize,
    /// Its header with the Merkle root and link recomputed; the nonce is searched.
    pub header: BlockHeader,
    /// The next nonce to try.
    pub next_nonce: u64,
    /// Nonces tried since the re-mine started, over all blocks.
    pub tried: u64,
    /// The most leading zero bits seen on this block.
    pub best_bits: u64,
    /// When the re-mine started (ms), `None` until the first slice.
    started_ms: Option<u64>,
    /// Nonces in the next slice.
    slice: u64,
}

/// The sandbox.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lab {
    /// The real blocks taken in, lowest first.
    pub originals: Rc<Vec<Block>>,
    /// The sandbox's copies, as the learner changed them.
    pub blocks: Vec<Block>,
    /// Each sandbox block's checklist, on the sandbox block before it (the first on
    /// its real parent).
    pub checks: Vec<Rc<Vec<RuleCheck>>>,
    /// The state after the first block's parent, once the replay reached it.
    base: Option<Snapshot>,
    /// Whether the blocks after the first are still coming.
    pub loading: bool,
    /// The sentence for the last input or action refused.
    pub error: Option<String>,
    pub mining: Option<Remine>,
    /// The tab's hash rate, measured by the last re-mine (hashes per second).
    pub hash_rate: Option<u64>,
    /// The block whose `SUBMIT_BLOCK` awaits its answer.
    pub submitting: Option<usize>,
    /// The server's answers, one line per block submitted.
    pub results: Vec<String>,
}

impl Lab {
    /// Whether the sandbox block `index` differs from the real one.
    pub fn changed(&self, index: usize) -> bool {
        self.originals.get(index) != self.blocks.get(index)
    }

    /// The first block whose hash, proof of work, Merkle root or link is broken, or
    /// that was changed: re-mining starts there and goes on to the last.
    fn first_to_mine(&self) -> Option<usize> {
        let header_rule = |c: &RuleCheck| {
            matches!(
                c.name,
                CheckName::Hash | CheckName::ProofOfWork | CheckName::TxRoot | CheckName::PrevHash
            ) && !c.ok()
        };
        (0..self.blocks.len()).find(|&i| {
            self.changed(i)
                || self
                    .checks
                    .get(i)
                    .is_some_and(|l| l.iter().any(header_rule))
        })
    }
}

impl State {
    /// Takes the explorer's open block, and the main-chain blocks after it, into the
    /// sandbox, and opens the lab.
    pub(super) fn lab_open(&mut self) {
        let Some(Detail::Block(block)) = &self.explorer.detail else {
            return self.lab_refused(LabError::NoBlock);
        };
        if block.header.height == 0 {
            return self.lab_refused(LabError::Genesis);
        }
        let block = Block::clone(block);
        let (height, hash) = (block.header.height, block.hash);
        self.lab = Lab {
            originals: Rc::new(vec![block.clone()]),
            blocks: vec![block.clone()],
            loading: true,
            ..Lab::default()
        };
        self.section = Section::Lab;
        self.replay_to(block.header.prev_hash);
        self.request(
            Request::GetBlocks {
                from: height,
                limit: LAB_BLOCKS,
            },
            Awaiting::LabBlocks(hash),
        );
        self.refresh_lab();
    }

    /// The blocks from the lab's first on: kept if they start with it (a main-chain
    /// block); a side block stays alone.
    pub(super) fn got_lab_blocks(&mut self, first: BlockHash, raw: &str) {
        if self.lab.originals.first().map(|b| b.hash) != Some(first) {
            return;
        }
        self.lab.loading = false;
        if let Ok(blocks) = decode_blocks(raw)
            && blocks.first().map(|b| b.hash) == Some(first)
            && !self
                .lab
                .blocks
                .iter()
                .zip(self.lab.originals.iter())
                .any(|(a, b)| a != b)
        {
            self.lab.blocks = blocks.clone();
            self.lab.originals = Rc::new(blocks);
        }
        self.refresh_lab();
    }

    /// An input of the lab: the field of block `block` (and its transaction `tx`).
    pub(super) fn lab_edit(
        &mut self,
        block: usize,
        tx: Option<usize>,
        field: LabField,
        text: &str,
    ) {
        let Some(target) = self.lab.blocks.get_mut(block) else {
            return;
        };
        match field.write(target, tx, text) {
            Ok(()) => self.lab.error = None,
            Err(error) => self.lab.error = Some(error.to_string()),
        }
        self.lab.results.clear();
        self.refresh_lab();
    }

    /// Puts the sandbox back as the real blocks are.
    pub(super) fn lab_reset(&mut self) {
        self.lab.blocks = self.lab.originals.to_vec();
        self.lab.mining = None;
        self.lab.error = None;
        self.lab.results.clear();
        self.refresh_lab();
    }

    /// Judges every sandbox block again: the first on its real parent and the
    /// parent's state, each later one on the sandbox block before it and the
    /// balances the sandbox leaves.
    pub(super) fn refresh_lab(&mut self) {
        let Some(first) = self.lab.originals.first() else {
            return;
        };
        if self.lab.base.is_none()
            && let Some(state) = &self.replay.state
            && state.tip == first.header.prev_hash
        {
            self.lab.base = Some(Snapshot(state.clone()));
        }
        let Some(base) = self.context_after(first.header.prev_hash) else {
            return;
        };
        let base_ledger = self.lab.base.as_ref().map(|s| &s.0.ledger);
        let base_parent = self.lab.base.as_ref().map(|s| Parent::tip_of(&s.0));
        let mut ledger: Option<Ledger> = None;
        let mut checks = Vec::with_capacity(self.lab.blocks.len());
        for (i, block) in self.lab.blocks.iter().enumerate() {
            let context = if i == 0 {
                Context {
                    parent: base_parent.or(base.parent),
                    ledger: base_ledger,
                    ..base
                }
            } else {
                Context {
                    parent: Some(Parent::of(&self.lab.blocks[i - 1])),
                    ledger: ledger.as_ref(),
                    ..base
                }
            };
            checks.push(Rc::new(checklist(block, &context)));
            ledger = context.ledger.map(|l| ledger_after(l, block));
        }
        self.lab.checks = checks;
    }

    /// Starts re-mining from the first changed or broken block to the last.
    pub(super) fn lab_remine(&mut self) {
        let Some(index) = self.lab.first_to_mine() else {
            return self.lab_refused(LabError::NothingToMine);
        };
        let Some(header) = self.prepared(index) else {
            return self.lab_refused(LabError::NoChain);
        };
        self.lab.error = None;
        self.lab.results.clear();
        self.lab.mining = Some(Remine {
            index,
            header,
            next_nonce: 0,
            tried: 0,
            best_bits: 0,
            started_ms: None,
            slice: FIRST_SLICE,
        });
    }

    /// Sandbox block `index` ready to mine: its Merkle root recomputed from its
    /// transactions, linked to the sandbox block before it (the first keeps its
    /// parent), at the chain's difficulty... as the learner set it.
    fn prepared(&self, index: usize) -> Option<BlockHeader> {
        let chain = self.info.as_ref()?.chain_id;
        let block = self.lab.blocks.get(index)?;
        let txids: Vec<TxId> = block.transactions.iter().map(|t| t.txid(&chain)).collect();
        let prev_hash = match index {
            0 => block.header.prev_hash,
            i => self.lab.blocks[i - 1].compute_hash(),
        };
        Some(BlockHeader {
            prev_hash,
            tx_root: merkle_root(&txids),
            nonce: 0,
            ..block.header
        })
    }

    /// One slice of the re-mine: about [`SLICE_MS`] of nonces with core's search.
    pub(super) fn lab_mine_step(&mut self, now_ms: u64) {
        let Some(mut mining) = self.lab.mining.take() else {
            return;
        };
        let started = *mining.started_ms.get_or_insert(now_ms);
        let elapsed = now_ms.saturating_sub(started);
        if elapsed > 0 && mining.tried > 0 {
            let rate = mining.tried.saturating_mul(1000) / elapsed;
            self.lab.hash_rate = Some(rate);
            mining.slice = (rate.saturating_mul(SLICE_MS) / 1000).clamp(1_000, 1_000_000);
        }
        let searched = NonceSearch::new(mining.header).run(mining.next_nonce, mining.slice);
        mining.tried += searched.tried;
        mining.next_nonce = mining.next_nonce.saturating_add(searched.tried);
        mining.best_bits = mining.best_bits.max(searched.best_bits);
        let Some((header, hash)) = searched.found else {
            self.lab.mining = Some(mining);
            return;
        };
        let index = mining.index;
        self.lab.blocks[index].header = header;
        self.lab.blocks[index].hash = hash;
        if let Some(next) = self.prepared(index + 1) {
            mining.index = index + 1;
            mining.header = next;
            mining.next_nonce = 0;
            mining.best_bits = 0;
            self.lab.mining = Some(mining);
        }
        self.refresh_lab();
    }

    /// Offers the changed blocks to the server, the first now and each next one when
    /// the one before is answered.
    pub(super) fn lab_submit(&mut self) {
        let Some(first) = (0..self.lab.blocks.len()).find(|&i| self.lab.changed(i)) else {
            return self.lab_refused(LabError::NothingChanged);
        };
        self.lab.error = None;
        self.lab.results.clear();
        self.lab_submit_block(first);
    }

    fn lab_submit_block(&mut self, index: usize) {
        let Some(block) = self.lab.blocks.get(index) else {
            self.lab.submitting = None;
            return;
        };
        let Ok(json) = serde_json::to_string(block) else {
            return;
        };
        if self.request(Request::SubmitBlock(&json), Awaiting::LabSubmit(index)) {
            self.lab.submitting = Some(index);
        }
    }

    pub(super) fn lab_submitted(&mut self, index: usize, submitted: &Submitted) {
        let replaced = match submitted.replaced {
            0 => String::new(),
            n => format!(", {n} main-chain block(s) replaced"),
        };
        self.lab.results.push(format!(
            "block {}: {}{replaced}",
            submitted.height,
            submitted.status.as_str()
        ));
        self.lab_submit_block(index + 1);
    }

    pub(super) fn lab_refused_by_server(&mut self, index: usize, refusal: &ServerRefusal) {
        let height = self.lab.blocks.get(index).map_or(0, |b| b.header.height);
        if refusal.0.code == simplechain_core::protocol::ErrorCode::InvalidBlock {
            self.quest_seen(super::Quest::Tamper);
        }
        self.lab
            .results
            .push(format!("block {height}: refused: {}", refusal.0));
        self.lab.submitting = None;
    }

    fn lab_refused(&mut self, error: LabError) {
        self.lab.error = Some(error.to_string());
    }
}

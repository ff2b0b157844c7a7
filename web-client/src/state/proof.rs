//! A Merkle proof that a transaction is in its block, checked in this tab.
//!
//! The server answers `GET_PROOF` with the transaction's position in its block and the
//! sibling hashes from the leaves up (PROTOCOL §9). The tab then reads that block
//! (`GET_BLOCK`) for its header, folds the path from the txid with core's
//! [`MerkleProof::fold`], and compares the root it reaches with the `tx_root` the
//! block's header carries (the header the proof of work covers). The server's own
//! word for the root is shown but not trusted.

use super::{Awaiting, State};
use simplechain_core::ids::MerkleNode;
use simplechain_core::merkle::{FoldStep, MerkleProof, merkle_levels};
use simplechain_core::protocol::{Proof, Request};
use simplechain_core::{Block, MerkleRoot, TxId};

/// The most leaves the page draws as a whole tree; past it, only the proof's path.
pub const DRAWN_LEAVES: usize = 16;

/// The proof on show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProofView {
    #[default]
    Idle,
    /// `GET_PROOF` sent for this txid.
    Asking(TxId),
    /// The proof arrived; its block's header is being read.
    ReadingBlock(Proof),
    /// Folded in this tab.
    Folded(Box<Folded>),
    /// The sentence saying why there is no proof.
    Failed(String),
}

/// A proof folded in the tab, with what it was checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    pub proof: Proof,
    /// Each fold step, from the leaf up.
    pub steps: Vec<FoldStep>,
    /// Where the fold ended.
    pub reached: MerkleRoot,
    /// The `tx_root` of the block's header, as read with `GET_BLOCK`.
    pub header_root: MerkleRoot,
    /// The block's whole tree, computed in the tab from its transactions (leaves
    /// first), when it is small enough to draw.
    pub levels: Option<Vec<Vec<MerkleNode>>>,
}

impl Folded {
    /// The proof holds: the fold from the txid reaches the header's root.
    pub fn verified(&self) -> bool {
        self.proof
            .merkle()
            .verify(&self.proof.txid, &self.header_root)
    }
}

impl State {
    /// Asks for the proof of a confirmed transaction.
    pub(super) fn ask_proof(&mut self, txid: TxId) {
        if self.request(Request::GetProof(txid), Awaiting::Proof(txid)) {
            self.proof = ProofView::Asking(txid);
        }
    }

    /// `PROOF:`: now read its block's header.
    pub(super) fn got_proof(&mut self, proof: Proof) {
        if self.proof != ProofView::Asking(proof.txid) {
            return;
        }
        let hash = proof.block_hash;
        if self.request(Request::GetBlock(hash), Awaiting::ProofBlock(hash)) {
            self.proof = ProofView::ReadingBlock(proof);
        }
    }

    /// `BLOCK:` for the proof's block: fold the path and compare with its header.
    pub(super) fn got_proof_block(&mut self, json: &str) {
        let ProofView::ReadingBlock(proof) = &self.proof else {
            return;
        };
        let proof = proof.clone();
        let block = match serde_json::from_str::<Block>(json) {
            Ok(block) if block.compute_hash() == proof.block_hash => block,
            Ok(_) => {
                return self.proof_failed(
                    "The block the server sent does not hash to the proof's block hash.",
                );
            }
            Err(e) => {
                return self.proof_failed(&format!("The proof's block could not be read: {e}."));
            }
        };
        let levels = self.info.as_ref().and_then(|info| {
            (block.transactions.len() <= DRAWN_LEAVES)
                .then(|| merkle_levels(&block.txids(&info.chain_id)))
        });
        let merkle = MerkleProof {
            index: proof.index,
            path: proof.path.clone(),
        };
        let steps = merkle.fold(&proof.txid);
        let reached = merkle.root_from(&proof.txid);
        let folded = Folded {
            proof,
            steps,
            reached,
            header_root: block.header.tx_root,
            levels,
        };
        if folded.verified()
            && self
                .wallet
                .address()
                .is_some_and(|own| self.is_own_tx(own, folded.proof.txid))
        {
            self.quest_seen(super::Quest::Prove);
        }
        self.proof = ProofView::Folded(Box::new(folded));
    }

    /// Whether the explorer's open transaction is `txid`, sent or received by `own`.
    fn is_own_tx(&self, own: simplechain_core::Address, txid: TxId) -> bool {
        matches!(&self.explorer.detail, Some(super::Detail::Tx(info))
            if info.txid == txid && (info.transaction.sender == own || info.transaction.receiver == own))
    }

    pub(super) fn proof_failed(&mut self, why: &str) {
        self.proof = ProofView::Failed(why.to_string());
    }
}

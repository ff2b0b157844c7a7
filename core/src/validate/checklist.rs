//! Every rule of PROTOCOL §5 for one block, each judged on its own: the wallet's
//! glass-box explorer and tamper lab show the whole list with ✔ or ✘, where
//! [`ChainState::check_block`](super::ChainState::check_block) stops at the first rule
//! that fails. Both call the same small functions (`checks.rs` and the ledger's), so
//! they always agree.
//!
//! ```text
//! every block     hash = SHA-256(header message), proof of work, tx_root, ≤ 4096 txs
//! genesis         height 0, prev_hash zero, no transactions, difficulty 0–255
//! after genesis   height, prev_hash, difficulty, reward 50, timestamp   (the parent)
//! each tx         signature, amount > 0, sender ≠ receiver              (the chain id)
//!                 nonce, amount ≤ balance                               (the parent's state)
//! ```
//!
//! What a rule needs and the caller lacks (the parent's header, its balances and
//! nonces) is said as such ([`Outcome::Needs`]), never guessed.

use super::{ChainState, Rule, checks};
use crate::block::Block;
use crate::ids::{BlockHash, ChainId, TxId};
use crate::ledger::{self, Ledger, TxRuleError, UndoLog};
use crate::{BLOCK_REWARD, MAX_BLOCK_TRANSACTIONS};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One rule of §5, as the checklist names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckName {
    Hash,
    ProofOfWork,
    TxRoot,
    TransactionCount,
    GenesisHeight,
    GenesisPrevHash,
    GenesisTransactions,
    DifficultyRange,
    Height,
    PrevHash,
    Difficulty,
    Reward,
    Timestamp,
    NotInFuture,
    /// The transaction at this index: its signature on this chain.
    Signature(usize),
    Amount(usize),
    NotToSelf(usize),
    Nonce(usize),
    Funds(usize),
}

impl CheckName {
    /// A short key for scripts and tests (`data-rule`): `hash`, `pow`, `tx_root`, …
    pub fn key(self) -> &'static str {
        match self {
            CheckName::Hash => "hash",
            CheckName::ProofOfWork => "pow",
            CheckName::TxRoot => "tx_root",
            CheckName::TransactionCount => "tx_count",
            CheckName::GenesisHeight => "genesis_height",
            CheckName::GenesisPrevHash => "genesis_prev_hash",
            CheckName::GenesisTransactions => "genesis_transactions",
            CheckName::DifficultyRange => "difficulty_range",
            CheckName::Height => "height",
            CheckName::PrevHash => "prev_hash",
            CheckName::Difficulty => "difficulty",
            CheckName::Reward => "reward",
            CheckName::Timestamp => "timestamp",
            CheckName::NotInFuture => "future",
            CheckName::Signature(_) => "signature",
            CheckName::Amount(_) => "amount",
            CheckName::NotToSelf(_) => "not_self",
            CheckName::Nonce(_) => "nonce",
            CheckName::Funds(_) => "balance",
        }
    }

    /// The transaction the rule is about, if it is about one.
    pub fn transaction(self) -> Option<usize> {
        match self {
            CheckName::Signature(i)
            | CheckName::Amount(i)
            | CheckName::NotToSelf(i)
            | CheckName::Nonce(i)
            | CheckName::Funds(i) => Some(i),
            _ => None,
        }
    }

    /// The rule in words, as a learner reads it in the list.
    pub fn title(self) -> String {
        let text = match self {
            CheckName::Hash => "hash = SHA-256 of the header message",
            CheckName::ProofOfWork => "proof of work: enough leading zero bits",
            CheckName::TxRoot => "tx_root = Merkle root of the txids",
            CheckName::TransactionCount => "at most 4096 transactions",
            CheckName::GenesisHeight => "genesis: height 0",
            CheckName::GenesisPrevHash => "genesis: prev_hash is 64 zeros",
            CheckName::GenesisTransactions => "genesis: no transactions",
            CheckName::DifficultyRange => "genesis: difficulty 0 to 255",
            CheckName::Height => "height = parent's height + 1",
            CheckName::PrevHash => "prev_hash = the parent's hash",
            CheckName::Difficulty => "difficulty = the chain's",
            CheckName::Reward => "reward = 50",
            CheckName::Timestamp => "timestamp ≥ the parent's",
            CheckName::NotInFuture => "timestamp at most 2 hours ahead of the clock",
            CheckName::Signature(_) => "signature valid for this chain id",
            CheckName::Amount(_) => "amount > 0",
            CheckName::NotToSelf(_) => "sender ≠ receiver",
            CheckName::Nonce(_) => "nonce = the sender's count of earlier transactions",
            CheckName::Funds(_) => "amount ≤ the sender's balance",
        };
        match self.transaction() {
            Some(i) => format!("transaction {i}: {text}"),
            None => text.to_string(),
        }
    }
}

/// What the caller did not give, that a rule needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The parent block's header (height, hash, timestamp).
    Parent,
    /// The chain state after the parent: balances and nonces.
    ChainState,
}

/// How one rule came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Holds,
    /// Broken: the same [`Rule`] the server names when it refuses the block.
    Broken(Rule),
    /// Not judged: it needs what the caller did not give.
    Needs(Missing),
}

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleCheck {
    pub name: CheckName,
    pub outcome: Outcome,
}

impl RuleCheck {
    /// Whether the rule holds.
    pub fn ok(&self) -> bool {
        self.outcome == Outcome::Holds
    }

    /// The sentence under the rule: why it failed (the [`Rule`]'s own words), or what
    /// it needs.
    pub fn sentence(&self) -> String {
        match self.outcome {
            Outcome::Holds => "holds".to_string(),
            Outcome::Broken(rule) => rule.to_string(),
            Outcome::Needs(Missing::Parent) => "needs the parent block".to_string(),
            Outcome::Needs(Missing::ChainState) => {
                "needs the chain state (balances and nonces after the parent)".to_string()
            }
        }
    }
}

/// The parent block, as the rules of §5 rule 3 read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parent {
    pub height: u64,
    /// Its real hash (SHA-256 of its header).
    pub hash: BlockHash,
    pub timestamp: u64,
}

impl Parent {
    /// `block` as a parent, with the hash its header really has.
    pub fn of(block: &Block) -> Parent {
        Parent {
            height: block.header.height,
            hash: block.compute_hash(),
            timestamp: block.header.timestamp,
        }
    }

    /// The tip of a chain state.
    pub fn tip_of(state: &ChainState) -> Parent {
        Parent {
            height: state.height,
            hash: state.tip,
            timestamp: state.tip_timestamp,
        }
    }
}

/// What a block is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The chain id signatures and txids are made for.
    pub chain_id: ChainId,
    /// The chain's difficulty D.
    pub difficulty: u64,
    /// The parent block, if known (not for genesis).
    pub parent: Option<Parent>,
    /// The balances and nonces after the parent, if known.
    pub ledger: Option<&'a Ledger>,
    /// The validator's clock, for the 2-hour limit (`None`: not judged, not listed).
    pub now_ms: Option<u64>,
}

impl<'a> Context<'a> {
    /// Everything, from the state after the parent.
    pub fn on(state: &'a ChainState, now_ms: Option<u64>) -> Context<'a> {
        Context {
            chain_id: state.chain_id,
            difficulty: state.difficulty,
            parent: Some(Parent::tip_of(state)),
            ledger: Some(&state.ledger),
            now_ms,
        }
    }
}

fn outcome(result: Result<(), Rule>) -> Outcome {
    match result {
        Ok(()) => Outcome::Holds,
        Err(rule) => Outcome::Broken(rule),
    }
}

/// Every rule of §5 for `block` against `context`, each judged on its own, in the
/// order the server checks them. The block is a genesis block if its height is 0.
pub fn checklist(block: &Block, context: &Context<'_>) -> Vec<RuleCheck> {
    let mut list = Vec::new();
    let mut push = |name, outcome| list.push(RuleCheck { name, outcome });
    let header = &block.header;
    let genesis = header.height == 0;
    if genesis {
        push(
            CheckName::GenesisHeight,
            outcome(checks::genesis_height(header)),
        );
        push(
            CheckName::GenesisPrevHash,
            outcome(checks::genesis_prev_hash(header)),
        );
        push(
            CheckName::GenesisTransactions,
            outcome(checks::genesis_transactions(block)),
        );
        push(
            CheckName::DifficultyRange,
            outcome(checks::difficulty_in_range(header)),
        );
    } else {
        let parent = context.parent;
        let with_parent = |check: &dyn Fn(&Parent) -> Result<(), Rule>| match &parent {
            Some(p) => outcome(check(p)),
            None => Outcome::Needs(Missing::Parent),
        };
        push(
            CheckName::Height,
            with_parent(&|p| checks::height(header, p.height + 1)),
        );
        push(
            CheckName::PrevHash,
            with_parent(&|p| checks::prev_hash(header, &p.hash)),
        );
        push(
            CheckName::Difficulty,
            outcome(checks::difficulty(header, context.difficulty)),
        );
        push(CheckName::Reward, outcome(checks::reward(header)));
        push(
            CheckName::Timestamp,
            with_parent(&|p| checks::timestamp(header, p.timestamp)),
        );
    }
    push(
        CheckName::TransactionCount,
        outcome(checks::transaction_count(block)),
    );
    let computed = block.compute_hash();
    push(CheckName::Hash, outcome(checks::hash(block).map(|_| ())));
    // A genesis block sets the chain's difficulty; every other is held to it.
    let difficulty = if genesis {
        header.difficulty
    } else {
        context.difficulty
    };
    push(
        CheckName::ProofOfWork,
        outcome(checks::proof_of_work(&computed, difficulty)),
    );
    if let Some(now) = context.now_ms {
        push(
            CheckName::NotInFuture,
            outcome(checks::not_in_future(header, now)),
        );
    }
    let txids = transaction_checks(block, context, &mut push);
    push(CheckName::TxRoot, outcome(checks::tx_root(header, &txids)));
    list
}

/// Rule 4 for each transaction in order, and the txids. A transaction that passes
/// the ledger's rules is applied to a copy of the accounts the block touches, so the
/// next one is judged on the balances it leaves, as the server does.
fn transaction_checks(
    block: &Block,
    context: &Context<'_>,
    push: &mut impl FnMut(CheckName, Outcome),
) -> Vec<TxId> {
    let mut ledger = context.ledger.map(|l| {
        l.subset(
            block
                .transactions
                .iter()
                .flat_map(|tx| [tx.sender, tx.receiver]),
        )
    });
    let mut txids = Vec::with_capacity(block.transactions.len());
    for (index, tx) in block.transactions.iter().enumerate() {
        let message = tx.message(&context.chain_id);
        let signature = tx
            .verify_message(&message)
            .map_err(|error| Rule::Signature { index, error });
        push(CheckName::Signature(index), outcome(signature));
        let tx_rule = |result: Result<(), TxRuleError>| {
            outcome(result.map_err(|error| Rule::Transaction { index, error }))
        };
        push(CheckName::Amount(index), tx_rule(ledger::check_amount(tx)));
        push(
            CheckName::NotToSelf(index),
            tx_rule(ledger::check_not_to_self(tx)),
        );
        match &mut ledger {
            Some(ledger) => {
                push(CheckName::Nonce(index), tx_rule(ledger.check_nonce(tx)));
                push(CheckName::Funds(index), tx_rule(ledger.check_funds(tx)));
                // Only what would apply is applied; a failure changes nothing.
                let _ = ledger.apply(tx, &mut UndoLog::default());
            }
            None => {
                let needs = Outcome::Needs(Missing::ChainState);
                push(CheckName::Nonce(index), needs);
                push(CheckName::Funds(index), needs);
            }
        }
        txids.push(message.txid());
    }
    txids
}

/// Whether every rule of the list holds.
pub fn all_hold(list: &[RuleCheck]) -> bool {
    list.iter().all(RuleCheck::ok)
}

// The limits the titles quote, kept honest.
const _: () = assert!(MAX_BLOCK_TRANSACTIONS == 4096 && BLOCK_REWARD == 50);

/// The balances and nonces `block` leaves on `ledger` as a sandbox sees it: each
/// transaction that meets the ledger's rules (its signature aside) is applied, the
/// others are passed over, then the reward is credited. For judging the block after a
/// tampered one on the balances it would leave; a valid block leaves exactly what
/// [`ChainState::apply`](super::ChainState::apply) would.
pub fn ledger_after(ledger: &Ledger, block: &Block) -> Ledger {
    let mut after = ledger.clone();
    let mut undo = UndoLog::default();
    for tx in &block.transactions {
        let _ = after.apply(tx, &mut undo);
    }
    let _ = after.credit(block.header.miner, block.header.reward, &mut undo);
    after
}

//! The tamper lab's inputs: which field of a sandbox block each one names
//! (`data-field`), what it takes, and how typed text is written into the block (or
//! refused, changing nothing).

use simplechain_core::{Address, Block, BlockHash, MerkleRoot, Signature};

/// A field of a sandbox block, as the lab's inputs name it (`data-field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabField {
    Height,
    PrevHash,
    Timestamp,
    Difficulty,
    Miner,
    Reward,
    TxRoot,
    Nonce,
    Sender,
    Receiver,
    Amount,
    TxNonce,
    Signature,
}

impl LabField {
    /// The header's fields, in header-message order.
    pub const HEADER: [LabField; 8] = [
        LabField::Height,
        LabField::PrevHash,
        LabField::Timestamp,
        LabField::Difficulty,
        LabField::Miner,
        LabField::Reward,
        LabField::TxRoot,
        LabField::Nonce,
    ];
    /// A transaction's fields, in signing-message order, then its signature.
    pub const TRANSACTION: [LabField; 5] = [
        LabField::Sender,
        LabField::Receiver,
        LabField::Amount,
        LabField::TxNonce,
        LabField::Signature,
    ];

    /// The field's name (`data-field`).
    pub fn key(self) -> &'static str {
        match self {
            LabField::Height => "height",
            LabField::PrevHash => "prev_hash",
            LabField::Timestamp => "timestamp",
            LabField::Difficulty => "difficulty",
            LabField::Miner => "miner",
            LabField::Reward => "reward",
            LabField::TxRoot => "tx_root",
            LabField::Nonce => "nonce",
            LabField::Sender => "sender",
            LabField::Receiver => "receiver",
            LabField::Amount => "amount",
            LabField::TxNonce => "tx_nonce",
            LabField::Signature => "signature",
        }
    }

    /// What the field holds now in `block` (transaction fields: of `block`'s
    /// transaction `tx`).
    pub fn value(self, block: &Block, tx: Option<usize>) -> String {
        let h = &block.header;
        let t = tx.and_then(|i| block.transactions.get(i));
        match (self, t) {
            (LabField::Height, _) => h.height.to_string(),
            (LabField::PrevHash, _) => h.prev_hash.to_string(),
            (LabField::Timestamp, _) => h.timestamp.to_string(),
            (LabField::Difficulty, _) => h.difficulty.to_string(),
            (LabField::Miner, _) => h.miner.to_string(),
            (LabField::Reward, _) => h.reward.to_string(),
            (LabField::TxRoot, _) => h.tx_root.to_string(),
            (LabField::Nonce, _) => h.nonce.to_string(),
            (LabField::Sender, Some(t)) => t.sender.to_string(),
            (LabField::Receiver, Some(t)) => t.receiver.to_string(),
            (LabField::Amount, Some(t)) => t.amount.to_string(),
            (LabField::TxNonce, Some(t)) => t.nonce.to_string(),
            (LabField::Signature, Some(t)) => t.signature.to_string(),
            (_, None) => String::new(),
        }
    }

    /// Writes `text` into the field, or says why it cannot hold it (and changes
    /// nothing).
    pub(super) fn write(
        self,
        block: &mut Block,
        tx: Option<usize>,
        text: &str,
    ) -> Result<(), LabInputError> {
        let text = text.trim();
        let bad = |expected| LabInputError {
            field: self,
            text: text.to_string(),
            expected,
        };
        let number = || text.parse::<u64>().map_err(|_| bad(Expected::Number));
        let hex = |len| bad(Expected::Hex(len));
        let h = &mut block.header;
        if let Some(i) = tx {
            let t = block
                .transactions
                .get_mut(i)
                .ok_or(bad(Expected::Transaction))?;
            match self {
                LabField::Sender => t.sender = text.parse::<Address>().map_err(|_| hex(64))?,
                LabField::Receiver => t.receiver = text.parse::<Address>().map_err(|_| hex(64))?,
                LabField::Amount => t.amount = number()?,
                LabField::TxNonce => t.nonce = number()?,
                LabField::Signature => {
                    t.signature = text.parse::<Signature>().map_err(|_| hex(128))?
                }
                _ => return Err(bad(Expected::Transaction)),
            }
            return Ok(());
        }
        match self {
            LabField::Height => h.height = number()?,
            LabField::PrevHash => h.prev_hash = text.parse::<BlockHash>().map_err(|_| hex(64))?,
            LabField::Timestamp => h.timestamp = number()?,
            LabField::Difficulty => h.difficulty = number()?,
            LabField::Miner => h.miner = text.parse::<Address>().map_err(|_| hex(64))?,
            LabField::Reward => h.reward = number()?,
            LabField::TxRoot => h.tx_root = text.parse::<MerkleRoot>().map_err(|_| hex(64))?,
            LabField::Nonce => h.nonce = number()?,
            _ => return Err(bad(Expected::Transaction)),
        }
        Ok(())
    }
}

/// What a lab field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A whole number from 0 to 2^64 − 1.
    Number,
    /// This many hexadecimal characters.
    Hex(usize),
    /// A transaction's field, of a transaction the block has.
    Transaction,
}

/// An input the lab could not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabInputError {
    pub field: LabField,
    pub text: String,
    pub expected: Expected,
}

impl std::error::Error for LabInputError {}

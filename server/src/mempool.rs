//! Transactions accepted but not yet in a block, in admission order, with the ledger
//! they produce on top of the chain ("pending state"). Admission checks a transaction
//! against pending state, so a double spend or a nonce gap is refused at the door.

use simplechain_core::ledger::{Ledger, TxRuleError, UndoLog};
use simplechain_core::protocol::{TxInfo, TxStatus};
use simplechain_core::{Address, Transaction, TxId, VerifiedTx};
use std::collections::{HashMap, VecDeque};

/// One pending transaction.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its key in the storage's mempool table (admission order).
    pub seq: u64,
    /// The transaction, whose signature was verified before it was admitted.
    pub verified: VerifiedTx,
}

impl Entry {
    /// The transaction.
    pub fn tx(&self) -> &Transaction {
        self.verified.tx()
    }

    /// Its txid.
    pub fn txid(&self) -> TxId {
        self.verified.txid()
    }

    /// The entry as `TX:`, `GET_HISTORY` and `GET_MEMPOOL` show it.
    pub fn info(&self) -> TxInfo {
        TxInfo {
            txid: self.txid(),
            status: TxStatus::Pending,
            height: None,
            transaction: *self.tx(),
        }
    }
}

/// Why the mempool refused a transaction. Its `Display` is the sentence the client
/// reads; `wire_error.rs` gives it its wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The same transaction is pending already.
    AlreadyPending,
    /// The same transaction is in a block already.
    AlreadyConfirmed,
    /// The mempool holds `capacity` transactions.
    Full { capacity: usize },
    /// A ledger rule, checked against pending state.
    Rule(TxRuleError),
    /// More than the sender's confirmed balance minus its pending payments (PROTOCOL
    /// §6: incoming coins are spendable only once confirmed).
    Overspend { amount: u64, spendable: u64 },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::AlreadyPending => f.write_str("the transaction is already pending"),
            Refusal::AlreadyConfirmed => f.write_str("the transaction is already in a block"),
            Refusal::Full { capacity } => write!(
                f,
                "the mempool holds {capacity} transactions; retry after the next block"
            ),
            Refusal::Rule(error) => match error {
                TxRuleError::BadNonce { .. } | TxRuleError::InsufficientFunds { .. } => {
                    write!(f, "{error} (counting pending transactions)")
                }
                _ => error.fmt(f),
            },
            Refusal::Overspend { amount, spendable } => write!(
                f,
                "amount {amount} exceeds the {spendable} the sender can spend (confirmed balance minus pending payments)"
            ),
        }
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Refusal::Rule(error) => Some(error),
            _ => None,
        }
    }
}

/// Which rules a transaction entering the mempool meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    /// From a client: every rule of PROTOCOL §6.
    New,
    /// Acknowledged before: the chain's rules only.
    Acknowledged,
}

/// The mempool.
#[derive(Debug, Clone)]
pub struct Mempool {
    entries: VecDeque<Entry>,
    by_txid: HashMap<TxId, u64>,
    /// The chain's ledger with every entry applied.
    pending: Ledger,
    /// Sum of pending outgoing amounts per sender: a new transaction must be covered
    /// by the confirmed balance minus these (PROTOCOL §6), so incoming coins are
    /// spendable only once confirmed.
    outgoing: HashMap<Address, u64>,
    next_seq: u64,
    capacity: usize,
}

impl Mempool {
    /// An empty mempool on top of `confirmed`, holding at most `capacity` entries.
    pub fn new(confirmed: &Ledger, capacity: usize) -> Self {
        Mempool {
            entries: VecDeque::new(),
            by_txid: HashMap::new(),
            pending: confirmed.clone(),
            outgoing: HashMap::new(),
            next_seq: 0,
            capacity,
        }
    }

    /// The number of pending transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is nothing pending.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The pending ledger.
    pub fn pending(&self) -> &Ledger {
        &self.pending
    }

    /// Whether `txid` is pending.
    pub fn contains(&self, txid: &TxId) -> bool {
        self.by_txid.contains_key(txid)
    }

    /// The storage sequence number of a pending transaction.
    pub fn seq_of(&self, txid: &TxId) -> Option<u64> {
        self.by_txid.get(txid).copied()
    }

    /// The pending entry of `txid`.
    pub fn entry_of(&self, txid: &TxId) -> Option<&Entry> {
        let seq = self.seq_of(txid)?;
        let at = self.entries.binary_search_by_key(&seq, |e| e.seq).ok()?;
        self.entries.get(at)
    }

    /// Pending entries, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator {
        self.entries.iter()
    }

    /// Entries that send from or to `address`, newest first.
    pub fn involving<'a>(&'a self, address: &'a Address) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .rev()
            .filter(move |e| e.tx().sender == *address || e.tx().receiver == *address)
    }

    /// What `address` may still send: confirmed balance minus pending outgoing.
    pub fn spendable(&self, address: &Address, confirmed: &Ledger) -> u64 {
        let out = self.outgoing.get(address).copied().unwrap_or(0);
        confirmed.account(address).balance.saturating_sub(out)
    }

    /// Checks a new transaction (signature already verified) against pending state
    /// and adds it. Returns its entry. On error nothing changes.
    pub fn admit(&mut self, verified: VerifiedTx, confirmed: &Ledger) -> Result<&Entry, Refusal> {
        self.insert(verified, confirmed, Admission::New)
    }

    /// Re-admits a transaction that was acknowledged already (after a block or a
    /// reorg, or read back from storage): only the chain's rules, in order, against
    /// pending state. Neither the capacity nor the rule that incoming coins are
    /// spendable only once confirmed applies: those are for new transactions, and a
    /// payment funded by coins of a replaced block must stay (PROTOCOL §5 rule 6).
    pub fn readmit(&mut self, verified: VerifiedTx, confirmed: &Ledger) -> Result<&Entry, Refusal> {
        self.insert(verified, confirmed, Admission::Acknowledged)
    }

    fn insert(
        &mut self,
        verified: VerifiedTx,
        confirmed: &Ledger,
        admission: Admission,
    ) -> Result<&Entry, Refusal> {
        let (tx, txid) = (*verified.tx(), verified.txid());
        if self.by_txid.contains_key(&txid) {
            return Err(Refusal::AlreadyPending);
        }
        if admission == Admission::New {
            if self.entries.len() >= self.capacity {
                return Err(Refusal::Full {
                    capacity: self.capacity,
                });
            }
            self.pending.check(&tx).map_err(Refusal::Rule)?;
            let spendable = self.spendable(&tx.sender, confirmed);
            if tx.amount > spendable {
                return Err(Refusal::Overspend {
                    amount: tx.amount,
                    spendable,
                });
            }
        }
        self.pending
            .apply(&tx, &mut UndoLog::default())
            .map_err(Refusal::Rule)?;
        *self.outgoing.entry(tx.sender).or_default() += tx.amount;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_txid.insert(txid, seq);
        self.entries.push_back(Entry { seq, verified });
        Ok(self.entries.back().expect("just pushed"))
    }

    /// The most transactions it takes from new clients.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Restores an entry read back from storage, keeping its sequence number (stored
    /// sequence numbers increase, so admission hands out exactly `seq`).
    pub fn restore(
        &mut self,
        seq: u64,
        verified: VerifiedTx,
        confirmed: &Ledger,
    ) -> Result<(), Refusal> {
        self.next_seq = self.next_seq.max(seq);
        self.readmit(verified, confirmed).map(|_| ())
    }

    /// Removes the entries with sequence number >= `seq` (a batch whose write failed).
    pub fn truncate_from(&mut self, seq: u64, confirmed: &Ledger) {
        self.entries.retain(|e| e.seq < seq);
        self.rebuild(confirmed);
    }

    /// Re-admits every entry on top of a new chain ledger, dropping those that no
    /// longer apply (mined, or made invalid by a reorg). Returns the dropped entries.
    pub fn rebuild(&mut self, confirmed: &Ledger) -> Vec<Entry> {
        let entries = std::mem::take(&mut self.entries);
        let next_seq = self.next_seq;
        self.pending = confirmed.clone();
        self.outgoing.clear();
        self.by_txid.clear();
        let mut dropped = Vec::new();
        for entry in entries {
            self.next_seq = entry.seq;
            if self.readmit(entry.verified, confirmed).is_err() {
                dropped.push(entry);
            }
        }
        self.next_seq = next_seq;
        dropped
    }

    /// Continues the sequence numbers of `older` (a mempool being replaced by this one).
    pub fn continue_after(&mut self, older: &Mempool) {
        self.next_seq = self.next_seq.max(older.next_seq);
    }

    /// Removes the entries with these txids (now in a block whose reward went to
    /// `reward.0`, on top of which `confirmed` is the new chain ledger). Returns what left
    /// the mempool other than the mined ones (entries that no longer apply).
    ///
    /// The miner takes the oldest entries, so the mined ones are normally a prefix: then
    /// the pending ledger only gains the block reward (chain + mined + reward + rest =
    /// old chain + all + reward) and the mined amounts leave `outgoing`, in O(block).
    /// Anything else re-admits all.
    pub fn remove_mined(
        &mut self,
        mined: &[TxId],
        reward: (Address, u64),
        confirmed: &Ledger,
    ) -> Vec<Entry> {
        let is_prefix = mined.len() <= self.entries.len()
            && self
                .entries
                .iter()
                .zip(mined)
                .all(|(entry, txid)| entry.txid() == *txid);
        let credited = is_prefix
            && self
                .pending
                .credit(reward.0, reward.1, &mut UndoLog::default())
                .is_ok();
        if !credited {
            let mined: std::collections::HashSet<&TxId> = mined.iter().collect();
            self.entries.retain(|e| !mined.contains(&e.txid()));
            return self.rebuild(confirmed);
        }
        for entry in self.entries.drain(..mined.len()) {
            let tx = entry.tx();
            self.by_txid.remove(&entry.txid());
            if let Some(out) = self.outgoing.get_mut(&tx.sender) {
                *out -= tx.amount;
                if *out == 0 {
                    self.outgoing.remove(&tx.sender);
                }
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests;

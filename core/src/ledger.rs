//! Balances and nonces (PROTOCOL §5 rule 4), with every rule a transaction must meet
//! except its signature, which [`crate::transaction`] checks.

use crate::ids::Address;
use crate::transaction::Transaction;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

/// One account's state. Accounts start at zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub balance: u64,
    /// The number of transactions this account has sent: the next nonce it must use.
    pub nonce: u64,
}

/// Why a transaction cannot apply to a ledger (signature aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxRuleError {
    /// `amount` is 0.
    ZeroAmount,
    /// `sender` == `receiver`.
    SelfTransfer,
    /// The nonce is not the sender's next one.
    BadNonce { expected: u64, found: u64 },
    /// The sender cannot cover the amount.
    InsufficientFunds { balance: u64, amount: u64 },
    /// The receiver's balance would pass u64::MAX.
    BalanceOverflow,
}

impl fmt::Display for TxRuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxRuleError::ZeroAmount => f.write_str("amount must be greater than 0"),
            TxRuleError::SelfTransfer => f.write_str("sender and receiver are the same address"),
            TxRuleError::BadNonce { expected, found } => {
                write!(f, "nonce is {found}, the sender's next nonce is {expected}")
            }
            TxRuleError::InsufficientFunds { balance, amount } => {
                write!(f, "amount {amount} exceeds the sender's balance {balance}")
            }
            TxRuleError::BalanceOverflow => f.write_str("the receiver's balance would overflow"),
        }
    }
}

impl core::error::Error for TxRuleError {}

/// A transaction or reward could not be run backwards: it was not the last thing
/// applied to these accounts (a bug in the caller; nothing was changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotApplied;

impl fmt::Display for NotApplied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the block being undone was not the last one applied")
    }
}

impl core::error::Error for NotApplied {}

/// The amount is more than 0 (needs no ledger).
pub fn check_amount(tx: &Transaction) -> Result<(), TxRuleError> {
    if tx.amount == 0 {
        return Err(TxRuleError::ZeroAmount);
    }
    Ok(())
}

/// The sender is not the receiver (needs no ledger).
pub fn check_not_to_self(tx: &Transaction) -> Result<(), TxRuleError> {
    if tx.sender == tx.receiver {
        return Err(TxRuleError::SelfTransfer);
    }
    Ok(())
}

/// Every account that has been touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    accounts: BTreeMap<Address, Account>,
}

/// What [`Ledger::apply`] changed, so that it can be undone.
#[derive(Debug, Clone, Default)]
pub struct UndoLog {
    saved: Vec<(Address, Option<Account>)>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// The account of `address` (zero if never touched).
    pub fn account(&self, address: &Address) -> Account {
        self.accounts.get(address).copied().unwrap_or_default()
    }

    /// All accounts with their state.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &Account)> {
        self.accounts.iter()
    }

    /// The sum of all balances (u128: it cannot overflow).
    pub fn total_balance(&self) -> u128 {
        self.accounts.values().map(|a| u128::from(a.balance)).sum()
    }

    /// A ledger of just these accounts (those never touched stay absent), to check a
    /// block on without copying every account.
    pub fn subset(&self, addresses: impl IntoIterator<Item = Address>) -> Ledger {
        let mut accounts = BTreeMap::new();
        for address in addresses {
            if let Some(account) = self.accounts.get(&address) {
                accounts.insert(address, *account);
            }
        }
        Ledger { accounts }
    }

    /// Replaces the accounts that `changed` holds with its versions.
    pub fn overwrite(&mut self, changed: Ledger) {
        for (address, account) in changed.accounts {
            self.set(address, account);
        }
    }

    /// Stores `account`; an account back at zero is removed, as if never touched (so a
    /// block applied and run backwards leaves the ledger exactly as it was).
    fn set(&mut self, address: Address, account: Account) {
        if account == Account::default() {
            self.accounts.remove(&address);
        } else {
            self.accounts.insert(address, account);
        }
    }

    /// Whether `tx` would apply, without applying it: the rules of §5 rule 4 in order,
    /// each a function of its own (the explorer's checklist calls them one by one).
    pub fn check(&self, tx: &Transaction) -> Result<(), TxRuleError> {
        check_amount(tx)?;
        check_not_to_self(tx)?;
        self.check_nonce(tx)?;
        self.check_funds(tx)
    }

    /// The nonce is the sender's count of earlier transactions.
    pub fn check_nonce(&self, tx: &Transaction) -> Result<(), TxRuleError> {
        let sender = self.account(&tx.sender);
        if tx.nonce != sender.nonce {
            return Err(TxRuleError::BadNonce {
                expected: sender.nonce,
                found: tx.nonce,
            });
        }
        Ok(())
    }

    /// The sender can cover the amount, and the receiver's balance stays within u64.
    pub fn check_funds(&self, tx: &Transaction) -> Result<(), TxRuleError> {
        let sender = self.account(&tx.sender);
        if tx.amount > sender.balance {
            return Err(TxRuleError::InsufficientFunds {
                balance: sender.balance,
                amount: tx.amount,
            });
        }
        if self
            .account(&tx.receiver)
            .balance
            .checked_add(tx.amount)
            .is_none()
        {
            return Err(TxRuleError::BalanceOverflow);
        }
        Ok(())
    }

    /// Applies `tx` if every rule holds; on error nothing changes.
    pub fn apply(&mut self, tx: &Transaction, undo: &mut UndoLog) -> Result<(), TxRuleError> {
        self.check(tx)?;
        self.save(tx.sender, undo);
        self.save(tx.receiver, undo);
        let sender = self.accounts.entry(tx.sender).or_default();
        sender.balance -= tx.amount;
        sender.nonce += 1;
        // `check` proved this cannot overflow.
        self.accounts.entry(tx.receiver).or_default().balance += tx.amount;
        Ok(())
    }

    /// Credits `amount` (a block reward) to `address`.
    pub fn credit(
        &mut self,
        address: Address,
        amount: u64,
        undo: &mut UndoLog,
    ) -> Result<(), TxRuleError> {
        let new = self
            .account(&address)
            .balance
            .checked_add(amount)
            .ok_or(TxRuleError::BalanceOverflow)?;
        self.save(address, undo);
        let nonce = self.account(&address).nonce;
        self.set(
            address,
            Account {
                balance: new,
                nonce,
            },
        );
        Ok(())
    }

    /// Runs `tx` backwards: the exact inverse of [`Ledger::apply`] for the transaction
    /// applied last among those touching its accounts. On error nothing changes.
    pub fn unapply(&mut self, tx: &Transaction, undo: &mut UndoLog) -> Result<(), NotApplied> {
        let sender = self.account(&tx.sender);
        let receiver = self.account(&tx.receiver);
        let sender_before = Account {
            balance: sender.balance.checked_add(tx.amount).ok_or(NotApplied)?,
            nonce: sender.nonce.checked_sub(1).ok_or(NotApplied)?,
        };
        if sender_before.nonce != tx.nonce || tx.sender == tx.receiver {
            return Err(NotApplied);
        }
        let receiver_before = Account {
            balance: receiver.balance.checked_sub(tx.amount).ok_or(NotApplied)?,
            nonce: receiver.nonce,
        };
        self.save(tx.sender, undo);
        self.save(tx.receiver, undo);
        self.set(tx.sender, sender_before);
        self.set(tx.receiver, receiver_before);
        Ok(())
    }

    /// Takes back a reward: the inverse of [`Ledger::credit`]. On error nothing changes.
    pub fn uncredit(
        &mut self,
        address: Address,
        amount: u64,
        undo: &mut UndoLog,
    ) -> Result<(), NotApplied> {
        let account = self.account(&address);
        let balance = account.balance.checked_sub(amount).ok_or(NotApplied)?;
        self.save(address, undo);
        self.set(
            address,
            Account {
                balance,
                nonce: account.nonce,
            },
        );
        Ok(())
    }

    fn save(&self, address: Address, undo: &mut UndoLog) {
        undo.saved
            .push((address, self.accounts.get(&address).copied()));
    }

    /// Reverts everything recorded in `undo`, newest first.
    pub fn undo(&mut self, undo: UndoLog) {
        for (address, old) in undo.saved.into_iter().rev() {
            match old {
                Some(account) => {
                    self.accounts.insert(address, account);
                }
                None => {
                    self.accounts.remove(&address);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Signature;

    fn tx(from: u8, to: u8, amount: u64, nonce: u64) -> Transaction {
        Transaction {
            sender: Address::from_bytes([from; 32]),
            receiver: Address::from_bytes([to; 32]),
            amount,
            nonce,
            signature: Signature::from_bytes([0; 64]),
        }
    }

    fn funded() -> Ledger {
        let mut l = Ledger::new();
        l.credit(Address::from_bytes([1; 32]), 100, &mut UndoLog::default())
            .unwrap();
        l
    }

    #[test]
    fn rules() {
        let l = funded();
        assert_eq!(l.check(&tx(1, 2, 0, 0)), Err(TxRuleError::ZeroAmount));
        assert_eq!(l.check(&tx(1, 1, 5, 0)), Err(TxRuleError::SelfTransfer));
        assert_eq!(
            l.check(&tx(1, 2, 5, 1)),
            Err(TxRuleError::BadNonce {
                expected: 0,
                found: 1
            })
        );
        assert_eq!(
            l.check(&tx(1, 2, 101, 0)),
            Err(TxRuleError::InsufficientFunds {
                balance: 100,
                amount: 101
            })
        );
        assert_eq!(l.check(&tx(1, 2, 100, 0)), Ok(()));
    }

    #[test]
    fn overflow_is_refused() {
        let mut l = funded();
        l.credit(
            Address::from_bytes([2; 32]),
            u64::MAX,
            &mut UndoLog::default(),
        )
        .unwrap();
        assert_eq!(l.check(&tx(1, 2, 1, 0)), Err(TxRuleError::BalanceOverflow));
        assert_eq!(
            l.credit(Address::from_bytes([2; 32]), 1, &mut UndoLog::default()),
            Err(TxRuleError::BalanceOverflow)
        );
    }

    #[test]
    fn apply_and_undo() {
        let mut l = funded();
        let before = l.clone();
        let mut undo = UndoLog::default();
        l.apply(&tx(1, 2, 30, 0), &mut undo).unwrap();
        l.apply(&tx(2, 3, 10, 0), &mut undo).unwrap();
        assert_eq!(
            l.account(&Address::from_bytes([1; 32])),
            Account {
                balance: 70,
                nonce: 1
            }
        );
        assert_eq!(
            l.account(&Address::from_bytes([2; 32])),
            Account {
                balance: 20,
                nonce: 1
            }
        );
        assert_eq!(l.total_balance(), 100);
        l.undo(undo);
        assert_eq!(l, before);
    }

    #[test]
    fn unapply_is_the_exact_inverse() {
        let mut l = funded();
        let before = l.clone();
        let mut undo = UndoLog::default();
        let (a, b) = (tx(1, 2, 30, 0), tx(2, 3, 30, 0));
        l.apply(&a, &mut undo).unwrap();
        l.apply(&b, &mut undo).unwrap();
        l.credit(Address::from_bytes([4; 32]), 50, &mut undo)
            .unwrap();
        // Out of order: b must be undone before a.
        assert_eq!(l.unapply(&a, &mut UndoLog::default()), Err(NotApplied));
        l.uncredit(Address::from_bytes([4; 32]), 50, &mut UndoLog::default())
            .unwrap();
        l.unapply(&b, &mut UndoLog::default()).unwrap();
        l.unapply(&a, &mut UndoLog::default()).unwrap();
        // Byte-identical: accounts 2, 3 and 4 are gone again, not left at zero.
        assert_eq!(l, before);
        assert_eq!(l.accounts().count(), 1);
    }
}

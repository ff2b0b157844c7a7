//! Every sentence the wallet shows its user about a problem, in one place: the
//! `Display` of each error type (and of each `ERROR` code of PROTOCOL §7, [`explain`]).
//!
//! The error types live with their concern and keep their cause (`source()`); the
//! causes' own texts (core's, serde's, the browser's) are never shown as they are.
//! Sentences end with a period and name no code: they are for people.

use crate::format::coins;
use crate::state::{
    Awaiting, ExplorerError, LinkError, MineError, SendError, SendFormError, ServerRefusal,
};
use crate::storage::StorageError;
use crate::vault::{CryptoStep, VaultError};
use crate::wallet_file::{MAX_ITERATIONS, MIN_PASSPHRASE_CHARS, VERSION, WalletFileError};
use simplechain_core::protocol::ErrorCode;
use std::fmt::{self, Display, Formatter};

/// What the wallet tells its user when the server answers `ERROR:<code>:…`.
pub fn explain(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadRequest => "The server could not understand the request.",
        ErrorCode::UnknownCommand => {
            "The server does not know this request; it may run an older version."
        }
        ErrorCode::TooLong => "The request was too large for the server.",
        ErrorCode::BadSignature => {
            "The server refused the signature: the transfer was not signed for this chain."
        }
        ErrorCode::BadNonce => {
            "The transfer is out of order with this wallet's earlier ones. Wait for the balance to refresh and send it again."
        }
        ErrorCode::InsufficientFunds => {
            "Not enough coins: the amount is more than the balance left after pending transfers."
        }
        ErrorCode::InvalidAmount => "The amount must be a whole number of coins above zero.",
        ErrorCode::Duplicate => "This transfer was already sent.",
        ErrorCode::PrivateKeyRefused => {
            "The server refuses any request that carries a secret key (this wallet never sends one)."
        }
        ErrorCode::MempoolFull => {
            "The server has too many transfers waiting right now. Try again in a minute."
        }
        ErrorCode::RateLimited => {
            "Too many requests from this wallet for now. Wait a little and try again."
        }
        ErrorCode::Busy => "The server is busy with another job. Try again in a moment.",
        ErrorCode::NotFound => "The server does not know it.",
        ErrorCode::InvalidChain => "The server refused a chain that breaks the rules.",
        ErrorCode::GenesisMismatch => "That chain starts from a different genesis block.",
        ErrorCode::NotBetter => "That chain has no more work than the server's own.",
        ErrorCode::ReorgTooDeep => "That chain forks too far below the server's tip.",
        ErrorCode::FaucetDisabled => "This server gives no test coins (its faucet is off).",
        ErrorCode::Internal => "The server ran into a problem of its own. Try again later.",
        ErrorCode::InvalidBlock => "The server refused the block: it breaks a rule of the chain.",
        ErrorCode::UnknownParent => {
            "The server does not know the block this one builds on. Fetch a new template."
        }
    }
}

impl Display for ServerRefusal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(explain(self.0.code))
    }
}

impl Display for LinkError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::NotConnected => f.write_str("Not connected to the server; reconnecting…"),
            LinkError::Dropped => f.write_str("The connection dropped; try again."),
            LinkError::Unrequested => f.write_str("The server sent an answer nobody asked for."),
            LinkError::Unreadable(_) => {
                f.write_str("The server sent an answer this page does not understand.")
            }
            LinkError::UnreadableBlocks(_) => {
                f.write_str("The server sent blocks this page cannot read.")
            }
            LinkError::Mismatch(awaiting) => write!(
                f,
                "The server's answer did not fit the request ({}).",
                request_name(awaiting)
            ),
            LinkError::LiveUpdatesOff(refusal) => write!(f, "Live updates are off: {refusal}"),
            LinkError::Refused(refusal) => refusal.fmt(f),
        }
    }
}

/// What a request was about, in a word or two.
fn request_name(awaiting: &Awaiting) -> &'static str {
    match awaiting {
        Awaiting::Info => "chain info",
        Awaiting::Subscribe | Awaiting::SubscribeBlocks => "subscription",
        Awaiting::Account(_) | Awaiting::ExplorerAccount(_) => "account",
        Awaiting::History { .. } | Awaiting::ExplorerHistory { .. } => "history",
        Awaiting::OwnPending(_) => "pending transfers",
        Awaiting::Mempool => "mempool",
        Awaiting::RecentBlocks | Awaiting::Block(_) | Awaiting::Genesis => "blocks",
        Awaiting::SearchBlock(_) | Awaiting::BlockByHash(_) | Awaiting::ReplayAncestor(_) => {
            "block"
        }
        Awaiting::Template => "block template",
        Awaiting::SubmitBlock => "mined block",
        Awaiting::Tree => "block tree",
        Awaiting::ReplayBlocks(_) | Awaiting::LabBlocks(_) => "blocks",
        Awaiting::LabSubmit(_) => "block submission",
        Awaiting::TrackTx(_) | Awaiting::ShowTx(_) | Awaiting::SearchTx(_) => "transaction",
        Awaiting::Submit(_) => "transfer",
        Awaiting::Faucet => "faucet",
        Awaiting::Validate => "validation",
        Awaiting::Trial { .. } => "trial transfer",
        Awaiting::Proof(_) | Awaiting::ProofBlock(_) => "Merkle proof",
    }
}

impl Display for SendFormError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SendFormError::NoReceiver => f.write_str("Enter the receiver's address."),
            SendFormError::ReceiverShape { chars } => write!(
                f,
                "An address is 64 hexadecimal characters (0-9, a-f); this has {chars}."
            ),
            SendFormError::NotAnAddress(_) => f.write_str("That is not a valid address."),
            SendFormError::OwnAddress => f.write_str("That is this wallet's own address."),
            SendFormError::NoAmount => f.write_str("Enter an amount."),
            SendFormError::NotWholeCoins => f.write_str("Use whole coins: digits only."),
            SendFormError::AmountTooLarge(_) => f.write_str("That amount is far too large."),
            SendFormError::ZeroAmount => f.write_str("The amount must be more than zero."),
            SendFormError::MoreThanSpendable { spendable } => write!(
                f,
                "That is more than the {spendable} coins this wallet can spend."
            ),
        }
    }
}

impl Display for SendError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Locked => f.write_str("Unlock the wallet first."),
            SendError::StillLoading => {
                f.write_str("Still loading the chain; try again in a moment.")
            }
            SendError::LostInTransit => f.write_str(
                "The connection dropped before the transfer reached the server; it was not sent.",
            ),
            SendError::Refused(refusal) => refusal.fmt(f),
        }
    }
}

impl Display for ExplorerError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ExplorerError::NoSuchBlock(height) => write!(f, "There is no block {height} yet."),
            ExplorerError::UnknownTransaction => {
                f.write_str("The server does not know that transaction.")
            }
            ExplorerError::NotAKey => f.write_str(
                "Type a block height, or a block hash, a txid or an address (64 hexadecimal characters).",
            ),
            ExplorerError::NoSuchBlockHash(hash) => write!(
                f,
                "The server has no block {} (any more): only the last {} blocks of side branches are kept.",
                crate::format::short(&hash.to_string()),
                simplechain_core::MAX_REORG_DEPTH
            ),
        }
    }
}

impl Display for MineError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MineError::Locked => {
                "Unlock (or create) a wallet to mine: the block's reward is paid to its address."
            }
            MineError::Threads => "Workers: a whole number from 1 to 64.",
            MineError::Cap => {
                "Hash-rate cap: a whole number of hashes per second above zero, or empty for no cap."
            }
            MineError::BadFind => {
                "A worker's block does not hash to what it said; mining stopped (reload the page)."
            }
            MineError::Worker => {
                "The mining worker could not start or run in this browser; mining stopped."
            }
            MineError::ForeignTemplate => {
                "The server's template pays another address than this wallet's; mining stopped."
            }
        })
    }
}

impl Display for WalletFileError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            WalletFileError::NotJson(_) | WalletFileError::NotAWalletFile => {
                f.write_str("This is not a SimpleBlockchain wallet file.")
            }
            WalletFileError::UnsupportedVersion(version) => write!(
                f,
                "This wallet file has version {version}; this page reads version {VERSION}."
            ),
            WalletFileError::UnknownEncryption => {
                f.write_str("This wallet file uses an encryption this page does not know.")
            }
            WalletFileError::WeakKeyDerivation => {
                f.write_str("This wallet file's key derivation is too weak.")
            }
            WalletFileError::ExcessiveKeyDerivation(iterations) => write!(
                f,
                "This wallet file asks for {} key derivation rounds; this page accepts at most {} (more would freeze the tab), so it was not made by this wallet.",
                coins(u64::from(*iterations)),
                coins(u64::from(MAX_ITERATIONS))
            ),
            WalletFileError::Damaged { field, .. } => {
                write!(f, "This wallet file has a damaged {field}.")
            }
            WalletFileError::ShortPassphrase => write!(
                f,
                "Use a passphrase of at least {MIN_PASSPHRASE_CHARS} characters."
            ),
        }
    }
}

impl Display for VaultError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            VaultError::NoWallet => f.write_str("No wallet is stored in this browser."),
            VaultError::File(error) => error.fmt(f),
            VaultError::BadSecretKey(_) => {
                f.write_str("A secret key is 64 hexadecimal characters.")
            }
            VaultError::PassphraseMismatch => f.write_str(
                "The two passphrases differ: type the same passphrase in both fields. Nothing was created.",
            ),
            VaultError::WrongPassphrase => {
                f.write_str("Wrong passphrase: the wallet stays locked.")
            }
            VaultError::NoWindow => f.write_str("No browser window."),
            VaultError::Browser { could_not, .. } => {
                write!(f, "The browser could not {}.", crypto_step(*could_not))
            }
            VaultError::DamagedKey => f.write_str("The wallet file is damaged."),
            VaultError::KeyMismatch => {
                f.write_str("The wallet file is damaged: its key does not match its address.")
            }
            VaultError::Storage(error) => error.fmt(f),
            VaultError::DownloadRefused => f.write_str("The browser refused the download."),
        }
    }
}

/// What the browser could not do, to follow "The browser could not".
fn crypto_step(step: CryptoStep) -> &'static str {
    match step {
        CryptoStep::ProvideWebCrypto => "provide WebCrypto (use https or localhost)",
        CryptoStep::ProduceRandomNumbers => "produce random numbers",
        CryptoStep::UsePassphrase => "use the passphrase",
        CryptoStep::DeriveKey => "derive a key from the passphrase",
        CryptoStep::EncryptKey => "encrypt the key",
        CryptoStep::DecryptKey => "decrypt the key",
    }
}

impl Display for StorageError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Unavailable => {
                f.write_str("This browser does not allow storage for this page.")
            }
            StorageError::Refused(_) => {
                f.write_str("The browser refused to store the wallet (storage full or blocked).")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::explain;
    use simplechain_core::protocol::ErrorCode;

    #[test]
    fn every_code_has_its_own_sentence() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let sentence = explain(code);
            assert!(sentence.ends_with('.'), "{code}: {sentence}");
            assert!(!sentence.contains('_'), "{code} leaks its code: {sentence}");
            assert!(seen.insert(sentence), "{code} shares its sentence");
        }
    }
}

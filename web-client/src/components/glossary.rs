//! The words of a blockchain, each explained where it appears: `term(Term::Nonce)`
//! is the word with its explanation as a tooltip (`<abbr title>`), reachable by
//! keyboard. The one place these sentences live.

use yew::{Html, html};

/// A word the page explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Nonce,
    TxNonce,
    Difficulty,
    MerkleRoot,
    ChainId,
    Txid,
    PrevHash,
    Timestamp,
    Signature,
    Hash,
    HeaderMessage,
    ProofOfWork,
    Reward,
    Miner,
    Height,
}

impl Term {
    /// The word as shown.
    pub fn word(self) -> &'static str {
        match self {
            Term::Nonce => "Nonce",
            Term::TxNonce => "Nonce",
            Term::Difficulty => "Difficulty",
            Term::MerkleRoot => "Merkle root",
            Term::ChainId => "Chain id",
            Term::Txid => "Txid",
            Term::PrevHash => "Previous",
            Term::Timestamp => "Time",
            Term::Signature => "Signature",
            Term::Hash => "Hash",
            Term::HeaderMessage => "Header message",
            Term::ProofOfWork => "Proof of work",
            Term::Reward => "Reward",
            Term::Miner => "Miner",
            Term::Height => "Height",
        }
    }

    /// What it means, in a sentence or two.
    pub fn meaning(self) -> &'static str {
        match self {
            Term::Nonce => {
                "A number the miner is free to choose. Miners try nonce after nonce until the block's hash has enough leading zero bits: that search is the work."
            }
            Term::TxNonce => {
                "How many transactions the sender sent before this one (0 for the first). A transaction with an old nonce is refused, so a signed payment cannot be replayed."
            }
            Term::Difficulty => {
                "How many leading zero bits a block's hash must have. Each extra bit doubles the hashes a miner needs on average: 2^difficulty."
            }
            Term::MerkleRoot => {
                "One hash that sums up every txid of the block (tx_root): pairs of hashes are hashed together, level by level. Change any transaction and the root changes."
            }
            Term::ChainId => {
                "The hash of the genesis block. Every signature covers it, so a transaction signed for one chain is worthless on another."
            }
            Term::Txid => {
                "The transaction's id: SHA-256 of its signing message (chain id, sender, receiver, amount, nonce)."
            }
            Term::PrevHash => {
                "prev_hash: the hash of the block before. It links the blocks: change an old block and every later link breaks."
            }
            Term::Timestamp => {
                "When the block was made, in milliseconds since 1970 (UTC). Never before the previous block's, at most 2 hours ahead of the server's clock."
            }
            Term::Signature => {
                "Ed25519 proof that the sender's secret key signed exactly this message. Anyone can check it with the sender's address (the public key); nobody can forge it."
            }
            Term::Hash => {
                "SHA-256 of the block's header message: 64 hex digits that change completely if any character of the header changes."
            }
            Term::HeaderMessage => {
                "The exact text that is hashed: every header field joined with ':'. The transactions enter only through the Merkle root."
            }
            Term::ProofOfWork => {
                "The hash, read as a 256-bit number, starts with at least 'difficulty' zero bits. Finding such a nonce takes many tries; checking it takes one."
            }
            Term::Reward => {
                "New coins for the block's miner: 50 in every block after genesis (genesis holds the initial supply)."
            }
            Term::Miner => "The address the block's reward is paid to.",
            Term::Height => "The block's position in the chain; the genesis block is 0.",
        }
    }
}

/// The word, explaining itself on hover or focus.
pub fn term(term: Term) -> Html {
    html! {
        <abbr class="term" title={term.meaning()} tabindex="0">{ term.word() }</abbr>
    }
}

/// A term in the middle of a sentence, in lower case.
pub fn term_lower(term: Term, word: &'static str) -> Html {
    html! {
        <abbr class="term" title={term.meaning()} tabindex="0">{ word }</abbr>
    }
}

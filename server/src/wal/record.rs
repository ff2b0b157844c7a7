//! One record of the acknowledgement log, as bytes (no I/O here).
//!
//! ```text
//! offset 0   len    u32 LE   bytes of payload
//!        4   crc    u32 LE   CRC-32 of seq and payload
//!        8   seq    u64 LE   the record's number: each one is the last plus 1
//!       16   payload         JSON, one of:
//!                              {"admitted":[[mempool seq, transaction], …]}
//!                              {"block_by_ref":{"block":{…},"txs":[…]}}
//!                                  a block on top of the main tip: the block without
//!                                  its transactions, then each transaction by the
//!                                  mempool seq it was admitted under (a number), or
//!                                  whole where the mempool did not hold it
//!                              {"side":{…}}
//!                                  a block kept on a side branch, whole (its
//!                                  transactions need not be in the mempool)
//!            zeros           up to the next multiple of 4096 bytes
//! ```
//!
//! A block names its transactions by number because the log (or redb's mempool table)
//! already holds them, from their admission: a 4,000-transaction block is a 30 KB
//! record, not a 1.5 MB one, and the admissions behind it wait for that much less.
//! (Format 3 wrote whole blocks, `{"block":{…}}`, and format 2 admitted batches as the
//! bare list; both are read back too.)
//!
//! A record starts on a 4 KiB boundary and is written with one `pwrite`, so a crash
//! in the middle of it leaves a record whose CRC does not match (a torn write), or,
//! where nothing of it reached the disk, the bytes that were there before.

use super::crc32::crc32;
use simplechain_core::{Block, Transaction};
use std::collections::HashMap;

/// Records start on multiples of this, and take whole multiples of it.
pub const BLOCK: usize = 4096;
/// The bytes before the payload.
pub const HEADER: usize = 16;

/// Admitted transactions, each with its mempool sequence number.
pub type Admitted = Vec<(u64, Transaction)>;

/// What one record holds, read back.
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// A batch of admitted transactions, acknowledged together.
    Admitted(Admitted),
    /// A block accepted on top of the main tip, its transactions by number.
    BlockByRef(Box<LoggedBlock>),
    /// A block accepted on top of the main tip, whole (written by format 3).
    Block(Block),
    /// A block kept on a side branch, whole (format 5 on).
    Side(Block),
}

impl Entry {
    /// The main-chain block of a block record, as logged: its header and hash, and its
    /// transactions only if it was logged whole. (A side block is not one.)
    pub fn logged_block(&self) -> Option<&Block> {
        match self {
            Entry::Admitted(_) | Entry::Side(_) => None,
            Entry::BlockByRef(by_ref) => Some(&by_ref.block),
            Entry::Block(block) => Some(block),
        }
    }
}

/// A block as its log record holds it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoggedBlock {
    /// The block without its transactions: its header and hash.
    pub block: Block,
    /// Its transactions, in order.
    pub txs: Vec<TxRef>,
}

/// One transaction of a [`LoggedBlock`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum TxRef {
    /// The mempool sequence number it was admitted under: an admitted record of the
    /// log, or redb's mempool table, holds it.
    Seq(u64),
    /// The transaction itself (one the mempool did not hold).
    Whole(Transaction),
}

impl LoggedBlock {
    /// `block` with its transactions given as `txs` (in the block's order).
    pub fn new(block: &Block, txs: Vec<TxRef>) -> Self {
        let block = Block {
            header: block.header,
            hash: block.hash,
            transactions: Vec::new(),
        };
        LoggedBlock { block, txs }
    }

    /// `block` with every transaction whole.
    pub fn whole(block: &Block) -> Self {
        let txs = block
            .transactions
            .iter()
            .copied()
            .map(TxRef::Whole)
            .collect();
        LoggedBlock::new(block, txs)
    }

    /// The block with its transactions, those given by number looked up in
    /// `admitted`; `Err(seq)` names the first one it lacks.
    pub fn resolve(&self, admitted: &HashMap<u64, &Transaction>) -> Result<Block, u64> {
        let transactions = self
            .txs
            .iter()
            .map(|r| match r {
                TxRef::Seq(seq) => admitted.get(seq).map(|tx| **tx).ok_or(*seq),
                TxRef::Whole(tx) => Ok(*tx),
            })
            .collect::<Result<Vec<_>, u64>>()?;
        Ok(Block {
            header: self.block.header,
            hash: self.block.hash,
            transactions,
        })
    }
}

/// The bytes of record `seq` holding the admitted `txs`, padded to whole blocks.
pub fn encode(seq: u64, txs: &[(u64, Transaction)]) -> Vec<u8> {
    let mut payload = b"{\"admitted\":".to_vec();
    serde_json::to_writer(&mut payload, txs).unwrap_or_default();
    payload.push(b'}');
    frame(seq, &payload)
}

/// The bytes of record `seq` holding a block on top of the main tip.
pub fn encode_block(seq: u64, block: &LoggedBlock) -> Vec<u8> {
    let mut payload = b"{\"block_by_ref\":".to_vec();
    serde_json::to_writer(&mut payload, block).unwrap_or_default();
    payload.push(b'}');
    frame(seq, &payload)
}

/// The bytes of record `seq` holding a side block, given as its JSON.
pub fn encode_side(seq: u64, block_json: &str) -> Vec<u8> {
    let payload = [b"{\"side\":".as_slice(), block_json.as_bytes(), b"}"].concat();
    frame(seq, &payload)
}

/// Header, payload and padding.
fn frame(seq: u64, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let seq_bytes = seq.to_le_bytes();
    let mut bytes = Vec::with_capacity(padded(HEADER + payload.len()));
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&crc32(&[&seq_bytes, payload]).to_le_bytes());
    bytes.extend_from_slice(&seq_bytes);
    bytes.extend_from_slice(payload);
    bytes.resize(padded(bytes.len()), 0);
    bytes
}

/// `n` rounded up to whole blocks.
pub fn padded(n: usize) -> usize {
    n.div_ceil(BLOCK) * BLOCK
}

/// What is at some offset of the log.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    /// A whole record: its number, what it holds, and its size with the padding.
    Record { seq: u64, entry: Entry, size: usize },
    /// Zeros where a header would be: nothing was ever written here.
    Empty,
    /// A record that is not whole: the reason, in words.
    Torn(&'static str),
}

/// Reads the record at the start of `bytes` (the rest of the log from there).
pub fn decode(bytes: &[u8]) -> Decoded {
    let Some(header) = bytes.get(..HEADER) else {
        return Decoded::Torn("the log ends inside a header");
    };
    if header.iter().all(|b| *b == 0) {
        return Decoded::Empty;
    }
    let word = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().unwrap_or([0; 4]));
    let len = word(0) as usize;
    let crc = word(4);
    let seq_bytes: [u8; 8] = header[8..16].try_into().unwrap_or([0; 8]);
    let Some(payload) = bytes.get(HEADER..HEADER + len) else {
        return Decoded::Torn("the length runs past the end of the log");
    };
    if crc32(&[&seq_bytes, payload]) != crc {
        return Decoded::Torn("the checksum does not match");
    }
    let entry = match payload.first() {
        Some(b'[') => serde_json::from_slice(payload).map(Entry::Admitted),
        _ => serde_json::from_slice(payload),
    };
    match entry {
        Ok(entry) => Decoded::Record {
            seq: u64::from_le_bytes(seq_bytes),
            entry,
            size: padded(HEADER + len),
        },
        Err(_) => Decoded::Torn("the checksum matches but the payload is not a record"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simplechain_core::{Address, ChainId};

    fn txs(n: u64) -> Admitted {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let chain = ChainId::from_bytes([3; 32]);
        (0..n)
            .map(|i| {
                let to = Address::from_bytes([9; 32]);
                (i + 10, Transaction::sign(&key, &chain, to, 1 + i, i))
            })
            .collect()
    }

    #[test]
    fn a_record_round_trips_and_fills_whole_blocks() {
        let bytes = encode(42, &txs(3));
        assert_eq!(bytes.len() % BLOCK, 0);
        let Decoded::Record { seq, entry, size } = decode(&bytes) else {
            panic!("not decoded");
        };
        assert_eq!((seq, size), (42, bytes.len()));
        assert_eq!(entry, Entry::Admitted(txs(3)));
    }

    /// A block holding `txs`, on genesis (not mined: the log does not check that).
    fn block_of(txs: &Admitted) -> Block {
        let genesis = Block::genesis(Address::from_bytes([4; 32]), 1000, 0, 77);
        let mut block = genesis.clone();
        block.header.height = 1;
        block.header.prev_hash = genesis.hash;
        block.transactions = txs.iter().map(|(_, tx)| *tx).collect();
        block
    }

    #[test]
    fn a_block_record_names_its_transactions_by_number_and_resolves_them() {
        let admitted = txs(3);
        let block = block_of(&admitted);
        let refs = vec![
            TxRef::Seq(admitted[0].0),
            TxRef::Whole(admitted[1].1),
            TxRef::Seq(admitted[2].0),
        ];
        let logged = LoggedBlock::new(&block, refs);
        let bytes = encode_block(5, &logged);
        let size = |b: &LoggedBlock| serde_json::to_vec(b).unwrap().len();
        let whole = size(&LoggedBlock::whole(&block));
        assert!(
            size(&logged) + 500 < whole,
            "{} against {whole}",
            size(&logged)
        );
        let Decoded::Record { seq, entry, size } = decode(&bytes) else {
            panic!("not decoded");
        };
        assert_eq!((seq, size), (5, bytes.len()));
        assert_eq!(entry, Entry::BlockByRef(Box::new(logged.clone())));
        let mut by_seq: HashMap<u64, &Transaction> =
            admitted.iter().map(|(seq, tx)| (*seq, tx)).collect();
        assert_eq!(logged.resolve(&by_seq), Ok(block.clone()));
        // The one given whole is not looked up; a missing number is named.
        by_seq.remove(&admitted[1].0);
        assert_eq!(logged.resolve(&by_seq), Ok(block));
        by_seq.remove(&admitted[2].0);
        assert_eq!(logged.resolve(&by_seq), Err(admitted[2].0));
    }

    #[test]
    fn a_side_block_record_holds_the_whole_block_and_is_no_main_block() {
        let block = block_of(&txs(2));
        let json = serde_json::to_string(&block).unwrap();
        let bytes = encode_side(8, &json);
        let Decoded::Record { seq, entry, size } = decode(&bytes) else {
            panic!("not decoded");
        };
        assert_eq!((seq, size), (8, bytes.len()));
        assert_eq!(entry.logged_block(), None);
        assert_eq!(entry, Entry::Side(block));
    }

    #[test]
    fn a_format_3_record_a_whole_block_is_read_back() {
        let block = block_of(&txs(2));
        let payload = [
            b"{\"block\":".as_slice(),
            &serde_json::to_vec(&block).unwrap(),
            b"}",
        ]
        .concat();
        let bytes = frame(4, &payload);
        let Decoded::Record { seq, entry, .. } = decode(&bytes) else {
            panic!("not decoded");
        };
        assert_eq!((seq, entry), (4, Entry::Block(block)));
    }

    #[test]
    fn a_format_2_record_the_bare_list_is_read_as_admitted() {
        let payload = serde_json::to_vec(&txs(2)).unwrap();
        let bytes = frame(9, &payload);
        let Decoded::Record { seq, entry, .. } = decode(&bytes) else {
            panic!("not decoded");
        };
        assert_eq!((seq, entry), (9, Entry::Admitted(txs(2))));
    }

    #[test]
    fn zeros_are_empty_and_damage_is_torn() {
        assert_eq!(decode(&[0; BLOCK]), Decoded::Empty);
        let bytes = encode(1, &txs(2));
        let mut flipped = bytes.clone();
        flipped[HEADER + 5] ^= 0x20;
        assert!(matches!(decode(&flipped), Decoded::Torn(_)));
        let used = HEADER + serde_json::to_vec(&txs(2)).unwrap().len() + r#"{"admitted":}"#.len();
        assert!(matches!(decode(&bytes[..used - 1]), Decoded::Torn(_)));
        assert!(matches!(decode(&bytes[..10]), Decoded::Torn(_)));
    }
}

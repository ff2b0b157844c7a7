//! One record of the acknowledgement log, as bytes (no I/O here).
//!
//! ```text
//! offset 0   len    u32 LE   bytes of payload
//!        4   crc    u32 LE   CRC-32 of seq and payload
//!        8   seq    u64 LE   the record's number: each one is the last plus 1
//!       16   payload         JSON, one of:
//!                              {"admitted":[[mempool seq, transaction], …]}
//!                              {"block":{…}}   a block on top of the main tip
//!            zeros           up to the next multiple of 4096 bytes
//! ```
//!
//! (A data dir of format 2 has only admitted batches, each written as the bare list;
//! they are read back too.)
//!
//! A record starts on a 4 KiB boundary and is written with one `pwrite`, so a crash
//! in the middle of it leaves a record whose CRC does not match (a torn write), or,
//! where nothing of it reached the disk, the bytes that were there before.

use super::crc32::crc32;
use simplechain_core::{Block, Transaction};

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
    /// A block accepted on top of the main tip.
    Block(Block),
}

/// The bytes of record `seq` holding the admitted `txs`, padded to whole blocks.
pub fn encode(seq: u64, txs: &[(u64, Transaction)]) -> Vec<u8> {
    let mut payload = b"{\"admitted\":".to_vec();
    serde_json::to_writer(&mut payload, txs).unwrap_or_default();
    payload.push(b'}');
    frame(seq, &payload)
}

/// The bytes of record `seq` holding a block, given as its JSON.
pub fn encode_block(seq: u64, block_json: &str) -> Vec<u8> {
    let payload = [b"{\"block\":", block_json.as_bytes(), b"}"].concat();
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

/// What to read of each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Everything,
    /// Blocks only: an admitted batch is checked (its checksum) but its transactions
    /// are not parsed, and it reads as an empty batch (for `VALIDATE_BLOCKCHAIN`).
    Blocks,
}

/// Reads the record at the start of `bytes` (the rest of the log from there).
pub fn decode(bytes: &[u8], want: Want) -> Decoded {
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
    let admitted = payload.first() == Some(&b'[') || payload.starts_with(b"{\"admitted\":");
    let entry = match (payload.first(), want) {
        (_, Want::Blocks) if admitted => Ok(Entry::Admitted(Vec::new())),
        (Some(b'['), _) => serde_json::from_slice(payload).map(Entry::Admitted),
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
        let Decoded::Record { seq, entry, size } = decode(&bytes, Want::Everything) else {
            panic!("not decoded");
        };
        assert_eq!((seq, size), (42, bytes.len()));
        assert_eq!(entry, Entry::Admitted(txs(3)));
    }

    #[test]
    fn a_block_record_round_trips() {
        let block = Block::genesis(Address::from_bytes([4; 32]), 1000, 0, 77);
        let json = serde_json::to_string(&block).unwrap();
        let bytes = encode_block(5, &json);
        let Decoded::Record { seq, entry, size } = decode(&bytes, Want::Everything) else {
            panic!("not decoded");
        };
        assert_eq!((seq, size), (5, bytes.len()));
        assert_eq!(entry, Entry::Block(block));
    }

    #[test]
    fn reading_blocks_only_skips_the_transactions_but_not_the_checksum() {
        let bytes = encode(3, &txs(2));
        let Decoded::Record { entry, .. } = decode(&bytes, Want::Blocks) else {
            panic!("not decoded");
        };
        assert_eq!(entry, Entry::Admitted(Vec::new()));
        let mut flipped = bytes.clone();
        flipped[HEADER + 20] ^= 0x01;
        assert!(matches!(decode(&flipped, Want::Blocks), Decoded::Torn(_)));
        let block = Block::genesis(Address::from_bytes([4; 32]), 1000, 0, 77);
        let bytes = encode_block(4, &serde_json::to_string(&block).unwrap());
        let Decoded::Record { entry, .. } = decode(&bytes, Want::Blocks) else {
            panic!("not decoded");
        };
        assert_eq!(entry, Entry::Block(block));
    }

    #[test]
    fn a_format_2_record_the_bare_list_is_read_as_admitted() {
        let payload = serde_json::to_vec(&txs(2)).unwrap();
        let bytes = frame(9, &payload);
        let Decoded::Record { seq, entry, .. } = decode(&bytes, Want::Everything) else {
            panic!("not decoded");
        };
        assert_eq!((seq, entry), (9, Entry::Admitted(txs(2))));
    }

    #[test]
    fn zeros_are_empty_and_damage_is_torn() {
        assert_eq!(decode(&[0; BLOCK], Want::Everything), Decoded::Empty);
        let bytes = encode(1, &txs(2));
        let mut flipped = bytes.clone();
        flipped[HEADER + 5] ^= 0x20;
        assert!(matches!(
            decode(&flipped, Want::Everything),
            Decoded::Torn(_)
        ));
        let used = HEADER + serde_json::to_vec(&txs(2)).unwrap().len() + r#"{"admitted":}"#.len();
        assert!(matches!(
            decode(&bytes[..used - 1], Want::Everything),
            Decoded::Torn(_)
        ));
        assert!(matches!(
            decode(&bytes[..10], Want::Everything),
            Decoded::Torn(_)
        ));
    }
}

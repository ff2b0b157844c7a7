//! One change of what redb holds, as a value: written whole or not at all by
//! `Storage::commit`.

use simplechain_core::{BlockHash, Transaction};
use std::sync::Arc;

/// One change of the stored block tree and mempool, written atomically by
/// [`Storage::commit`].
#[derive(Debug)]
pub struct Change {
    /// Main-chain blocks at this height and above are removed first
    /// (`u64::MAX`: none).
    pub main_from: u64,
    /// Then these are written: (height, JSON).
    pub main: Vec<(u64, Arc<str>)>,
    /// Side blocks written, by hash.
    pub side_add: Vec<(BlockHash, Arc<str>)>,
    /// Side blocks removed (pruned, or now on the main chain).
    pub side_remove: Vec<BlockHash>,
    /// Mempool entries removed, by sequence number.
    pub mempool_remove: Vec<u64>,
    /// Mempool entries written.
    pub mempool_add: Vec<(u64, Transaction)>,
    /// A checkpoint: redb now holds every acknowledgement-log record up to this one.
    pub log_applied: Option<u64>,
    /// The data dir's format, written when it is upgraded.
    pub format: Option<u64>,
}

impl Default for Change {
    /// Changes nothing.
    fn default() -> Self {
        Change {
            main_from: u64::MAX,
            main: Vec::new(),
            side_add: Vec::new(),
            side_remove: Vec::new(),
            mempool_remove: Vec::new(),
            mempool_add: Vec::new(),
            log_applied: None,
            format: None,
        }
    }
}

/// What a mempool entry is counted as when a change is cut into pieces: about the
/// size of its JSON.
const ENTRY_BYTES: usize = 300;

impl Change {
    /// This change as pieces written one after the other, each holding about
    /// `piece_bytes` of blocks and mempool entries (one block at least), so that no one
    /// commit fills the disk's queue for long (`docs/PERFORMANCE.md`, issue 13).
    ///
    /// Only the last piece removes anything (but for the blocks above `main_from`,
    /// removed by the first) and says how much of the log redb holds (`log_applied`).
    /// So after any of the others, what redb holds is what it held, plus blocks and
    /// entries the log holds too: opening reads the log's blocks that redb already has
    /// as held (`wal::blocks_on`), and an entry in both as one.
    pub fn into_pieces(mut self, piece_bytes: usize) -> Vec<Change> {
        let mut pieces = Vec::new();
        let mut main = std::mem::take(&mut self.main).into_iter().peekable();
        let mut mempool = std::mem::take(&mut self.mempool_add).into_iter().peekable();
        loop {
            let mut piece = Change::default();
            let mut bytes = 0;
            while let Some((_, json)) = main.peek() {
                if bytes > 0 && bytes + json.len() > piece_bytes {
                    break;
                }
                bytes += json.len();
                piece.main.extend(main.next());
            }
            while mempool.peek().is_some() && bytes + ENTRY_BYTES <= piece_bytes.max(ENTRY_BYTES) {
                bytes += ENTRY_BYTES;
                piece.mempool_add.extend(mempool.next());
            }
            if main.peek().is_none() && mempool.peek().is_none() {
                // The last: everything else goes with it.
                self.main = piece.main;
                self.mempool_add = piece.mempool_add;
                if !pieces.is_empty() {
                    self.main_from = u64::MAX;
                }
                pieces.push(self);
                return pieces;
            }
            if pieces.is_empty() {
                piece.main_from = self.main_from;
            }
            pieces.push(piece);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(height: u64, bytes: usize) -> (u64, Arc<str>) {
        (height, Arc::from("x".repeat(bytes)))
    }

    fn entry(seq: u64) -> (u64, Transaction) {
        let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        let chain = simplechain_core::ChainId::from_bytes([1; 32]);
        let to = simplechain_core::Address::from_bytes([2; 32]);
        (seq, Transaction::sign(&key, &chain, to, 1, seq))
    }

    #[test]
    fn a_checkpoint_in_pieces_adds_first_and_removes_and_says_how_much_only_last() {
        let change = Change {
            main_from: 7,
            main: (7..12).map(|h| block(h, 400)).collect(),
            side_remove: vec![BlockHash::from_bytes([9; 32])],
            mempool_remove: vec![1, 2],
            mempool_add: (10..15).map(entry).collect(),
            log_applied: Some(41),
            ..Change::default()
        };
        let pieces = change.into_pieces(1000);
        let heights: Vec<Vec<u64>> = pieces
            .iter()
            .map(|p| p.main.iter().map(|(h, _)| *h).collect())
            .collect();
        // Two blocks of 400 bytes a piece, then the last block with two entries of 300,
        // then the other three entries.
        assert_eq!(heights, [vec![7, 8], vec![9, 10], vec![11], vec![]]);
        let entries: Vec<usize> = pieces.iter().map(|p| p.mempool_add.len()).collect();
        assert_eq!(entries, [0, 0, 2, 3]);
        let (last, earlier) = pieces.split_last().unwrap();
        assert_eq!(pieces[0].main_from, 7, "the first removes what it replaces");
        for piece in earlier {
            assert_eq!(piece.log_applied, None);
            assert!(piece.mempool_remove.is_empty() && piece.side_remove.is_empty());
        }
        assert!(earlier[1..].iter().all(|p| p.main_from == u64::MAX));
        assert_eq!(last.main_from, u64::MAX);
        assert_eq!(last.log_applied, Some(41));
        assert_eq!(last.mempool_remove, [1, 2]);
        assert_eq!(last.side_remove.len(), 1);
    }

    #[test]
    fn a_small_change_is_one_piece_and_a_large_block_a_piece_of_its_own() {
        let small = Change {
            main_from: 3,
            main: vec![block(3, 10)],
            log_applied: Some(5),
            ..Change::default()
        };
        let pieces = small.into_pieces(1 << 20);
        assert_eq!(pieces.len(), 1);
        assert_eq!((pieces[0].main_from, pieces[0].log_applied), (3, Some(5)));
        let large = Change {
            main_from: 3,
            main: vec![block(3, 5000), block(4, 5000)],
            ..Change::default()
        };
        let pieces = large.into_pieces(1000);
        assert_eq!(
            pieces.iter().map(|p| p.main.len()).collect::<Vec<_>>(),
            [1, 1]
        );
        let nothing = Change::default().into_pieces(1000);
        assert_eq!(nothing.len(), 1, "an empty change is still written once");
    }
}

//! What the wallet page and its mining workers say to each other, one text line each
//! way, and the work itself ([`work`]): core's midstate nonce search
//! ([`NonceSearch`]) over one slice of nonces.
//!
//! ```text
//! page → worker   <job> <start> <count> <height> <prev_hash> <timestamp> <difficulty> <miner> <reward> <tx_root>
//! worker → page   ready                                       (once, when its wasm is loaded)
//!                 <job> <start> <tried> <best_bits> <best_nonce> <best_hash> <found_nonce|-> <busy_ms>
//!                 error <sentence>
//! ```
//!
//! The worker keeps no state between slices: the page decides which nonces each worker
//! tries next, how many, and when (the hash-rate cap), and drops answers for an old job.

use simplechain_core::BlockHeader;
use simplechain_core::nonce_search::NonceSearch;
use simplechain_core::{Address, BlockHash, MerkleRoot};
use std::fmt;

/// The worker's first line: its wasm is loaded and it takes slices.
pub const READY: &str = "ready";

/// One slice of work: try `count` nonces from `start` on `header` (its nonce ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// Which template this is for (the page counts its templates).
    pub job: u64,
    pub start: u64,
    pub count: u64,
    pub header: BlockHeader,
}

/// What one slice found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub job: u64,
    pub start: u64,
    /// Nonces hashed (up to and including a found one).
    pub tried: u64,
    /// The most leading zero bits seen, with the first nonce that had them and its hash.
    pub best_bits: u64,
    pub best_nonce: u64,
    pub best_hash: BlockHash,
    /// The nonce that meets the difficulty, if one did (its hash is `best_hash`).
    pub found: Option<u64>,
    /// Milliseconds the search took in the worker.
    pub busy_ms: u64,
}

/// A line that is not a slice or a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub &'static str);

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the mining worker could not read {}", self.0)
    }
}

impl std::error::Error for Unreadable {}

fn next<'a, T: std::str::FromStr>(
    fields: &mut impl Iterator<Item = &'a str>,
    what: &'static str,
) -> Result<T, Unreadable> {
    fields
        .next()
        .and_then(|f| f.parse().ok())
        .ok_or(Unreadable(what))
}

impl Slice {
    /// The line the page sends.
    pub fn encode(&self) -> String {
        let h = &self.header;
        format!(
            "{} {} {} {} {} {} {} {} {} {}",
            self.job,
            self.start,
            self.count,
            h.height,
            h.prev_hash,
            h.timestamp,
            h.difficulty,
            h.miner,
            h.reward,
            h.tx_root
        )
    }

    /// Reads a line the page sent.
    pub fn decode(line: &str) -> Result<Slice, Unreadable> {
        let f = &mut line.split(' ');
        let job = next(f, "the job")?;
        let start = next(f, "the first nonce")?;
        let count = next(f, "the nonce count")?;
        let header = BlockHeader {
            height: next(f, "the height")?,
            prev_hash: next::<BlockHash>(f, "the previous hash")?,
            timestamp: next(f, "the timestamp")?,
            difficulty: next(f, "the difficulty")?,
            miner: next::<Address>(f, "the miner")?,
            reward: next(f, "the reward")?,
            tx_root: next::<MerkleRoot>(f, "the Merkle root")?,
            nonce: 0,
        };
        match f.next() {
            None => Ok(Slice {
                job,
                start,
                count,
                header,
            }),
            Some(_) => Err(Unreadable("a slice with extra fields")),
        }
    }
}

impl Report {
    /// The line the worker sends.
    pub fn encode(&self) -> String {
        let found = self.found.map_or("-".to_string(), |n| n.to_string());
        format!(
            "{} {} {} {} {} {} {found} {}",
            self.job,
            self.start,
            self.tried,
            self.best_bits,
            self.best_nonce,
            self.best_hash,
            self.busy_ms
        )
    }

    /// Reads a line the worker sent.
    pub fn decode(line: &str) -> Result<Report, Unreadable> {
        let f = &mut line.split(' ');
        let job = next(f, "the job")?;
        let start = next(f, "the first nonce")?;
        let tried = next(f, "the nonces tried")?;
        let best_bits = next(f, "the best bits")?;
        let best_nonce = next(f, "the best nonce")?;
        let best_hash = next::<BlockHash>(f, "the best hash")?;
        let found = match f.next() {
            Some("-") => None,
            Some(n) => Some(n.parse().map_err(|_| Unreadable("the found nonce"))?),
            None => return Err(Unreadable("the found nonce")),
        };
        let busy_ms = next(f, "the time taken")?;
        Ok(Report {
            job,
            start,
            tried,
            best_bits,
            best_nonce,
            best_hash,
            found,
            busy_ms,
        })
    }
}

/// Runs one slice (`now_ms` reads the clock, for `busy_ms`).
pub fn work(slice: &Slice, now_ms: impl Fn() -> f64) -> Report {
    let began = now_ms();
    let searched = NonceSearch::new(slice.header).run(slice.start, slice.count.max(1));
    let busy_ms = (now_ms() - began).max(0.0) as u64;
    let (best_nonce, best_hash) = searched.best.unwrap_or((slice.start, BlockHash::ZERO));
    Report {
        job: slice.job,
        start: slice.start,
        tried: searched.tried,
        best_bits: searched.best_bits,
        best_nonce,
        best_hash,
        found: searched.found.map(|(header, _)| header.nonce),
        busy_ms,
    }
}

/// The worker's answer to one line from the page.
pub fn answer(line: &str, now_ms: impl Fn() -> f64) -> String {
    match Slice::decode(line) {
        Ok(slice) => work(&slice, now_ms).encode(),
        Err(problem) => format!("error {problem}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simplechain_core::block::leading_zero_bits;

    fn header(difficulty: u64) -> BlockHeader {
        BlockHeader {
            height: 3,
            prev_hash: BlockHash::from_bytes([7; 32]),
            timestamp: 1_763_900_000_000,
            difficulty,
            miner: Address::from_bytes([0x11; 32]),
            reward: 50,
            tx_root: MerkleRoot::EMPTY,
            nonce: 0,
        }
    }

    #[test]
    fn a_slice_and_a_report_survive_their_lines() {
        let slice = Slice {
            job: 4,
            start: u64::MAX - 5,
            count: 1000,
            header: header(12),
        };
        assert_eq!(Slice::decode(&slice.encode()), Ok(slice));
        let report = work(&slice, || 0.0);
        assert_eq!(Report::decode(&report.encode()), Ok(report));
    }

    #[test]
    fn a_found_nonce_is_the_one_the_header_hashes_to() {
        let slice = Slice {
            job: 1,
            start: 0,
            count: 1 << 20,
            header: header(8),
        };
        let report = Report::decode(&answer(&slice.encode(), || 0.0)).unwrap();
        let nonce = report
            .found
            .expect("difficulty 8 is met within 2^20 nonces");
        let mined = BlockHeader {
            nonce,
            ..slice.header
        };
        assert_eq!(mined.hash(), report.best_hash);
        assert!(leading_zero_bits(&report.best_hash) >= 8);
        assert_eq!(report.tried, nonce + 1);
    }

    #[test]
    fn without_a_find_the_best_hash_is_reported() {
        let slice = Slice {
            job: 2,
            start: 10,
            count: 500,
            header: header(200),
        };
        let report = work(&slice, || 0.0);
        assert_eq!(report.found, None);
        assert_eq!(report.tried, 500);
        let best = BlockHeader {
            nonce: report.best_nonce,
            ..slice.header
        };
        assert_eq!(best.hash(), report.best_hash);
        assert_eq!(leading_zero_bits(&report.best_hash), report.best_bits);
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            answer("1 2 x", || 0.0),
            "error the mining worker could not read the nonce count"
        );
        assert!(Report::decode("ready").is_err());
        let extra = format!(
            "{} more",
            Slice {
                job: 0,
                start: 0,
                count: 1,
                header: header(1)
            }
            .encode()
        );
        assert!(Slice::decode(&extra).is_err());
    }
}

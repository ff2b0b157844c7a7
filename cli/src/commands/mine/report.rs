//! What `simplechain mine` prints: the status line, each block's fate and the summary.
//! Pure formatting, so it is tested without a server.

use super::super::short;
use serde::Serialize;
use simplechain_core::BlockHash;
use simplechain_core::protocol::{BlockStatus, Submitted};

/// The blocks this run submitted, by fate.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Blocks found and submitted.
    pub found: u64,
    /// On the main chain when submitted.
    pub tips: u64,
    /// Kept on a side branch.
    pub sides: u64,
    /// Already in the tree (`known`).
    pub known: u64,
    /// Refused by the server.
    pub errors: u64,
}

impl Tally {
    /// Blocks the server accepted (`tip` or `side`): what `--blocks N` counts.
    pub fn accepted(&self) -> u64 {
        self.tips + self.sides
    }

    /// Counts one answer to `SUBMIT_BLOCK` (`None`: refused).
    pub fn count(&mut self, status: Option<BlockStatus>) {
        self.found += 1;
        match status {
            Some(BlockStatus::Tip) => self.tips += 1,
            Some(BlockStatus::Side) => self.sides += 1,
            Some(BlockStatus::Known) => self.known += 1,
            None => self.errors += 1,
        }
    }
}

/// A hash rate with its unit: `812 H/s`, `1.25 MH/s`.
pub fn rate(per_second: f64) -> String {
    match per_second {
        r if r >= 1e9 => format!("{:.2} GH/s", r / 1e9),
        r if r >= 1e6 => format!("{:.2} MH/s", r / 1e6),
        r if r >= 1e3 => format!("{:.1} kH/s", r / 1e3),
        r => format!("{r:.0} H/s"),
    }
}

/// The live status: what is mined, how fast, how close, and how many were found.
pub fn status(
    height: u64,
    per_second: f64,
    best_bits: u64,
    difficulty: u64,
    tally: &Tally,
) -> String {
    format!(
        "mining block {height} | {} | best {best_bits}/{difficulty} bits | found {} (tip {}, side {}, errors {})",
        rate(per_second),
        tally.found,
        tally.tips,
        tally.sides,
        tally.errors
    )
}

/// One block's fate: `block 5 00003b9c2f1a… tip`, `… tip (replaced 1)`, `… side`.
pub fn fate(submitted: &Submitted) -> String {
    let what = match submitted.status {
        BlockStatus::Tip if submitted.replaced > 0 => {
            format!("tip (replaced {})", submitted.replaced)
        }
        status => status.as_str().into(),
    };
    format!(
        "block {} {}… {what}",
        submitted.height,
        short(&submitted.hash)
    )
}

/// A refused block: `block 5 00003b9c2f1a… refused: <the server's sentence>`.
pub fn refused(height: u64, hash: &BlockHash, why: &dyn std::fmt::Display) -> String {
    format!("block {height} {}… refused: {why}", short(hash))
}

/// The end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub tally: Tally,
    pub hashes: u64,
    pub elapsed_s: f64,
    /// Hashes per second over the whole run.
    pub average_rate: f64,
}

impl Summary {
    pub fn new(tally: Tally, hashes: u64, elapsed_s: f64) -> Summary {
        Summary {
            tally,
            hashes,
            elapsed_s,
            average_rate: hashes as f64 / elapsed_s.max(1e-9),
        }
    }

    /// The summary as text, one figure a line.
    pub fn text(&self) -> String {
        let t = &self.tally;
        format!(
            "Blocks found: {} (tip {}, side {}, known {}, errors {})\nHashes:       {}\nAverage rate: {}\nElapsed:      {:.1} s\n",
            t.found,
            t.tips,
            t.sides,
            t.known,
            t.errors,
            self.hashes,
            rate(self.average_rate),
            self.elapsed_s
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_readable_units() {
        assert_eq!(rate(812.0), "812 H/s");
        assert_eq!(rate(12_345.0), "12.3 kH/s");
        assert_eq!(rate(1_250_000.0), "1.25 MH/s");
        assert_eq!(rate(3.5e9), "3.50 GH/s");
    }

    #[test]
    fn fates_and_status_read_as_sentences() {
        let hash: BlockHash = format!("00003b9c2f1a{}", "0".repeat(52)).parse().unwrap();
        let mut s = Submitted {
            hash,
            height: 5,
            status: BlockStatus::Tip,
            replaced: 0,
        };
        assert_eq!(fate(&s), "block 5 00003b9c2f1a… tip");
        s.replaced = 1;
        assert_eq!(fate(&s), "block 5 00003b9c2f1a… tip (replaced 1)");
        s.status = BlockStatus::Side;
        assert_eq!(fate(&s), "block 5 00003b9c2f1a… side");
        assert_eq!(
            refused(5, &hash, &"the server refused: stale (invalid_block)"),
            "block 5 00003b9c2f1a… refused: the server refused: stale (invalid_block)"
        );
        let mut tally = Tally::default();
        for status in [
            Some(BlockStatus::Tip),
            Some(BlockStatus::Side),
            None,
            Some(BlockStatus::Known),
        ] {
            tally.count(status);
        }
        assert_eq!(tally.accepted(), 2);
        assert_eq!(
            status(6, 2_000_000.0, 14, 20, &tally),
            "mining block 6 | 2.00 MH/s | best 14/20 bits | found 4 (tip 1, side 1, errors 1)"
        );
        let summary = Summary::new(tally, 1000, 2.0);
        assert_eq!(summary.average_rate, 500.0);
        assert!(
            summary
                .text()
                .starts_with("Blocks found: 4 (tip 1, side 1, known 1, errors 1)\n")
        );
    }
}

//! Mining in the tab: a template from the server (`GET_TEMPLATE`), the nonce search
//! in Web Workers (`hooks/use_miners.rs` runs them; this file keeps what they report),
//! and the found block submitted (`SUBMIT_BLOCK`), with its fate.
//!
//! ```text
//! Start ─▶ Fetching ─TEMPLATE─▶ Searching ─found─▶ Submitting ─SUBMITTED/ERROR─▶ fate
//!             ▲                    │ EVENT:TIP on another parent                │
//!             └────────────────────┴──── "keep mining" ◀────────────────────────┘
//! ```
//!
//! Each template is a new `job`: reports for an older job are dropped, so a worker
//! that was still hashing the old header cannot show or submit it.

use super::{Awaiting, ServerRefusal, State};
use simplechain_core::block::{leading_zero_bits, meets_difficulty};
use simplechain_core::protocol::{BlockStatus, Request, Submitted, Template};
use simplechain_core::{Address, BlockHash};
use simplechain_miner::Report;
use std::rc::Rc;

mod input;
pub use input::{MAX_THREADS, expected_secs, read_cap, read_threads};

/// Whether the page mines, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MineRun {
    #[default]
    Off,
    /// Stop after one block is found and submitted.
    One,
    /// Go on with a new template after each block.
    Keep,
}

/// Where the search stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MineStep {
    #[default]
    Idle,
    /// `GET_TEMPLATE` sent.
    Fetching,
    /// The workers search the current template.
    Searching,
    /// A block was found and sent; the workers wait.
    Submitting,
}

/// What one worker reported last.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WorkerRate {
    /// Hashes per second it delivers (wall time, the cap's pauses included).
    pub effective: f64,
    /// Hashes per second while it hashes (its own busy time): the worker's speed.
    pub raw: f64,
}

/// The search of the current template so far.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    /// Nonces hashed by all workers.
    pub tried: u64,
    /// The last nonce a worker reached.
    pub nonce: u64,
    /// The hash with the most leading zero bits, its bits and its nonce.
    pub best: Option<(BlockHash, u64, u64)>,
    /// Each worker's rate, by worker number.
    pub rates: Vec<WorkerRate>,
}

/// What became of a submitted block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Sent; no answer yet.
    Waiting,
    /// `SUBMITTED`: `tip`, `side` or `known`, with the main-chain blocks it replaced.
    Accepted { status: BlockStatus, replaced: u64 },
    /// The server's refusal, as a sentence.
    Refused(String),
}

/// The last block this tab found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub hash: BlockHash,
    pub height: u64,
    /// When a worker found it (milliseconds since the epoch, the tab's clock).
    pub found_ms: u64,
    pub fate: Fate,
}

/// Why the page cannot mine as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MineError {
    /// Mining pays the wallet's address: it must be unlocked.
    Locked,
    /// The workers field holds something other than 1 to [`MAX_THREADS`].
    Threads,
    /// The cap field holds something other than a whole number of hashes per second.
    Cap,
    /// A worker's found nonce does not hash to what it said, or misses the difficulty.
    BadFind,
    /// A worker could not run (its line, or the browser's complaint).
    Worker,
    /// The template is for another miner than this wallet.
    ForeignTemplate,
}

impl std::error::Error for MineError {}

/// Mining in this tab.
#[derive(Debug, Clone, PartialEq)]
pub struct Mining {
    pub run: MineRun,
    pub step: MineStep,
    /// Workers to run (default: the browser's core count).
    pub threads: u32,
    /// The most hashes per second for all workers together (`None`: no cap).
    pub cap: Option<u64>,
    /// The template being searched.
    pub template: Option<Rc<Template>>,
    /// Counts the templates: the workers' reports name the one they searched.
    pub job: u64,
    pub progress: Progress,
    pub found: Option<Found>,
    /// Blocks this tab found since it was opened.
    pub blocks_found: u64,
    /// The sentence for the last problem, shown in the Mine section.
    pub problem: Option<String>,
}

impl Default for Mining {
    fn default() -> Self {
        Mining {
            run: MineRun::Off,
            step: MineStep::Idle,
            threads: 1,
            cap: None,
            template: None,
            job: 0,
            progress: Progress::default(),
            found: None,
            blocks_found: 0,
            problem: None,
        }
    }
}

impl Mining {
    /// Hashes per second of all workers, as delivered.
    pub fn rate(&self) -> f64 {
        self.progress.rates.iter().map(|r| r.effective).sum()
    }

    /// Hashes per second of one worker while it hashes, averaged over the workers.
    pub fn rate_per_worker(&self) -> f64 {
        let rates = &self.progress.rates;
        let busy: Vec<f64> = rates.iter().map(|r| r.raw).filter(|r| *r > 0.0).collect();
        if busy.is_empty() {
            0.0
        } else {
            busy.iter().sum::<f64>() / busy.len() as f64
        }
    }

    /// Whether the workers should hash now.
    pub fn searching(&self) -> bool {
        self.step == MineStep::Searching
    }
}

impl State {
    /// "Mine one block" (`keep: false`) or "Keep mining".
    pub(super) fn mine_start(&mut self, keep: bool) {
        let Some(address) = self.wallet.unlocked() else {
            return self.mine_problem(MineError::Locked);
        };
        self.mining.problem = None;
        self.mining.run = if keep { MineRun::Keep } else { MineRun::One };
        self.mining.found = None;
        self.request_template(address);
    }

    /// Stops; the last template stays on screen, with the last nonce tried (the
    /// winning one after a find).
    pub(super) fn mine_stop(&mut self) {
        self.mining.run = MineRun::Off;
        self.mining.step = MineStep::Idle;
    }

    pub(super) fn mine_threads(&mut self, text: &str) {
        match read_threads(text) {
            Ok(n) => {
                self.mining.threads = n;
                self.mining.progress.rates.truncate(n as usize);
                self.mining.problem = None;
            }
            Err(e) => self.mine_problem(e),
        }
    }

    pub(super) fn mine_cap(&mut self, text: &str) {
        match read_cap(text) {
            Ok(cap) => {
                self.mining.cap = cap;
                self.mining.problem = None;
            }
            Err(e) => self.mine_problem(e),
        }
    }

    fn mine_problem(&mut self, problem: MineError) {
        self.mining.problem = Some(problem.to_string());
    }

    fn request_template(&mut self, address: Address) {
        if self.request(Request::GetTemplate(address), Awaiting::Template) {
            self.mining.step = MineStep::Fetching;
        } else {
            self.mine_stop();
        }
    }

    /// `TEMPLATE:`: a new job for the workers, unless mining stopped meanwhile or a
    /// newer tip makes it stale.
    pub(super) fn got_template(&mut self, template: Template) {
        if self.mining.run == MineRun::Off || self.mining.step != MineStep::Fetching {
            return;
        }
        let Some(address) = self.wallet.unlocked() else {
            return self.mine_stop();
        };
        if template.miner != address {
            self.mine_stop();
            return self.mine_problem(MineError::ForeignTemplate);
        }
        if let Some((height, hash)) = self.last_event
            && template.height <= height + 1
            && template.prev_hash != hash
        {
            return self.request_template(address);
        }
        self.mining.template = Some(Rc::new(template));
        self.mining.job += 1;
        self.mining.step = MineStep::Searching;
        self.mining.progress = Progress {
            rates: std::mem::take(&mut self.mining.progress.rates),
            ..Progress::default()
        };
    }

    pub(super) fn template_refused(&mut self, refusal: &ServerRefusal) {
        self.mine_stop();
        self.mining.problem = Some(refusal.to_string());
    }

    /// A worker's report: `wall_ms` since that worker was sent its slice, `at_ms` now.
    pub(super) fn miner_report(&mut self, worker: usize, report: Report, wall_ms: f64, at_ms: u64) {
        if report.job != self.mining.job || !self.mining.searching() {
            return;
        }
        let progress = &mut self.mining.progress;
        if progress.rates.len() <= worker {
            progress.rates.resize(worker + 1, WorkerRate::default());
        }
        let per_sec = |ms: f64| {
            if ms > 0.0 {
                report.tried as f64 * 1000.0 / ms
            } else {
                0.0
            }
        };
        progress.rates[worker] = WorkerRate {
            effective: per_sec(wall_ms.max(report.busy_ms as f64)),
            raw: per_sec(report.busy_ms as f64),
        };
        progress.tried += report.tried;
        progress.nonce = report.start + report.tried.saturating_sub(1);
        if progress
            .best
            .is_none_or(|(_, bits, _)| report.best_bits > bits)
        {
            progress.best = Some((report.best_hash, report.best_bits, report.best_nonce));
        }
        if let Some(nonce) = report.found {
            self.mined(nonce, report.best_hash, at_ms);
        }
    }

    /// A worker found `nonce`: the block is checked here (its hash recomputed) and
    /// submitted.
    fn mined(&mut self, nonce: u64, hash: BlockHash, at_ms: u64) {
        let Some(template) = self.mining.template.clone() else {
            return;
        };
        let header = template.header(nonce);
        if header.hash() != hash || !meets_difficulty(&hash, header.difficulty) {
            self.mine_stop();
            return self.mine_problem(MineError::BadFind);
        }
        debug_assert!(leading_zero_bits(&hash) >= header.difficulty);
        let block = Rc::unwrap_or_clone(template).into_block(header, hash);
        let json = serde_json::to_string(&block).unwrap_or_default();
        let line = Request::SubmitBlock(&json).encode();
        if self.queue_line(line, Awaiting::SubmitBlock) {
            self.mining.step = MineStep::Submitting;
            self.mining.found = Some(Found {
                hash,
                height: header.height,
                found_ms: at_ms,
                fate: Fate::Waiting,
            });
        } else {
            self.mine_stop();
        }
    }

    /// `SUBMITTED:`.
    pub(super) fn submitted(&mut self, answer: Submitted) {
        if let Some(found) = &mut self.mining.found
            && found.hash == answer.hash
        {
            found.fate = Fate::Accepted {
                status: answer.status,
                replaced: answer.replaced,
            };
            self.quests_from_mined(answer.status, answer.replaced);
        }
        if answer.status != BlockStatus::Known {
            self.mining.blocks_found += 1;
        }
        self.after_fate();
    }

    /// `SUBMIT_BLOCK` refused: the server's reason.
    pub(super) fn block_refused(&mut self, refusal: &ServerRefusal) {
        if let Some(found) = &mut self.mining.found {
            found.fate = Fate::Refused(refusal.to_string());
        }
        self.after_fate();
    }

    /// One block is done: stop, or go on with a new template.
    fn after_fate(&mut self) {
        match (self.mining.run, self.wallet.unlocked()) {
            (MineRun::Keep, Some(address)) => self.request_template(address),
            _ => self.mine_stop(),
        }
    }

    /// A new tip: a search on another parent is wasted work, so it restarts.
    pub(super) fn mining_tip(&mut self, hash: BlockHash) {
        if self.mining.searching()
            && let Some(template) = &self.mining.template
            && template.prev_hash != hash
            && let Some(address) = self.wallet.unlocked()
        {
            self.request_template(address);
        }
    }

    /// The socket dropped: what was asked is lost; a new connection asks again.
    pub(super) fn mining_dropped(&mut self) {
        if self.mining.step != MineStep::Idle {
            self.mining.step = MineStep::Idle;
            if let Some(found) = &mut self.mining.found
                && found.fate == Fate::Waiting
            {
                found.fate = Fate::Refused(super::LinkError::Dropped.to_string());
            }
        }
    }

    /// A new connection: mining that was on goes on.
    pub(super) fn mining_reconnected(&mut self) {
        if self.mining.run != MineRun::Off
            && let Some(address) = self.wallet.unlocked()
        {
            self.request_template(address);
        }
    }

    /// A worker could not run.
    pub(super) fn miner_failed(&mut self) {
        self.mine_stop();
        self.mine_problem(MineError::Worker);
    }
}

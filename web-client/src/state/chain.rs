//! The chain at a glance (`GET_INFO`), the tip events that say it grew
//! (`EVENT:TIP`), and the "validate chain" button (`VALIDATE_BLOCKCHAIN`).

use super::{Awaiting, LinkError, ServerRefusal, State};
use simplechain_core::BlockHash;
use simplechain_core::protocol::{Info, Request};

/// The "validate chain" button's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    Idle,
    Running,
    Valid,
    Invalid {
        height: u64,
        reason: String,
    },
    /// The sentence saying why it could not run.
    Failed(String),
}

impl State {
    /// A new tip: refresh everything that may have changed.
    pub(super) fn tip(&mut self, height: u64, hash: BlockHash) {
        self.last_event = Some((height, hash));
        self.faucet_mined();
        self.request(Request::GetInfo, Awaiting::Info);
        self.refresh_wallet();
        self.track_accepted_transfer();
        self.mining_tip(hash);
        self.tree_changed();
    }

    /// `INFO:`, then the newest blocks when the explorer follows the tip, and the
    /// genesis block once (it names the treasury).
    pub(super) fn got_info(&mut self, info: Info) {
        let height = info.height;
        self.info = Some(info);
        if self.explorer.top.is_none() {
            self.request_blocks_page(height);
        }
        if self.treasury.is_none() {
            self.request(Request::GetBlocks { from: 0, limit: 1 }, Awaiting::Genesis);
        }
    }

    pub(super) fn validate(&mut self) {
        if self.request(Request::ValidateBlockchain, Awaiting::Validate) {
            self.validation = Validation::Running;
        }
    }

    pub(super) fn validation_refused(&mut self, refusal: &ServerRefusal) {
        self.validation = Validation::Failed(refusal.to_string());
    }

    pub(super) fn validation_dropped(&mut self) {
        if self.validation == Validation::Running {
            self.validation = Validation::Failed(LinkError::Dropped.to_string());
        }
    }
}

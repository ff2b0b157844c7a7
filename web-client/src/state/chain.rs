//! The chain at a glance (`GET_INFO`), the tip events that say it grew
//! (`EVENT:TIP`), and the "validate chain" button (`VALIDATE_BLOCKCHAIN`).

use super::{Awaiting, LinkError, RECENT_BLOCKS, ServerRefusal, State};
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
    }

    /// `INFO:`, then the recent blocks up to its height.
    pub(super) fn got_info(&mut self, info: Info) {
        let from = info.height.saturating_sub(RECENT_BLOCKS - 1);
        self.info = Some(info);
        self.request(
            Request::GetBlocks {
                from,
                limit: RECENT_BLOCKS,
            },
            Awaiting::RecentBlocks,
        );
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

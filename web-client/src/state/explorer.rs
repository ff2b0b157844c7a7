//! The block explorer: the recent blocks (`GET_BLOCKS`), a block's detail and a
//! transaction's detail (`GET_TRANSACTION`).

use super::link::decode_blocks;
use super::{Awaiting, State};
use simplechain_core::protocol::{Request, TxInfo};
use simplechain_core::{Block, TxId};
use std::rc::Rc;

/// Blocks shown by the explorer's recent list.
pub const RECENT_BLOCKS: u64 = 10;

/// The block explorer's data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Explorer {
    /// The most recent blocks, newest first.
    pub recent: Rc<Vec<Block>>,
    /// The block whose detail is open.
    pub block: Option<Rc<Block>>,
    /// The transaction whose detail is open.
    pub tx: Option<TxInfo>,
    /// The sentence saying why the last detail could not be shown.
    pub message: Option<String>,
}

/// Why the explorer could not show a detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExplorerError {
    /// The chain is not that high yet.
    NoSuchBlock(u64),
    /// The server knows no transaction with that txid.
    UnknownTransaction,
}

impl std::error::Error for ExplorerError {}

impl State {
    pub(super) fn show_block(&mut self, height: u64) {
        self.explorer.tx = None;
        self.explorer.message = None;
        match self
            .explorer
            .recent
            .iter()
            .find(|b| b.header.height == height)
        {
            Some(block) => self.explorer.block = Some(Rc::new(block.clone())),
            None => {
                self.request(
                    Request::GetBlocks {
                        from: height,
                        limit: 1,
                    },
                    Awaiting::Block(height),
                );
            }
        }
    }

    pub(super) fn show_tx(&mut self, txid: TxId) {
        self.explorer.message = None;
        self.request(Request::GetTransaction(txid), Awaiting::ShowTx(txid));
    }

    pub(super) fn close_detail(&mut self) {
        self.explorer.block = None;
        self.explorer.tx = None;
        self.explorer.message = None;
    }

    pub(super) fn got_recent_blocks(&mut self, raw: &str) {
        match decode_blocks(raw) {
            Ok(mut blocks) => {
                blocks.reverse();
                self.explorer.recent = Rc::new(blocks);
            }
            Err(error) => self.show(&error),
        }
    }

    pub(super) fn got_block(&mut self, height: u64, raw: &str) {
        match decode_blocks(raw).ok().and_then(|b| b.into_iter().next()) {
            Some(block) => self.explorer.block = Some(Rc::new(block)),
            None => self.explorer_problem(ExplorerError::NoSuchBlock(height)),
        }
    }

    pub(super) fn got_tx(&mut self, info: TxInfo) {
        self.explorer.block = None;
        self.explorer.tx = Some(info);
    }

    pub(super) fn tx_not_found(&mut self) {
        self.explorer_problem(ExplorerError::UnknownTransaction);
    }

    fn explorer_problem(&mut self, problem: ExplorerError) {
        self.explorer.message = Some(problem.to_string());
    }
}

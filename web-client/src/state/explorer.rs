//! The block explorer: a page of blocks (`GET_BLOCKS`), paged back to genesis; a
//! block, a transaction or an address opened from a link or from the search box.
//!
//! The search box takes a height, or 64 hex characters, which are tried as a txid
//! (`GET_TRANSACTION`), then as a block hash (the blocks on the page, then
//! `GET_BLOCK`, PROTOCOL §9), and else opened as an address (`GET_ACCOUNT` and
//! `GET_HISTORY`): every address exists, with zero coins until it gets some.
//!
//! Whatever the explorer could not show replaces what it showed before: a message
//! never sits above a stale detail.

use super::link::decode_blocks;
use super::{Awaiting, State};
use simplechain_core::protocol::{AccountInfo, History, Request, TxInfo};
use simplechain_core::{Address, Block, BlockHash, TxId};
use std::rc::Rc;

/// Blocks on one page of the explorer's list.
pub const RECENT_BLOCKS: u64 = 10;
/// Transactions on one page of an address.
pub const ADDRESS_PAGE: u64 = 10;

/// The block explorer's data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Explorer {
    /// The page of blocks shown, newest first.
    pub recent: Rc<Vec<Block>>,
    /// The height of the newest block of the page shown; `None` follows the tip.
    pub top: Option<u64>,
    /// What is open.
    pub detail: Option<Detail>,
    /// The sentence saying why the last search or link showed nothing.
    pub message: Option<String>,
    /// Counts the details opened, so that the page brings each new one into view.
    pub opened: u64,
}

/// What the explorer has open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Block(Rc<Block>),
    Tx(TxInfo),
    Address {
        account: AccountInfo,
        /// The open page of its history, once it arrives.
        history: Option<History>,
        offset: u64,
    },
}

/// Why the explorer could not show something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExplorerError {
    /// The chain is not that high yet.
    NoSuchBlock(u64),
    /// The server knows no transaction with that txid.
    UnknownTransaction,
    /// Neither a height nor 64 hexadecimal characters.
    NotAKey,
    /// The server's tree holds no block with that hash (any more).
    NoSuchBlockHash(BlockHash),
}

impl std::error::Error for ExplorerError {}

/// What the search box holds, once read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKey {
    Height(u64),
    /// 64 hex characters: a txid, a block hash or an address.
    Hash([u8; 32]),
}

impl SearchKey {
    /// Reads what was typed: digits are a height, 64 hex characters a hash.
    pub fn read(text: &str) -> Option<SearchKey> {
        let text = text.trim();
        if !text.is_empty() && text.len() < 21 && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse().ok().map(SearchKey::Height);
        }
        let mut bytes = [0u8; 32];
        simplechain_core::hex::decode_into(text, &mut bytes).ok()?;
        Some(SearchKey::Hash(bytes))
    }
}

impl State {
    /// The search box: a height, a txid, a block hash or an address.
    pub(super) fn search(&mut self, text: &str) {
        match SearchKey::read(text) {
            Some(SearchKey::Height(height)) => self.show_block(height),
            Some(SearchKey::Hash(bytes)) => {
                let txid = TxId::from_bytes(bytes);
                self.request(Request::GetTransaction(txid), Awaiting::SearchTx(bytes));
            }
            None => self.explorer_problem(ExplorerError::NotAKey),
        }
    }

    /// Not a txid: a block hash on the page, or one the server has (`GET_BLOCK`).
    pub(super) fn search_block(&mut self, bytes: [u8; 32]) {
        let hash = BlockHash::from_bytes(bytes);
        if let Some(block) = self.explorer.recent.iter().find(|b| b.hash == hash) {
            let block = Rc::new(block.clone());
            return self.open(Detail::Block(block));
        }
        self.request(Request::GetBlock(hash), Awaiting::SearchBlock(bytes));
    }

    /// The answer to `GET_BLOCK`: `BLOCK:<block json + "main">`.
    pub(super) fn got_block_by_hash(&mut self, bytes: [u8; 32], json: &str) {
        match serde_json::from_str::<Block>(json) {
            Ok(block) => self.open(Detail::Block(Rc::new(block))),
            Err(_) => self.show_address(Address::from_bytes(bytes)),
        }
    }

    /// A block of the tree, main or side, opened in the explorer (in the wallet's
    /// section, brought into view once it arrives).
    pub(super) fn show_block_hash(&mut self, hash: BlockHash) {
        self.section = super::Section::Wallet;
        self.request(Request::GetBlock(hash), Awaiting::BlockByHash(hash));
    }

    /// The answer to [`State::show_block_hash`]'s `GET_BLOCK`.
    pub(super) fn got_tree_block(&mut self, hash: BlockHash, json: &str) {
        match serde_json::from_str::<Block>(json) {
            Ok(block) if block.hash == hash => self.open(Detail::Block(Rc::new(block))),
            _ => self.no_such_block_hash(hash),
        }
    }

    pub(super) fn no_such_block_hash(&mut self, hash: BlockHash) {
        self.explorer_problem(ExplorerError::NoSuchBlockHash(hash));
    }

    pub(super) fn show_block(&mut self, height: u64) {
        match self
            .explorer
            .recent
            .iter()
            .find(|b| b.header.height == height)
        {
            Some(block) => {
                let block = Rc::new(block.clone());
                self.open(Detail::Block(block));
            }
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
        self.request(Request::GetTransaction(txid), Awaiting::ShowTx(txid));
    }

    /// An address's page: its account, then its history.
    pub(super) fn show_address(&mut self, address: Address) {
        self.request(
            Request::GetAccount(address),
            Awaiting::ExplorerAccount(address),
        );
        self.request_address_page(address, 0);
    }

    pub(super) fn address_page(&mut self, offset: u64) {
        if let Some(Detail::Address { account, .. }) = &self.explorer.detail {
            let address = account.address;
            self.request_address_page(address, offset);
        }
    }

    fn request_address_page(&mut self, address: Address, offset: u64) {
        self.request(
            Request::GetHistory {
                address,
                offset,
                limit: ADDRESS_PAGE,
            },
            Awaiting::ExplorerHistory { address, offset },
        );
    }

    pub(super) fn got_explorer_account(&mut self, account: AccountInfo) {
        self.open(Detail::Address {
            account,
            history: None,
            offset: 0,
        });
    }

    pub(super) fn got_explorer_history(&mut self, address: Address, offset: u64, page: History) {
        if let Some(Detail::Address {
            account,
            history,
            offset: shown,
        }) = &mut self.explorer.detail
            && account.address == address
        {
            *history = Some(page);
            *shown = offset;
        }
    }

    pub(super) fn close_detail(&mut self) {
        self.explorer.detail = None;
        self.explorer.message = None;
    }

    /// Shows the page of blocks whose newest is `top` (`None`: the newest blocks, and
    /// follow the tip).
    pub(super) fn blocks_page(&mut self, top: Option<u64>) {
        let tip = self.info.as_ref().map_or(0, |i| i.height);
        let top = top.filter(|t| *t < tip);
        self.explorer.top = top;
        self.request_blocks_page(top.unwrap_or(tip));
    }

    /// Asks for the page of blocks ending at height `top`.
    pub(super) fn request_blocks_page(&mut self, top: u64) {
        let from = top.saturating_sub(RECENT_BLOCKS - 1);
        self.request(
            Request::GetBlocks {
                from,
                limit: top - from + 1,
            },
            Awaiting::RecentBlocks,
        );
    }

    pub(super) fn got_recent_blocks(&mut self, raw: &str) {
        match decode_blocks(raw) {
            Ok(mut blocks) => {
                blocks.reverse();
                self.note_miner(&blocks);
                self.explorer.recent = Rc::new(blocks);
            }
            Err(error) => self.show(&error),
        }
    }

    pub(super) fn got_block(&mut self, height: u64, raw: &str) {
        match decode_blocks(raw).ok().and_then(|b| b.into_iter().next()) {
            Some(block) if block.header.height == height => {
                self.open(Detail::Block(Rc::new(block)))
            }
            _ => self.explorer_problem(ExplorerError::NoSuchBlock(height)),
        }
    }

    pub(super) fn got_tx(&mut self, info: TxInfo) {
        self.open(Detail::Tx(info));
    }

    pub(super) fn tx_not_found(&mut self) {
        self.explorer_problem(ExplorerError::UnknownTransaction);
    }

    fn open(&mut self, detail: Detail) {
        let block = match &detail {
            Detail::Block(block) => Some(block.clone()),
            _ => None,
        };
        self.explorer.detail = Some(detail);
        self.explorer.message = None;
        self.explorer.opened += 1;
        match block {
            Some(block) => self.glass_open(&block),
            None => self.refresh_checks(),
        }
    }

    /// The problem replaces whatever was open.
    fn explorer_problem(&mut self, problem: ExplorerError) {
        self.explorer.detail = None;
        self.explorer.message = Some(problem.to_string());
        self.explorer.opened += 1;
    }
}

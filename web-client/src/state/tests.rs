//! The reducer, driven by the lines a server would send.

use super::account::FAUCET_NOTE_MS;
use super::{
    Action, Awaiting, Detail, FaucetStep, HISTORY_PAGE, Link, SendStep, State, Validation, Wallet,
    check_amount, check_receiver, tick_ms,
};
use crate::sentences::explain;
use ed25519_dalek::SigningKey;
use simplechain_core::protocol::{
    AccountInfo, ChainJson, ErrorCode, History, Info, Mempool, Request, Response, TxInfo, TxStatus,
};
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, Block, BlockHash, ChainId, TxId};
use std::collections::VecDeque;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn chain() -> ChainId {
    ChainId::from_bytes([7; 32])
}

fn info(height: u64, faucet: Option<bool>) -> Info {
    Info {
        protocol: 1,
        chain_id: chain(),
        height,
        tip: BlockHash::from_bytes([height as u8; 32]),
        difficulty: 8,
        block_reward: 50,
        mempool: 0,
        faucet,
        idle_timeout_secs: None,
    }
}

fn account(address: Address, balance: u64, nonce: u64) -> AccountInfo {
    AccountInfo {
        address,
        balance,
        nonce,
        pending_balance: balance,
        pending_nonce: nonce,
    }
}

fn history(address: Address) -> History {
    History {
        address,
        total: 0,
        items: Vec::new(),
    }
}

trait Drive: Sized {
    fn with(self, action: Action) -> Self;
    fn reply(self, response: Response) -> Self;
    fn sent_lines(&self) -> Vec<String>;
    fn flushed(self) -> Self;
}

impl Drive for State {
    fn with(self, action: Action) -> Self {
        self.apply(action)
    }
    fn reply(self, response: Response) -> Self {
        self.apply(Action::Line(response.encode()))
    }
    fn sent_lines(&self) -> Vec<String> {
        self.outbox.iter().map(|(_, l)| l.clone()).collect()
    }
    fn flushed(self) -> Self {
        let next = self.next_seq;
        self.apply(Action::Sent(next))
    }
}

/// Connected and unlocked with `balance` coins, every initial request answered.
fn ready(balance: u64) -> State {
    let address = address_of(&key(1));
    let state = State::new(None, Default::default())
        .with(Action::Unlocked(key(1)))
        .with(Action::Connected);
    assert_eq!(
        state.sent_lines(),
        vec![
            "GET_INFO".to_string(),
            "SUBSCRIBE:BLOCKS".into(),
            format!("GET_ACCOUNT:{address}"),
            format!("GET_HISTORY:{address}:0:{HISTORY_PAGE}"),
            format!("GET_HISTORY:{address}:0:100"),
        ]
    );
    let state = state
        .flushed()
        .reply(Response::Info(info(3, Some(true))))
        .reply(Response::Success)
        .reply(Response::Account(account(address, balance, 0)))
        .reply(Response::History(history(address)))
        .reply(Response::History(history(address)));
    // INFO asked for the newest blocks (0 to 3) and the genesis block.
    assert_eq!(
        state.in_flight,
        VecDeque::from([Awaiting::RecentBlocks, Awaiting::Genesis])
    );
    assert_eq!(
        state.sent_lines(),
        vec!["GET_BLOCKS:0:4".to_string(), "GET_BLOCKS:0:1".into()]
    );
    state
        .flushed()
        .reply(Response::Blocks("{\"blocks\":[]}".into()))
        .reply(Response::Blocks("{\"blocks\":[]}".into()))
}

#[test]
fn responses_are_matched_in_request_order() {
    let state = ready(100);
    assert!(state.in_flight.is_empty());
    assert!(state.subscribed);
    assert_eq!(state.info.as_ref().map(|i| i.height), Some(3));
    assert_eq!(state.account.as_ref().map(|a| a.balance), Some(100));
    assert!(state.faucet_available());
    assert_eq!(state.error, None);
}

#[test]
fn events_answer_nothing_and_refresh_everything() {
    let state = ready(100);
    let hash = BlockHash::from_bytes([9; 32]);
    let address = address_of(&key(1));
    let state = state.with(Action::Validate);
    // The event arrives between the request and its response.
    let state = state.with(Action::Line(format!("EVENT:TIP:4:{hash}")));
    assert_eq!(state.last_event, Some((4, hash)));
    assert_eq!(
        state.in_flight,
        VecDeque::from([
            Awaiting::Validate,
            Awaiting::Info,
            Awaiting::Account(address),
            Awaiting::History { address, offset: 0 },
            Awaiting::OwnPending(address),
        ])
    );
    let state = state.with(Action::Line("VALID".into()));
    assert_eq!(state.validation, Validation::Valid);
    assert_eq!(state.in_flight.front(), Some(&Awaiting::Info));
}

#[test]
fn outbox_is_trimmed_once_sent() {
    let state = State::new(None, Default::default()).with(Action::Connected);
    assert_eq!(state.outbox.len(), 2);
    let state = state.with(Action::Sent(1));
    assert_eq!(state.sent_lines(), vec!["SUBSCRIBE:BLOCKS".to_string()]);
    let state = state.flushed();
    assert!(state.outbox.is_empty());
    assert_eq!(state.in_flight.len(), 2, "still waiting for the answers");
}

#[test]
fn reconnect_forgets_in_flight_and_resubscribes() {
    let state = ready(100).with(Action::Validate).with(Action::Disconnected);
    assert_eq!(state.link, Link::Reconnecting { attempt: 1 });
    assert!(state.in_flight.is_empty() && state.outbox.is_empty());
    assert!(!state.subscribed);
    assert!(matches!(state.validation, Validation::Failed(_)));
    let state = state.with(Action::Disconnected);
    assert_eq!(state.link, Link::Reconnecting { attempt: 2 });
    // Nothing is queued while disconnected.
    let state = state.with(Action::Faucet);
    assert!(state.outbox.is_empty());
    assert!(state.error.is_some());
    let state = state.with(Action::Connected);
    assert_eq!(state.link, Link::Connected);
    assert!(state.sent_lines().contains(&"SUBSCRIBE:BLOCKS".to_string()));
    assert_eq!(state.error, None);
}

#[test]
fn send_checks_confirms_signs_and_follows_to_confirmation() {
    let receiver = address_of(&key(2));
    let state = ready(100);

    // Checked as typed.
    let bad = state.clone().with(Action::Review {
        to: "abc".into(),
        amount: "5".into(),
    });
    assert!(bad.error.unwrap().contains("64 hexadecimal"));
    let bad = state.clone().with(Action::Review {
        to: receiver.to_string(),
        amount: "101".into(),
    });
    assert!(bad.error.unwrap().contains("more than the 100"));
    assert_eq!(bad.send, SendStep::Idle);

    // The confirm step shows the balance after.
    let state = state.with(Action::Review {
        to: receiver.to_string(),
        amount: "30".into(),
    });
    assert_eq!(
        state.send,
        SendStep::Confirming {
            to: receiver,
            amount: 30,
            balance_after: 70
        }
    );

    // Signed in the tab with the chain id from GET_INFO and the pending nonce.
    let state = state.with(Action::Confirm);
    let line = state.sent_lines().pop().unwrap();
    let Ok(Request::AddTransaction(tx)) = Request::parse(&line) else {
        panic!("not a transaction: {line}");
    };
    assert_eq!(tx.verify(&chain()), Ok(()));
    assert_eq!((tx.receiver, tx.amount, tx.nonce), (receiver, 30, 0));
    let txid = tx.txid(&chain());
    assert!(matches!(state.send, SendStep::Submitting { txid: t, .. } if t == txid));
    // The secret key is not in anything the wallet sends.
    let secret = crate::wallet_file::to_hex(&key(1).to_bytes());
    assert!(!line.contains(&secret));

    // SUCCESS: accepted, counted at once, followed.
    let state = state.flushed().reply(Response::Success);
    assert!(matches!(state.send, SendStep::Accepted { .. }));
    let counted = state.account.as_ref().unwrap();
    assert_eq!((counted.pending_balance, counted.pending_nonce), (70, 1));
    assert_eq!(
        state.in_flight.back(),
        Some(&Awaiting::TrackTx(txid)),
        "asks for its status"
    );
    let pending_info = TxInfo {
        txid,
        status: TxStatus::Pending,
        height: None,
        transaction: tx,
    };
    let refreshed = AccountInfo {
        pending_balance: 70,
        pending_nonce: 1,
        ..account_of(&state)
    };
    let state = state
        .flushed()
        .reply(Response::Account(refreshed))
        .reply(Response::History(history(tx.sender)))
        .reply(Response::History(History {
            address: tx.sender,
            total: 1,
            items: vec![pending_info.clone()],
        }))
        .reply(Response::Tx(pending_info.clone()));
    assert_eq!(state.spendable(), 70);
    assert!(matches!(state.send, SendStep::Accepted { .. }));

    // The next block: the tip event makes the wallet ask again, and it is confirmed.
    let hash = BlockHash::from_bytes([5; 32]);
    let state = state.with(Action::Line(format!("EVENT:TIP:4:{hash}")));
    assert_eq!(state.in_flight.back(), Some(&Awaiting::TrackTx(txid)));
    let state = state
        .reply(Response::Info(info(4, Some(true))))
        .reply(Response::Account(account(tx.sender, 70, 1)))
        .reply(Response::History(history(tx.sender)))
        .reply(Response::History(history(tx.sender)))
        .reply(Response::Tx(TxInfo {
            status: TxStatus::Confirmed,
            height: Some(4),
            ..pending_info
        }));
    assert_eq!(
        state.send,
        SendStep::Confirmed {
            txid,
            to: receiver,
            amount: 30,
            height: 4
        }
    );
    assert_eq!(state.account.as_ref().unwrap().balance, 70);
}

fn account_of(state: &State) -> AccountInfo {
    state.account.clone().unwrap()
}

#[test]
fn every_error_code_becomes_a_sentence() {
    for code in ErrorCode::ALL {
        let state = ready(100)
            .with(Action::Review {
                to: address_of(&key(2)).to_string(),
                amount: "1".into(),
            })
            .with(Action::Confirm)
            .reply(Response::error(code, "whatever the server says"));
        match state.send {
            SendStep::Failed { message } => assert_eq!(message, explain(code)),
            other => panic!("{code}: {other:?}"),
        }
    }
}

#[test]
fn faucet_and_validation_results() {
    let state = ready(0).with(Action::Faucet);
    assert_eq!(state.faucet, FaucetStep::Requesting);
    let address = address_of(&key(1));
    assert_eq!(
        state.sent_lines().last().unwrap(),
        &format!("FAUCET:{address}")
    );
    let done = state.clone().reply(Response::Success);
    assert_eq!(done.faucet, FaucetStep::Sent);
    assert!(done.in_flight.contains(&Awaiting::Account(address)));
    let hash = BlockHash::from_bytes([1; 32]);
    let mined = done.with(Action::Line(format!("EVENT:TIP:4:{hash}")));
    assert_eq!(mined.faucet, FaucetStep::Idle, "the coins are in the block");
    let limited = state
        .clone()
        .reply(Response::error(ErrorCode::RateLimited, "wait"));
    assert_eq!(
        limited.faucet,
        FaucetStep::Failed {
            message: explain(ErrorCode::RateLimited).into(),
            until_ms: FAUCET_NOTE_MS,
        }
    );
    // The cooldown says when to come back, and goes away then.
    let cooling = state.with(Action::Tick(1_000)).reply(Response::error(
        ErrorCode::RateLimited,
        "this address got test coins recently; try again in 16 s",
    ));
    assert_eq!(cooling.faucet, FaucetStep::Cooling { until_ms: 17_000 });
    let cooling = cooling.with(Action::Tick(16_999));
    assert_eq!(cooling.faucet, FaucetStep::Cooling { until_ms: 17_000 });
    assert_eq!(cooling.with(Action::Tick(17_000)).faucet, FaucetStep::Idle);

    let state = ready(0)
        .with(Action::Validate)
        .with(Action::Line("INVALID:3:bad proof of work".into()));
    assert_eq!(
        state.validation,
        Validation::Invalid {
            height: 3,
            reason: "bad proof of work".into()
        }
    );
}

#[test]
fn a_transfer_lost_with_the_connection_is_looked_up_again() {
    let state = ready(100)
        .with(Action::Review {
            to: address_of(&key(2)).to_string(),
            amount: "1".into(),
        })
        .with(Action::Confirm)
        .with(Action::Disconnected)
        .with(Action::Connected);
    let SendStep::Submitting { txid, .. } = state.send else {
        panic!("{:?}", state.send);
    };
    assert!(state.in_flight.contains(&Awaiting::TrackTx(txid)));
    let state = state
        .reply(Response::Info(info(3, None)))
        .reply(Response::Success)
        .reply(Response::Account(account(address_of(&key(1)), 100, 0)))
        .reply(Response::History(history(address_of(&key(1)))))
        .reply(Response::History(history(address_of(&key(1)))))
        .reply(Response::error(ErrorCode::NotFound, "unknown"));
    assert!(matches!(state.send, SendStep::Failed { .. }));
}

#[test]
fn lock_forgets_the_key_and_the_account() {
    let state = ready(100).with(Action::Lock);
    assert_eq!(
        state.wallet,
        Wallet::Locked {
            address: address_of(&key(1))
        }
    );
    assert_eq!(state.account, None);
    assert!(!format!("{state:?}").contains(&crate::wallet_file::to_hex(&key(1).to_bytes())));
    // Confirming needs the key.
    let state = state.with(Action::Review {
        to: address_of(&key(2)).to_string(),
        amount: "1".into(),
    });
    assert_eq!(state.send, SendStep::Idle);
}

#[test]
fn explorer_shows_recent_blocks_newest_first_and_details() {
    use simplechain_core::block::BlockHeader;
    let blocks: Vec<Block> = (0..3)
        .map(|h| {
            let header = BlockHeader {
                height: h,
                prev_hash: BlockHash::ZERO,
                timestamp: 1,
                difficulty: 0,
                miner: Address::from_bytes([1; 32]),
                reward: 50,
                tx_root: simplechain_core::MerkleRoot::EMPTY,
                nonce: 0,
            };
            Block {
                header,
                hash: header.hash(),
                transactions: Vec::new(),
            }
        })
        .collect();
    let json = serde_json::to_string(&ChainJson {
        blocks: blocks.clone(),
    })
    .unwrap();
    let state = State::new(None, Default::default())
        .with(Action::Connected)
        .reply(Response::Info(info(2, None)))
        .reply(Response::Success)
        .reply(Response::Blocks(json.clone()))
        .reply(Response::Blocks(json));
    assert_eq!(state.treasury, Some(Address::from_bytes([1; 32])));
    let heights: Vec<u64> = state
        .explorer
        .recent
        .iter()
        .map(|b| b.header.height)
        .collect();
    assert_eq!(heights, vec![2, 1, 0]);
    let state = state.with(Action::ShowBlock(1));
    assert!(matches!(&state.explorer.detail, Some(Detail::Block(b)) if b.header.height == 1));
    // The glass box asks for the parent (this one the server does not know).
    let parent = blocks[1].header.prev_hash;
    assert_eq!(
        state.sent_lines().last().unwrap(),
        &format!("GET_BLOCK:{parent}")
    );
    let state = state.reply(Response::error(ErrorCode::NotFound, "no"));
    assert!(state.replay.error.is_some());
    // A block not in the list is fetched.
    let state = state.with(Action::ShowBlock(40));
    assert_eq!(state.sent_lines().last().unwrap(), "GET_BLOCKS:40:1");
    let state = state.reply(Response::Blocks("{\"blocks\":[]}".into()));
    assert!(state.explorer.message.is_some());
    assert_eq!(
        state.explorer.detail, None,
        "the message replaces the stale block"
    );
    let txid = TxId::from_bytes([3; 32]);
    let state = state
        .with(Action::ShowTx(txid))
        .reply(Response::error(ErrorCode::NotFound, "no"));
    assert_eq!(
        state.explorer.message.as_deref(),
        Some("The server does not know that transaction.")
    );
}

#[test]
fn receiver_and_amount_checks() {
    let own = address_of(&key(1));
    assert!(check_receiver(&own.to_string(), Some(own)).is_err());
    assert!(check_receiver(&"g".repeat(64), None).is_err());
    assert!(check_receiver("", None).is_err());
    let other = address_of(&key(2));
    assert_eq!(
        check_receiver(
            &format!(" {} ", other.to_string().to_uppercase()),
            Some(own)
        ),
        Ok(other)
    );
    assert_eq!(check_amount("10", 10), Ok(10));
    assert!(check_amount("0", 10).is_err());
    assert!(check_amount("1.5", 10).is_err());
    assert!(check_amount("-1", 10).is_err());
    assert!(check_amount("99999999999999999999999", 10).is_err());
    assert!(check_amount("11", 10).is_err());
}

#[test]
fn unknown_lines_still_take_their_turn() {
    let state = State::new(None, Default::default())
        .with(Action::Connected)
        .with(Action::Line("WHAT:is this".into()));
    assert_eq!(state.in_flight, VecDeque::from([Awaiting::SubscribeBlocks]));
    assert!(state.error.is_some());
    let state = state.with(Action::Line("EVENT:NEWTHING:1".into()));
    assert_eq!(state.in_flight.len(), 1);
}

fn pending(txid: u8, from: Address, to: Address, amount: u64) -> TxInfo {
    let tx = simplechain_core::Transaction {
        sender: from,
        receiver: to,
        amount,
        nonce: 0,
        signature: simplechain_core::Signature::from_bytes([0; 64]),
    };
    TxInfo {
        txid: TxId::from_bytes([txid; 32]),
        status: TxStatus::Pending,
        height: None,
        transaction: tx,
    }
}

/// The server's rule (server/src/mempool.rs `spendable`): the confirmed balance less
/// the pending payments out; pending payments in do not count until mined.
#[test]
fn spendable_is_what_the_server_accepts_and_incoming_is_noticed() {
    let own = address_of(&key(1));
    let other = address_of(&key(2));
    let state = ready(1000).with(Action::Tick(5));
    assert_eq!(
        state.sent_lines(),
        vec![
            "GET_MEMPOOL:0:20".to_string(),
            format!("GET_HISTORY:{own}:0:100")
        ]
    );
    let incoming = pending(1, other, own, 500);
    let outgoing = pending(2, own, other, 200);
    let mut account_now = account(own, 1000, 0);
    account_now.pending_balance = 1300;
    let state = state
        .flushed()
        .reply(Response::Mempool(Mempool {
            total: 2,
            items: vec![incoming.clone(), outgoing.clone()],
        }))
        .reply(Response::History(History {
            address: own,
            total: 2,
            items: vec![outgoing, incoming],
        }));
    // Every pending count on the page is the server's one number.
    assert_eq!(state.info.as_ref().map(|i| i.mempool), Some(2));
    assert_eq!(state.mempool.as_ref().map(|m| m.total), Some(2));
    let own_pending = state.own_pending.clone().unwrap();
    assert_eq!(
        (own_pending.outgoing, own_pending.incoming_total()),
        (200, 500)
    );
    // The pending transfers changed: the account and the history are read again.
    assert!(state.in_flight.contains(&Awaiting::Account(own)));
    let state = state.reply(Response::Account(account_now));
    assert_eq!(state.spendable(), 800, "not the pending balance, 1300");
    assert!(check_amount("801", state.spendable()).is_err());
    let notice = state.received.clone().expect("a notice for the payment in");
    assert!(notice.contains("You received 500 coins"), "{notice}");
    assert!(notice.contains("pending"), "{notice}");
    // The same payment, seen again (pending or confirmed), is not noticed twice.
    let state = state.with(Action::DismissReceived).with(Action::Tick(10));
    assert_eq!(state.received, None);
}

#[test]
fn ticks_stay_under_the_idle_timeout() {
    assert_eq!(tick_ms(None), 2_000);
    assert_eq!(tick_ms(Some(300)), 2_000);
    assert_eq!(tick_ms(Some(3)), 1_000);
    assert_eq!(tick_ms(Some(0)), 250);
    // A tick does not pile up requests while the last one is unanswered.
    let state = ready(0).with(Action::Tick(1)).with(Action::Tick(2));
    let mempool_asks = state
        .sent_lines()
        .iter()
        .filter(|l| l.starts_with("GET_MEMPOOL"))
        .count();
    assert_eq!(mempool_asks, 1);
}

#[test]
fn search_tries_a_txid_then_a_block_hash_then_an_address() {
    let state = ready(0);
    let state = state.with(Action::Search(" 2 ".into())).flushed();
    assert!(state.in_flight.contains(&Awaiting::Block(2)));
    let state = state.reply(Response::Blocks("{\"blocks\":[]}".into()));
    assert!(state.explorer.message.is_some());

    // 64 hex characters: a txid? No. A block? The server has no GET_BLOCK. An address.
    let hex = "ab".repeat(32);
    let state = state.with(Action::Search(hex.clone()));
    assert_eq!(state.sent_lines(), vec![format!("GET_TRANSACTION:{hex}")]);
    let state = state
        .flushed()
        .reply(Response::error(ErrorCode::NotFound, "no"));
    assert_eq!(state.sent_lines(), vec![format!("GET_BLOCK:{hex}")]);
    let state = state
        .flushed()
        .reply(Response::error(ErrorCode::UnknownCommand, "GET_BLOCK"));
    assert_eq!(
        state.sent_lines(),
        vec![
            format!("GET_ACCOUNT:{hex}"),
            format!("GET_HISTORY:{hex}:0:10")
        ]
    );
    let address: Address = hex.parse().unwrap();
    let state = state
        .flushed()
        .reply(Response::Account(account(address, 7, 0)))
        .reply(Response::History(history(address)));
    assert!(
        matches!(&state.explorer.detail, Some(Detail::Address { account, history: Some(_), .. }) if account.balance == 7)
    );
    assert_eq!(state.explorer.message, None);

    // A block hash the server knows (PROTOCOL §9 `BLOCK:`, with its "main" field).
    let block = Block {
        header: simplechain_core::block::BlockHeader {
            height: 9,
            prev_hash: BlockHash::ZERO,
            timestamp: 1,
            difficulty: 0,
            miner: address,
            reward: 50,
            tx_root: simplechain_core::MerkleRoot::EMPTY,
            nonce: 0,
        },
        hash: BlockHash::from_bytes([0xcd; 32]),
        transactions: Vec::new(),
    };
    let mut json: serde_json::Value = serde_json::to_value(&block).unwrap();
    json["main"] = true.into();
    let state = state
        .with(Action::Search(block.hash.to_string()))
        .flushed()
        .reply(Response::error(ErrorCode::NotFound, "no"))
        .flushed()
        .with(Action::Line(format!("BLOCK:{json}")));
    assert!(matches!(&state.explorer.detail, Some(Detail::Block(b)) if b.header.height == 9));

    // Anything else is explained, and replaces what was open.
    let state = state.with(Action::Search("not a key".into()));
    assert_eq!(state.explorer.detail, None);
    assert!(state.explorer.message.unwrap().contains("64 hexadecimal"));
}

#[test]
fn blocks_page_back_to_genesis() {
    let mut state = ready(0);
    state.info = Some(info(30, None));
    let state = state.with(Action::BlocksPage(Some(12)));
    assert_eq!(state.explorer.top, Some(12));
    assert_eq!(state.sent_lines(), vec!["GET_BLOCKS:3:10".to_string()]);
    let state = state.flushed().with(Action::BlocksPage(Some(5)));
    assert_eq!(state.sent_lines(), vec!["GET_BLOCKS:0:6".to_string()]);
    // A new tip does not move a page the learner is reading.
    let hash = BlockHash::from_bytes([31; 32]);
    let no_blocks = || Response::Blocks("{\"blocks\":[]}".into());
    let state = state
        .flushed()
        .reply(no_blocks())
        .reply(no_blocks())
        .with(Action::Line(format!("EVENT:TIP:31:{hash}")))
        .flushed()
        .reply(Response::Info(info(31, None)));
    assert_eq!(state.info.as_ref().map(|i| i.height), Some(31));
    assert!(!state.in_flight.contains(&Awaiting::RecentBlocks));
    let state = state.flushed().with(Action::BlocksPage(None));
    assert_eq!(state.explorer.top, None);
}

#[test]
fn a_new_wallet_asks_for_its_backup_first() {
    let state = State::new(None, Default::default()).with(Action::Created(key(1)));
    assert!(state.backup_prompt);
    assert!(state.wallet.unlocked().is_some());
    assert!(!state.with(Action::BackupDone).backup_prompt);
    // Unlocking an existing wallet does not.
    assert!(
        !State::new(None, Default::default())
            .with(Action::Unlocked(key(1)))
            .backup_prompt
    );
}

#[test]
fn addresses_have_names() {
    let state = ready(0);
    let bob = address_of(&key(2));
    assert_eq!(state.name_of(&bob), None);
    assert_eq!(state.name_of(&address_of(&key(1))).as_deref(), Some("you"));
    let state = state.with(Action::Label(bob, "  Bob ".into()));
    assert_eq!(state.names().get(&bob).map(String::as_str), Some("Bob"));
    let state = state.with(Action::Label(bob, " ".into()));
    assert_eq!(state.name_of(&bob), None);
}

#[test]
fn the_faucet_is_named_by_its_payment() {
    let own = address_of(&key(1));
    let payer = address_of(&key(3));
    let mut state = ready(0);
    state.treasury = Some(address_of(&key(4)));
    // Until a faucet payment is seen, the treasury is taken to pay the faucet.
    assert_eq!(
        state.name_of(&address_of(&key(4))).as_deref(),
        Some("treasury and faucet")
    );
    let mut paid = pending(9, payer, own, 1000);
    paid.status = TxStatus::Confirmed;
    paid.height = Some(4);
    let state = state
        .with(Action::Faucet)
        .flushed()
        .reply(Response::Success)
        .reply(Response::Account(account(own, 1000, 0)))
        .reply(Response::History(History {
            address: own,
            total: 1,
            items: vec![paid],
        }));
    assert_eq!(state.faucet_payer, Some(payer));
    assert_eq!(state.name_of(&payer).as_deref(), Some("faucet"));
    assert_eq!(
        state.name_of(&address_of(&key(4))).as_deref(),
        Some("treasury")
    );
    let notice = state.received.clone().unwrap();
    assert!(
        notice.contains("1\u{202f}000 coins from faucet"),
        "{notice}"
    );
}

mod glass_and_lab;
mod learning;
mod mining_and_tree;

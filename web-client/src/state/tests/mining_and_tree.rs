//! Mining in the tab and the block tree, driven by the lines a server would send and
//! the reports the workers would post.

use super::{Drive, key, ready};
use crate::state::{
    Action, Awaiting, Fate, MineError, MineRun, MineStep, Section, State, expected_secs, layout,
    read_cap, read_threads, work,
};
use simplechain_core::protocol::{
    BlockStatus, ErrorCode, ProtocolError, Response, Submitted, Template, Tree, TreeEntry,
};
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, BlockHash, MerkleRoot};
use simplechain_miner::{Report, Slice, work as run_slice};

fn template(miner: Address, height: u64, prev: BlockHash, difficulty: u64) -> Template {
    Template {
        height,
        prev_hash: prev,
        timestamp: 1_763_900_000_000,
        difficulty,
        miner,
        reward: 50,
        tx_root: MerkleRoot::EMPTY,
        transactions: Vec::new(),
    }
}

/// What a worker would report on `count` nonces from `start` of the current job.
fn report(state: &State, start: u64, count: u64) -> Report {
    let t = state.mining.template.as_ref().expect("a template");
    run_slice(
        &Slice {
            job: state.mining.job,
            start,
            count,
            header: t.header(0),
        },
        || 0.0,
    )
}

fn reported(state: State, report: Report) -> State {
    state.with(Action::MinerReport {
        worker: 0,
        report,
        wall_ms: 100.0,
        at_ms: 1_000,
    })
}

/// Mining one block at difficulty 8: template → search → found → SUBMIT_BLOCK.
fn searching(keep: bool) -> State {
    let me = address_of(&key(1));
    let state = ready(100).flushed().with(Action::MineStart { keep });
    assert_eq!(state.sent_lines(), vec![format!("GET_TEMPLATE:{me}")]);
    assert_eq!(state.mining.step, MineStep::Fetching);
    let tip = BlockHash::from_bytes([3; 32]);
    let state = state
        .flushed()
        .reply(Response::Template(template(me, 4, tip, 8)));
    assert_eq!(state.mining.step, MineStep::Searching);
    assert_eq!(state.mining.job, 1);
    state
}

#[test]
fn a_locked_wallet_cannot_mine_and_says_so() {
    let state = State::new(None, Default::default())
        .with(Action::Connected)
        .flushed()
        .with(Action::MineStart { keep: false });
    assert_eq!(state.mining.run, MineRun::Off);
    assert!(state.outbox.is_empty());
    assert_eq!(state.mining.problem, Some(MineError::Locked.to_string()));
    assert!(state.mining.problem.unwrap().contains("Unlock"));
}

#[test]
fn template_found_submit_and_fate() {
    let state = searching(false);
    // A slice without a find: progress, best hash, rate.
    let miss = report(&state, 0, 10);
    assert_eq!(
        miss.found, None,
        "10 nonces rarely meet difficulty 8 from 0"
    );
    let state = reported(state, miss);
    assert_eq!(state.mining.progress.tried, 10);
    assert_eq!(state.mining.progress.nonce, 9);
    assert_eq!(state.mining.progress.best.unwrap().1, miss.best_bits);
    assert!(
        (state.mining.rate() - 100.0).abs() < 1e-9,
        "10 hashes in 100 ms"
    );
    assert!(state.outbox.is_empty(), "nothing to submit yet");

    // The find: the block is rebuilt from the template, checked and submitted.
    let hit = report(&state, 10, 1 << 20);
    let nonce = hit.found.expect("difficulty 8 within 2^20");
    let state = reported(state, hit);
    assert_eq!(state.mining.step, MineStep::Submitting);
    let lines = state.sent_lines();
    assert_eq!(lines.len(), 1);
    let json = lines[0]
        .strip_prefix("SUBMIT_BLOCK:")
        .expect("a submission");
    let block: simplechain_core::Block = serde_json::from_str(json).unwrap();
    assert_eq!(block.header.nonce, nonce);
    assert_eq!(block.compute_hash(), block.hash);
    assert_eq!(block.header.height, 4);
    let found = state.mining.found.clone().unwrap();
    assert_eq!((found.hash, found.fate), (block.hash, Fate::Waiting));

    // Its fate: tip; "one block" stops there.
    let state = state.flushed().reply(Response::Submitted(Submitted {
        hash: block.hash,
        height: 4,
        status: BlockStatus::Tip,
        replaced: 0,
    }));
    assert_eq!(
        state.mining.found.unwrap().fate,
        Fate::Accepted {
            status: BlockStatus::Tip,
            replaced: 0
        }
    );
    assert_eq!(state.mining.run, MineRun::Off);
    assert_eq!(state.mining.blocks_found, 1);
    assert!(state.outbox.is_empty());
    assert!(state.quests.contains(&crate::state::Quest::MineBlock));
    assert!(
        !state.quests.contains(&crate::state::Quest::ForkRace),
        "no race yet"
    );
}

#[test]
fn keep_mining_asks_again_and_a_refusal_is_shown() {
    let state = searching(true);
    let hit = report(&state, 0, 1 << 20);
    let state = reported(state, hit).flushed();
    let refusal = ProtocolError::new(ErrorCode::InvalidBlock, "4:bad proof of work");
    let state = state.reply(Response::Error(refusal));
    match &state.mining.found.as_ref().unwrap().fate {
        Fate::Refused(why) => assert!(!why.is_empty()),
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(state.mining.run, MineRun::Keep);
    assert_eq!(state.mining.step, MineStep::Fetching);
    assert_eq!(state.in_flight.back(), Some(&Awaiting::Template));
}

#[test]
fn a_tip_from_anyone_restarts_the_search_and_old_reports_are_dropped() {
    let me = address_of(&key(1));
    let state = searching(true).flushed();
    let old = report(&state, 0, 5);
    let other = BlockHash::from_bytes([0x44; 32]);
    let state = state.with(Action::Line(format!("EVENT:TIP:4:{other}")));
    assert_eq!(state.mining.step, MineStep::Fetching);
    assert!(state.sent_lines().contains(&format!("GET_TEMPLATE:{me}")));
    // The old job's report arrives late: ignored.
    let state = reported(state, old);
    assert_eq!(state.mining.progress.tried, 0);
    // The new template is a new job.
    let mut state = state;
    while let Some(front) = state.in_flight.front() {
        if *front == Awaiting::Template {
            break;
        }
        let front = front.clone();
        state.in_flight.pop_front();
        let _ = front;
    }
    let state = state
        .flushed()
        .reply(Response::Template(template(me, 5, other, 8)));
    assert_eq!(state.mining.job, 2);
    assert_eq!(state.mining.template.as_ref().unwrap().prev_hash, other);
    // The tip this template builds on does not restart it again.
    let state = state.with(Action::Line(format!("EVENT:TIP:4:{other}")));
    assert_eq!(state.mining.step, MineStep::Searching);
}

#[test]
fn a_stale_template_is_asked_for_again() {
    let me = address_of(&key(1));
    let state = ready(100).flushed().with(Action::MineStart { keep: true });
    let newer = BlockHash::from_bytes([0x55; 32]);
    let state = state.with(Action::Line(format!("EVENT:TIP:4:{newer}")));
    // In flight: the template, then what the tip refreshes; the template answers first.
    let state = state.flushed().reply(Response::Template(template(
        me,
        4,
        BlockHash::from_bytes([3; 32]),
        8,
    )));
    assert_eq!(
        state.mining.step,
        MineStep::Fetching,
        "built on the old tip"
    );
    assert_eq!(state.mining.job, 0);
    assert_eq!(
        state.sent_lines().last(),
        Some(&format!("GET_TEMPLATE:{me}"))
    );
}

#[test]
fn stop_lock_and_bad_fields() {
    let state = searching(true).with(Action::MineStop);
    assert_eq!(
        (state.mining.run, state.mining.step),
        (MineRun::Off, MineStep::Idle)
    );
    let state = searching(true).with(Action::Lock);
    assert_eq!(state.mining.run, MineRun::Off);

    let state = ready(1).with(Action::MineThreads("3".into()));
    assert_eq!(state.mining.threads, 3);
    let state = state.with(Action::MineThreads("0".into()));
    assert_eq!(state.mining.threads, 3);
    assert_eq!(state.mining.problem, Some(MineError::Threads.to_string()));
    let state = state.with(Action::MineCap("25000".into()));
    assert_eq!(
        (state.mining.cap, state.mining.problem.clone()),
        (Some(25_000), None)
    );
    let state = state.with(Action::MineCap("fast".into()));
    assert_eq!(state.mining.cap, Some(25_000));
    assert_eq!(state.mining.problem, Some(MineError::Cap.to_string()));
    let state = state.with(Action::MineCap(" ".into()));
    assert_eq!(state.mining.cap, None);
    assert_eq!(read_threads("65"), Err(MineError::Threads));
    assert_eq!(read_threads(" 64 "), Ok(64));
    assert_eq!(read_cap("-5"), Err(MineError::Cap));
    assert_eq!(read_cap("0"), Err(MineError::Cap));
    assert_eq!(State::default().with_cores(0).mining.threads, 1);
    assert_eq!(State::default().with_cores(8).mining.threads, 8);
}

#[test]
fn a_worker_that_lies_about_its_find_stops_mining() {
    let state = searching(false);
    let mut lie = report(&state, 0, 1 << 20);
    lie.best_hash = BlockHash::from_bytes([0; 32]);
    let state = reported(state, lie);
    assert_eq!(state.mining.run, MineRun::Off);
    assert_eq!(state.mining.problem, Some(MineError::BadFind.to_string()));
    assert!(
        state
            .outbox
            .iter()
            .all(|(_, l)| !l.starts_with("SUBMIT_BLOCK"))
    );
}

#[test]
fn expected_time_is_two_to_the_difficulty_over_the_rate() {
    assert_eq!(expected_secs(16, 65_536.0), Some(1.0));
    assert_eq!(expected_secs(20, 1024.0), Some(1024.0));
    assert_eq!(expected_secs(16, 0.0), None);
    assert_eq!(work(3, 16), 3.0 * 65_536.0);
}

fn entry(height: u64, hash: u8, prev: u8, main: bool, txs: u64) -> TreeEntry {
    TreeEntry {
        hash: BlockHash::from_bytes([hash; 32]),
        prev_hash: BlockHash::from_bytes([prev; 32]),
        height,
        timestamp: 0,
        miner: Address::from_bytes([9; 32]),
        transactions: txs,
        main,
    }
}

#[test]
fn the_tree_follows_block_events_and_shows_a_reorg() {
    let state = ready(100).flushed();
    // Closed: events do not fetch the tree.
    let state = state.with(Action::Line(format!(
        "EVENT:BLOCK:4:{}:{}:side",
        BlockHash::from_bytes([4; 32]),
        BlockHash::from_bytes([3; 32])
    )));
    assert!(!state.in_flight.contains(&Awaiting::Tree));
    // Opened: asked for once; an event meanwhile asks for one more after the answer.
    let state = state.with(Action::Open(Section::Tree));
    assert_eq!(state.sent_lines(), vec!["GET_TREE".to_string()]);
    let state = state.flushed().with(Action::Line(format!(
        "EVENT:BLOCK:4:{}:{}:main",
        BlockHash::from_bytes([4; 32]),
        BlockHash::from_bytes([3; 32])
    )));
    assert!(state.outbox.is_empty(), "one GET_TREE at a time");
    let before = Tree {
        tip: BlockHash::from_bytes([4; 32]),
        blocks: vec![
            entry(3, 3, 2, true, 0),
            entry(4, 4, 3, true, 2),
            entry(4, 0x14, 3, false, 0),
        ],
    };
    let state = state.reply(Response::Tree(before));
    assert_eq!(state.sent_lines(), vec!["GET_TREE".to_string()]);
    assert_eq!(state.tree.reorg, None);
    // A longer branch takes over: block 4 leaves the main chain with its 2 transactions.
    let after = Tree {
        tip: BlockHash::from_bytes([0x15; 32]),
        blocks: vec![
            entry(3, 3, 2, true, 0),
            entry(4, 4, 3, false, 2),
            entry(4, 0x14, 3, true, 0),
            entry(5, 0x15, 0x14, true, 0),
        ],
    };
    let state = state.flushed().reply(Response::Tree(after.clone()));
    let reorg = state.tree.reorg.clone().expect("a reorg");
    assert_eq!(reorg.blocks, vec![(4, BlockHash::from_bytes([4; 32]))]);
    assert_eq!(reorg.transactions, 2);
    // A tip event refreshes an open tree too.
    let state = state.with(Action::Line(format!(
        "EVENT:TIP:5:{}",
        BlockHash::from_bytes([0x15; 32])
    )));
    assert!(state.sent_lines().contains(&"GET_TREE".to_string()));

    // Drawn: the main chain in lane 0, the side block in lane 1, one branch of one
    // block against the main chain's two since block 3.
    let lay = layout(&after.blocks);
    assert_eq!(lay.lanes, 2);
    assert_eq!(lay.rows.first().unwrap().0, 5, "newest first");
    let branch = &lay.branches[0];
    assert_eq!(
        (branch.fork_height, branch.blocks, branch.main_blocks),
        (3, 1, 2)
    );
}

#[test]
fn a_tree_block_opens_in_the_explorer() {
    let hash = BlockHash::from_bytes([0x21; 32]);
    let state = ready(100)
        .flushed()
        .with(Action::Open(Section::Tree))
        .flushed()
        .reply(Response::Tree(Tree {
            tip: hash,
            blocks: Vec::new(),
        }))
        .with(Action::ShowBlockHash(hash));
    assert_eq!(state.section, Section::Wallet);
    assert_eq!(state.sent_lines(), vec![format!("GET_BLOCK:{hash}")]);
    let state = state.flushed().reply(Response::Error(ProtocolError::new(
        ErrorCode::NotFound,
        "no such block",
    )));
    assert!(state.explorer.message.clone().unwrap().contains("no block"));
}

#[test]
fn an_old_server_without_block_events_is_subscribed_to_tips() {
    let state = State::new(None, Default::default()).with(Action::Connected);
    let state = state
        .flushed()
        .reply(Response::Info(super::info(1, None)))
        .reply(Response::Error(ProtocolError::new(
            ErrorCode::BadRequest,
            "unknown subscription",
        )));
    assert!(state.sent_lines().contains(&"SUBSCRIBE".to_string()));
    assert_eq!(state.error, None);
}

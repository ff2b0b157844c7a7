//! The glass box and the tamper lab, driven by the lines a server would send, on a
//! real chain (difficulty 4) made with `core`.

use super::{Drive, key};
use crate::state::{Action, Awaiting, Detail, LabField, Section, State};
use simplechain_core::block::leading_zero_bits;
use simplechain_core::protocol::{
    BlockInfo, BlockStatus, ChainJson, ErrorCode, Info, ProtocolError, Response, Submitted,
};
use simplechain_core::transaction::address_of;
use simplechain_core::validate::checklist::RuleCheck;
use simplechain_core::{Address, Block, ChainId, Transaction};

const D: u64 = 4;
const T0: u64 = 1_763_900_000_000;

/// Genesis (1000 to key 1) and blocks 1 to 3, each with one payment to key 2.
fn chain() -> Vec<Block> {
    let genesis = Block::genesis(address_of(&key(1)), 1000, D, T0);
    let id = ChainId::from(genesis.hash);
    let mut blocks = vec![genesis];
    for n in 0..3u64 {
        let tx = Transaction::sign(&key(1), &id, address_of(&key(2)), 10 + n, n);
        let next = Block::next(
            &blocks[n as usize],
            &id,
            miner(),
            T0 + 1000 * (n + 1),
            vec![tx],
        );
        blocks.push(next);
    }
    blocks
}

fn miner() -> Address {
    Address::from_bytes([3; 32])
}

fn json(blocks: &[Block]) -> String {
    serde_json::to_string(&ChainJson {
        blocks: blocks.to_vec(),
    })
    .unwrap()
}

fn block_json(block: &Block, main: bool) -> String {
    serde_json::to_string(&BlockInfo {
        block: block.clone(),
        main,
    })
    .unwrap()
}

/// Connected to a server whose chain is `blocks`, every initial request answered.
fn connected(blocks: &[Block]) -> State {
    let tip = blocks.last().unwrap();
    let info = Info {
        protocol: 1,
        chain_id: ChainId::from(blocks[0].hash),
        height: tip.header.height,
        tip: tip.hash,
        difficulty: D,
        block_reward: 50,
        mempool: 0,
        faucet: None,
        idle_timeout_secs: None,
    };
    State::new(None, Default::default())
        .with(Action::Connected)
        .reply(Response::Info(info))
        .reply(Response::Success)
        .reply(Response::Blocks("{\"blocks\":[]}".into()))
        .reply(Response::Blocks("{\"blocks\":[]}".into()))
        .flushed()
}

/// Slices of work until none is left (at most `limit`).
fn work_done(mut state: State, limit: usize) -> State {
    let mut now = 1000.0;
    for _ in 0..limit {
        if !state.has_work() {
            return state;
        }
        now += 5.0;
        state = state.with(Action::Work(now));
    }
    assert!(!state.has_work(), "work left after {limit} slices");
    state
}

/// The rules that do not hold, as (key, transaction).
fn failing(checks: &[RuleCheck]) -> Vec<(&'static str, Option<usize>)> {
    checks
        .iter()
        .filter(|c| !c.ok())
        .map(|c| (c.name.key(), c.name.transaction()))
        .collect()
}

/// Block `height` opened in the explorer, its parent fetched and the chain replayed.
fn glass_of(blocks: &[Block], height: u64) -> State {
    let h = height as usize;
    let state = connected(blocks)
        .with(Action::ShowBlock(height))
        .reply(Response::Blocks(json(&blocks[h..=h])));
    // Before the parent arrives, the rules that need it say so.
    assert_eq!(state.glass.block, Some(blocks[h].hash));
    assert!(failing(&state.glass.checks).contains(&("prev_hash", None)));
    let parent = &blocks[h - 1];
    assert_eq!(
        state.sent_lines().last().unwrap(),
        &format!("GET_BLOCK:{}", parent.hash)
    );
    let state = state
        .flushed()
        .reply(Response::Block(block_json(parent, true)));
    assert_eq!(
        state.sent_lines(),
        vec![format!("GET_BLOCKS:0:{height}")],
        "the main chain up to the parent"
    );
    let state = state.flushed().reply(Response::Blocks(json(&blocks[..h])));
    work_done(state, 20)
}

#[test]
fn the_glass_box_checks_every_rule_after_replaying_to_the_parent() {
    let blocks = chain();
    let state = glass_of(&blocks, 2);
    assert_eq!(state.replay.ready().map(|s| s.height), Some(1));
    assert_eq!(state.replay.progress(), Some((2, 2)));
    let checks = &state.glass.checks;
    assert_eq!(failing(checks), [], "{checks:#?}");
    // Every rule of the header and of its one transaction, balances included.
    let keys: Vec<&str> = checks.iter().map(|c| c.name.key()).collect();
    for key in [
        "hash",
        "pow",
        "tx_root",
        "prev_hash",
        "nonce",
        "balance",
        "signature",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    // The next block carries on from the state already replayed.
    let state = state
        .with(Action::ShowBlock(3))
        .reply(Response::Blocks(json(&blocks[3..])));
    let state = state
        .flushed()
        .reply(Response::Block(block_json(&blocks[2], true)));
    assert_eq!(state.sent_lines(), vec!["GET_BLOCKS:2:1".to_string()]);
    let state = work_done(
        state.flushed().reply(Response::Blocks(json(&blocks[2..3]))),
        5,
    );
    assert_eq!(failing(&state.glass.checks), []);
}

#[test]
fn a_side_block_is_judged_on_its_own_branch() {
    let blocks = chain();
    let id = ChainId::from(blocks[0].hash);
    // Two side blocks on block 1: s2 spends what block 2 spent, s3 builds on s2.
    let tx = Transaction::sign(&key(1), &id, address_of(&key(2)), 99, 1);
    let s2 = Block::next(&blocks[1], &id, miner(), T0 + 5000, vec![tx]);
    let s3 = Block::next(&s2, &id, miner(), T0 + 6000, Vec::new());
    let state = connected(&blocks)
        .with(Action::Search(s3.hash.to_string()))
        .reply(Response::Error(ProtocolError::new(
            ErrorCode::NotFound,
            "no",
        )))
        .flushed()
        .reply(Response::Block(block_json(&s3, false)));
    assert!(matches!(&state.explorer.detail, Some(Detail::Block(b)) if b.hash == s3.hash));
    let state = state
        .flushed()
        .reply(Response::Block(block_json(&s2, false)))
        .flushed()
        .reply(Response::Block(block_json(&blocks[1], true)));
    assert_eq!(state.sent_lines(), vec!["GET_BLOCKS:0:2".to_string()]);
    let state = work_done(
        state.flushed().reply(Response::Blocks(json(&blocks[..2]))),
        10,
    );
    assert_eq!(state.replay.ready().map(|s| s.tip), Some(s2.hash));
    assert_eq!(failing(&state.glass.checks), []);
}

/// The lab on blocks 1 to 3, the replay done.
fn lab() -> (Vec<Block>, State) {
    let blocks = chain();
    let state = glass_of(&blocks, 1).with(Action::LabOpen);
    assert_eq!(state.section, Section::Lab);
    assert_eq!(
        state.in_flight.back(),
        Some(&Awaiting::LabBlocks(blocks[1].hash))
    );
    let state = state.flushed().reply(Response::Blocks(json(&blocks[1..])));
    assert_eq!(state.lab.blocks, blocks[1..]);
    assert!(state.lab.checks.iter().all(|c| failing(c).is_empty()));
    (blocks, state)
}

fn edit(state: State, block: usize, tx: Option<usize>, field: LabField, text: &str) -> State {
    state.with(Action::LabEdit {
        block,
        tx,
        field,
        text: text.into(),
    })
}

fn assert_lab_error(state: &State, part: &str) {
    let error = state.lab.error.as_deref().unwrap_or_default();
    assert!(error.contains(part), "{error:?} says {part:?}");
}

fn lab_failing(state: &State) -> Vec<Vec<(&'static str, Option<usize>)>> {
    state.lab.checks.iter().map(|c| failing(c)).collect()
}

#[test]
fn a_changed_amount_breaks_the_signature_and_the_merkle_root_and_no_re_mine_mends_the_signature() {
    let (blocks, state) = lab();
    // Not a number: said, and nothing changes.
    let before = state.lab.blocks.clone();
    let state = edit(state, 0, Some(0), LabField::Amount, "12x");
    assert_lab_error(&state, "not a whole number");
    assert_eq!(state.lab.blocks, before);

    let state = edit(state, 0, Some(0), LabField::Amount, "500");
    assert_eq!(state.lab.error, None);
    assert_eq!(state.lab.blocks[0].transactions[0].amount, 500);
    assert_eq!(
        lab_failing(&state),
        [
            vec![("signature", Some(0)), ("tx_root", None)],
            vec![],
            vec![]
        ]
    );

    let state = work_done(state.with(Action::LabRemine), 10_000);
    assert!(state.lab.hash_rate.is_some());
    // Every block re-mined and linked again; the signature cannot be mended.
    assert_eq!(
        lab_failing(&state),
        [vec![("signature", Some(0))], vec![], vec![]]
    );
    for (sandbox, real) in state.lab.blocks.iter().zip(&blocks[1..]) {
        assert_ne!(sandbox.hash, real.hash);
        assert!(leading_zero_bits(&sandbox.hash) >= D);
    }

    // Offered to the server: refused, and its reason shown.
    let state = state.with(Action::LabSubmit);
    let sent = state.sent_lines();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].starts_with("SUBMIT_BLOCK:{"), "{sent:?}");
    let reason = "1: transaction 0: signature does not verify for this chain";
    let state = state.flushed().reply(Response::Error(ProtocolError::new(
        ErrorCode::InvalidBlock,
        reason,
    )));
    assert_eq!(
        state.lab.results,
        [format!("block 1: refused: invalid_block: {reason}")]
    );
    assert_eq!(state.lab.submitting, None);
    assert!(state.quests.contains(&crate::state::Quest::Tamper));
}

#[test]
fn a_changed_nonce_breaks_the_hash_and_the_next_link() {
    let (blocks, state) = lab();
    let nonce = blocks[1].header.nonce + 1;
    let state = edit(state, 0, None, LabField::Nonce, &nonce.to_string());
    let real_bits = leading_zero_bits(&state.lab.blocks[0].compute_hash());
    let mut first = vec![("hash", None)];
    if real_bits < D {
        first.push(("pow", None));
    }
    assert_eq!(
        lab_failing(&state),
        [first, vec![("prev_hash", None)], vec![]]
    );
    let state = state.with(Action::LabReset);
    assert_eq!(state.lab.blocks, blocks[1..]);
    assert_eq!(lab_failing(&state), [vec![], vec![], vec![]]);
}

#[test]
fn a_changed_timestamp_re_mined_is_submitted_block_by_block() {
    let (_, state) = lab();
    let timestamp = state.lab.blocks[0].header.timestamp + 1;
    let state = edit(state, 0, None, LabField::Timestamp, &timestamp.to_string());
    assert_eq!(failing(&state.lab.checks[1]), [("prev_hash", None)]);
    let state = work_done(state.with(Action::LabRemine), 10_000);
    assert_eq!(lab_failing(&state), [vec![], vec![], vec![]]);

    let state = state.with(Action::LabSubmit).flushed();
    let side = |i: usize, s: &State| {
        Response::Submitted(Submitted {
            hash: s.lab.blocks[i].hash,
            height: s.lab.blocks[i].header.height,
            status: BlockStatus::Side,
            replaced: 0,
        })
    };
    let first = side(0, &state);
    let state = state.reply(first);
    assert_eq!(
        state.sent_lines().len(),
        1,
        "the next block after the answer"
    );
    let (second, third) = (side(1, &state), side(2, &state));
    let state = state.flushed().reply(second).flushed().reply(third);
    assert_eq!(
        state.lab.results,
        ["block 1: side", "block 2: side", "block 3: side"]
    );
    assert_eq!(state.lab.submitting, None);
    // Nothing changed any more: nothing to re-mine.
    let state = state.with(Action::LabReset).with(Action::LabRemine);
    assert_lab_error(&state, "nothing to re-mine");
    assert_eq!(state.lab.mining, None);
}

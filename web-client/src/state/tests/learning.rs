//! The learning sections' reducer parts, driven by the lines a server would send: the
//! signature lab and its trials, the Merkle proof folded in the tab, and the quests
//! each completed by the server's answer.

use super::super::{Action, Detail, ProofView, Quest, Section, SigField, State, Trial, TrialStep};
use super::{Drive, account, chain, history, info, key, ready};
use simplechain_core::merkle::MerkleProof;
use simplechain_core::protocol::{
    ErrorCode, History, Proof, Request, Response, Tree, TreeEntry, TxInfo, TxStatus,
};
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, Block, BlockHash, ChainId, Transaction};

/// The transaction the last queued line carries.
fn last_transfer(state: &State) -> Transaction {
    match Request::parse(state.sent_lines().last().expect("a line")) {
        Ok(Request::AddTransaction(tx)) => tx,
        other => panic!("not a transfer: {other:?}"),
    }
}

#[test]
fn a_signed_text_verifies_until_one_character_or_bit_changes() {
    let state = ready(100)
        .with(Action::SigEdit(SigField::Text("I owe Bob 5 coins".into())))
        .with(Action::SigSign);
    assert_eq!(state.sig_lab.signer, address_of(&key(1)).to_string());
    assert_eq!(state.sig_lab.signature.len(), 128);
    let signed = state.with(Action::SigVerify);
    assert_eq!(signed.sig_lab.verdict, Some(Ok(())));

    let text_changed = signed.clone().with(Action::SigFlipText);
    assert_eq!(text_changed.sig_lab.text, "i owe Bob 5 coins");
    assert_eq!(
        text_changed.sig_lab.verdict, None,
        "an edit clears the old verdict"
    );
    assert!(matches!(
        text_changed.with(Action::SigVerify).sig_lab.verdict,
        Some(Err(_))
    ));

    let bit_flipped = signed.clone().with(Action::SigFlipSignature);
    assert_ne!(bit_flipped.sig_lab.signature, signed.sig_lab.signature);
    assert!(matches!(
        bit_flipped.with(Action::SigVerify).sig_lab.verdict,
        Some(Err(_))
    ));

    let other_signer = signed
        .clone()
        .with(Action::SigEdit(SigField::Signer(
            address_of(&key(2)).to_string(),
        )))
        .with(Action::SigVerify);
    assert!(matches!(other_signer.sig_lab.verdict, Some(Err(_))));

    let garbled = signed
        .with(Action::SigEdit(SigField::Signature("not hex".into())))
        .with(Action::SigVerify);
    assert_eq!(
        garbled.sig_lab.verdict,
        Some(Err("The signature is not 128 hex characters.".into()))
    );

    let locked = State::default().with(Action::SigSign);
    assert!(locked.sig_lab.signature.is_empty());
    assert!(matches!(locked.sig_lab.verdict, Some(Err(_))));
}

#[test]
fn another_chains_signature_is_refused_and_completes_its_quest() {
    let state = ready(100).with(Action::Trial(Trial::OtherChain));
    let tx = last_transfer(&state);
    assert!(tx.verify(&chain()).is_err(), "not valid on this chain");
    let mut other = chain().to_bytes();
    other[31] ^= 1;
    assert_eq!(tx.verify(&ChainId::from_bytes(other)), Ok(()));
    assert_eq!(
        state.sig_lab.trials.get(&Trial::OtherChain),
        Some(&TrialStep::Sent)
    );

    let refused = state.clone().flushed().reply(Response::error(
        ErrorCode::BadSignature,
        "signature does not verify",
    ));
    let step = &refused.sig_lab.trials[&Trial::OtherChain];
    assert!(step.taught(Trial::OtherChain));
    assert!(refused.quests.contains(&Quest::OtherChain));

    // Refused for another reason: shown, but it teaches nothing and completes nothing.
    let busy = state
        .flushed()
        .reply(Response::error(ErrorCode::RateLimited, "slow down"));
    assert!(!busy.sig_lab.trials[&Trial::OtherChain].taught(Trial::OtherChain));
    assert!(!busy.quests.contains(&Quest::OtherChain));
}

#[test]
fn overspend_asks_one_coin_more_than_spendable() {
    let state = ready(100).with(Action::Trial(Trial::Overspend));
    let tx = last_transfer(&state);
    assert_eq!(tx.amount, 101);
    assert_eq!(tx.verify(&chain()), Ok(()));
    let refused = state
        .flushed()
        .reply(Response::error(ErrorCode::InsufficientFunds, "balance 100"));
    assert!(refused.quests.contains(&Quest::Overspend));
}

#[test]
fn a_double_spend_sends_two_transfers_with_one_nonce() {
    let state = ready(100).with(Action::Trial(Trial::DoubleSpend));
    let lines = state.sent_lines();
    let [first, second] = &lines[lines.len() - 2..] else {
        unreachable!()
    };
    let (Ok(Request::AddTransaction(a)), Ok(Request::AddTransaction(b))) =
        (Request::parse(first), Request::parse(second))
    else {
        panic!("two transfers: {first} {second}");
    };
    assert_eq!(a.nonce, b.nonce);
    assert_ne!(a.txid(&chain()), b.txid(&chain()));
    let after_first = state.flushed().reply(Response::Success);
    assert_eq!(
        after_first.sig_lab.trials[&Trial::DoubleSpend],
        TrialStep::FirstAccepted
    );
    assert!(!after_first.quests.contains(&Quest::DoubleSpend));
    let done = after_first.reply(Response::error(ErrorCode::BadNonce, "expected nonce 1"));
    assert!(done.quests.contains(&Quest::DoubleSpend));

    let poor = ready(2).with(Action::Trial(Trial::DoubleSpend));
    assert!(matches!(
        poor.sig_lab.trials[&Trial::DoubleSpend],
        TrialStep::NotSent(_)
    ));
}

/// A history page of `own` with one confirmed transfer it sent.
fn sent_and_confirmed(own: Address) -> (Transaction, History) {
    let tx = Transaction::sign(&key(1), &chain(), Address::from_bytes([5; 32]), 10, 0);
    let item = TxInfo {
        txid: tx.txid(&chain()),
        status: TxStatus::Confirmed,
        height: Some(2),
        transaction: tx,
    };
    let page = History {
        address: own,
        total: 1,
        items: vec![item],
    };
    (tx, page)
}

#[test]
fn a_replay_resends_a_confirmed_transfer_byte_for_byte() {
    let nothing = ready(100).with(Action::Trial(Trial::Replay));
    assert!(matches!(
        nothing.sig_lab.trials[&Trial::Replay],
        TrialStep::NotSent(_)
    ));
    assert!(!nothing.quests.contains(&Quest::SendPayment));

    let own = address_of(&key(1));
    let (tx, page) = sent_and_confirmed(own);
    let state = ready(100)
        .with(Action::HistoryPage(0))
        .flushed()
        .reply(Response::History(page));
    assert!(
        state.quests.contains(&Quest::SendPayment),
        "a confirmed transfer of its own"
    );
    let state = state.with(Action::Trial(Trial::Replay));
    assert_eq!(last_transfer(&state), tx);
    let refused = state
        .flushed()
        .reply(Response::error(ErrorCode::Duplicate, "already confirmed"));
    assert!(refused.quests.contains(&Quest::Replay));
}

#[test]
fn the_first_quest_needs_coins_the_server_reports() {
    let own = address_of(&key(1));
    let empty = ready(0);
    assert!(!empty.quests.contains(&Quest::GetCoins));
    let funded = empty
        .with(Action::Line(format!("EVENT:TIP:4:{}", "11".repeat(32))))
        .flushed()
        .reply(Response::Info(info(4, Some(true))))
        .reply(Response::Account(account(own, 25, 0)));
    assert!(funded.quests.contains(&Quest::GetCoins));
    let _ = history(own);
}

#[test]
fn quest_keys_round_trip() {
    for quest in Quest::ALL {
        assert_eq!(Quest::from_key(quest.key()), Some(quest));
    }
    assert_eq!(Quest::from_key("nope"), None);
}

/// A block at height 2 holding `txs`, hashed (not mined: the proof does not look at
/// the proof of work).
fn block_with(txs: Vec<Transaction>) -> Block {
    let genesis = Block::genesis(Address::from_bytes([3; 32]), 1000, 0, 0);
    let one = Block::next(
        &genesis,
        &chain(),
        Address::from_bytes([3; 32]),
        1,
        Vec::new(),
    );
    Block::next(&one, &chain(), Address::from_bytes([3; 32]), 2, txs)
}

#[test]
fn a_proof_is_folded_in_the_tab_against_the_blocks_header() {
    let own = address_of(&key(1));
    let txs: Vec<Transaction> = (0..5)
        .map(|n| Transaction::sign(&key(1), &chain(), Address::from_bytes([5; 32]), 1, n))
        .collect();
    let block = block_with(txs.clone());
    let txids = block.txids(&chain());
    let index = 3;
    let merkle = MerkleProof::build(&txids, index).expect("in range");
    let proof = Proof {
        txid: txids[index],
        height: 2,
        block_hash: block.hash,
        tx_root: block.header.tx_root,
        index: index as u64,
        path: merkle.path,
    };
    let info = TxInfo {
        txid: txids[index],
        status: TxStatus::Confirmed,
        height: Some(2),
        transaction: txs[index],
    };
    let state = ready(100)
        .with(Action::ShowTx(txids[index]))
        .flushed()
        .reply(Response::Tx(info))
        .with(Action::AskProof(txids[index]));
    assert!(matches!(state.explorer.detail, Some(Detail::Tx(_))));
    assert_eq!(
        state.sent_lines().last(),
        Some(&format!("GET_PROOF:{}", txids[index]))
    );
    let state = state.flushed().reply(Response::Proof(proof.clone()));
    assert_eq!(
        state.sent_lines().last(),
        Some(&format!("GET_BLOCK:{}", block.hash))
    );

    let json = serde_json::to_string(&block).expect("json");
    let folded = state.clone().flushed().reply(Response::Block(json));
    let ProofView::Folded(view) = &folded.proof else {
        panic!("{:?}", folded.proof)
    };
    assert!(view.verified());
    assert_eq!(view.steps.len(), 3, "5 leaves: 3 levels");
    assert_eq!(view.levels.as_ref().map(|l| l.len()), Some(4));
    assert!(folded.quests.contains(&Quest::Prove), "{own} sent it");

    // A proof whose path was altered folds elsewhere: not verified, no quest.
    let mut forged = proof;
    forged.path[1] = forged.path[0];
    let state = ready(100)
        .with(Action::AskProof(txids[index]))
        .flushed()
        .reply(Response::Proof(forged))
        .flushed()
        .reply(Response::Block(
            serde_json::to_string(&block).expect("json"),
        ));
    let ProofView::Folded(view) = &state.proof else {
        panic!("{:?}", state.proof)
    };
    assert!(!view.verified());
    assert!(!state.quests.contains(&Quest::Prove));

    // A block that does not hash to the proof's block hash is not used.
    let mut other = block_with(Vec::new());
    other.hash = block.hash;
    let state = ready(100)
        .with(Action::AskProof(txids[index]))
        .flushed()
        .reply(Response::Proof(Proof {
            block_hash: block.hash,
            ..Proof {
                txid: txids[index],
                height: 2,
                block_hash: block.hash,
                tx_root: block.header.tx_root,
                index: 3,
                path: Vec::new(),
            }
        }))
        .flushed()
        .reply(Response::Block(
            serde_json::to_string(&other).expect("json"),
        ));
    assert!(matches!(state.proof, ProofView::Failed(_)));
}

#[test]
fn a_block_of_ours_on_a_side_branch_completes_the_fork_race() {
    let own = address_of(&key(1));
    let block = |hash: u8, miner: Address, main: bool| TreeEntry {
        hash: BlockHash::from_bytes([hash; 32]),
        prev_hash: BlockHash::from_bytes([3; 32]),
        height: 4,
        timestamp: 0,
        miner,
        transactions: 0,
        main,
    };
    let tree = |blocks| Tree {
        tip: BlockHash::from_bytes([4; 32]),
        blocks,
    };
    let state = ready(100).with(Action::Open(Section::Tree));
    // Someone else's side block: not ours.
    let theirs = state.clone().flushed().reply(Response::Tree(tree(vec![
        block(4, own, true),
        block(5, Address::from_bytes([9; 32]), false),
    ])));
    assert!(!theirs.quests.contains(&Quest::ForkRace));
    let ours = state.flushed().reply(Response::Tree(tree(vec![
        block(4, Address::from_bytes([9; 32]), true),
        block(5, own, false),
    ])));
    assert!(ours.quests.contains(&Quest::ForkRace));
}

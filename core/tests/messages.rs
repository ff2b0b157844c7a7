//! Round trips of every request and response line (PROTOCOL §6, §7).

use ed25519_dalek::SigningKey;
use simplechain_core::ids::MerkleNode;
use simplechain_core::protocol::{
    AccountInfo, BlockStatus, ErrorCode, Event, History, Info, Mempool, Proof, ProtocolError,
    Request, Response, ServerLine, Submitted, Template, Tree, TreeEntry, TxInfo, TxStatus,
};
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, BlockHash, ChainId, MerkleRoot, Transaction, TxId};

fn tx() -> Transaction {
    Transaction::sign(
        &SigningKey::from_bytes(&[1; 32]),
        &ChainId::from_bytes([2; 32]),
        Address::from_bytes([3; 32]),
        5,
        0,
    )
}

#[test]
fn every_request_round_trips() {
    let a = address_of(&SigningKey::from_bytes(&[4; 32]));
    let json = r#"{"blocks":[]}"#;
    let requests = vec![
        Request::AddTransaction(tx()),
        Request::GetBlockchain,
        Request::GetBlocks { from: 7, limit: 20 },
        Request::SyncBlockchain(json),
        Request::ValidateBlockchain,
        Request::GetInfo,
        Request::GetAccount(a),
        Request::GetTransaction(TxId::from_bytes([9; 32])),
        Request::GetHistory {
            address: a,
            offset: 3,
            limit: 4,
        },
        Request::Subscribe,
        Request::Faucet(a),
        Request::Ping,
        Request::GetTemplate(a),
        Request::SubmitBlock(r#"{"height":1}"#),
        Request::GetTree { from: None },
        Request::GetTree { from: Some(12) },
        Request::GetBlock(BlockHash::from_bytes([8; 32])),
        Request::GetProof(TxId::from_bytes([9; 32])),
        Request::SubscribeBlocks,
    ];
    for r in requests {
        let line = r.encode();
        assert!(!line.contains('\n'));
        assert_eq!(Request::parse(&line).unwrap(), r, "{line}");
    }
}

#[test]
fn defaults_clamps_and_legacy_form() {
    let a = Address::from_bytes([5; 32]);
    assert_eq!(
        Request::parse("GET_BLOCKS:3").unwrap(),
        Request::GetBlocks {
            from: 3,
            limit: 500
        }
    );
    assert_eq!(
        Request::parse("GET_BLOCKS:3:9999").unwrap(),
        Request::GetBlocks {
            from: 3,
            limit: 500
        }
    );
    assert_eq!(
        Request::parse(&format!("GET_HISTORY:{a}")).unwrap(),
        Request::GetHistory {
            address: a,
            offset: 0,
            limit: 100
        }
    );
    assert_eq!(
        Request::parse(&format!("GET_HISTORY:{a}:0:1000")).unwrap(),
        Request::GetHistory {
            address: a,
            offset: 0,
            limit: 100
        }
    );
    // GET_MEMPOOL (extension): paged like GET_HISTORY, both fields or neither.
    assert_eq!(
        Request::parse("GET_MEMPOOL").unwrap(),
        Request::GetMempool {
            offset: 0,
            limit: 100
        }
    );
    assert_eq!(
        Request::parse("GET_MEMPOOL:5:1000").unwrap(),
        Request::GetMempool {
            offset: 5,
            limit: 100
        }
    );
    assert_eq!(
        Request::parse("GET_MEMPOOL:3:7").unwrap().encode(),
        "GET_MEMPOOL:3:7"
    );
    assert!(Request::parse("GET_MEMPOOL:5").is_err());
    assert!(Request::parse("GET_MEMPOOL:0:0").is_err());
    assert_eq!(
        Request::parse("ADD_TRANSACTION:a:b:1:secret").unwrap(),
        Request::AddTransactionWithPrivateKey
    );
    // SYNC's payload keeps its colons.
    assert_eq!(
        Request::parse("SYNC_BLOCKCHAIN:{\"a\":1}").unwrap(),
        Request::SyncBlockchain("{\"a\":1}")
    );
}

#[test]
fn refusals_have_the_right_code() {
    let cases = [
        ("", ErrorCode::BadRequest),
        ("PING:", ErrorCode::BadRequest),
        ("Ping", ErrorCode::UnknownCommand),
        ("NOPE:1", ErrorCode::UnknownCommand),
        ("GET_BLOCKS", ErrorCode::BadRequest),
        ("GET_BLOCKS:1:2:3", ErrorCode::BadRequest),
        ("GET_BLOCKS:x", ErrorCode::BadRequest),
        ("GET_BLOCKS:1:0", ErrorCode::BadRequest),
        ("GET_ACCOUNT:zz", ErrorCode::BadRequest),
        ("ADD_TRANSACTION:1:2:3:4:5:6", ErrorCode::BadRequest),
        ("SYNC_BLOCKCHAIN:", ErrorCode::BadRequest),
        ("SUBMIT_BLOCK", ErrorCode::BadRequest),
        ("SUBMIT_BLOCK:", ErrorCode::BadRequest),
        ("GET_TEMPLATE", ErrorCode::BadRequest),
        ("GET_TEMPLATE:xyz", ErrorCode::BadRequest),
        ("GET_TREE:1:2", ErrorCode::BadRequest),
        ("GET_TREE:-1", ErrorCode::BadRequest),
        ("GET_BLOCK:00", ErrorCode::BadRequest),
        ("GET_PROOF", ErrorCode::BadRequest),
        ("SUBSCRIBE:TIPS", ErrorCode::BadRequest),
        ("SUBSCRIBE:BLOCKS:1", ErrorCode::BadRequest),
    ];
    for (line, code) in cases {
        assert_eq!(Request::parse(line).unwrap_err().code, code, "{line:?}");
    }
}

#[test]
fn every_response_round_trips() {
    let t = tx();
    let info = TxInfo {
        txid: TxId::from_bytes([6; 32]),
        status: TxStatus::Pending,
        height: None,
        transaction: t,
    };
    let responses = vec![
        Response::Success,
        Response::Valid,
        Response::Invalid {
            height: 4,
            reason: "proof of work: hash has 3 leading zero bits".into(),
        },
        Response::Pong,
        Response::Error(ProtocolError::new(
            ErrorCode::BadNonce,
            "nonce is 3, the sender's next nonce is 2",
        )),
        Response::Info(Info {
            protocol: 1,
            chain_id: ChainId::from_bytes([1; 32]),
            height: 9,
            tip: BlockHash::from_bytes([2; 32]),
            difficulty: 16,
            block_reward: 50,
            mempool: 3,
            faucet: Some(true),
            idle_timeout_secs: Some(300),
        }),
        Response::Account(AccountInfo {
            address: t.sender,
            balance: 10,
            nonce: 1,
            pending_balance: 5,
            pending_nonce: 2,
        }),
        Response::Tx(TxInfo {
            status: TxStatus::Confirmed,
            height: Some(3),
            ..info.clone()
        }),
        Response::History(History {
            address: t.sender,
            total: 1,
            items: vec![info.clone()],
        }),
        Response::Mempool(Mempool {
            total: 7,
            items: vec![TxInfo {
                status: TxStatus::Pending,
                height: None,
                ..info
            }],
        }),
        Response::Blocks("{\"blocks\":[]}".into()),
        Response::Template(Template {
            height: 5,
            prev_hash: BlockHash::from_bytes([1; 32]),
            timestamp: 1_763_900_012_345,
            difficulty: 16,
            miner: t.sender,
            reward: 50,
            tx_root: MerkleRoot::EMPTY,
            transactions: vec![t],
        }),
        Response::Submitted(Submitted {
            hash: BlockHash::from_bytes([3; 32]),
            height: 5,
            status: BlockStatus::Side,
            replaced: 0,
        }),
        Response::Tree(Tree {
            tip: BlockHash::from_bytes([3; 32]),
            blocks: vec![TreeEntry {
                hash: BlockHash::from_bytes([3; 32]),
                prev_hash: BlockHash::from_bytes([1; 32]),
                height: 5,
                timestamp: 7,
                miner: t.sender,
                transactions: 2,
                main: true,
            }],
        }),
        Response::Block("{\"height\":1,\"main\":false}".into()),
        Response::Proof(Proof {
            txid: TxId::from_bytes([6; 32]),
            height: 4,
            block_hash: BlockHash::from_bytes([2; 32]),
            tx_root: MerkleRoot::from_bytes([5; 32]),
            index: 1,
            path: vec![MerkleNode::from_bytes([4; 32])],
        }),
    ];
    for r in responses {
        let line = r.encode();
        assert!(!line.contains('\n'));
        assert_eq!(
            ServerLine::parse(&line).unwrap(),
            ServerLine::Response(r),
            "{line}"
        );
    }
    let events = [
        Event::Tip {
            height: 3,
            hash: BlockHash::from_bytes([7; 32]),
        },
        Event::Block {
            height: 3,
            hash: BlockHash::from_bytes([7; 32]),
            prev_hash: BlockHash::from_bytes([6; 32]),
            main: false,
        },
    ];
    for event in events {
        assert_eq!(
            ServerLine::parse(&event.encode()).unwrap(),
            ServerLine::Event(event)
        );
    }
    assert!(ServerLine::parse("EVENT:BLOCK:1:00:00:maybe").is_err());
}

#[test]
fn every_error_code_round_trips_and_messages_stay_on_one_line() {
    for code in ErrorCode::ALL {
        let r = Response::Error(ProtocolError::new(code, "two\nlines"));
        let line = r.encode();
        assert_eq!(line, format!("ERROR:{}:two lines", code.as_str()));
        match ServerLine::parse(&line).unwrap() {
            ServerLine::Response(Response::Error(e)) => assert_eq!(e.code, code),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_wire_form_of_json_payloads_is_exact() {
    let line = Response::Account(AccountInfo {
        address: Address::from_bytes([0xab; 32]),
        balance: 1,
        nonce: 2,
        pending_balance: 3,
        pending_nonce: 4,
    })
    .encode();
    assert_eq!(
        line,
        format!(
            "ACCOUNT:{{\"address\":\"{}\",\"balance\":1,\"nonce\":2,\"pending_balance\":3,\"pending_nonce\":4}}",
            "ab".repeat(32)
        )
    );
}

//! The client against fake servers on `127.0.0.1:0` that misbehave.

use super::{Client, ClientError};
use simplechain_core::protocol::MAX_SERVER_LINE;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// A server that answers every connection with one endless line and returns how many
/// bytes it managed to write before the client hung up.
async fn endless_line_server() -> (String, tokio::task::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let written = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let chunk = vec![b'x'; 1 << 20];
        let mut written = 0;
        while socket.write_all(&chunk).await.is_ok() {
            written += chunk.len();
        }
        written
    });
    (address, written)
}

#[tokio::test]
async fn an_endless_line_is_an_error_after_the_limit_not_a_growing_buffer() {
    let (address, written) = endless_line_server().await;
    let mut client = Client::connect(&address).await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(60), client.read_raw_line())
        .await
        .expect("the client kept reading an endless line");
    match read {
        Err(ClientError::LineTooLong { limit, .. }) => assert_eq!(limit, MAX_SERVER_LINE),
        other => panic!("expected LineTooLong, got {other:?}"),
    }
    drop(client);
    // The client stopped reading at the limit: what the server wrote beyond it is no
    // more than what the sockets' buffers hold.
    let written = written.await.unwrap();
    assert!(
        written <= MAX_SERVER_LINE + (32 << 20),
        "the server wrote {written} bytes"
    );
    assert_eq!(
        ClientError::LineTooLong {
            address: address.clone(),
            limit: MAX_SERVER_LINE
        }
        .to_string(),
        format!(
            "the server at {address} sent a line over 67108864 bytes; fetch the chain in \
             pages instead (`simplechain blocks --from N`)"
        )
    );
}

/// A server that expects `script`'s request lines in order, answers each with its
/// response lines (events first, if any), and returns the requests it read.
async fn scripted_server(
    script: Vec<(&'static str, Vec<String>)>,
) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let handle = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut seen = Vec::new();
        for (prefix, answers) in script {
            let line = lines.next_line().await.unwrap().unwrap();
            assert!(line.starts_with(prefix), "expected {prefix}…, got {line}");
            seen.push(line);
            for answer in answers {
                write.write_all(answer.as_bytes()).await.unwrap();
                write.write_all(b"\n").await.unwrap();
            }
        }
        seen
    });
    (address, handle)
}

mod section_9 {
    use super::*;
    use simplechain_core::protocol::Event;
    use simplechain_core::protocol::{BlockStatus, ErrorCode};
    use simplechain_core::{Address, Block, BlockHash, TxId};

    fn hex(byte: u8) -> String {
        format!("{byte:02x}").repeat(32)
    }

    #[tokio::test]
    async fn template_then_submit_block_round_trips_the_block() {
        let miner = Address::from_bytes([0x11; 32]);
        let template = format!(
            r#"TEMPLATE:{{"height":1,"prev_hash":"{}","timestamp":5,"difficulty":4,"miner":"{}","reward":50,"tx_root":"{}","transactions":[]}}"#,
            hex(0xaa),
            hex(0x11),
            hex(0)
        );
        let (address, server) = scripted_server(vec![
            ("GET_TEMPLATE:", vec![template]),
            (
                "SUBMIT_BLOCK:",
                vec![format!(
                    r#"SUBMITTED:{{"hash":"{}","height":1,"status":"tip","replaced":0}}"#,
                    hex(0x0b)
                )],
            ),
            (
                "SUBMIT_BLOCK:",
                vec!["ERROR:unknown_parent:aaaa".to_string()],
            ),
        ])
        .await;
        let mut client = Client::connect(&address).await.unwrap();
        let template = client.template(miner).await.unwrap();
        assert_eq!(template.height, 1);
        assert_eq!(template.miner, miner);
        let (header, hash) = template.header(0).mine(0, 1 << 16).unwrap();
        let block = template.into_block(header, hash);
        let submitted = client.submit_block(&block).await.unwrap();
        assert_eq!(submitted.status, BlockStatus::Tip);
        assert_eq!(submitted.replaced, 0);
        match client.submit_block(&block).await {
            Err(ClientError::Refused(r)) => assert_eq!(r.0.code, ErrorCode::UnknownParent),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let seen = server.await.unwrap();
        assert_eq!(seen[0], format!("GET_TEMPLATE:{miner}"));
        let sent: Block =
            serde_json::from_str(seen[1].strip_prefix("SUBMIT_BLOCK:").unwrap()).unwrap();
        assert_eq!(
            sent, block,
            "the block travels as its JSON form, hash included"
        );
    }

    #[tokio::test]
    async fn tree_block_and_proof_decode_and_not_found_is_none() {
        let entry = format!(
            r#"{{"hash":"{}","prev_hash":"{}","height":3,"timestamp":9,"miner":"{}","transactions":2,"main":false}}"#,
            hex(0x0c),
            hex(0x0b),
            hex(0x11)
        );
        let block = Block::genesis(Address::from_bytes([9; 32]), 1000, 4, 1);
        let mut block_json = serde_json::to_value(&block).unwrap();
        block_json["main"] = serde_json::Value::Bool(true);
        let (address, server) = scripted_server(vec![
            (
                "GET_TREE",
                vec![format!(r#"TREE:{{"tip":"{}","blocks":[{entry}]}}"#, hex(0x0b))],
            ),
            ("GET_TREE:7", vec![format!(r#"TREE:{{"tip":"{}","blocks":[]}}"#, hex(0x0b))]),
            ("GET_BLOCK:", vec![format!("BLOCK:{block_json}")]),
            ("GET_BLOCK:", vec!["ERROR:not_found:no such block".into()]),
            (
                "GET_PROOF:",
                vec![format!(
                    r#"PROOF:{{"txid":"{}","height":2,"block_hash":"{}","tx_root":"{}","index":0,"path":[]}}"#,
                    hex(0x01),
                    hex(0x0b),
                    hex(0x01)
                )],
            ),
            ("GET_PROOF:", vec!["ERROR:not_found:pending".into()]),
            ("GET_PROOF:", vec!["ERROR:bad_request:txid: bad hex".into()]),
        ])
        .await;
        let mut client = Client::connect(&address).await.unwrap();
        let tree = client.tree(None).await.unwrap();
        assert_eq!(tree.blocks.len(), 1);
        assert!(!tree.blocks[0].main);
        assert_eq!(tree.blocks[0].transactions, 2);
        assert!(client.tree(Some(7)).await.unwrap().blocks.is_empty());
        let info = client.block(block.hash).await.unwrap().unwrap();
        assert!(info.main);
        assert_eq!(info.block, block);
        assert!(client.block(BlockHash::ZERO).await.unwrap().is_none());
        let txid = TxId::from_bytes([1; 32]);
        let proof = client.proof(txid).await.unwrap().unwrap();
        assert!(proof.verify(), "a one-leaf proof: the txid is the root");
        assert!(client.proof(txid).await.unwrap().is_none());
        assert!(matches!(
            client.proof(txid).await,
            Err(ClientError::Refused(_))
        ));
        let seen = server.await.unwrap();
        assert_eq!(seen[0], "GET_TREE");
        assert_eq!(seen[2], format!("GET_BLOCK:{}", block.hash));
    }

    #[tokio::test]
    async fn subscribe_blocks_then_events_arrive_in_order() {
        let (address, _server) = scripted_server(vec![
            ("SUBSCRIBE:BLOCKS", vec!["SUCCESS".into()]),
            (
                "PING",
                vec![
                    format!("EVENT:TIP:4:{}", hex(0x0d)),
                    format!("EVENT:BLOCK:4:{}:{}:main", hex(0x0d), hex(0x0c)),
                    "PONG".into(),
                ],
            ),
        ])
        .await;
        let mut client = Client::connect(&address).await.unwrap();
        client.subscribe_blocks().await.unwrap();
        client.ping().await.unwrap();
        assert_eq!(
            client.next_event().await.unwrap(),
            Event::Tip {
                height: 4,
                hash: BlockHash::from_bytes([0x0d; 32])
            }
        );
        assert_eq!(
            client.next_event().await.unwrap(),
            Event::Block {
                height: 4,
                hash: BlockHash::from_bytes([0x0d; 32]),
                prev_hash: BlockHash::from_bytes([0x0c; 32]),
                main: true
            }
        );
    }
}

#[test]
fn a_rate_limited_refusal_says_how_long_to_wait() {
    use simplechain_core::protocol::{ErrorCode, ProtocolError};
    let refusal = |code, message: &str| {
        ClientError::Refused(super::Refused(ProtocolError::new(code, message)))
    };
    let wait = |message: &str| refusal(ErrorCode::RateLimited, message).retry_after();
    assert_eq!(
        wait("this connection has used its share of heavy requests; retry SUBMIT_BLOCK in 1.5 s"),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        wait("retry SUBMIT_BLOCK in 0.0 s"),
        Some(Duration::from_millis(50))
    );
    assert_eq!(wait("slow down"), Some(Duration::from_secs(1)));
    assert_eq!(wait("retry in 99 s"), Some(Duration::from_secs(5)));
    assert_eq!(
        refusal(ErrorCode::InvalidBlock, "retry in 1 s").retry_after(),
        None
    );
}

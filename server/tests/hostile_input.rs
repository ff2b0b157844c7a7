//! Bad input, table-driven: malformed and hostile requests against a real server on a
//! real socket. Every case must be answered with the right `ERROR` code (PROTOCOL §7 and
//! the "Extensions" of docs/PROTOCOL.md), change nothing (`GET_INFO` and a rich
//! account identical, `VALIDATE_BLOCKCHAIN` still `VALID`), leave the same connection
//! usable (except `too_long`, which closes it), and never stop a second client, which
//! pings the server the whole time, from being served.
//!
//! The `SYNC_BLOCKCHAIN` bombs are built with the core crate: deep JSON, 20 million
//! empty objects, about 120,000 copies of a block (50 MB, within the 64 MiB limit), a
//! valid-looking chain with one bad signature deep inside, timestamps far in the future,
//! a reorg deeper than the limit, inflated rewards, and so on.

mod common;

use common::{Conn, TestServer, add_line, addr, chain_id, error_code, key, rich_key, sync_line};
use ed25519_dalek::VerifyingKey;
use simplechain_core::block::leading_zero_bits;
use simplechain_core::protocol::ChainJson;
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, Block, ChainId, Signature, Transaction};
use simplechain_server::now_ms;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the server must answer.
#[derive(Debug, Clone)]
enum Expect {
    /// `ERROR:<code>:…`
    Error(&'static str),
    /// `ERROR:<code>:…` whose text contains this.
    ErrorWith(&'static str, String),
    /// A line starting with this (a hostile but legal request).
    Prefix(&'static str),
    /// `ERROR:too_long:…`, then the server closes the connection.
    TooLongThenClose,
}

struct Case {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
}

struct Table(Vec<Case>);

impl Table {
    fn bytes(&mut self, name: impl Into<String>, bytes: Vec<u8>, expect: Expect) {
        self.0.push(Case {
            name: name.into(),
            bytes,
            expect,
        });
    }

    /// A line: `line` plus `\n`.
    fn line(&mut self, name: impl Into<String>, line: &str, expect: Expect) {
        self.bytes(name, format!("{line}\n").into_bytes(), expect);
    }

    fn err(&mut self, name: impl Into<String>, line: &str, code: &'static str) {
        self.line(name, line, Expect::Error(code));
    }
}

fn outsider() -> Address {
    addr(99)
}

/// Mines one more block with `txs` at `timestamp` on top of `blocks`.
fn push_at(blocks: &mut Vec<Block>, timestamp: u64, txs: Vec<Transaction>) {
    let id = chain_id(blocks);
    let block = Block::next(blocks.last().unwrap(), &id, outsider(), timestamp, txs);
    blocks.push(block);
}

fn push_empty(blocks: &mut Vec<Block>, n: usize) {
    for _ in 0..n {
        push_at(blocks, now_ms(), Vec::new());
    }
}

/// New nonce and hash after a header field was changed on purpose.
fn remine(block: &Block) -> Block {
    let (header, hash) = block.header.mine(0, u64::MAX).expect("a nonce exists");
    Block::from_mined(header, hash, block.transactions.clone())
}

/// The server's chain.
async fn get_chain(c: &mut Conn) -> Vec<Block> {
    let line = c.ask("GET_BLOCKCHAIN").await;
    serde_json::from_str::<ChainJson>(&line)
        .unwrap_or_else(|e| panic!("GET_BLOCKCHAIN is not a chain ({e})"))
        .blocks
}

/// What must not change.
async fn state(c: &mut Conn) -> (String, String) {
    let info = c.ask("GET_INFO").await;
    let rich = c
        .ask(&format!("GET_ACCOUNT:{}", address_of(&rich_key())))
        .await;
    (info, rich)
}

/// A 32-byte value that is not a valid Ed25519 point encoding.
fn not_a_point() -> [u8; 32] {
    (2u8..=255)
        .map(|b| {
            let mut bytes = [b; 32];
            bytes[31] &= 0x7f;
            bytes
        })
        .find(|bytes| VerifyingKey::from_bytes(bytes).is_err())
        .expect("some y is not on the curve")
}

/// Adds the group order L to the scalar S of a signature (little-endian), giving the
/// same signature with a non-canonical S.
fn non_canonical_s(sig: &Signature) -> Signature {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut bytes = sig.to_bytes();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(bytes[32 + i]) + u16::from(L[i]) + carry;
        bytes[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    Signature::from_bytes(bytes)
}

fn raw_add(sender: &str, receiver: &str, amount: &str, nonce: &str, sig: &str) -> String {
    format!("ADD_TRANSACTION:{sender}:{receiver}:{amount}:{nonce}:{sig}")
}

/// Builds the table against the server's current chain (`ours`).
fn build_table(server: &TestServer, ours: &[Block], confirmed: &Transaction) -> Table {
    let mut t = Table(Vec::new());
    let rich = rich_key();
    let rich_addr = address_of(&rich);
    let a = addr(1).to_string();
    let b = addr(2).to_string();
    let good = server.tx(&rich, addr(2), 5, 1);
    let (gs, gr, gsig) = (
        good.sender.to_string(),
        good.receiver.to_string(),
        good.signature.to_string(),
    );
    let hex64 = "ab".repeat(32);
    let hex128 = "cd".repeat(64);

    // --- Wrong field counts.
    t.err(
        "ADD_TRANSACTION without fields",
        "ADD_TRANSACTION",
        "bad_request",
    );
    t.err(
        "ADD_TRANSACTION, 1 field",
        &format!("ADD_TRANSACTION:{a}"),
        "bad_request",
    );
    t.err(
        "ADD_TRANSACTION, 3 fields",
        &format!("ADD_TRANSACTION:{a}:{b}:5"),
        "bad_request",
    );
    t.err(
        "ADD_TRANSACTION, 6 fields",
        &format!("{}:7", add_line(&good)),
        "bad_request",
    );
    t.err(
        "ADD_TRANSACTION, 4 fields (private key form)",
        &format!("ADD_TRANSACTION:{gs}:{gr}:5:{}", "11".repeat(32)),
        "private_key_refused",
    );
    t.err("GET_INFO with a field", "GET_INFO:x", "bad_request");
    t.err("PING with an empty field", "PING:", "bad_request");
    t.err("GET_BLOCKS without fields", "GET_BLOCKS", "bad_request");
    t.err("GET_BLOCKS, 3 fields", "GET_BLOCKS:1:2:3", "bad_request");
    t.err("GET_ACCOUNT without fields", "GET_ACCOUNT", "bad_request");
    t.err(
        "GET_ACCOUNT, 2 fields",
        &format!("GET_ACCOUNT:{a}:{b}"),
        "bad_request",
    );
    t.err(
        "GET_HISTORY, offset without limit",
        &format!("GET_HISTORY:{a}:0"),
        "bad_request",
    );
    t.err(
        "GET_TRANSACTION without fields",
        "GET_TRANSACTION",
        "bad_request",
    );
    t.err(
        "VALIDATE_BLOCKCHAIN with a field",
        "VALIDATE_BLOCKCHAIN:now",
        "bad_request",
    );
    t.err("SUBSCRIBE with a field", "SUBSCRIBE:all", "bad_request");
    t.err(
        "GET_BLOCKCHAIN with a field",
        "GET_BLOCKCHAIN:0",
        "bad_request",
    );
    t.err("FAUCET without fields", "FAUCET", "bad_request");
    t.err(
        "SYNC_BLOCKCHAIN without payload",
        "SYNC_BLOCKCHAIN",
        "bad_request",
    );
    t.err(
        "SYNC_BLOCKCHAIN with an empty payload",
        "SYNC_BLOCKCHAIN:",
        "bad_request",
    );
    t.err(
        "100,000 empty fields",
        &format!("GET_ACCOUNT:{}", ":".repeat(100_000)),
        "bad_request",
    );

    // --- Bad hex.
    t.err(
        "address of 63 hex chars",
        &format!("GET_ACCOUNT:{}", &a[..63]),
        "bad_request",
    );
    t.err(
        "address of 65 hex chars",
        &format!("GET_ACCOUNT:{a}0"),
        "bad_request",
    );
    t.err(
        "address with a non-hex letter",
        &format!("GET_ACCOUNT:{}g", &a[..63]),
        "bad_request",
    );
    t.err(
        "address with multi-byte UTF-8 (64 bytes)",
        &format!("GET_ACCOUNT:{}é", &a[..62]),
        "bad_request",
    );
    t.err(
        "txid with a 0x prefix",
        &format!("GET_TRANSACTION:0x{}", &hex64[..62]),
        "bad_request",
    );
    t.err(
        "signature of 127 hex chars",
        &raw_add(&gs, &gr, "5", "1", &gsig[..127]),
        "bad_request",
    );
    t.err(
        "sender with a space",
        &raw_add(&format!(" {}", &gs[1..]), &gr, "5", "1", &gsig),
        "bad_request",
    );
    t.err(
        "FAUCET to bad hex",
        &format!("FAUCET:{}", "zz".repeat(32)),
        "bad_request",
    );

    // --- Signatures: well-formed, but must not verify.
    t.err(
        "signature of zeros",
        &raw_add(&gs, &gr, "5", "1", &"0".repeat(128)),
        "bad_signature",
    );
    t.err(
        "random signature",
        &raw_add(&gs, &gr, "5", "1", &hex128),
        "bad_signature",
    );
    t.err(
        "sender that is not a curve point",
        &raw_add(
            &Address::from_bytes(not_a_point()).to_string(),
            &gr,
            "5",
            "1",
            &gsig,
        ),
        "bad_signature",
    );
    let other_chain = Transaction::sign(&rich, &ChainId::from_bytes([3; 32]), addr(2), 5, 1);
    t.err(
        "signed for another chain id",
        &add_line(&other_chain),
        "bad_signature",
    );
    t.err(
        "valid signature, amount changed",
        &raw_add(&gs, &gr, "6", "1", &gsig),
        "bad_signature",
    );
    t.err(
        "valid signature, nonce changed",
        &raw_add(&gs, &gr, "5", "2", &gsig),
        "bad_signature",
    );
    t.err(
        "valid signature, receiver changed",
        &raw_add(&gs, &a, "5", "1", &gsig),
        "bad_signature",
    );
    let mut malleated = good;
    malleated.signature = non_canonical_s(&good.signature);
    t.err(
        "non-canonical S (S + L)",
        &add_line(&malleated),
        "bad_signature",
    );
    // The identity point as key with R = identity and S = 0 verifies any message under a
    // lax check; strict verification refuses small-order keys and R.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut weak_sig = [0u8; 64];
    weak_sig[0] = 1;
    t.err(
        "small-order key and R (identity), S = 0",
        &raw_add(
            &Address::from_bytes(identity).to_string(),
            &gr,
            "5",
            "0",
            &Signature::from_bytes(weak_sig).to_string(),
        ),
        "bad_signature",
    );

    // --- Numbers: overflow, sign, leading zeros, formats.
    for (name, amount) in [
        ("amount 2^64", "18446744073709551616"),
        (
            "amount of 40 digits",
            "9999999999999999999999999999999999999999",
        ),
        ("negative amount", "-1"),
        ("amount with a plus sign", "+5"),
        ("amount with leading zeros", "005"),
        ("amount in exponent form", "5e0"),
        ("amount with a leading space", " 5"),
        ("amount in hex", "0x5"),
        ("fractional amount", "5.0"),
        ("empty amount", ""),
    ] {
        t.err(name, &raw_add(&gs, &gr, amount, "1", &gsig), "bad_request");
    }
    t.err(
        "nonce 2^64",
        &raw_add(&gs, &gr, "5", "18446744073709551616", &gsig),
        "bad_request",
    );
    t.err(
        "GET_BLOCKS from 2^64",
        "GET_BLOCKS:18446744073709551616",
        "bad_request",
    );
    t.err("GET_BLOCKS limit 0", "GET_BLOCKS:0:0", "bad_request");
    t.err(
        "GET_HISTORY offset of 30 digits",
        &format!("GET_HISTORY:{a}:{}:1", "9".repeat(30)),
        "bad_request",
    );
    t.err(
        "GET_HISTORY limit 0",
        &format!("GET_HISTORY:{a}:0:0"),
        "bad_request",
    );
    t.line(
        "GET_BLOCKS from u64::MAX (past the tip)",
        "GET_BLOCKS:18446744073709551615:18446744073709551615",
        Expect::Prefix("{\"blocks\":[]}"),
    );
    t.line(
        "GET_HISTORY offset and limit u64::MAX",
        &format!("GET_HISTORY:{a}:18446744073709551615:18446744073709551615"),
        Expect::Prefix("HISTORY:"),
    );

    // --- Transactions that are well-signed but break a rule.
    t.err(
        "amount u64::MAX, signed",
        &add_line(&server.tx(&rich, addr(2), u64::MAX, 1)),
        "insufficient_funds",
    );
    t.err(
        "amount 0, signed",
        &add_line(&server.tx(&rich, addr(2), 0, 1)),
        "invalid_amount",
    );
    t.err(
        "sender = receiver, signed",
        &add_line(&server.tx(&rich, rich_addr, 5, 1)),
        "bad_request",
    );
    t.err(
        "nonce gap, signed",
        &add_line(&server.tx(&rich, addr(2), 5, 7)),
        "bad_nonce",
    );
    t.err(
        "nonce u64::MAX, signed",
        &add_line(&server.tx(&rich, addr(2), 5, u64::MAX)),
        "bad_nonce",
    );
    t.err(
        "replay of a confirmed transaction",
        &add_line(confirmed),
        "duplicate",
    );
    t.err(
        "spending from an empty account, signed",
        &add_line(&server.tx(&key(50), addr(2), 1, 0)),
        "insufficient_funds",
    );
    t.line(
        "unknown txid",
        &format!("GET_TRANSACTION:{hex64}"),
        Expect::Error("not_found"),
    );
    let treasury =
        simplechain_server::keyfile::read(&server.dir.join(simplechain_server::TREASURY_FILE))
            .unwrap();
    t.err(
        "FAUCET to the treasury itself",
        &format!("FAUCET:{}", address_of(&treasury)),
        "bad_request",
    );

    // --- Wrong case and stray characters.
    t.err("lowercase command", "ping", "unknown_command");
    t.err("mixed-case command", "Get_Info", "unknown_command");
    t.err(
        "lowercase ADD_TRANSACTION",
        &add_line(&good).replacen("ADD_TRANSACTION", "add_transaction", 1),
        "unknown_command",
    );
    t.err("leading space", " PING", "unknown_command");
    t.err("trailing space", "PING ", "unknown_command");
    t.err("tab inside", "PI\tNG", "unknown_command");
    t.err("carriage return inside", "PI\rNG", "unknown_command");
    t.bytes(
        "NUL inside",
        b"PI\0NG\n".to_vec(),
        Expect::Error("unknown_command"),
    );
    t.err("unknown command", "DROP_TABLE", "unknown_command");
    t.err("command of 500 KB", &"A".repeat(500_000), "unknown_command");
    t.line(
        "uppercase hex address (accepted)",
        &format!("GET_ACCOUNT:{}", a.to_uppercase()),
        Expect::Prefix("ACCOUNT:"),
    );

    // --- Not UTF-8, empty.
    t.bytes(
        "bytes FF FE",
        b"\xff\xfe\n".to_vec(),
        Expect::Error("bad_request"),
    );
    t.bytes(
        "truncated UTF-8 sequence",
        b"PING\xc3\n".to_vec(),
        Expect::Error("bad_request"),
    );
    t.bytes(
        "overlong UTF-8 for '/'",
        b"GET_ACCOUNT:\xc0\xaf\n".to_vec(),
        Expect::Error("bad_request"),
    );
    t.bytes(
        "UTF-8 surrogate",
        b"PING\xed\xa0\x80\n".to_vec(),
        Expect::Error("bad_request"),
    );
    let mut latin1 = add_line(&good).into_bytes();
    latin1.extend_from_slice(b"\xe9\n");
    t.bytes(
        "Latin-1 byte after a transaction",
        latin1,
        Expect::Error("bad_request"),
    );
    t.bytes("empty line", b"\n".to_vec(), Expect::Error("bad_request"));
    t.bytes("CR LF only", b"\r\n".to_vec(), Expect::Error("bad_request"));
    t.err("a colon only", ":", "bad_request");
    t.err("colons only", ":::::", "bad_request");

    // --- SYNC_BLOCKCHAIN: payloads that are not a chain.
    t.err("SYNC: not JSON", "SYNC_BLOCKCHAIN:hello", "bad_request");
    t.err("SYNC: JSON null", "SYNC_BLOCKCHAIN:null", "bad_request");
    t.err(
        "SYNC: truncated JSON",
        "SYNC_BLOCKCHAIN:{\"blocks\":[{",
        "bad_request",
    );
    t.err(
        "SYNC: blocks as nested arrays, 100,000 deep",
        &format!("SYNC_BLOCKCHAIN:{{\"blocks\":{}", "[".repeat(100_000)),
        "bad_request",
    );
    t.err(
        "SYNC: an unknown field nested 100,000 deep, closed",
        &format!(
            "SYNC_BLOCKCHAIN:{{\"x\":{}{},\"blocks\":[]}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        "invalid_chain",
    );
    t.err(
        "SYNC: an unknown field nested 100,000 deep, unclosed",
        &format!("SYNC_BLOCKCHAIN:{{\"x\":{}", "[".repeat(100_000)),
        "bad_request",
    );
    t.err(
        "SYNC: 3 MB of nested objects",
        &format!("SYNC_BLOCKCHAIN:{}", "{\"a\":".repeat(600_000)),
        "bad_request",
    );
    let mut million = String::with_capacity(61 << 20);
    million.push_str("SYNC_BLOCKCHAIN:{\"blocks\":[");
    for i in 0..20_000_000 {
        million.push_str(if i == 0 { "{}" } else { ",{}" });
    }
    million.push_str("]}");
    t.err(
        "SYNC: 20 million empty blocks (60 MB)",
        &million,
        "bad_request",
    );
    drop(million);
    t.err(
        "SYNC: block height as a string",
        &sync_line(ours).replacen("\"height\":0", "\"height\":\"0\"", 1),
        "bad_request",
    );
    t.err(
        "SYNC: negative height",
        &sync_line(ours).replacen("\"height\":0", "\"height\":-1", 1),
        "bad_request",
    );
    t.err(
        "SYNC: height 1e400",
        &sync_line(ours).replacen("\"height\":0", "\"height\":1e400", 1),
        "bad_request",
    );
    t.err(
        "SYNC: duplicate key",
        &sync_line(ours).replacen("{\"blocks\":", "{\"blocks\":[],\"blocks\":", 1),
        "bad_request",
    );
    t.err(
        "SYNC: a block without its hash",
        &sync_line(ours).replacen("\"hash\":", "\"hash_\":", 1),
        "bad_request",
    );
    t.err(
        "SYNC: no blocks",
        "SYNC_BLOCKCHAIN:{\"blocks\":[]}",
        "invalid_chain",
    );

    // --- SYNC_BLOCKCHAIN: chains that break a rule.
    let id = chain_id(ours);
    let tip = ours.len();
    // About 120,000 copies of the tip block after our own chain: 50 MB, decoded in full,
    // refused at the first copy.
    let mut copies = ours.to_vec();
    copies.extend(std::iter::repeat_n(ours[tip - 1].clone(), 120_000));
    let copies_line = sync_line(&copies);
    assert!(copies_line.len() < 64 << 20, "{}", copies_line.len());
    drop(copies);
    t.line(
        format!(
            "SYNC: 120,000 copies of a block ({} MB)",
            copies_line.len() >> 20
        ),
        &copies_line,
        Expect::ErrorWith("invalid_chain", format!("block {tip}: height")),
    );
    drop(copies_line);
    let genesis_copies = vec![ours[0].clone(); 120_000];
    t.line(
        "SYNC: 120,000 copies of genesis",
        &sync_line(&genesis_copies),
        Expect::Error("reorg_too_deep"),
    );
    drop(genesis_copies);

    // One bad signature deep inside a chain of 60 new blocks, one transaction each.
    let mut deep = ours.to_vec();
    for n in 0..60u64 {
        let tx = Transaction::sign(&rich, &id, addr(2), 1, 1 + n);
        push_at(&mut deep, now_ms(), vec![tx]);
    }
    let bad_at = tip + 50;
    let mut sig = deep[bad_at].transactions[0].signature.to_bytes();
    sig[10] ^= 1;
    deep[bad_at].transactions[0].signature = Signature::from_bytes(sig);
    t.line(
        "SYNC: one bad signature 50 blocks deep",
        &sync_line(&deep),
        Expect::ErrorWith(
            "invalid_chain",
            format!("block {bad_at}: transaction 0: signature"),
        ),
    );

    let future = now_ms() + 3 * 60 * 60 * 1000;
    let mut ahead = ours.to_vec();
    push_empty(&mut ahead, 2);
    push_at(&mut ahead, future, Vec::new());
    t.line(
        "SYNC: timestamp 3 hours ahead",
        &sync_line(&ahead),
        Expect::ErrorWith("invalid_chain", "ahead of the server clock".into()),
    );
    let mut far = ours.to_vec();
    push_at(&mut far, u64::MAX, Vec::new());
    t.line(
        "SYNC: timestamp u64::MAX",
        &sync_line(&far),
        Expect::ErrorWith("invalid_chain", "ahead of the server clock".into()),
    );
    let mut back = ours.to_vec();
    push_empty(&mut back, 1);
    let last = back.len() - 1;
    back[last].header.timestamp = back[last - 1].header.timestamp - 1;
    back[last] = remine(&back[last]);
    t.line(
        "SYNC: timestamp going back",
        &sync_line(&back),
        Expect::ErrorWith("invalid_chain", "before the previous".into()),
    );

    // Forks: from block 1, deeper than 100 below our tip.
    let mut fork = ours[..2].to_vec();
    push_empty(&mut fork, tip + 5);
    t.line(
        format!("SYNC: reorg {} blocks deep", tip - 2),
        &sync_line(&fork),
        Expect::Error("reorg_too_deep"),
    );
    let mut other = vec![Block::genesis(outsider(), 1_000_000, 4, now_ms())];
    push_empty(&mut other, tip + 5);
    t.line(
        "SYNC: another genesis",
        &sync_line(&other),
        Expect::Error("genesis_mismatch"),
    );
    t.line(
        "SYNC: a strict prefix of ours",
        &sync_line(&ours[..tip - 1]),
        Expect::Error("not_better"),
    );
    let mut branch = ours[..tip - 1].to_vec();
    push_empty(&mut branch, 1);
    t.line(
        "SYNC: a branch of equal length",
        &sync_line(&branch),
        Expect::Error("not_better"),
    );

    let mut inflated = ours.to_vec();
    push_empty(&mut inflated, 1);
    inflated[tip].header.reward = 1_000_000_000;
    inflated[tip] = remine(&inflated[tip]);
    t.line(
        "SYNC: block reward inflated",
        &sync_line(&inflated),
        Expect::ErrorWith("invalid_chain", "reward".into()),
    );
    let mut easier = ours.to_vec();
    push_empty(&mut easier, 1);
    easier[tip].header.difficulty = 0;
    easier[tip] = remine(&easier[tip]);
    t.line(
        "SYNC: difficulty lowered",
        &sync_line(&easier),
        Expect::ErrorWith("invalid_chain", "difficulty".into()),
    );
    let mut forged = ours.to_vec();
    push_empty(&mut forged, 1);
    forged[tip].hash = simplechain_core::BlockHash::from_bytes([0; 32]);
    t.line(
        "SYNC: claimed hash of zeros",
        &sync_line(&forged),
        Expect::ErrorWith("invalid_chain", "does not match".into()),
    );
    let mut weak = ours.to_vec();
    push_empty(&mut weak, 1);
    let mut h = weak[tip].header;
    h.nonce = (0..)
        .find(|n| {
            let mut x = h;
            x.nonce = *n;
            leading_zero_bits(&x.hash()) < 4
        })
        .unwrap();
    weak[tip] = Block::from_mined(h, h.hash(), Vec::new());
    t.line(
        "SYNC: proof of work too weak",
        &sync_line(&weak),
        Expect::ErrorWith("invalid_chain", "proof of work".into()),
    );
    let mut gap = ours.to_vec();
    push_empty(&mut gap, 1);
    gap[tip].header.height += 1;
    gap[tip] = remine(&gap[tip]);
    t.line(
        "SYNC: height skips one",
        &sync_line(&gap),
        Expect::ErrorWith("invalid_chain", "height".into()),
    );
    let spend = |amount, nonce| Transaction::sign(&rich, &id, addr(3), amount, nonce);
    let mut double = ours.to_vec();
    push_at(&mut double, now_ms(), vec![spend(1, 1), spend(2, 1)]);
    t.line(
        "SYNC: double spend (same nonce twice)",
        &sync_line(&double),
        Expect::ErrorWith("invalid_chain", "nonce".into()),
    );
    let mut over = ours.to_vec();
    push_at(&mut over, now_ms(), vec![spend(2_000_000, 1)]);
    t.line(
        "SYNC: spending more than the balance",
        &sync_line(&over),
        Expect::ErrorWith("invalid_chain", "exceeds".into()),
    );
    let mut root = ours.to_vec();
    push_at(&mut root, now_ms(), vec![spend(1, 1)]);
    root[tip].transactions[0] = spend(9, 1);
    t.line(
        "SYNC: transactions swapped after mining (tx_root)",
        &sync_line(&root),
        Expect::ErrorWith("invalid_chain", "tx_root".into()),
    );
    let mut stuffed = ours.to_vec();
    push_empty(&mut stuffed, 1);
    stuffed[tip].transactions = vec![spend(1, 1); 4097];
    t.line(
        "SYNC: 4097 transactions in a block",
        &sync_line(&stuffed),
        Expect::ErrorWith("invalid_chain", "4097 transactions".into()),
    );
    let mut stolen = ours.to_vec();
    let theft = Transaction {
        sender: rich_addr,
        receiver: outsider(),
        amount: 500_000,
        nonce: 1,
        signature: Signature::from_bytes([0; 64]),
    };
    push_at(&mut stolen, now_ms(), vec![theft]);
    t.line(
        "SYNC: theft with a forged signature",
        &sync_line(&stolen),
        Expect::ErrorWith("invalid_chain", "signature".into()),
    );
    let mut replay = ours.to_vec();
    push_at(&mut replay, now_ms(), vec![*confirmed]);
    t.line(
        "SYNC: replay of a confirmed transaction in a new block",
        &sync_line(&replay),
        Expect::ErrorWith("invalid_chain", "nonce".into()),
    );

    // --- Too long: answered, then the connection is closed.
    t.bytes(
        "line over 1 MiB",
        vec![b'A'; (1 << 20) + 10],
        Expect::TooLongThenClose,
    );
    t.bytes(
        "GET_ACCOUNT of 2 MiB with a newline",
        format!("GET_ACCOUNT:{}\n", "a".repeat(2 << 20)).into_bytes(),
        Expect::TooLongThenClose,
    );
    t.bytes(
        "lowercase sync_blockchain of 2 MiB (the 1 MiB limit applies)",
        format!("sync_blockchain:{}\n", "[".repeat(2 << 20)).into_bytes(),
        Expect::TooLongThenClose,
    );
    let mut huge = b"SYNC_BLOCKCHAIN:".to_vec();
    huge.resize((64 << 20) + 100, b' ');
    t.bytes("SYNC over 64 MiB", huge, Expect::TooLongThenClose);
    t
}

/// Sends one case and checks the answer; returns the connection to use next.
async fn run_case(server: &TestServer, mut c: Conn, case: &Case) -> Conn {
    c.send_raw(&case.bytes).await;
    let reply = c
        .read_line()
        .await
        .unwrap_or_else(|| panic!("{}: the server closed the connection", case.name));
    let shown: String = reply.chars().take(160).collect();
    if std::env::var_os("HOSTILE_VERBOSE").is_some() {
        println!("{:<60} {shown}", case.name);
    }
    match &case.expect {
        Expect::Error(code) => {
            assert!(reply.starts_with("ERROR:"), "{}: {shown}", case.name);
            assert_eq!(error_code(&reply), *code, "{}: {shown}", case.name);
        }
        Expect::ErrorWith(code, text) => {
            assert!(reply.starts_with("ERROR:"), "{}: {shown}", case.name);
            assert_eq!(error_code(&reply), *code, "{}: {shown}", case.name);
            assert!(reply.contains(text.as_str()), "{}: {shown}", case.name);
        }
        Expect::Prefix(prefix) => {
            assert!(reply.starts_with(prefix), "{}: {shown}", case.name)
        }
        Expect::TooLongThenClose => {
            assert!(reply.starts_with("ERROR:"), "{}: {shown}", case.name);
            assert_eq!(error_code(&reply), "too_long", "{}: {shown}", case.name);
            assert!(
                c.is_closed_within(Duration::from_secs(10)).await,
                "{}: the connection stayed open after too_long",
                case.name
            );
            return server.connect().await;
        }
    }
    // The same connection is still usable.
    assert_eq!(c.ask("PING").await, "PONG", "{}: after the case", case.name);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_request_is_refused_with_the_right_code_and_changes_nothing() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;

    // Setup: one confirmed transaction (to replay), then a chain of 107 blocks synced
    // in, so that a fork from block 1 is deeper than the reorg limit.
    let rich = rich_key();
    let confirmed = server.tx(&rich, addr(1), 1000, 0);
    assert_eq!(c.ask(&add_line(&confirmed)).await, "SUCCESS");
    common::wait_confirmed(&mut c, &confirmed.txid(&server.chain_id)).await;
    let mut ours = get_chain(&mut c).await;
    push_empty(&mut ours, 105);
    assert_eq!(c.ask(&sync_line(&ours)).await, "SUCCESS");
    assert_eq!(get_chain(&mut c).await, ours);

    let before = state(&mut c).await;
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");

    let built = Instant::now();
    let table = build_table(&server, &ours, &confirmed);
    println!(
        "built {} cases in {:.1} s",
        table.0.len(),
        built.elapsed().as_secs_f64()
    );

    // A second client, served all along.
    let stop = Arc::new(AtomicBool::new(false));
    let pings = Arc::new(AtomicU64::new(0));
    let worst_ms = Arc::new(AtomicU64::new(0));
    let bystander = {
        let (stop, pings, worst_ms) = (stop.clone(), pings.clone(), worst_ms.clone());
        let mut other = server.connect().await;
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                assert_eq!(other.ask("PING").await, "PONG");
                let ms = sent.elapsed().as_millis() as u64;
                worst_ms.fetch_max(ms, Ordering::Relaxed);
                pings.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other
        })
    };

    let started = Instant::now();
    let mut slowest = (Duration::ZERO, String::new());
    let mut too_long = 0;
    for case in &table.0 {
        let t = Instant::now();
        c = run_case(&server, c, case).await;
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, case.name.clone());
        }
        if matches!(case.expect, Expect::TooLongThenClose) {
            too_long += 1;
        }
        assert_eq!(
            state(&mut c).await,
            before,
            "{}: the state changed",
            case.name
        );
    }
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    assert_eq!(get_chain(&mut c).await, ours, "the chain changed");

    stop.store(true, Ordering::Relaxed);
    let mut other = bystander
        .await
        .expect("the second client was always served");
    assert_eq!(other.ask("GET_INFO").await, before.0);
    let (pings, worst) = (
        pings.load(Ordering::Relaxed),
        worst_ms.load(Ordering::Relaxed),
    );
    println!(
        "hostile inputs: {} cases ({} too_long), all refused with the right code, state unchanged; \
         {:.1} s in all, slowest {:.2} s ({}); second client: {pings} pings answered, worst {worst} ms",
        table.0.len(),
        too_long,
        started.elapsed().as_secs_f64(),
        slowest.0.as_secs_f64(),
        slowest.1,
    );
    assert!(table.0.len() >= 50);
    assert!(pings > 0);
    assert!(
        worst < 5_000,
        "the second client waited {worst} ms for a PONG"
    );
}

/// The peak resident memory of a process, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Kills the child process when dropped (also when the test fails).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends `lines` copies of `line` on a new connection without reading, then reads the
/// answers: each must be a refusal (invalid, or over the heavy-request budget).
async fn pipeline_syncs(address: std::net::SocketAddr, line: Arc<String>, lines: usize) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let (reader, mut writer) = tokio::net::TcpStream::connect(address)
        .await
        .unwrap()
        .into_split();
    for _ in 0..lines {
        writer.write_all(line.as_bytes()).await.unwrap();
    }
    let mut answers = tokio::io::BufReader::new(reader);
    for _ in 0..lines {
        let mut answer = String::new();
        answers.read_line(&mut answer).await.unwrap();
        assert!(
            answer.starts_with("ERROR:invalid_chain:") || answer.starts_with("ERROR:rate_limited:"),
            "{answer}"
        );
    }
}

/// Regression test: a client that pipelines many huge `SYNC_BLOCKCHAIN` lines without
/// reading the answers used to make the server read them all ahead into its queue (up
/// to 1024 lines of 64 MiB per connection). Now the lines waiting for their turn hold at
/// most one maximal `SYNC_BLOCKCHAIN` of bytes, and the server stops reading until they
/// are answered. Two connections pipeline at once (so that each one's lines also wait
/// for the other's heavy work); runs the real binary with an 8 MiB sync limit and
/// measures its peak resident memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_sync_bombs_are_not_read_ahead_without_bound() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = KillOnDrop(
        std::process::Command::new(simplechain_tests::simplechain_bin())
            .args(["server", "--listen", "127.0.0.1:0", "--difficulty", "4"])
            // What is measured is read-ahead, not the price of heavy requests (which
            // would make these lines wait for the connection's budget as they are read).
            .args(["--heavy-budget", "1000000"])
            .args(["--max-sync-bytes", "8388608", "--data-dir"])
            .arg(&data)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = child.0.id();
    let mut stdout = std::io::BufReader::new(child.0.stdout.take().unwrap());
    let address = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no Server: line");
        if let Some(a) = line.strip_prefix("Server:") {
            break a.trim().parse::<std::net::SocketAddr>().unwrap();
        }
    };
    let mut c = Conn::connect(address).await;
    let ours = get_chain(&mut c).await;
    let baseline = peak_rss_kib(pid).unwrap();

    // About 7.5 MB: copies of genesis after genesis, decoded in full, then refused.
    let per_block = serde_json::to_string(&ours[0]).unwrap().len() + 1;
    let copies = vec![ours[0].clone(); (7_500_000 / per_block).max(2)];
    let mut line = sync_line(&copies);
    assert!(line.len() < 8 << 20);
    line.push('\n');
    let line = Arc::new(line);
    const LINES: usize = 30;
    const CONNECTIONS: usize = 2;
    let started = Instant::now();
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(pipeline_syncs(address, line.clone(), LINES)))
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let took = started.elapsed();
    let peak = peak_rss_kib(pid).unwrap();
    assert_eq!(c.ask("PING").await, "PONG");
    drop(child);
    let total_mb = (CONNECTIONS * LINES * line.len()) >> 20;
    println!(
        "pipelined {LINES} SYNC lines on each of {CONNECTIONS} connections ({total_mb} MB in \
         all) in {:.1} s: server peak RSS {} MiB (baseline {} MiB)",
        took.as_secs_f64(),
        peak >> 10,
        baseline >> 10
    );
    // Read ahead without bound, the server would hold most of it at once.
    assert!(
        peak < baseline + (total_mb as u64 / 3) * 1024,
        "peak RSS {peak} KiB for {total_mb} MB of pipelined lines"
    );
}

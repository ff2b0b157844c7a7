//! A client written from PROTOCOL.md alone, in another language (tests/python), passes
//! against the real `simplechain server` binary, including its independent
//! verification of the chain `GET_BLOCKCHAIN` returns.

use simplechain_tests::{start_server, workspace_root};
use std::process::Command;

#[test]
fn python_client_from_the_spec_passes() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let (_server, address) = start_server(
        &data,
        &[
            "--difficulty",
            "8",
            "--faucet",
            "--faucet-cooldown-secs",
            "0",
        ],
    );
    let script = workspace_root().join("tests/python/conformance.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(&address)
        .arg("--require-faucet")
        .output()
        .expect("python3 is needed for this test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        output.status.success(),
        "the conformance client failed: {summary}"
    );
    assert!(
        summary.ends_with(" 0 failed"),
        "unexpected summary: {summary}"
    );
    let passed: u32 = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 100, "only {passed} checks ran");
}

/// The same client mines (PROTOCOL §9): a server with no miner of its own, blocks
/// mined in Python from `GET_TEMPLATE`, a fork, the tree and Merkle proofs
/// (`tests/python/mining.py`).
#[test]
fn python_miner_from_the_spec_passes() {
    let temp = tempfile::tempdir().unwrap();
    let (_server, address) = start_server(
        &temp.path().join("data"),
        &[
            "--no-miner",
            "--difficulty",
            "8",
            "--faucet",
            "--faucet-cooldown-secs",
            "0",
        ],
    );
    let output = Command::new("python3")
        .arg(workspace_root().join("tests/python/mining.py"))
        .arg(&address)
        .output()
        .expect("python3 is needed for this test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        output.status.success(),
        "the Python miner failed: {summary}"
    );
    assert!(
        summary.ends_with(" 0 failed"),
        "unexpected summary: {summary}"
    );
    let passed: u32 = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 50, "only {passed} checks ran");
}

//! A client written from PROTOCOL.md alone, in another language (tests/python), passes
//! against the real `simplechain server` binary, including its independent
//! verification of the chain `GET_BLOCKCHAIN` returns; and it mines (§9).

use simplechain_tests::{start_server, workspace_root};
use std::process::Command;

/// Runs `tests/python/<script> <address> <args>` and checks its closing line:
/// `N passed, 0 failed` with at least `min_passed` checks.
fn run_python(script: &str, address: &str, args: &[&str], min_passed: u32) {
    let output = Command::new("python3")
        .arg(workspace_root().join("tests/python").join(script))
        .arg(address)
        .args(args)
        .output()
        .expect("python3 is needed for this test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(output.status.success(), "{script} failed: {summary}");
    assert!(
        summary.ends_with(" 0 failed"),
        "unexpected summary: {summary}"
    );
    let passed: u32 = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= min_passed, "only {passed} checks ran");
}

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
    run_python("conformance.py", &address, &["--require-faucet"], 100);
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
    run_python("mining.py", &address, &[], 50);
}

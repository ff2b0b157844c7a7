//! `simplechain mine`, `tree`, `block` and `proof` run for real against `simplechain
//! server --no-miner` (PROTOCOL §9): the CLI is the only miner, so every block of the
//! chain after genesis is one it found.

use simplechain_tests::{cli, start_server};

#[test]
fn mine_three_blocks_then_tree_block_and_proof() {
    let temp = tempfile::tempdir().unwrap();
    let (_server, server) = start_server(
        &temp.path().join("data"),
        &[
            "--no-miner",
            "--difficulty",
            "10",
            "--faucet",
            "--faucet-cooldown-secs",
            "0",
        ],
    );
    let key = temp.path().join("miner.key");
    let (ok, _, err) = cli(
        &server,
        &temp.path().join("none.key"),
        &["mine", "--blocks", "1"],
    );
    assert!(
        !ok && err.contains("--address"),
        "mine without a key or --address: {err}"
    );
    assert!(cli(&server, &key, &["keygen"]).0);
    let (_, me, _) = cli(&server, &key, &["address"]);
    let me = me.trim();

    // A pending payment, for the first mined block to carry (and `proof` to prove).
    let (ok, out, err) = cli(&server, &key, &["faucet"]);
    assert!(ok, "{err}");
    let txid = out
        .lines()
        .find_map(|l| l.strip_prefix("Transaction: "))
        .and_then(|l| l.split(' ').next())
        .expect("faucet prints the txid")
        .to_string();
    let (ok, _, err) = cli(&server, &key, &["proof", &txid]);
    assert!(
        !ok && err.contains("pending"),
        "a pending txid has no proof: {err}"
    );

    let (ok, out, err) = cli(&server, &key, &["mine", "--blocks", "3", "--threads", "2"]);
    assert!(ok, "mine failed: {err}\n{out}");
    assert!(
        !out.contains('\x1b'),
        "no ANSI codes when stdout is not a terminal: {out:?}"
    );
    let fates: Vec<&str> = out.lines().filter(|l| l.starts_with("block ")).collect();
    assert_eq!(fates.len(), 3, "{out}");
    for (i, fate) in fates.iter().enumerate() {
        assert!(
            fate.starts_with(&format!("block {} ", i + 1)) && fate.ends_with(" tip"),
            "{out}"
        );
    }
    assert!(
        out.contains("Blocks found: 3 (tip 3, side 0, known 0, errors 0)"),
        "{out}"
    );
    assert!(out.contains("Average rate: "), "{out}");
    let (_, balance, _) = cli(&server, &key, &["balance", "--json"]);
    let balance: serde_json::Value = serde_json::from_str(&balance).unwrap();
    assert_eq!(
        balance["balance"].as_u64().unwrap(),
        3 * 50 + 1000,
        "{balance}"
    );

    // The tree: genesis and our three blocks, all main, the last one the tip.
    let (ok, out, err) = cli(&server, &key, &["tree"]);
    assert!(ok, "{err}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{out}");
    assert!(
        rows[3].trim_start().starts_with("3  ●") && rows[3].ends_with("main, tip"),
        "{out}"
    );
    assert!(rows[1].contains(&me[..8]), "the miner is named: {out}");
    let (ok, out, _) = cli(&server, &key, &["tree", "--json", "--from", "2"]);
    assert!(ok);
    let tree: serde_json::Value = serde_json::from_str(&out).unwrap();
    let blocks = tree["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 2, "{out}");
    let block1 = {
        let (_, out, _) = cli(&server, &key, &["tree", "--json", "--from", "1"]);
        let tree: serde_json::Value = serde_json::from_str(&out).unwrap();
        tree["blocks"][0]["hash"].as_str().unwrap().to_string()
    };

    // The first block carries the faucet payment.
    let (ok, out, err) = cli(&server, &key, &["block", &block1]);
    assert!(ok, "{err}");
    assert!(out.starts_with("Block 1 on the main chain"), "{out}");
    assert!(out.contains(&txid), "the block lists its txids: {out}");
    let (ok, out, _) = cli(&server, &key, &["block", "--json", &block1]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["main"], true);
    assert_eq!(json["hash"], block1.as_str());
    let (ok, _, err) = cli(&server, &key, &["block", &"ab".repeat(32)]);
    assert!(!ok && err.contains("no block"), "{err}");

    // Its proof checks here, against the block's header.
    let (ok, out, err) = cli(&server, &key, &["proof", &txid]);
    assert!(ok, "proof failed: {err}\n{out}");
    assert!(
        out.contains("(equal: the fold checks)") && out.trim_end().ends_with("VERIFIED"),
        "{out}"
    );
    let (ok, out, _) = cli(&server, &key, &["proof", "--json", &txid]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["proof"]["block_hash"], block1.as_str());
    let (ok, out, _) = cli(&server, &key, &["validate"]);
    assert!(ok && out.trim() == "VALID", "{out}");
}

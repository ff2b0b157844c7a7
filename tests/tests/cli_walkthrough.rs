//! The README's five-minute walkthrough, run for real: keygen, faucet, send, balance,
//! history, tx, blocks, watch, validate, chain and sync, against `simplechain server`.

use simplechain_tests::{Running, cli, start_server};
use std::time::Duration;

#[test]
fn readme_walkthrough() {
    let temp = tempfile::tempdir().unwrap();
    let (_server, server) = start_server(
        &temp.path().join("data"),
        &[
            "--difficulty",
            "8",
            "--faucet",
            "--faucet-cooldown-secs",
            "0",
        ],
    );
    let alice = temp.path().join("alice.key");
    let bob = temp.path().join("bob.key");

    let (ok, out, err) = cli(&server, &alice, &["keygen"]);
    assert!(ok, "{err}");
    assert!(out.contains("Your address: "), "{out}");
    let (ok, _, err) = cli(&server, &alice, &["keygen"]);
    assert!(
        !ok && err.contains("already exists"),
        "keygen must not overwrite a key: {err}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&alice).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(cli(&server, &bob, &["keygen"]).0);
    let (_, bob_address, _) = cli(&server, &bob, &["address"]);
    let bob_address = bob_address.trim().to_string();
    assert_eq!(bob_address.len(), 64);

    // Watch blocks arrive while we use the chain.
    let watch_log = temp.path().join("watch.log");
    let watch = Running::start(&["--server", &server, "watch"], &watch_log);

    let (ok, out, err) = cli(&server, &alice, &["faucet", "--wait"]);
    assert!(ok, "faucet failed: {err}");
    assert!(out.contains("Confirmed in block 1"), "{out}");
    let (ok, out, _) = cli(&server, &alice, &["balance"]);
    assert!(ok && out.contains("Balance:  1000 (confirmed)"), "{out}");

    let (ok, out, err) = cli(&server, &alice, &["send", &bob_address, "250", "--wait"]);
    assert!(ok, "send failed: {err}");
    assert!(out.contains("Confirmed in block 2"), "{out}");
    let txid = out
        .lines()
        .find_map(|l| l.strip_prefix("Transaction: "))
        .unwrap()
        .split(' ')
        .next()
        .unwrap();

    let (ok, out, _) = cli(&server, &bob, &["balance", "--json"]);
    assert!(ok);
    let account: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(account["balance"], 250);
    let (ok, out, _) = cli(&server, &alice, &["history"]);
    assert!(ok && out.starts_with("2 transaction(s)"), "{out}");
    let (ok, out, _) = cli(&server, &alice, &["tx", txid]);
    assert!(
        ok && out.contains("confirmed in block 2, ")
            && out.contains(" confirmation")
            && out.contains("Amount:   250"),
        "{out}"
    );
    let (ok, out, _) = cli(&server, &alice, &["blocks"]);
    assert!(ok && out.lines().count() == 4, "{out}");
    let (ok, out, _) = cli(&server, &alice, &["validate"]);
    assert!(ok && out.trim() == "VALID", "{out}");

    // The watcher printed blocks 1 and 2.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while seen.len() < 2 && std::time::Instant::now() < deadline {
        if let Ok(line) = watch.stdout.recv_timeout(Duration::from_millis(200)) {
            seen.push(line);
        }
    }
    assert!(
        seen.len() >= 2
            && seen[0].trim_start().starts_with("1 ")
            && seen[1].trim_start().starts_with("2 "),
        "{seen:?}"
    );

    // Download the chain and offer it back: it is the server's own chain.
    let file = temp.path().join("chain.json");
    let (ok, out, err) = cli(&server, &alice, &["chain", "--out", file.to_str().unwrap()]);
    assert!(ok && out.contains("Wrote 3 blocks"), "{out}{err}");
    let (ok, out, err) = cli(&server, &alice, &["sync", file.to_str().unwrap()]);
    assert!(ok && out.contains("accepted"), "{out}{err}");

    // Errors are one clear sentence and a non-zero exit.
    let (ok, _, err) = cli(&server, &alice, &["send", &bob_address, "1000000"]);
    assert!(!ok && err.contains("insufficient_funds"), "{err}");
    let (ok, _, err) = cli(&server, &alice, &["send", "nothex", "1"]);
    assert!(!ok && err.contains("not an address"), "{err}");
    let (ok, _, err) = cli(&server, &temp.path().join("missing.key"), &["balance"]);
    assert!(!ok && err.contains("simplechain keygen"), "{err}");
    let (ok, _, err) = cli("127.0.0.1:1", &alice, &["info"]);
    assert!(!ok && err.contains("cannot connect"), "{err}");
    let (ok, out, _) = cli(&server, &alice, &["raw", "PING"]);
    assert!(ok && out.trim() == "PONG");
}

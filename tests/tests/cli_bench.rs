//! `simplechain bench` runs for real, small: its figures come back as JSON, including
//! the latency at the fractions of the peak rate asked for with `--latency-at`, and a
//! fraction out of range is refused before anything starts.

use simplechain_tests::simplechain_bin;
use std::process::Command;

#[test]
fn a_small_bench_reports_the_latency_at_each_fraction_asked_for() {
    let output = Command::new(simplechain_bin())
        .args([
            "--json",
            "bench",
            "--no-ws",
            "--no-tree",
            "--transactions",
            "1000",
            "--one-in-flight",
            "100",
            "--senders",
            "64",
            "--latency-at",
            "0.2,0.05",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed:\n{stderr}");
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(figures["rejected"], 0, "{stderr}");
    let peak = figures["ingest_tcp"].as_f64().unwrap();
    assert!(peak > 0.0);
    let paced = figures["paced"].as_array().unwrap();
    let fractions: Vec<f64> = paced
        .iter()
        .map(|p| p["fraction"].as_f64().unwrap())
        .collect();
    assert_eq!(fractions, [0.2, 0.05]);
    for p in paced {
        let fraction = p["fraction"].as_f64().unwrap();
        let rate = p["rate"].as_f64().unwrap();
        assert!((rate - peak * fraction).abs() < 1e-6 * peak, "{p}");
        let (p50, p99) = (p["p50_ms"].as_f64().unwrap(), p["p99_ms"].as_f64().unwrap());
        assert!(p50 > 0.0 && p99 >= p50, "{p}");
    }
    for needle in ["20% of the peak rate", "5% of the peak rate"] {
        assert!(
            stderr.contains(needle),
            "no {needle:?} in the progress:\n{stderr}"
        );
    }
    // Every transaction of every phase was mined and validated: 1,000 at peak, at
    // least 1,000 at half rate and at each fraction, and the 1-in-flight 100.
    let chain = figures["chain_transactions"].as_u64().unwrap();
    assert!(chain >= 4_100, "chain holds {chain} transactions");
}

#[test]
fn a_fraction_out_of_range_is_refused_with_why() {
    for (given, why) in [
        ("1.5", "give a number above 0 and at most 1"),
        ("0", "give a number above 0 and at most 1"),
        ("0.1,half", "\"half\" is not a number"),
    ] {
        let output = Command::new(simplechain_bin())
            .args(["bench", "--latency-at", given])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "--latency-at {given} was taken");
        assert!(stderr.contains(why), "--latency-at {given}: {stderr}");
    }
}

//! The lab's load: `simplechain bench`'s (`cli/src/bench/load.rs`), at the peak and
//! then paced at half of it, against the lab's server started as a child process.

use crate::{CHAIN, Options};
use anyhow::Context;
use ed25519_dalek::SigningKey;
use simplechain::bench::child::ChildProcess;
use simplechain::bench::load;
use simplechain_core::protocol::Request;
use simplechain_core::transaction::address_of;
use simplechain_core::{ChainId, Transaction};
use std::path::{Path, PathBuf};

pub async fn drive(dir: &Path, options: &Options, seconds: f64) -> anyhow::Result<()> {
    let scratch = Scratch::new(dir.join(format!("admission-lab-{}", std::process::id())))?;
    let mut args = vec!["--serve".to_string(), "--dir".into()];
    args.push(
        scratch
            .0
            .to_str()
            .context("the lab's folder is not UTF-8")?
            .into(),
    );
    args.extend(options.args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let exe = std::env::current_exe().context("cannot find the lab's executable")?;
    let server = ChildProcess::start_binary(&exe, &args, &scratch.0.join("server.log"))?;
    let address = server.wait_for_line("Server:")?;
    let senders: Vec<SigningKey> = (0..512u64)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i + 1).to_le_bytes());
            SigningKey::from_bytes(&seed)
        })
        .collect();
    let mut nonce = 0;
    let mut signed = |count: usize| {
        let lines = sign(&senders, nonce, count);
        nonce += count as u64;
        lines
    };
    let peak = load::ingest_tcp(&address, signed(100_000), 256, None).await?;
    println!(
        "peak: {:.0} tx/s, p50 {:.2} ms, p99 {:.2} ms",
        peak.rate, peak.p50_ms, peak.p99_ms
    );
    let rate = peak.rate / 2.0;
    let half =
        load::ingest_tcp(&address, signed((rate * seconds) as usize), 256, Some(rate)).await?;
    let at = |p: f64| simplechain::bench::outcome::percentile(&half.latencies_ms, p);
    println!(
        "half rate: {:.0} tx/s for {:.1} s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        half.rate,
        half.elapsed_s,
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0)
    );
    anyhow::ensure!(
        peak.rejected + half.rejected == 0,
        "the lab server refused {} transactions",
        peak.rejected + half.rejected
    );
    drop(server);
    Ok(())
}

/// The lab's folder, removed when dropped (after an error too).
struct Scratch(PathBuf);

impl Scratch {
    fn new(path: PathBuf) -> anyhow::Result<Scratch> {
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot make the lab's folder {}", path.display()))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `count` transactions signed on all cores, dealt out to 16 connections by sender.
fn sign(senders: &[SigningKey], first_nonce: u64, count: usize) -> Vec<Vec<String>> {
    let chain = ChainId::from_bytes(CHAIN);
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let mut per_connection = vec![Vec::new(); 16];
    let signed: Vec<(usize, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| {
                            let s = i % senders.len();
                            let to = address_of(&senders[(s + 1) % senders.len()]);
                            let tx = Transaction::sign(
                                &senders[s],
                                &chain,
                                to,
                                1,
                                first_nonce + i as u64,
                            );
                            (i, Request::AddTransaction(tx).encode())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all
    });
    for (i, line) in signed {
        per_connection[(i % senders.len()) % 16].push(line);
    }
    per_connection
}

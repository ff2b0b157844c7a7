//! Commands that look at the chain (info, tx, blocks, chain, validate, watch), offer
//! one to the server (sync), or send one raw protocol line (raw).

use super::{Ctx, parse_hash, print_json};
use crate::client::Client;
use anyhow::Context;
use simplechain_core::date::UtcTime;
use simplechain_core::protocol::{ChainJson, Event, Response, SUGGESTED_CONFIRMATIONS, ServerLine};
use simplechain_core::{Block, TxId};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct BlocksArgs {
    /// First height to show [default: the newest `limit` blocks].
    #[arg(long)]
    from: Option<u64>,
    /// How many blocks (the server sends at most 500).
    #[arg(long, default_value_t = 10)]
    limit: u64,
}

pub async fn info(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let info = Client::connect(&ctx.server).await?.info().await?;
    if ctx.json {
        print_json(&info)?;
    } else {
        println!("Server:      {}", ctx.server);
        println!("Chain id:    {}", info.chain_id);
        println!("Height:      {}", info.height);
        println!("Tip:         {}", info.tip);
        println!("Difficulty:  {} bits", info.difficulty);
        println!("Reward:      {} per block", info.block_reward);
        println!("Mempool:     {} pending", info.mempool);
        if let Some(faucet) = info.faucet {
            println!("Faucet:      {}", if faucet { "on" } else { "off" });
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn tx(ctx: &Ctx, txid: &str) -> anyhow::Result<ExitCode> {
    let txid: TxId = parse_hash("a txid", txid)?;
    let mut client = Client::connect(&ctx.server).await?;
    let Some(info) = client.transaction(txid).await? else {
        anyhow::bail!("the server does not know transaction {txid}");
    };
    let confirmations = info.confirmations(client.info().await?.height);
    if ctx.json {
        let mut json = serde_json::to_value(&info)?;
        json["confirmations"] = confirmations.into();
        print_json(&json)?;
    } else {
        let tx = &info.transaction;
        println!("Transaction {}", info.txid);
        match info.height {
            Some(h) => println!(
                "Status:   confirmed in block {h}, {confirmations} confirmation{} ({SUGGESTED_CONFIRMATIONS} suggested on a chain anyone can mine)",
                if confirmations == 1 { "" } else { "s" }
            ),
            None => println!("Status:   pending (0 confirmations)"),
        }
        println!("From:     {}", tx.sender);
        println!("To:       {}", tx.receiver);
        println!("Amount:   {}", tx.amount);
        println!("Nonce:    {}", tx.nonce);
        println!("Signature: {}", tx.signature);
    }
    Ok(ExitCode::SUCCESS)
}

/// The column titles above [`print_block_line`]s.
pub(super) fn print_block_header_row() {
    println!("{:>8}  {:<64}  {:>8}  time", "height", "hash", "txs");
}

/// One block as a row: height, hash, transaction count, time.
pub(super) fn print_block_line(b: &Block) {
    println!(
        "{:>8}  {}  {:>5} tx  {}",
        b.header.height,
        b.hash,
        b.transactions.len(),
        UtcTime(b.header.timestamp)
    );
}

pub async fn blocks(ctx: &Ctx, args: BlocksArgs) -> anyhow::Result<ExitCode> {
    let mut client = Client::connect(&ctx.server).await?;
    let from = match args.from {
        Some(f) => f,
        None => (client.info().await?.height + 1).saturating_sub(args.limit),
    };
    let chain = client.blocks(from, args.limit.max(1)).await?;
    if ctx.json {
        print_json(&chain)?;
    } else if chain.blocks.is_empty() {
        println!("No blocks from height {from} on.");
    } else {
        print_block_header_row();
        for b in &chain.blocks {
            print_block_line(b);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn chain(ctx: &Ctx, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let raw = Client::connect(&ctx.server).await?.chain_json().await?;
    match out {
        Some(path) => {
            std::fs::write(&path, raw.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            let blocks = serde_json::from_str::<ChainJson>(&raw)
                .map(|c| c.blocks.len())
                .unwrap_or(0);
            if !ctx.json {
                println!(
                    "Wrote {blocks} blocks ({} bytes) to {}",
                    raw.len(),
                    path.display()
                );
            }
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(raw.as_bytes())?;
            stdout.write_all(b"\n")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn validate(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    if !ctx.json {
        eprintln!("Asking the server to re-check its whole chain…");
    }
    let verdict = Client::connect(&ctx.server).await?.validate().await?;
    if ctx.json {
        print_json(&match &verdict {
            None => serde_json::json!({ "valid": true }),
            Some((h, reason)) => {
                serde_json::json!({ "valid": false, "height": h, "reason": reason })
            }
        })?;
    }
    match verdict {
        None => {
            if !ctx.json {
                println!("VALID");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some((height, reason)) => {
            if !ctx.json {
                println!("INVALID at block {height}: {reason}");
            }
            Ok(ExitCode::from(2))
        }
    }
}

pub async fn sync(ctx: &Ctx, file: &Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let chain: ChainJson = serde_json::from_str(text.trim())
        .with_context(|| format!("{} is not a chain JSON file", file.display()))?;
    // Re-encode on one line: the protocol's payload must not contain newlines.
    let line = serde_json::to_string(&chain)?;
    Client::connect(&ctx.server).await?.sync(&line).await?;
    if ctx.json {
        print_json(&serde_json::json!({ "result": "SUCCESS", "blocks": chain.blocks.len() }))?;
    } else {
        println!(
            "The server accepted the chain ({} blocks).",
            chain.blocks.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn watch(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let mut client = Client::connect(&ctx.server).await?;
    let info = client.info().await?;
    client.subscribe().await?;
    let mut events = Client::connect(&ctx.server).await?;
    if !ctx.json {
        eprintln!(
            "Watching {} at height {} (Ctrl-C to stop)…",
            ctx.server, info.height
        );
    }
    let mut last = info.height;
    loop {
        // A ping every minute keeps the subscription from looking idle.
        let event = tokio::select! {
            e = client.next_event() => e?,
            _ = tokio::time::sleep(Duration::from_secs(60)) => { client.ping().await?; continue; }
        };
        let Event::Tip { height, .. } = event else {
            continue;
        };
        let from = if height > last { last + 1 } else { height };
        let blocks = events.blocks(from, height + 1 - from).await?;
        for b in &blocks.blocks {
            if ctx.json {
                println!(
                    "{}",
                    serde_json::to_string(&serde_json::json!({
                        "height": b.header.height, "hash": b.hash, "transactions": b.transactions.len(), "timestamp": b.header.timestamp,
                    }))?
                );
            } else {
                print_block_line(b);
            }
        }
        last = height;
    }
}

pub async fn raw(ctx: &Ctx, line: &str) -> anyhow::Result<ExitCode> {
    let mut client = Client::connect(&ctx.server).await?;
    client.send_line(line).await?;
    let reply = client.read_raw_line().await?;
    println!("{reply}");
    let failed = matches!(
        ServerLine::parse(&reply),
        Ok(ServerLine::Response(Response::Error(_)))
    );
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

//! Commands about your key and your account: keygen and address read or write the key
//! file; balance, faucet and history ask the server about an address (yours by
//! default); send signs a payment with your key and submits it.

use super::{Ctx, parse_address, print_json};
use crate::client::Client;
use anyhow::{Context, bail};
use simplechain_core::protocol::TxStatus;
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, Transaction, TxId};
use simplechain_server::keyfile;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// The receiver's address.
    to: String,
    /// How many coins.
    amount: u64,
    /// Wait until the transaction is in a block.
    #[arg(long)]
    wait: bool,
    /// How long --wait waits, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
}

#[derive(Debug, clap::Args)]
pub struct FaucetArgs {
    /// Who gets the coins (your address by default).
    address: Option<String>,
    /// Wait until the payment is in a block.
    #[arg(long)]
    wait: bool,
    /// How long --wait waits, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Whose history (yours by default).
    address: Option<String>,
    /// Skip this many of the newest transactions.
    #[arg(long, default_value_t = 0)]
    offset: u64,
    /// Show at most this many (the server sends at most 100).
    #[arg(long, default_value_t = 20)]
    limit: u64,
}

fn key_hint(ctx: &Ctx) -> String {
    format!(
        "no key at {} — create one with `simplechain keygen`, or pass --key",
        ctx.key.display()
    )
}

pub(super) fn my_address(ctx: &Ctx) -> anyhow::Result<Address> {
    if !ctx.key.exists() {
        bail!(key_hint(ctx));
    }
    Ok(address_of(&keyfile::read(&ctx.key)?))
}

fn address_or_mine(ctx: &Ctx, given: Option<&str>) -> anyhow::Result<Address> {
    match given {
        Some(text) => parse_address("address", text),
        None => my_address(ctx),
    }
}

pub fn keygen(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let key = keyfile::generate();
    keyfile::write_new(&ctx.key, &key)?;
    let address = address_of(&key);
    if ctx.json {
        print_json(&serde_json::json!({ "address": address, "key_file": ctx.key }))?;
    } else {
        println!(
            "Created a new key in {} (keep it secret; it never leaves this machine).",
            ctx.key.display()
        );
        println!("Your address: {address}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn address(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let address = my_address(ctx)?;
    if ctx.json {
        print_json(&serde_json::json!({ "address": address }))?;
    } else {
        println!("{address}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn balance(ctx: &Ctx, given: Option<&str>) -> anyhow::Result<ExitCode> {
    let address = address_or_mine(ctx, given)?;
    let account = Client::connect(&ctx.server).await?.account(address).await?;
    if ctx.json {
        print_json(&account)?;
    } else {
        println!("Address:  {}", account.address);
        println!("Balance:  {} (confirmed)", account.balance);
        if account.pending_balance != account.balance || account.pending_nonce != account.nonce {
            println!(
                "Pending:  {} after {} pending transaction(s)",
                account.pending_balance,
                account.pending_nonce - account.nonce
            );
        }
        println!("Next nonce: {}", account.pending_nonce);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn send(ctx: &Ctx, args: SendArgs) -> anyhow::Result<ExitCode> {
    let to = parse_address("receiver", &args.to)?;
    if args.amount == 0 {
        bail!("the amount must be greater than 0");
    }
    if !ctx.key.exists() {
        bail!(key_hint(ctx));
    }
    let key = keyfile::read(&ctx.key)?;
    let me = address_of(&key);
    if me == to {
        bail!("you cannot send to your own address");
    }
    let mut client = Client::connect(&ctx.server).await?;
    let info = client.info().await?;
    let account = client.account(me).await?;
    let tx = Transaction::sign(&key, &info.chain_id, to, args.amount, account.pending_nonce);
    let txid = tx.txid(&info.chain_id);
    client.submit(&tx).await?;
    if !ctx.json {
        println!("Sent {} to {to}", args.amount);
        println!("Transaction: {txid} (pending)");
    }
    let height = if args.wait {
        Some(wait_confirmed(&mut client, txid, args.timeout_secs, ctx.json).await?)
    } else {
        None
    };
    if ctx.json {
        print_json(&serde_json::json!({
            "txid": txid, "status": if height.is_some() { "confirmed" } else { "pending" }, "height": height,
            "transaction": tx,
        }))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Polls until `txid` is confirmed; returns the block height.
async fn wait_confirmed(
    client: &mut Client,
    txid: TxId,
    timeout_secs: u64,
    quiet: bool,
) -> anyhow::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    if !quiet {
        eprintln!("Waiting for a block…");
    }
    loop {
        if let Some(info) = client.transaction(txid).await? {
            if let (TxStatus::Confirmed, Some(height)) = (info.status, info.height) {
                if !quiet {
                    println!("Confirmed in block {height}");
                }
                return Ok(height);
            }
        } else {
            bail!("the server no longer knows transaction {txid}");
        }
        if Instant::now() > deadline {
            bail!("transaction {txid} is still pending after {timeout_secs} s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn faucet(ctx: &Ctx, args: FaucetArgs) -> anyhow::Result<ExitCode> {
    let to = address_or_mine(ctx, args.address.as_deref())?;
    let mut client = Client::connect(&ctx.server).await?;
    let before = client.history(to, 0, 1).await?;
    client.faucet(to).await.context("the faucet did not pay")?;
    // The faucet's payment is the newest transaction of the address now.
    let after = client.history(to, 0, 1).await?;
    let txid = after
        .items
        .first()
        .filter(|_| after.total > before.total)
        .map(|i| i.txid);
    if !ctx.json {
        println!("The faucet is sending test coins to {to}");
        if let Some(txid) = txid {
            println!("Transaction: {txid} (pending)");
        }
    }
    let height = match (args.wait, txid) {
        (true, Some(txid)) => {
            Some(wait_confirmed(&mut client, txid, args.timeout_secs, ctx.json).await?)
        }
        _ => None,
    };
    if ctx.json {
        print_json(&serde_json::json!({ "address": to, "txid": txid, "height": height }))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn history(ctx: &Ctx, args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let address = address_or_mine(ctx, args.address.as_deref())?;
    let history = Client::connect(&ctx.server)
        .await?
        .history(address, args.offset, args.limit)
        .await?;
    if ctx.json {
        print_json(&history)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} transaction(s) for {address}", history.total);
    for item in &history.items {
        let tx = &item.transaction;
        let (dir, other) = if tx.sender == address {
            ("sent    ", tx.receiver)
        } else {
            ("received", tx.sender)
        };
        let place = match item.height {
            Some(h) => format!("block {h}"),
            None => "pending".into(),
        };
        println!(
            "{dir} {:>12}  {} {other}  [{place}]  {}",
            tx.amount,
            if dir.starts_with('s') { "to  " } else { "from" },
            item.txid
        );
    }
    Ok(ExitCode::SUCCESS)
}

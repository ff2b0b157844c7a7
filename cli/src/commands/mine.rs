//! `simplechain mine`: an external miner over the protocol (PROTOCOL §9).
//!
//! ```text
//! > SUBSCRIBE:BLOCKS                      once: EVENT:TIP says when to drop the work
//! > GET_TEMPLATE:<address>                the next block; the threads search a nonce
//!   … EVENT:TIP:<height>:<hash>           someone else's block: fetch a new template
//! > SUBMIT_BLOCK:<block json>             a find: tip, side, or the error sentence
//! > GET_TEMPLATE:<address>                and again, on the new tip
//! ```
//!
//! The nonce search runs on `--threads` threads ([`workers`]); this task talks to the
//! server, and asks for a fresh template every [`REFRESH`] too (a later timestamp and
//! the transactions that arrived since). Ctrl-C stops it and prints the summary.

mod report;
mod workers;

use super::{Ctx, parse_address, print_json};
use crate::client::{Client, ClientError};
use report::{Summary, Tally};
use simplechain_core::Address;
use simplechain_core::protocol::{Event, Template};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use workers::{Found, Workers};

/// How often a new template is fetched while no block arrives.
const REFRESH: Duration = Duration::from_secs(20);
/// How often the status line is redrawn on a terminal.
const STATUS_TTY: Duration = Duration::from_secs(1);
/// How many times a rate-limited block is sent again before it counts as refused.
const RATE_LIMIT_RETRIES: u32 = 20;
/// How often a status line is printed when stdout is not a terminal.
const STATUS_PLAIN: Duration = Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub struct MineArgs {
    /// Nonce search threads [default: all cores].
    #[arg(long)]
    threads: Option<usize>,
    /// Stop after this many blocks accepted (tip or side) [default: never].
    #[arg(long)]
    blocks: Option<u64>,
    /// Who gets the rewards [default: the address of your key].
    #[arg(long)]
    address: Option<String>,
}

/// What woke the controller up.
enum Wake {
    Found(Found),
    Event(Event),
    Status,
    Refresh,
    Stop,
}

/// Where the status line goes: redrawn in place on a terminal, plain lines otherwise.
struct Screen {
    tty: bool,
    /// Whether a status line is on screen (to be cleared before the next line).
    drawn: bool,
    json: bool,
}

impl Screen {
    fn status(&mut self, line: &str) {
        if self.json {
            return;
        }
        let mut out = std::io::stdout().lock();
        if self.tty {
            let _ = write!(out, "\r\x1b[2K{line}");
            self.drawn = true;
        } else {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    fn line(&mut self, line: &str) {
        let mut out = std::io::stdout().lock();
        if self.drawn {
            let _ = write!(out, "\r\x1b[2K");
            self.drawn = false;
        }
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

pub async fn mine(ctx: &Ctx, args: MineArgs) -> anyhow::Result<ExitCode> {
    let address = match &args.address {
        Some(text) => parse_address("--address", text)?,
        None if ctx.key.exists() => super::account::my_address(ctx)?,
        None => anyhow::bail!(
            "no key at {} — pass --address ADDR (who gets the rewards), or create a key \
             with `simplechain keygen`",
            ctx.key.display()
        ),
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let mut client = Client::connect(&ctx.server).await?;
    client.subscribe_blocks().await?;
    let mut screen = Screen {
        tty: std::io::stdout().is_terminal(),
        drawn: false,
        json: ctx.json,
    };
    if !ctx.json {
        screen.line(&format!(
            "Mining for {address} on {} with {threads} thread(s) (Ctrl-C to stop)",
            ctx.server
        ));
    }
    let (found_tx, found_rx) = mpsc::unbounded_channel();
    let workers = Workers::start(threads, None, found_tx);
    let started = Instant::now();
    let mut run = Run {
        client,
        workers,
        found_rx,
        address,
        tally: Tally::default(),
        goal: args.blocks,
        screen,
        json: ctx.json,
    };
    let outcome = run.mine().await;
    let hashes = run.workers.hashes();
    run.workers.stop();
    let summary = Summary::new(run.tally, hashes, started.elapsed().as_secs_f64());
    if ctx.json {
        print_json(&summary)?;
    } else {
        run.screen.line("");
        print!("{}", summary.text());
    }
    outcome?;
    Ok(ExitCode::SUCCESS)
}

/// The controller's state.
struct Run {
    client: Client,
    workers: Workers,
    found_rx: mpsc::UnboundedReceiver<Found>,
    address: Address,
    tally: Tally,
    goal: Option<u64>,
    screen: Screen,
    json: bool,
}

impl Run {
    /// Mines until the goal, Ctrl-C or a connection error.
    async fn mine(&mut self) -> anyhow::Result<()> {
        let stop = super::serve::shutdown_on_signal();
        let status_every = if self.screen.tty {
            STATUS_TTY
        } else {
            STATUS_PLAIN
        };
        let mut status =
            tokio::time::interval_at(tokio::time::Instant::now() + status_every, status_every);
        status.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let (mut last_hashes, mut last_at) = (0u64, Instant::now());
        'templates: loop {
            if self.goal.is_some_and(|goal| self.tally.accepted() >= goal) {
                return Ok(());
            }
            let template = self.client.template(self.address).await?;
            let generation = self.workers.publish(template.header(0));
            let refresh = tokio::time::sleep(REFRESH);
            tokio::pin!(refresh);
            loop {
                let wake = tokio::select! {
                    Some(found) = self.found_rx.recv() => Wake::Found(found),
                    event = self.client.next_event() => Wake::Event(event?),
                    _ = status.tick() => Wake::Status,
                    () = &mut refresh => Wake::Refresh,
                    () = stop.cancelled() => Wake::Stop,
                };
                match wake {
                    Wake::Found(found) if found.generation == generation => {
                        self.workers.pause();
                        self.submit(&template, found).await?;
                        continue 'templates;
                    }
                    Wake::Found(_) => {}
                    // Our own tip, announced again, changes nothing.
                    Wake::Event(Event::Tip { hash, .. }) if hash != template.prev_hash => {
                        continue 'templates;
                    }
                    Wake::Event(_) => {}
                    Wake::Refresh => continue 'templates,
                    Wake::Status => {
                        let hashes = self.workers.hashes();
                        let now = Instant::now();
                        let per_second = (hashes - last_hashes) as f64
                            / now.duration_since(last_at).as_secs_f64().max(1e-3);
                        (last_hashes, last_at) = (hashes, now);
                        let line = report::status(
                            template.height,
                            per_second,
                            self.workers.best_bits(),
                            template.difficulty,
                            &self.tally,
                        );
                        self.screen.status(&line);
                    }
                    Wake::Stop => return Ok(()),
                }
            }
        }
    }

    /// Submits a find and prints its fate. A `rate_limited` refusal (a connection's
    /// share of heavy requests, PROTOCOL §7) is waited out and the block sent again.
    async fn submit(&mut self, template: &Template, found: Found) -> anyhow::Result<()> {
        let block = template.clone().into_block(found.header, found.hash);
        let mut answer = self.client.submit_block(&block).await;
        for _ in 0..RATE_LIMIT_RETRIES {
            let Some(wait) = answer.as_ref().err().and_then(ClientError::retry_after) else {
                break;
            };
            tokio::time::sleep(wait).await;
            answer = self.client.submit_block(&block).await;
        }
        match answer {
            Ok(submitted) => {
                self.tally.count(Some(submitted.status));
                if self.json {
                    println!("{}", serde_json::to_string(&submitted)?);
                } else {
                    self.screen.line(&report::fate(&submitted));
                }
                Ok(())
            }
            Err(ClientError::Refused(why)) => {
                self.tally.count(None);
                let line = report::refused(block.header.height, &block.hash, &why);
                if self.json {
                    println!(
                        "{}",
                        serde_json::json!({ "hash": block.hash, "height": block.header.height, "error": why.to_string() })
                    );
                } else {
                    self.screen.line(&line);
                }
                Ok(())
            }
            Err(other) => Err(other.into()),
        }
    }
}

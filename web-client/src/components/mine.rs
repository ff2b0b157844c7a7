//! The Mine section: the controls (one block or keep going, workers, a hash-rate
//! cap), the header message being hashed with its nonce ticking, the best hash so far
//! drawn bit by bit against the difficulty, the hash rate and the expected time to a
//! block, and the fate of the last block found.

use crate::format::{coins, short};
use crate::state::{Fate, Found, MineRun, MineStep, Mining, expected_secs};
use simplechain_core::BlockHash;
use simplechain_core::protocol::BlockStatus;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct MineProps {
    pub mining: Mining,
    /// Whether a wallet is unlocked (the reward is paid to it).
    pub unlocked: bool,
    /// The chain's difficulty, from `GET_INFO`, until a template says it.
    pub difficulty: Option<u64>,
    /// Start: `true` keeps mining, `false` stops after one block.
    pub onstart: Callback<bool>,
    pub onstop: Callback<()>,
    pub onthreads: Callback<String>,
    pub oncap: Callback<String>,
}

/// `1.23 MH/s`, `456 kH/s`, `789 H/s`.
pub fn hash_rate(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2} MH/s", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.0} kH/s", rate / 1e3)
    } else {
        format!("{rate:.0} H/s")
    }
}

/// `about 3.2 s`, `about 4 min`, `about 2.5 h`, `about 12 days`.
pub fn duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("about {secs:.1} s")
    } else if secs < 3600.0 {
        format!("about {:.0} min", secs / 60.0)
    } else if secs < 86_400.0 {
        format!("about {:.1} h", secs / 3600.0)
    } else {
        format!("about {:.0} days", secs / 86_400.0)
    }
}

/// The best hash's first bits as cells: its leading zeros filled, the bits the
/// difficulty needs outlined, the target line after the last of them.
fn bit_cells(hash: Option<&BlockHash>, bits: u64, difficulty: u64) -> Html {
    let shown = ((difficulty + 8).div_ceil(32) * 32).clamp(32, 256) as usize;
    let bytes = hash.map(|h| *h.as_bytes()).unwrap_or([0xff; 32]);
    let cells = (0..shown).map(|i| {
        let one = hash.is_none() || bytes[i / 8] & (0x80 >> (i % 8)) != 0;
        let class = classes!(
            "bit",
            (hash.is_some() && (i as u64) < bits).then_some("zero"),
            ((i as u64) < difficulty).then_some("need"),
            ((i as u64) + 1 == difficulty).then_some("target"),
        );
        html! { <span {class}>{ if one { "1" } else { "0" } }</span> }
    });
    let label = format!("best hash: {bits} leading zero bits; the difficulty needs {difficulty}");
    html! { <div class="bits" role="img" aria-label={label}>{ for cells }</div> }
}

fn fate_text(found: &Found) -> (String, &'static str) {
    let block = format!(
        "Block {} ({})",
        found.height,
        short(&found.hash.to_string())
    );
    match &found.fate {
        Fate::Waiting => (format!("{block} found: sent to the server…"), "waiting"),
        Fate::Accepted {
            status: BlockStatus::Tip,
            replaced,
        } => {
            let swap = if *replaced > 0 {
                format!(" Its branch replaced {replaced} main-chain block(s).")
            } else {
                String::new()
            };
            (
                format!(
                    "{block}: tip. It is the main chain's tip now, and its reward of {} coins is yours.{swap}",
                    coins(simplechain_core::BLOCK_REWARD)
                ),
                "tip",
            )
        }
        Fate::Accepted {
            status: BlockStatus::Side,
            ..
        } => (
            format!(
                "{block}: side. Valid, but another block at this height came first: it waits on a side branch, and pays nothing unless that branch grows longer than the main chain."
            ),
            "side",
        ),
        Fate::Accepted {
            status: BlockStatus::Known,
            ..
        } => (
            format!("{block}: known. The server already had it."),
            "known",
        ),
        Fate::Refused(why) => (format!("{block} refused: {why}"), "refused"),
    }
}

#[component]
pub fn MineCard(props: &MineProps) -> Html {
    let m = &props.mining;
    let running = m.run != MineRun::Off;
    let start = |keep: bool| props.onstart.reform(move |_: MouseEvent| keep);
    let onthreads = props.onthreads.reform(|e: Event| {
        e.target_unchecked_into::<web_sys::HtmlInputElement>()
            .value()
    });
    let oncap = props.oncap.reform(|e: Event| {
        e.target_unchecked_into::<web_sys::HtmlInputElement>()
            .value()
    });
    let difficulty = m
        .template
        .as_ref()
        .map(|t| t.difficulty)
        .or(props.difficulty)
        .unwrap_or(0);
    let status = match (m.run, m.step, &m.template) {
        (MineRun::Off, _, _) => "Not mining.".to_string(),
        (_, MineStep::Fetching, _) => "Asking the server for a block template…".to_string(),
        (_, MineStep::Searching, Some(t)) => format!(
            "Searching a nonce for block {} on top of {}{}",
            t.height,
            short(&t.prev_hash.to_string()),
            if m.run == MineRun::Keep {
                " (keep mining)"
            } else {
                " (one block)"
            }
        ),
        (_, MineStep::Submitting, _) => "Block found: sending it to the server…".to_string(),
        _ => "Waiting for the connection…".to_string(),
    };
    let message = m.template.as_ref().map(|t| {
        let nonce = m.progress.nonce;
        let full = t.header(nonce).message();
        let prefix = full[..full.len() - nonce.to_string().len()].to_string();
        html! {
            <p class="message mono" aria-label="The header message being hashed">
                { prefix }<mark data-testid="miner-nonce">{ nonce }</mark>
            </p>
        }
    });
    let (best_hash, best_bits) = match m.progress.best {
        Some((hash, bits, _)) => (Some(hash), bits),
        None => (None, 0),
    };
    let best_text = match best_hash {
        Some(hash) => format!(
            "Best hash so far: {} with {best_bits} leading zero bits; {difficulty} are needed.",
            short(&hash.to_string())
        ),
        None => format!("No hash yet; a block needs {difficulty} leading zero bits."),
    };
    let rate = m.rate();
    let expected = expected_secs(difficulty, rate).map_or("…".to_string(), duration);
    let found = m.found.as_ref().map(|found| {
        let (text, fate) = fate_text(found);
        html! {
            <p class={classes!("found", fate)} data-testid="miner-found" data-fate={fate}
                data-hash={found.hash.to_string()} data-height={found.height.to_string()}
                data-found-at={found.found_ms.to_string()} role="status">{ text }</p>
        }
    });
    html! {
        <section class="card wide" aria-labelledby="mine-title">
            <h2 id="mine-title">{ "Mine" }</h2>
            <p class="muted">
                { "A block is accepted when the SHA-256 hash of its header message starts with enough zero bits (the difficulty). " }
                { "Nobody can compute a nonce that does it: the only way is to try nonce after nonce. Your tab does that in Web Workers, one per core." }
            </p>
            if !props.unlocked {
                <p class="warning" data-testid="mine-locked">{ "Unlock (or create) a wallet in the first section to mine: the reward is paid to its address." }</p>
            }
            <div class="row">
                <label for="miner-threads">{ "Workers" }</label>
                <input id="miner-threads" class="narrow" data-testid="miner-threads" type="number" min="1" max="64"
                    value={m.threads.to_string()} onchange={onthreads} />
                <label for="miner-hashrate">{ "Hash-rate cap (H/s)" }</label>
                <input id="miner-hashrate" class="narrow" data-testid="miner-hashrate" inputmode="numeric"
                    placeholder="no cap" value={m.cap.map(|c| c.to_string()).unwrap_or_default()} onchange={oncap} />
            </div>
            <div class="row">
                <button class="btn primary" data-testid="miner-start" disabled={running || !props.unlocked}
                    onclick={start(false)}>{ "Mine one block" }</button>
                <button class="btn" data-testid="miner-keep" disabled={running || !props.unlocked}
                    onclick={start(true)}>{ "Keep mining" }</button>
                <button class="btn" data-testid="miner-stop" disabled={!running}
                    onclick={props.onstop.reform(|_: MouseEvent| ())}>{ "Stop" }</button>
            </div>
            if let Some(problem) = &m.problem {
                <p class="error-text" data-testid="miner-problem" role="alert">{ problem.clone() }</p>
            }
            <p data-testid="miner-status" role="status">{ status }</p>
            { for message }
            <div data-testid="miner-best" data-bits={best_bits.to_string()} data-difficulty={difficulty.to_string()}>
                <p>{ best_text }</p>
                { bit_cells(best_hash.as_ref(), best_bits, difficulty) }
            </div>
            <dl class="figures">
                <div><dt>{ "Hash rate" }</dt><dd data-testid="miner-rate" data-hps={format!("{rate:.0}")}
                    data-per-worker={format!("{:.0}", m.rate_per_worker())}>{ hash_rate(rate) }</dd></div>
                <div><dt>{ "Expected time to a block" }</dt><dd data-testid="miner-expected">{ expected }</dd></div>
                <div><dt>{ "Hashes tried" }</dt><dd>{ coins(m.progress.tried) }</dd></div>
            </dl>
            <p class="muted">{ format!("2^{difficulty} hashes are needed on average: expected time = 2^difficulty ÷ hash rate. Blocks found in this tab: {}.", m.blocks_found) }</p>
            { for found }
        </section>
    }
}

//! The tamper lab: the sandbox's blocks, every field an input; each block's rules
//! judged again as you type; re-mine, submit to the real server and its answer; and
//! what rewriting the chain would cost at this tab's own hash rate.

use super::glass_box::rule_list;
use super::glossary::{Term, term, term_lower};
use super::input_text;
use crate::state::{Lab, LabField};
use simplechain_core::MAX_REORG_DEPTH;
use simplechain_core::block::leading_zero_bits;
use yew::prelude::*;

/// One edit: block index, transaction index, field, text.
pub type LabEdit = (usize, Option<usize>, LabField, String);

#[derive(Debug, Properties, PartialEq)]
pub struct LabProps {
    pub lab: Lab,
    /// The chain's difficulty and tip height.
    pub difficulty: Option<u64>,
    pub tip: Option<u64>,
    /// The replay up to the first block's parent.
    pub replay_progress: Option<(u64, u64)>,
    pub replay_ready: bool,
    pub replay_error: Option<String>,
    pub onedit: Callback<LabEdit>,
    pub onremine: Callback<()>,
    pub onsubmit: Callback<()>,
    pub onreset: Callback<()>,
}

/// The label of a field, explaining itself where a term fits.
fn label(field: LabField) -> Html {
    match field {
        LabField::Height => term(Term::Height),
        LabField::PrevHash => term(Term::PrevHash),
        LabField::Timestamp => term(Term::Timestamp),
        LabField::Difficulty => term(Term::Difficulty),
        LabField::Miner => term(Term::Miner),
        LabField::Reward => term(Term::Reward),
        LabField::TxRoot => term(Term::MerkleRoot),
        LabField::Nonce => term(Term::Nonce),
        LabField::TxNonce => term(Term::TxNonce),
        LabField::Signature => term(Term::Signature),
        LabField::Sender => html! { "Sender" },
        LabField::Receiver => html! { "Receiver" },
        LabField::Amount => html! { "Amount" },
    }
}

/// A duration in the largest unit that keeps it readable.
fn duration(seconds: f64) -> String {
    let units = [
        (365.25 * 86_400.0, "years"),
        (86_400.0, "days"),
        (3_600.0, "hours"),
        (60.0, "minutes"),
    ];
    for (size, name) in units {
        if seconds >= size {
            return format!("{:.1} {name}", seconds / size);
        }
    }
    format!("{seconds:.1} seconds")
}

/// What overtaking the main chain from the lab's first block would take.
fn cost(lab: &Lab, difficulty: u64, tip: u64) -> Html {
    let Some(first) = lab.originals.first().map(|b| b.header.height) else {
        return html! {};
    };
    // Every block from the first to the tip again, and one more: strictly more work.
    let blocks = tip.saturating_sub(first) + 2;
    let per_block = 2f64.powi(difficulty.min(1023) as i32);
    let hashes = blocks as f64 * per_block;
    let depth = tip + 1 - first;
    let rate = match lab.hash_rate {
        Some(rate) if rate > 0.0 => format!(
            "At this tab's measured {rate:.0} hashes per second that is about {} — while the honest miners keep adding blocks you would have to re-mine as well.",
            duration(hashes / rate)
        ),
        _ => {
            "Re-mine a block to measure this tab's hash rate and see the time it takes.".to_string()
        }
    };
    let limit = if depth > MAX_REORG_DEPTH {
        format!(
            "And it is too late anyway: the server refuses any fork more than {MAX_REORG_DEPTH} blocks below its tip, and this one replaces {depth}."
        )
    } else {
        format!(
            "It replaces {depth} block(s); the server refuses any fork deeper than {MAX_REORG_DEPTH} blocks below its tip, whatever its work."
        )
    };
    html! {
        <div data-testid="lab-cost">
            <h3>{ "What a rewrite costs" }</h3>
            <p>
                { format!("To replace block {first} for good, your branch needs more work than the main chain: re-mine blocks {first} to {tip} and one more, {blocks} blocks × 2^{difficulty} hashes each ≈ {hashes:.3e} hashes on average. ") }
                { rate }
            </p>
            <p class="muted">{ limit }</p>
        </div>
    }
}

#[component]
pub fn LabCard(props: &LabProps) -> Html {
    let lab = &props.lab;
    if lab.blocks.is_empty() {
        return html! {
            <main class="grid">
                <section class="card wide" data-testid="lab-empty">
                    <h2>{ "Tamper lab" }</h2>
                    <p>{ "Open any block in the explorer (Wallet & explorer) and press " }<strong>{ "Tamper with this block in the lab" }</strong>
                    { ". It and the blocks after it come here as a copy in this tab: change an amount, a nonce, a timestamp, and watch which rules break, re-mine, and offer the result to the real server." }</p>
                </section>
            </main>
        };
    }
    let difficulty = props.difficulty.unwrap_or(0);
    let tip = props.tip.unwrap_or(0);
    let busy = lab.mining.is_some() || lab.submitting.is_some();
    let replay = match (
        &props.replay_error,
        props.replay_progress,
        props.replay_ready,
    ) {
        (Some(error), _, _) => html! { <p class="error-text">{ error.clone() }</p> },
        (None, _, true) => html! {},
        (None, Some((done, total)), false) => html! {
            <p class="muted" data-testid="lab-replay">{ format!("Replaying the chain in this tab for the balances and nonces: block {done} of {total}…") }</p>
        },
        _ => {
            html! { <p class="muted" data-testid="lab-replay">{ "Fetching the parent block…" }</p> }
        }
    };
    let mining = lab.mining.as_ref().map(|m| {
        let height = lab.blocks.get(m.index).map_or(0, |b| b.header.height);
        let rate = lab.hash_rate.map_or(String::new(), |r| format!(", {r:.0} hashes/s"));
        html! {
            <p data-testid="lab-progress" role="status">
                { format!("Re-mining block {height}: nonce {}, best {} of {} leading zero bits, {} hashes so far{rate}", m.next_nonce, m.best_bits, m.header.difficulty, m.tried) }
            </p>
        }
    });
    let blocks = lab.blocks.iter().enumerate().map(|(i, block)| {
        let checks = lab.checks.get(i).cloned().unwrap_or_default();
        let broken = checks.iter().filter(|c| !c.ok()).count();
        let field = |field: LabField, tx: Option<usize>| {
            let onedit = props.onedit.clone();
            let value = field.value(block, tx);
            let wide = matches!(field, LabField::PrevHash | LabField::Miner | LabField::TxRoot | LabField::Sender | LabField::Receiver | LabField::Signature);
            let id = format!("lab-{i}-{}-{}", tx.map_or("h".into(), |t| t.to_string()), field.key());
            html! {
                <div class={classes!("lab-field", wide.then_some("wide-field"))}>
                    <label for={id.clone()}>{ label(field) }</label>
                    <input id={id} class="mono" data-testid="lab-field" data-field={field.key()}
                        data-block={i.to_string()} data-tx={tx.map(|t| t.to_string())}
                        value={value} disabled={busy}
                        oninput={move |e: InputEvent| onedit.emit((i, tx, field, input_text(&e)))} />
                </div>
            }
        };
        let header = LabField::HEADER.iter().map(|&f| field(f, None));
        let txs = block.transactions.iter().enumerate().map(|(t, _)| {
            let fields = LabField::TRANSACTION.iter().map(|&f| field(f, Some(t)));
            html! {
                <fieldset class="lab-tx">
                    <legend>{ format!("Transaction {t}") }</legend>
                    <div class="lab-fields">{ for fields }</div>
                </fieldset>
            }
        });
        let computed = block.compute_hash();
        let changed = lab.changed(i);
        html! {
            <section class={classes!("card", "wide", "lab-block", if broken == 0 { "ok" } else { "bad" })}
                data-testid="lab-block" data-block={i.to_string()} data-ok={(broken == 0).to_string()}>
                <div class="row spread">
                    <h3>{ format!("Block {}", block.header.height) }{ if changed { " (changed)" } else { "" } }</h3>
                    <span class={classes!("badge", if broken == 0 { "ok" } else { "bad" })}>
                        { if broken == 0 { "✔ valid".to_string() } else { format!("✘ {broken} rule(s) broken") } }
                    </span>
                </div>
                <p class="mono small-hash">
                    { "hash claimed " }{ block.hash.to_string() }<br />
                    { "SHA-256 here " }{ computed.to_string() }{ format!(" ({} zero bits)", leading_zero_bits(&computed)) }
                </p>
                <div class="lab-fields">{ for header }</div>
                { for txs }
                <details open={broken > 0}>
                    <summary>{ format!("{} of {} rules hold", checks.len() - broken, checks.len()) }</summary>
                    { rule_list(&checks, "lab-rules", Some(i)) }
                </details>
            </section>
        }
    });
    let results = lab
        .results
        .iter()
        .map(|line| html! { <li>{ line.clone() }</li> });
    html! {
        <main class="grid">
            <section class="card wide" aria-labelledby="lab-title">
                <h2 id="lab-title">{ "Tamper lab" }</h2>
                <p class="muted">
                    { "A copy of real blocks, in this tab only. Change any field: every rule is checked again at once, for each block against the one before it (its " }
                    { term_lower(Term::PrevHash, "prev_hash") }{ " link). Re-mining recomputes the " }{ term_lower(Term::MerkleRoot, "Merkle root") }
                    { ", links each block to the one before and searches a " }{ term_lower(Term::Nonce, "nonce") }
                    { " here, in slices; it cannot fix a " }{ term_lower(Term::Signature, "signature") }{ ": only the sender's key can." }
                </p>
                { replay }
                <div class="row">
                    <button class="btn primary" data-testid="lab-remine" disabled={busy} onclick={props.onremine.reform(|_| ())}>{ "Re-mine changed blocks" }</button>
                    <button class="btn" data-testid="lab-submit" disabled={busy} onclick={props.onsubmit.reform(|_| ())}>{ "Submit to the server" }</button>
                    <button class="btn" data-testid="lab-reset" disabled={busy} onclick={props.onreset.reform(|_| ())}>{ "Undo all changes" }</button>
                </div>
                if let Some(error) = &lab.error { <p class="error-text" role="alert" data-testid="lab-error">{ error.clone() }</p> }
                { for mining }
                if lab.loading { <p class="muted">{ "Fetching the blocks after it…" }</p> }
                <div data-testid="lab-result" role="status">
                    if !lab.results.is_empty() {
                        <h3>{ "The server's answer" }</h3>
                        <ul>{ for results }</ul>
                    }
                </div>
                { cost(lab, difficulty, tip) }
            </section>
            { for blocks }
        </main>
    }
}

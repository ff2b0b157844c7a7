//! The glass box under a block: the exact header message that is hashed, its SHA-256
//! recomputed in this tab next to the hash the server sent, the leading zero bits
//! against the difficulty, and every rule of PROTOCOL §5 checked here by `core`.

use super::glossary::{Term, term, term_lower};
use simplechain_core::Block;
use simplechain_core::block::leading_zero_bits;
use simplechain_core::validate::checklist::RuleCheck;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct GlassBoxProps {
    pub block: Rc<Block>,
    pub checks: Rc<Vec<RuleCheck>>,
    /// The chain's difficulty.
    pub difficulty: Option<u64>,
    /// The replay of the chain up to the parent: blocks done and to do.
    pub progress: Option<(u64, u64)>,
    /// Whether the parent's state is here (the balances and nonces rules are judged).
    pub ready: bool,
    /// Why the replay stopped, if it did.
    pub replay_error: Option<String>,
}

/// The first 32 bits of a hash, the leading zeros marked.
fn bits(hash: &[u8; 32], zero_bits: u64) -> Html {
    let shown = hash[..4]
        .iter()
        .map(|b| format!("{b:08b}"))
        .collect::<String>();
    let zeros = (zero_bits as usize).min(shown.len());
    html! {
        <code class="mono bits" aria-label={format!("{zero_bits} leading zero bits")}>
            <span class="zeros">{ &shown[..zeros] }</span>{ &shown[zeros..] }{ "…" }
        </code>
    }
}

/// A list of rule checks, ✔ or ✘ each, with its sentence when it does not hold.
pub fn rule_list(checks: &[RuleCheck], testid: &'static str, block: Option<usize>) -> Html {
    let items = checks.iter().map(|check| {
        let ok = check.ok();
        let mark = if ok { "✔" } else { "✘" };
        html! {
            <li data-testid="rule-check" data-ok={ok.to_string()} data-rule={check.name.key()}
                data-tx={check.name.transaction().map(|i| i.to_string())}
                class={classes!(if ok { "ok" } else { "bad" })}>
                <span class="mark" aria-hidden="true">{ mark }</span>
                <span>{ check.name.title() }</span>
                if !ok { <span class="why">{ format!(": {}", check.sentence()) }</span> }
            </li>
        }
    });
    html! {
        <ul class="rules" data-testid={testid} data-block={block.map(|i| i.to_string())}>
            { for items }
        </ul>
    }
}

#[component]
pub fn GlassBox(props: &GlassBoxProps) -> Html {
    let block = &props.block;
    let message = block.header.message();
    let computed = block.compute_hash();
    let matches = computed == block.hash;
    let zero_bits = leading_zero_bits(&computed);
    let difficulty = props.difficulty.unwrap_or(block.header.difficulty);
    let enough = zero_bits >= difficulty;
    let broken = props.checks.iter().filter(|c| !c.ok()).count();
    let state_line = match (&props.replay_error, props.progress, props.ready) {
        (Some(error), _, _) => {
            html! { <p class="error-text" data-testid="replay-progress">{ error.clone() }</p> }
        }
        (None, _, true) => html! {
            <p class="muted" data-testid="replay-progress">{ "The chain was replayed in this tab up to the parent: balances and nonces are this tab's own." }</p>
        },
        (None, Some((done, total)), false) => html! {
            <p class="muted" data-testid="replay-progress">
                { format!("Replaying the chain in this tab for the parent's balances and nonces: block {done} of {total}…") }
                <progress max={total.to_string()} value={done.to_string()} />
            </p>
        },
        (None, None, false) if block.header.height > 0 => html! {
            <p class="muted" data-testid="replay-progress">{ "Fetching the parent block…" }</p>
        },
        _ => html! {},
    };
    html! {
        <div class="glass" data-testid="glass-box">
            <h4>{ "Checked in this tab" }</h4>
            <p class="muted">
                { "The " }{ term_lower(Term::HeaderMessage, "header message") }
                { " (SHA-256 of exactly this text is the block's " }{ term_lower(Term::Hash, "hash") }{ "):" }
            </p>
            <pre class="mono message" data-testid="header-message">{ message }</pre>
            <dl class="fields">
                <dt>{ "Server's hash" }</dt><dd class="mono">{ block.hash.to_string() }</dd>
                <dt>{ "SHA-256 here" }</dt>
                <dd class="mono" data-testid="hash-check" data-match={matches.to_string()}>
                    { computed.to_string() }
                    <span class={classes!(if matches { "ok-text" } else { "error-text" })}>
                        { if matches { " ✔ matches" } else { " ✘ differs from the server's hash" } }
                    </span>
                </dd>
                <dt>{ term(Term::ProofOfWork) }</dt>
                <dd data-testid="zero-bits" data-ok={enough.to_string()}>
                    { bits(computed.as_bytes(), zero_bits) }
                    <span>{ format!(" {zero_bits} leading zero bits; the ") }{ term_lower(Term::Difficulty, "difficulty") }
                    { format!(" asks for {difficulty} ") }</span>
                    <span class={classes!(if enough { "ok-text" } else { "error-text" })}>{ if enough { "✔" } else { "✘" } }</span>
                </dd>
            </dl>
            { state_line }
            <p class={classes!(if broken == 0 { "ok-text" } else { "error-text" })} data-testid="rules-summary">
                { if broken == 0 { format!("All {} rules hold ✔", props.checks.len()) } else { format!("{broken} of {} rules do not hold ✘", props.checks.len()) } }
            </p>
            { rule_list(&props.checks, "rule-checks", None) }
        </div>
    }
}

//! The chain: height, tip, last block synced, pending count, full validation.

use crate::format::short;
use crate::state::Validation;
use simplechain_core::BlockHash;
use simplechain_core::protocol::Info;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct ChainStatusProps {
    pub info: Option<Info>,
    pub last_event: Option<(u64, BlockHash)>,
    pub subscribed: bool,
    pub validation: Validation,
    pub onvalidate: Callback<()>,
}

#[component]
pub fn ChainStatus(props: &ChainStatusProps) -> Html {
    let (height, tip, difficulty, mempool) = match &props.info {
        Some(i) => (
            i.height.to_string(),
            short(&i.tip.to_string()),
            i.difficulty.to_string(),
            crate::format::coins(i.mempool),
        ),
        None => ("…".into(), "…".into(), "…".into(), "…".into()),
    };
    let synced = match (props.last_event, &props.info) {
        (Some((h, hash)), _) => format!("block {h} ({})", short(&hash.to_string())),
        (None, Some(info)) => format!("block {} ({})", info.height, short(&info.tip.to_string())),
        (None, None) => "…".into(),
    };
    let live = if props.subscribed { "live" } else { "not live" };
    let result = match &props.validation {
        Validation::Idle => html! {},
        Validation::Running => {
            html! { <span data-testid="validate-result" class="muted">{ "checking…" }</span> }
        }
        Validation::Valid => {
            html! { <span data-testid="validate-result" class="ok-text">{ "VALID" }</span> }
        }
        Validation::Invalid { height, reason } => html! {
            <span data-testid="validate-result" class="error-text">{ format!("INVALID at block {height}: {reason}") }</span>
        },
        Validation::Failed(why) => {
            html! { <span data-testid="validate-result" class="error-text">{ why.clone() }</span> }
        }
    };
    html! {
        <section class="card" aria-labelledby="chain-title">
            <h2 id="chain-title">{ "Chain" }</h2>
            <dl class="fields">
                <dt>{ "Height" }</dt><dd data-testid="height">{ height }</dd>
                <dt>{ "Tip" }</dt><dd class="mono">{ tip }</dd>
                <dt>{ "Last block synced" }</dt><dd>{ synced }<span class="muted">{ format!(" · {live}") }</span></dd>
                <dt>{ "Difficulty" }</dt><dd>{ difficulty }</dd>
                <dt>{ "In the mempool" }</dt><dd><span data-testid="chain-pending">{ mempool }</span>{ " pending" }</dd>
            </dl>
            <div class="row" role="status" aria-live="polite">
                <button class="btn" data-testid="validate" onclick={props.onvalidate.reform(|_: MouseEvent| ())}
                    disabled={props.validation == Validation::Running}>{ "Validate chain" }</button>
                { result }
            </div>
        </section>
    }
}

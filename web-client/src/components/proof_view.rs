//! A Merkle proof drawn and checked: the block's tree with the transaction's path
//! highlighted (for small blocks), each fold step, and whether the fold reaches the
//! `tx_root` in the block's header.

use crate::format::short;
use crate::state::{Folded, ProofView};
use simplechain_core::TxId;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct ProofProps {
    /// The confirmed transaction on show.
    pub txid: TxId,
    pub proof: ProofView,
    pub onask: Callback<TxId>,
}

#[component]
pub fn MerkleProofView(props: &ProofProps) -> Html {
    let ask = {
        let (onask, txid) = (props.onask.clone(), props.txid);
        html! {
            <button class="btn small" data-testid="proof-ask" onclick={move |_| onask.emit(txid)}>
                { "Prove it is in its block (Merkle proof)" }
            </button>
        }
    };
    let body = match &props.proof {
        ProofView::Asking(txid)
        | ProofView::ReadingBlock(simplechain_core::protocol::Proof { txid, .. })
            if *txid == props.txid =>
        {
            html! { <p class="muted">{ "Asking the server for the proof, then reading the block's header…" }</p> }
        }
        ProofView::Folded(folded) if folded.proof.txid == props.txid => folded_view(folded),
        ProofView::Failed(why) => html! { <>{ ask }<p class="error-text">{ why.clone() }</p></> },
        _ => ask,
    };
    html! {
        <div class="proof">
            <h4>{ "Is it really in the block?" }</h4>
            <p class="muted">
                { "A block's header commits to all its transactions with one hash, the " }
                <abbr title="Merkle root: txids hashed in pairs, level by level, up to a single hash">{ "Merkle root" }</abbr>
                { " (tx_root). A proof is the few sibling hashes on the way from one txid to that root: anyone can fold them, without the other transactions." }
            </p>
            { body }
        </div>
    }
}

fn folded_view(folded: &Folded) -> Html {
    let proof = &folded.proof;
    let steps = folded.steps.iter().enumerate().map(|(level, step)| {
        let (left, right) = if step.node_is_left {
            (step.node.to_string(), step.sibling.to_string())
        } else {
            (step.sibling.to_string(), step.node.to_string())
        };
        html! {
            <li class="mono">
                { format!("level {level}: SHA-256({} ‖ {}) = {}", short(&left), short(&right), short(&step.parent.to_string())) }
                <span class="muted">{ if step.node_is_left { " (ours on the left)" } else { " (ours on the right)" } }</span>
            </li>
        }
    });
    let verified = folded.verified();
    let verdict = if verified {
        format!(
            "✔ Verified in this tab: folding the txid with the {} sibling hashes gives {}, the tx_root in the header of block {}. The transaction is in that block.",
            proof.path.len(),
            short(&folded.reached.to_string()),
            proof.height
        )
    } else {
        format!(
            "✘ Not verified: the fold gives {}, but block {}'s header has tx_root {}.",
            short(&folded.reached.to_string()),
            proof.height,
            short(&folded.header_root.to_string())
        )
    };
    html! {
        <div data-testid="proof-view">
            { for folded.levels.as_ref().map(|levels| tree(levels, proof.index)) }
            <p class="muted">{ format!("Position {} in block {}; path of {} hashes:", proof.index, proof.height, proof.path.len()) }</p>
            <ol class="steps" start="0">{ for steps }</ol>
            <p data-testid="proof-verified" data-ok={verified.to_string()}
                class={if verified { "ok-text" } else { "error-text" }}>{ verdict }</p>
        </div>
    }
}

/// The whole tree, root on top: the nodes the fold computes are marked `path`, the
/// hashes the proof supplies `sibling`.
fn tree(levels: &[Vec<simplechain_core::ids::MerkleNode>], index: u64) -> Html {
    let rows = levels.iter().enumerate().rev().map(|(depth, level)| {
        let at = (index >> depth) as usize;
        let sibling = if at.is_multiple_of(2) {
            (at + 1).min(level.len() - 1)
        } else {
            at - 1
        };
        let nodes = level.iter().enumerate().map(|(i, node)| {
            let class = if i == at {
                "node path"
            } else if i == sibling && depth + 1 < levels.len() {
                "node sibling"
            } else {
                "node"
            };
            html! { <span class={class} title={node.to_string()}>{ &node.to_string()[..6] }</span> }
        });
        html! { <div class="level">{ for nodes }</div> }
    });
    html! {
        <div class="merkle-tree" aria-label="The block's Merkle tree, the root on top">
            { for rows }
            <p class="muted small">{ "Filled: the path folded from the txid up to the root. Outlined: the siblings the proof supplies." }</p>
        </div>
    }
}

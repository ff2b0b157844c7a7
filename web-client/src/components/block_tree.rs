//! The block tree: heights as rows (newest first), the main chain in the first lane
//! and each side branch in a lane of its own, the learner's own blocks marked, each
//! branch's work in words, and the last reorg (the blocks that left the main chain).
//! Any block opens in the explorer.

use crate::format::{coins, decimal, short};
use crate::state::{BlockTree, Layout, layout, work};
use simplechain_core::protocol::TreeEntry;
use simplechain_core::{Address, BlockHash};
use std::collections::BTreeSet;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct BlockTreeProps {
    pub tree: BlockTree,
    /// The unlocked wallet's address: its blocks are marked.
    pub own: Option<Address>,
    pub difficulty: Option<u64>,
    pub onshow: Callback<BlockHash>,
}

/// `65 536 hashes` for 2^16, `about 3.4 × 10^9 hashes` beyond a trillion-ish.
fn hashes(work: f64) -> String {
    if work < 1e15 {
        format!("{} hashes", coins(work as u64))
    } else {
        // m × 10^e with 1 ≤ m < 10, written without float formatting (format::decimal).
        let (mut m, mut e) = (work, 0u32);
        while m >= 9.995 {
            m /= 10.0;
            e += 1;
        }
        format!("about {} × 10^{e} hashes", decimal(m, 2))
    }
}

fn block_button(
    entry: &TreeEntry,
    tip: BlockHash,
    own: Option<Address>,
    replaced: &BTreeSet<BlockHash>,
    onshow: &Callback<BlockHash>,
) -> Html {
    let mine = own == Some(entry.miner);
    let lost = replaced.contains(&entry.hash);
    let hash = entry.hash;
    let onclick = onshow.reform(move |_: MouseEvent| hash);
    let class = classes!(
        "blk",
        if entry.main { "main" } else { "side" },
        mine.then_some("own"),
        lost.then_some("replaced"),
    );
    let label = format!(
        "Block {} {}, {}{}{}",
        entry.height,
        entry.hash,
        if entry.main {
            "main chain"
        } else {
            "side branch"
        },
        if mine { ", mined by you" } else { "" },
        if lost {
            ", replaced in the last reorg"
        } else {
            ""
        },
    );
    html! {
        <button {class} data-testid="tree-block" data-hash={entry.hash.to_string()}
            data-main={entry.main.to_string()} data-own={mine.to_string()} title={entry.hash.to_string()}
            aria-label={label} {onclick}>
            <span class="mono">{ short(&entry.hash.to_string()) }</span>
            <span class="muted">{ format!(" {} tx", entry.transactions) }</span>
            if mine { <span class="tag own-tag">{ "you" }</span> }
            if entry.hash == tip { <span class="tag">{ "tip" }</span> }
            if lost { <span class="tag lost-tag">{ "replaced" }</span> }
        </button>
    }
}

fn work_lines(lay: &Layout, blocks: &[TreeEntry], difficulty: u64) -> Html {
    let main = blocks.iter().filter(|b| b.main).count() as u64;
    let each = work(1, difficulty);
    let mut lines = vec![html! {
        <li>{ format!(
            "Main chain: {main} blocks shown × 2^{difficulty} = {} of expected work (each block ≈ {}).",
            hashes(work(main, difficulty)), hashes(each)
        ) }</li>
    }];
    for (n, branch) in lay.branches.iter().enumerate() {
        let verdict = if branch.blocks < branch.main_blocks {
            "less work than the main chain since then, so the main chain stays main"
        } else if branch.blocks == branch.main_blocks {
            "as much work as the main chain since then: the branch seen first stays main"
        } else {
            "more work: it will become the main chain"
        };
        lines.push(html! {
            <li>{ format!(
                "Side branch {} (from block {}): {} block(s) = {}, against the main chain's {} block(s) = {} above block {}: {verdict}.",
                n + 1, branch.fork_height, branch.blocks, hashes(work(branch.blocks, difficulty)),
                branch.main_blocks, hashes(work(branch.main_blocks, difficulty)), branch.fork_height
            ) }</li>
        });
    }
    html! { <ul class="stack" data-testid="tree-work">{ for lines }</ul> }
}

#[component]
pub fn BlockTreeCard(props: &BlockTreeProps) -> Html {
    let Some(tree) = &props.tree.tree else {
        return html! {
            <section class="card wide" aria-labelledby="tree-title">
                <h2 id="tree-title">{ "Block tree" }</h2>
                <p class="muted">{ "Loading the tree…" }</p>
            </section>
        };
    };
    let lay = layout(&tree.blocks);
    let replaced: BTreeSet<BlockHash> = props
        .tree
        .reorg
        .iter()
        .flat_map(|r| r.blocks.iter().map(|(_, h)| *h))
        .collect();
    let heads = (1..lay.lanes).map(|lane| html! { <th>{ format!("Side branch {lane}") }</th> });
    let rows = lay.rows.iter().map(|(height, cells)| {
        let lanes = (0..lay.lanes).map(|lane| {
            match cells.iter().find(|(l, _)| *l == lane) {
                Some((_, i)) => html! {
                    <td>{ block_button(&tree.blocks[*i], tree.tip, props.own, &replaced, &props.onshow) }</td>
                },
                None => html! { <td></td> },
            }
        });
        html! { <tr><th scope="row">{ height }</th>{ for lanes }</tr> }
    });
    let reorg = props.tree.reorg.as_ref().map(|r| {
        let heights: Vec<String> = r.blocks.iter().map(|(h, _)| h.to_string()).collect();
        html! {
            <p class="warning" data-testid="tree-reorg" role="status">{ format!(
                "Reorg: a branch with more work took over. Replaced: {} block(s) left the main chain (height {}); their {} transaction(s) went back to pending, where those still valid wait for a new block.",
                r.blocks.len(), heights.join(", "), r.transactions
            ) }</p>
        }
    });
    html! {
        <section class="card wide" aria-labelledby="tree-title">
            <h2 id="tree-title">{ "Block tree" }</h2>
            <p class="muted">
                { "Every valid block the server knows, newest on top. The main chain is the branch with the most work; " }
                { "a block at the same height on another parent sits on a side branch. Select a block to open it in the explorer." }
            </p>
            { for reorg }
            <div class="scroll">
                <table class="tree" data-testid="block-tree">
                    <thead><tr><th>{ "Height" }</th><th>{ "Main chain" }</th>{ for heads }</tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            { work_lines(&lay, &tree.blocks, props.difficulty.unwrap_or(0)) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::hashes;

    #[test]
    fn work_is_written_in_full_then_as_a_power_of_ten() {
        assert_eq!(hashes(65_536.0), "65\u{202f}536 hashes");
        assert_eq!(hashes(3.4e18), "about 3.40 × 10^18 hashes");
        assert_eq!(hashes(9.999e15), "about 1.00 × 10^16 hashes");
        assert_eq!(hashes(2f64.powi(80)), "about 1.21 × 10^24 hashes");
    }
}

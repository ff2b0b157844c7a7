//! The block explorer: a search box (height, block hash, txid or address), the blocks
//! a page at a time back to genesis, and a block, a transaction or an address opened
//! in view, where every hash that names something is a link to it. A block and a
//! transaction are checked in this tab too (the glass box), and a block can be taken
//! into the tamper lab.

use super::glass_box::GlassBox;
use super::glossary::{Term, term};
use super::tx_glass::tx_glass;
use super::{
    MerkleProofView, Names, RowLinks, address_link, block_link, history_table, input_text, tx_link,
};
use crate::format::{coins, short, timestamp};
use crate::state::{
    ADDRESS_PAGE, Detail, Explorer, Glass, MAX_LABEL_CHARS, ProofView, RECENT_BLOCKS,
};
use simplechain_core::protocol::TxStatus;
use simplechain_core::{Address, ChainId, TxId};
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct ExplorerProps {
    pub explorer: Explorer,
    pub chain_id: Option<ChainId>,
    /// The tip's height.
    pub tip: Option<u64>,
    pub names: Names,
    pub onsearch: Callback<String>,
    pub onshowblock: Callback<u64>,
    pub onshowtx: Callback<TxId>,
    pub onshowaddress: Callback<Address>,
    /// The open address's history page at this offset.
    pub onaddresspage: Callback<u64>,
    /// The page of blocks whose newest is this height (`None`: the newest).
    pub onblockspage: Callback<Option<u64>>,
    pub onlabel: Callback<(Address, String)>,
    pub onclose: Callback<()>,
    /// The Merkle proof on show, and asking for one.
    pub proof: ProofView,
    pub onproof: Callback<TxId>,
    /// The open block's checklist (the glass box).
    pub glass: Glass,
    /// The chain's difficulty.
    pub difficulty: Option<u64>,
    /// The replay up to the open block's parent: blocks done and to do.
    pub replay_progress: Option<(u64, u64)>,
    pub replay_ready: bool,
    pub replay_error: Option<String>,
    /// Take the open block into the tamper lab.
    pub onlab: Callback<()>,
}

#[component]
pub fn ExplorerCard(props: &ExplorerProps) -> Html {
    let query = use_state(String::new);
    let detail_ref = use_node_ref();
    {
        // Each newly opened detail (or message) is brought into view.
        let detail_ref = detail_ref.clone();
        use_effect_with(props.explorer.opened, move |opened| {
            if *opened > 0
                && let Some(element) = detail_ref.cast::<web_sys::Element>()
            {
                element.scroll_into_view();
            }
        });
    }
    let search = {
        let query = query.clone();
        let onsearch = props.onsearch.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            onsearch.emit((*query).clone());
        })
    };
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| query.set(input_text(&e)))
    };
    let explorer = &props.explorer;

    let rows = explorer.recent.iter().map(|block| {
        let height = block.header.height;
        html! {
            <tr data-testid="block-row">
                <td>{ block_link(height, &props.onshowblock, Some("block-row-height")) }</td>
                <td><code class="mono" title={block.hash.to_string()}>{ short(&block.hash.to_string()) }</code></td>
                <td>{ address_link(block.header.miner, &props.names, &props.onshowaddress) }</td>
                <td>{ block.transactions.len() }</td>
                <td class="nowrap">{ timestamp(block.header.timestamp) }</td>
            </tr>
        }
    });
    let oldest = explorer.recent.last().map(|b| b.header.height);
    let newest = explorer.recent.first().map(|b| b.header.height);
    let tip = props.tip.unwrap_or(0);
    let paging = {
        let page = |label: &'static str, testid: &'static str, top: Option<u64>| {
            let onpage = props.onblockspage.clone();
            html! { <button class="btn small" data-testid={testid} onclick={move |_| onpage.emit(top)}>{ label }</button> }
        };
        html! {
            <div class="row spread">
                <span class="muted" data-testid="blocks-range">{ match (oldest, newest) {
                    (Some(o), Some(n)) => format!("blocks {o}–{n} of {}", tip + 1),
                    _ => "…".into(),
                } }</span>
                <span class="row">
                    if explorer.top.is_some() {
                        { page("⇤ Newest", "blocks-latest", None) }
                        { page("← Newer", "blocks-newer", newest.map(|n| n + RECENT_BLOCKS)) }
                    }
                    if let Some(o) = oldest.filter(|o| *o > 0) {
                        { page("Older →", "blocks-older", Some(o - 1)) }
                    }
                </span>
            </div>
        }
    };

    let close = props.onclose.reform(|_: MouseEvent| ());
    let heading = |title: String, testid: &'static str| {
        html! {
            <div class="row spread">
                <h3 data-testid={testid}>{ title }</h3>
                <button class="btn small" onclick={close.clone()}>{ "Close" }</button>
            </div>
        }
    };
    let detail = match &explorer.detail {
        None => html! {},
        Some(Detail::Block(block)) => {
            let h = &block.header;
            let txs = block.transactions.iter().map(|tx| {
                let txid = props.chain_id.map(|c| tx.txid(&c));
                html! {
                    <li>
                        { address_link(tx.sender, &props.names, &props.onshowaddress) }{ " → " }
                        { address_link(tx.receiver, &props.names, &props.onshowaddress) }
                        { format!(": {} coins ", coins(tx.amount)) }
                        if let Some(txid) = txid { { tx_link(txid, &props.onshowtx) } }
                    </li>
                }
            });
            let previous = if h.height == 0 {
                html! { <span class="muted" data-testid="prev-block">{ "none: this is the genesis block" }</span> }
            } else {
                let onshow = props.onshowblock.clone();
                let height = h.height - 1;
                html! {
                    <button class="btn link mono" data-testid="prev-block" title={format!("block {height}")}
                        onclick={move |_| onshow.emit(height)}>{ h.prev_hash.to_string() }</button>
                }
            };
            let reward_label = if h.height == 0 { "Supply" } else { "Reward" };
            html! {
                <div class="detail" aria-label="Block detail" data-testid="block-detail">
                    { heading(format!("Block {}", h.height), "detail-title") }
                    <dl class="fields">
                        <dt>{ term(Term::Hash) }</dt><dd class="mono" data-testid="block-hash">{ block.hash.to_string() }</dd>
                        <dt>{ term(Term::PrevHash) }</dt><dd>{ previous }</dd>
                        <dt>{ term(Term::Timestamp) }</dt><dd>{ format!("{} ({} ms)", timestamp(h.timestamp), h.timestamp) }</dd>
                        <dt>{ if h.height == 0 { html! { "Owner" } } else { term(Term::Miner) } }</dt>
                        <dd>{ address_link(h.miner, &props.names, &props.onshowaddress) }</dd>
                        <dt>{ if h.height == 0 { html! { reward_label } } else { term(Term::Reward) } }</dt><dd>{ format!("{} coins", coins(h.reward)) }</dd>
                        <dt>{ term(Term::Difficulty) }</dt><dd>{ h.difficulty }</dd>
                        <dt>{ term(Term::MerkleRoot) }</dt><dd class="mono">{ h.tx_root.to_string() }</dd>
                        <dt>{ term(Term::Nonce) }</dt><dd>{ h.nonce }</dd>
                    </dl>
                    <h4>{ format!("{} transaction(s)", block.transactions.len()) }</h4>
                    <ul class="txs">{ for txs }</ul>
                    <GlassBox block={block.clone()} checks={props.glass.checks.clone()}
                        difficulty={props.difficulty} progress={props.replay_progress}
                        ready={props.replay_ready} replay_error={props.replay_error.clone()} />
                    if h.height > 0 {
                        <div class="row">
                            <button class="btn" data-testid="lab-open" onclick={props.onlab.reform(|_| ())}>
                                { "Tamper with this block in the lab →" }
                            </button>
                            <span class="muted">{ "a copy in this tab: change it, re-mine it, offer it to the server" }</span>
                        </div>
                    }
                </div>
            }
        }
        Some(Detail::Tx(info)) => {
            let tx = &info.transaction;
            let status = match (info.status, info.height) {
                (TxStatus::Confirmed, Some(h)) => {
                    html! { <>{ "confirmed in " }{ block_link(h, &props.onshowblock, Some("tx-block")) }</> }
                }
                _ => html! { "pending: in the mempool, waiting for a block" },
            };
            html! {
                <div class="detail" aria-label="Transaction detail" data-testid="tx-detail">
                    { heading("Transaction".into(), "detail-title") }
                    <dl class="fields">
                        <dt>{ term(Term::Txid) }</dt><dd class="mono" data-testid="tx-txid">{ info.txid.to_string() }</dd>
                        <dt>{ "Status" }</dt><dd>{ status }</dd>
                        <dt>{ "From" }</dt><dd>{ address_link(tx.sender, &props.names, &props.onshowaddress) }</dd>
                        <dt>{ "To" }</dt><dd>{ address_link(tx.receiver, &props.names, &props.onshowaddress) }</dd>
                        <dt>{ "Amount" }</dt><dd>{ format!("{} coins", coins(tx.amount)) }</dd>
                        <dt>{ term(Term::TxNonce) }</dt><dd>{ tx.nonce }</dd>
                        <dt>{ term(Term::Signature) }</dt><dd class="mono">{ tx.signature.to_string() }</dd>
                    </dl>
                    if let Some(chain) = props.chain_id { { tx_glass(tx, chain, info.txid) } }
                    if info.status == TxStatus::Confirmed {
                        <MerkleProofView txid={info.txid} proof={props.proof.clone()} onask={props.onproof.clone()} />
                    }
                </div>
            }
        }
        Some(Detail::Address {
            account,
            history,
            offset,
        }) => html! {
            <AddressDetail account={account.clone()} history={history.clone()} offset={*offset}
                names={props.names.clone()} heading={heading("Address".into(), "detail-title")}
                onshowtx={props.onshowtx.clone()} onshowblock={props.onshowblock.clone()}
                onshowaddress={props.onshowaddress.clone()} onpage={props.onaddresspage.clone()}
                onlabel={props.onlabel.clone()} />
        },
    };

    html! {
        <section class="card wide" aria-labelledby="explorer-title">
            <div class="row spread">
                <h2 id="explorer-title">{ "Explorer" }</h2>
                <form class="row" onsubmit={search} role="search">
                    <label class="sr-only" for="explore">{ "Block height, block hash, txid or address" }</label>
                    <input id="explore" class="mono wide-input" data-testid="explore-input"
                        placeholder="height, block hash, txid or address" value={(*query).clone()} {oninput} />
                    <button class="btn small" type="submit" data-testid="explore-go">{ "Search" }</button>
                </form>
            </div>
            <div ref={detail_ref}>
                if let Some(message) = &explorer.message {
                    <p class="error-text" role="status" data-testid="explorer-message">{ message.clone() }</p>
                }
                { detail }
            </div>
            <div class="scroll">
                <table>
                    <thead><tr><th>{ "Height" }</th><th>{ "Hash" }</th><th>{ "Miner" }</th><th>{ "Txs" }</th><th>{ "Time" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            { paging }
        </section>
    }
}

#[derive(Debug, Properties, PartialEq)]
struct AddressProps {
    account: simplechain_core::protocol::AccountInfo,
    history: Option<simplechain_core::protocol::History>,
    offset: u64,
    names: Names,
    heading: Html,
    onshowtx: Callback<TxId>,
    onshowblock: Callback<u64>,
    onshowaddress: Callback<Address>,
    onpage: Callback<u64>,
    onlabel: Callback<(Address, String)>,
}

/// An address's page: balance, nonce, its label, and its history a page at a time.
#[component]
fn AddressDetail(props: &AddressProps) -> Html {
    let address = props.account.address;
    let label = use_state(|| props.names.get(&address).cloned().unwrap_or_default());
    let save = {
        let (label, onlabel) = (label.clone(), props.onlabel.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            onlabel.emit((address, (*label).clone()));
        })
    };
    let oninput = {
        let label = label.clone();
        Callback::from(move |e: InputEvent| label.set(input_text(&e)))
    };
    let a = &props.account;
    let links = RowLinks {
        names: props.names.clone(),
        tip_height: None,
        onshowaddress: props.onshowaddress.clone(),
        onshowtx: props.onshowtx.clone(),
        onshowblock: props.onshowblock.clone(),
    };
    let total = props.history.as_ref().map_or(0, |h| h.total);
    let history_part = match &props.history {
        Some(history) if history.total > 0 => history_table(
            history,
            address,
            props.offset,
            ADDRESS_PAGE,
            &links,
            &props.onpage,
        ),
        Some(_) => html! { <p class="muted">{ "No transaction involves this address yet." }</p> },
        None => html! { <p class="muted">{ "Loading…" }</p> },
    };
    html! {
        <div class="detail" aria-label="Address detail" data-testid="address-detail">
            { props.heading.clone() }
            <dl class="fields">
                <dt>{ "Address" }</dt><dd class="mono" data-testid="address-hex">{ address.to_string() }</dd>
                if let Some(name) = props.names.get(&address) {
                    <dt>{ "Name" }</dt><dd data-testid="address-name">{ name.clone() }</dd>
                }
                <dt>{ "Balance" }</dt><dd><span data-testid="address-balance">{ coins(a.balance) }</span>{ " coins" }</dd>
                <dt>{ "With pending" }</dt><dd>{ format!("{} coins (balance once the mempool is mined)", coins(a.pending_balance)) }</dd>
                <dt>{ "Nonce" }</dt><dd>{ format!("{} confirmed, {} with pending", a.nonce, a.pending_nonce) }</dd>
            </dl>
            <form class="row" onsubmit={save}>
                <label for="address-label">{ "Your label" }</label>
                <input id="address-label" data-testid="label-input" maxlength={MAX_LABEL_CHARS.to_string()}
                    placeholder="e.g. Bob" value={(*label).clone()} {oninput} />
                <button class="btn small" type="submit" data-testid="label-save">{ "Save label" }</button>
                <span class="muted">{ "kept in this tab only" }</span>
            </form>
            <h4>{ format!("{total} transaction(s)") }</h4>
            { history_part }
        </div>
    }
}

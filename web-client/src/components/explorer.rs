//! The block explorer: recent blocks, a block with its transactions, a transaction.

use super::input_text;
use crate::format::{coins, short, timestamp};
use crate::state::Explorer;
use simplechain_core::protocol::TxStatus;
use simplechain_core::{ChainId, TxId};
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct ExplorerProps {
    pub explorer: Explorer,
    pub chain_id: Option<ChainId>,
    pub onshowblock: Callback<u64>,
    pub onshowtx: Callback<TxId>,
    pub onclose: Callback<()>,
}

#[component]
pub fn ExplorerCard(props: &ExplorerProps) -> Html {
    let query = use_state(String::new);
    let search = {
        let query = query.clone();
        let (onshowblock, onshowtx) = (props.onshowblock.clone(), props.onshowtx.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let q = query.trim();
            if let Ok(height) = q.parse::<u64>() {
                onshowblock.emit(height);
            } else if let Ok(txid) = q.parse::<TxId>() {
                onshowtx.emit(txid);
            }
        })
    };
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| query.set(input_text(&e)))
    };
    let close = props.onclose.reform(|_: MouseEvent| ());
    let explorer = &props.explorer;

    let rows = explorer.recent.iter().map(|block| {
        let height = block.header.height;
        let onshowblock = props.onshowblock.clone();
        html! {
            <tr>
                <td><button class="btn link" onclick={move |_| onshowblock.emit(height)}
                    aria-label={format!("Block {height}")}>{ height }</button></td>
                <td><code class="mono">{ short(&block.hash.to_string()) }</code></td>
                <td>{ block.transactions.len() }</td>
                <td class="nowrap">{ timestamp(block.header.timestamp) }</td>
            </tr>
        }
    });

    let detail = if let Some(block) = &explorer.block {
        let txs = block.transactions.iter().map(|tx| {
            let txid = props.chain_id.map(|c| tx.txid(&c));
            let onshowtx = props.onshowtx.clone();
            html! {
                <li>
                    { format!("{} → {}: {} coins ", short(&tx.sender.to_string()), short(&tx.receiver.to_string()), coins(tx.amount)) }
                    if let Some(txid) = txid {
                        <button class="btn link mono" onclick={move |_| onshowtx.emit(txid)}>{ short(&txid.to_string()) }</button>
                    }
                </li>
            }
        });
        html! {
            <div class="detail" aria-label="Block detail">
                <div class="row spread"><h3>{ format!("Block {}", block.header.height) }</h3><button class="btn small" onclick={close.clone()}>{ "Close" }</button></div>
                <dl class="fields">
                    <dt>{ "Hash" }</dt><dd class="mono">{ block.hash.to_string() }</dd>
                    <dt>{ "Previous" }</dt><dd class="mono">{ block.header.prev_hash.to_string() }</dd>
                    <dt>{ "Time" }</dt><dd>{ timestamp(block.header.timestamp) }</dd>
                    <dt>{ "Miner" }</dt><dd class="mono">{ block.header.miner.to_string() }</dd>
                    <dt>{ "Reward" }</dt><dd>{ coins(block.header.reward) }</dd>
                    <dt>{ "Difficulty" }</dt><dd>{ block.header.difficulty }</dd>
                    <dt>{ "Merkle root" }</dt><dd class="mono">{ block.header.tx_root.to_string() }</dd>
                    <dt>{ "Nonce" }</dt><dd>{ block.header.nonce }</dd>
                </dl>
                <h4>{ format!("{} transaction(s)", block.transactions.len()) }</h4>
                <ul class="txs">{ for txs }</ul>
            </div>
        }
    } else if let Some(info) = &explorer.tx {
        let tx = &info.transaction;
        let status = match (info.status, info.height) {
            (TxStatus::Confirmed, Some(h)) => {
                let onshowblock = props.onshowblock.clone();
                html! { <>{ "confirmed in " }<button class="btn link" onclick={move |_| onshowblock.emit(h)}>{ format!("block {h}") }</button></> }
            }
            _ => html! { "pending" },
        };
        html! {
            <div class="detail" aria-label="Transaction detail">
                <div class="row spread"><h3>{ "Transaction" }</h3><button class="btn small" onclick={close.clone()}>{ "Close" }</button></div>
                <dl class="fields">
                    <dt>{ "Txid" }</dt><dd class="mono">{ info.txid.to_string() }</dd>
                    <dt>{ "Status" }</dt><dd>{ status }</dd>
                    <dt>{ "From" }</dt><dd class="mono">{ tx.sender.to_string() }</dd>
                    <dt>{ "To" }</dt><dd class="mono">{ tx.receiver.to_string() }</dd>
                    <dt>{ "Amount" }</dt><dd>{ coins(tx.amount) }</dd>
                    <dt>{ "Nonce" }</dt><dd>{ tx.nonce }</dd>
                    <dt>{ "Signature" }</dt><dd class="mono">{ tx.signature.to_string() }</dd>
                </dl>
            </div>
        }
    } else {
        html! {}
    };

    html! {
        <section class="card wide" aria-labelledby="explorer-title">
            <div class="row spread">
                <h2 id="explorer-title">{ "Explorer" }</h2>
                <form class="row" onsubmit={search} role="search">
                    <label class="sr-only" for="explore">{ "Block height or txid" }</label>
                    <input id="explore" class="mono" placeholder="height or txid" value={(*query).clone()} {oninput} />
                    <button class="btn small" type="submit">{ "Go" }</button>
                </form>
            </div>
            if let Some(message) = &explorer.message {
                <p class="error-text" role="status">{ message.clone() }</p>
            }
            { detail }
            <div class="scroll">
                <table>
                    <thead><tr><th>{ "Height" }</th><th>{ "Hash" }</th><th>{ "Txs" }</th><th>{ "Time" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </section>
    }
}

//! The wallet's transactions, newest first, a page at a time.

use crate::format::{coins, short};
use crate::state::HISTORY_PAGE;
use simplechain_core::protocol::{History, TxStatus};
use simplechain_core::{Address, TxId};
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct HistoryProps {
    pub own: Address,
    pub history: Option<History>,
    pub offset: u64,
    pub onpage: Callback<u64>,
    pub onshowtx: Callback<TxId>,
}

#[component]
pub fn HistoryCard(props: &HistoryProps) -> Html {
    let Some(history) = &props.history else {
        return html! {
            <section class="card" aria-labelledby="history-title">
                <h2 id="history-title">{ "History" }</h2>
                <p class="muted">{ "Loading…" }</p>
            </section>
        };
    };
    let rows = history.items.iter().map(|item| {
        let tx = &item.transaction;
        let outgoing = tx.sender == props.own;
        let (sign, other) = if outgoing { ("−", tx.receiver) } else { ("+", tx.sender) };
        let status = match (item.status, item.height) {
            (TxStatus::Confirmed, Some(h)) => format!("block {h}"),
            _ => "pending".to_string(),
        };
        let txid = item.txid;
        let onshowtx = props.onshowtx.clone();
        html! {
            <tr>
                <td class={if outgoing { "out" } else { "in" }}>{ format!("{sign}{}", coins(tx.amount)) }</td>
                <td><code class="mono" title={other.to_string()}>{ short(&other.to_string()) }</code></td>
                <td>{ status }</td>
                <td><button class="btn link mono" onclick={move |_| onshowtx.emit(txid)}
                    aria-label={format!("Transaction {txid}")}>{ short(&txid.to_string()) }</button></td>
            </tr>
        }
    });
    let offset = props.offset;
    let newer = (offset > 0).then(|| {
        let onpage = props.onpage.clone();
        html! { <button class="btn small" onclick={move |_| onpage.emit(offset.saturating_sub(HISTORY_PAGE))}>{ "← Newer" }</button> }
    });
    let older = (offset + HISTORY_PAGE < history.total).then(|| {
        let onpage = props.onpage.clone();
        html! { <button class="btn small" onclick={move |_| onpage.emit(offset + HISTORY_PAGE)}>{ "Older →" }</button> }
    });
    let last = (offset + history.items.len() as u64).min(history.total);
    html! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">{ "History" }</h2>
            if history.items.is_empty() {
                <p class="muted">{ "No transactions yet." }</p>
            } else {
                <div class="scroll">
                    <table>
                        <thead><tr><th>{ "Amount" }</th><th>{ "With" }</th><th>{ "Status" }</th><th>{ "Txid" }</th></tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
                <div class="row spread">
                    <span class="muted">{ format!("{}–{last} of {}", offset + 1, history.total) }</span>
                    <span class="row">{ for newer }{ for older }</span>
                </div>
            }
        </section>
    }
}

//! The wallet's transactions, newest first, a page at a time.

use super::{Names, address_link, tx_link};
use crate::format::coins;
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
    pub onshowaddress: Callback<Address>,
    pub names: Names,
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
            _ if outgoing => "pending (outgoing)".to_string(),
            _ => "pending (incoming)".to_string(),
        };
        html! {
            <tr data-testid="history-row">
                <td class={if outgoing { "out" } else { "in" }}>{ format!("{sign}{}", coins(tx.amount)) }</td>
                <td>{ address_link(other, &props.names, &props.onshowaddress) }</td>
                <td>{ status }</td>
                <td>{ tx_link(item.txid, &props.onshowtx) }</td>
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

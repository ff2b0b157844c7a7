//! The wallet's transactions, newest first, a page at a time.

use super::{Names, RowLinks, history_row};
use crate::state::HISTORY_PAGE;
use simplechain_core::protocol::History;
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
    pub onshowblock: Callback<u64>,
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
    let links = RowLinks {
        names: props.names.clone(),
        onshowaddress: props.onshowaddress.clone(),
        onshowtx: props.onshowtx.clone(),
        onshowblock: props.onshowblock.clone(),
    };
    let rows = history
        .items
        .iter()
        .map(|item| history_row(item, props.own, &links));
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

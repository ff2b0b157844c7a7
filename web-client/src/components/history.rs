//! The wallet's transactions, newest first, a page at a time.

use super::{Names, RowLinks, history_table};
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
    /// The main chain's height, for confirmations.
    pub tip_height: Option<u64>,
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
        tip_height: props.tip_height,
        onshowaddress: props.onshowaddress.clone(),
        onshowtx: props.onshowtx.clone(),
        onshowblock: props.onshowblock.clone(),
    };
    html! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">{ "History" }</h2>
            if history.items.is_empty() {
                <p class="muted">{ "No transactions yet." }</p>
            } else {
                { history_table(history, props.own, props.offset, HISTORY_PAGE, &links, &props.onpage) }
            }
        </section>
    }
}

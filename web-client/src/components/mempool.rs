//! The mempool: the transactions the server accepted that wait for a block, oldest
//! first (the order the miner takes them in), kept live by the page's tick.

use super::{Names, address_link, tx_link};
use crate::format::coins;
use simplechain_core::protocol::Mempool;
use simplechain_core::{Address, TxId};
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct MempoolProps {
    pub mempool: Option<Mempool>,
    pub names: Names,
    pub onshowtx: Callback<TxId>,
    pub onshowaddress: Callback<Address>,
}

#[component]
pub fn MempoolCard(props: &MempoolProps) -> Html {
    let body = match &props.mempool {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(m) if m.total == 0 => html! {
            <p class="muted">{ "Empty: every accepted transaction is in a block." }</p>
        },
        Some(m) => {
            let rows = m.items.iter().map(|item| {
                let tx = &item.transaction;
                html! {
                    <tr data-testid="mempool-row">
                        <td>{ tx_link(item.txid, &props.onshowtx) }</td>
                        <td>{ address_link(tx.sender, &props.names, &props.onshowaddress) }</td>
                        <td>{ address_link(tx.receiver, &props.names, &props.onshowaddress) }</td>
                        <td>{ coins(tx.amount) }</td>
                    </tr>
                }
            });
            let more = m.total.saturating_sub(m.items.len() as u64);
            html! {
                <>
                    <div class="scroll">
                        <table>
                            <thead><tr><th>{ "Txid" }</th><th>{ "From" }</th><th>{ "To" }</th><th>{ "Amount" }</th></tr></thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    </div>
                    if more > 0 { <p class="muted">{ format!("and {} more", coins(more)) }</p> }
                </>
            }
        }
    };
    html! {
        <section class="card" aria-labelledby="mempool-title">
            <h2 id="mempool-title">{ "Mempool" }</h2>
            <p class="muted">
                <span data-testid="mempool-count">{ props.mempool.as_ref().map_or("…".into(), |m| coins(m.total)) }</span>
                { " pending: accepted by the server, waiting for the miner to put them in a block." }
            </p>
            { body }
        </section>
    }
}

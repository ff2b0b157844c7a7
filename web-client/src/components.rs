//! The page, one component per card. Each takes plain data and `on<verb>` callbacks;
//! none sees the reducer.

mod account;
mod backup;
mod backup_prompt;
mod block_tree;
mod chain_status;
mod developer;
mod explorer;
mod glass_box;
mod glossary;
mod header;
mod history;
mod lab;
mod mempool;
mod mine;
mod notices;
mod proof_view;
mod quests;
mod send;
mod setup;
mod signatures;
mod tabs;
mod tx_glass;
mod unlock;

pub use account::AccountCard;
pub use backup::BackupCard;
pub use backup_prompt::BackupPrompt;
pub use block_tree::BlockTreeCard;
pub use chain_status::ChainStatus;
pub use developer::DeveloperCorner;
pub use explorer::ExplorerCard;
pub use header::Header;
pub use history::HistoryCard;
pub use lab::LabCard;
pub use mempool::MempoolCard;
pub use mine::MineCard;
pub use notices::Notices;
pub use proof_view::MerkleProofView;
pub use quests::QuestsCard;
pub use send::SendCard;
pub use setup::SetupCard;
pub use signatures::SigLabCard;
pub use tabs::Tabs;
pub use unlock::UnlockCard;

use crate::format::{coins, short};
use simplechain_core::protocol::{History, TxInfo, TxStatus};
use simplechain_core::{Address, TxId};
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::{Callback, Html, InputEvent, TargetCast, html};

/// What the page calls each address it has a name for (`State::names`).
pub type Names = Rc<BTreeMap<Address, String>>;

/// An address as a link to its page in the explorer: its name and short hex, or the
/// short hex alone.
fn address_link(address: Address, names: &Names, onshow: &Callback<Address>) -> Html {
    let hex = address.to_string();
    let text = match names.get(&address) {
        Some(name) => format!("{name} ({})", short(&hex)),
        None => short(&hex),
    };
    let onshow = onshow.clone();
    html! {
        <button class="btn link mono" title={hex.clone()} data-address={hex.clone()}
            onclick={move |_| onshow.emit(address)}>{ text }</button>
    }
}

/// A txid as a link to the transaction in the explorer.
fn tx_link(txid: TxId, onshow: &Callback<TxId>) -> Html {
    let onshow = onshow.clone();
    html! {
        <button class="btn link mono" title={txid.to_string()} aria-label={format!("Transaction {txid}")}
            onclick={move |_| onshow.emit(txid)}>{ short(&txid.to_string()) }</button>
    }
}

/// The text of the input an event came from.
fn input_text(event: &InputEvent) -> String {
    event.target_unchecked_into::<HtmlInputElement>().value()
}

/// A height as a link to its block.
fn block_link(height: u64, onshow: &Callback<u64>, testid: Option<&'static str>) -> Html {
    let onshow = onshow.clone();
    html! {
        <button class="btn link" data-testid={testid} aria-label={format!("Block {height}")}
            onclick={move |_| onshow.emit(height)}>{ format!("block {height}") }</button>
    }
}

/// " · 3 confirmations", with the number a learner should wait for until it is reached
/// (SECURITY.md: a chain anyone can mine can be rewritten by more hash power).
fn confirmations_text(confirmations: u64) -> String {
    use simplechain_core::protocol::SUGGESTED_CONFIRMATIONS;
    let plural = if confirmations == 1 { "" } else { "s" };
    if confirmations >= SUGGESTED_CONFIRMATIONS {
        format!(" · {confirmations} confirmation{plural}")
    } else {
        format!(" · {confirmations} confirmation{plural} (wait for {SUGGESTED_CONFIRMATIONS})")
    }
}

/// The links a row of history leads to.
#[derive(Debug, Clone, PartialEq)]
struct RowLinks {
    names: Names,
    /// The main chain's height, for a confirmed row's confirmations (`None`: not shown).
    tip_height: Option<u64>,
    onshowaddress: Callback<Address>,
    onshowtx: Callback<TxId>,
    onshowblock: Callback<u64>,
}

/// One transaction of `own`'s history: the amount signed by direction, the other
/// party, the status (its block, or pending and which way) and the txid.
fn history_row(item: &TxInfo, own: Address, links: &RowLinks) -> Html {
    let tx = &item.transaction;
    let outgoing = tx.sender == own;
    let (sign, other) = if outgoing {
        ("−", tx.receiver)
    } else {
        ("+", tx.sender)
    };
    let status = match (item.status, item.height) {
        (TxStatus::Confirmed, Some(h)) => match links.tip_height {
            Some(tip) => html! {
                <>
                    { block_link(h, &links.onshowblock, None) }
                    <span class="muted" data-testid="confirmations">{ confirmations_text(item.confirmations(tip)) }</span>
                </>
            },
            None => block_link(h, &links.onshowblock, None),
        },
        _ if outgoing => html! { "pending (outgoing)" },
        _ => html! { "pending (incoming)" },
    };
    html! {
        <tr data-testid="history-row">
            <td class={if outgoing { "out" } else { "in" }}>{ format!("{sign}{}", coins(tx.amount)) }</td>
            <td>{ address_link(other, &links.names, &links.onshowaddress) }</td>
            <td>{ status }</td>
            <td>{ tx_link(item.txid, &links.onshowtx) }</td>
        </tr>
    }
}

/// A page of `own`'s history as a table, with where it stands and the buttons to the
/// newer and older pages (`onpage` takes the offset).
fn history_table(
    history: &History,
    own: Address,
    offset: u64,
    page: u64,
    links: &RowLinks,
    onpage: &Callback<u64>,
) -> Html {
    let rows = history
        .items
        .iter()
        .map(|item| history_row(item, own, links));
    let button = |label: &'static str, to: u64| {
        let onpage = onpage.clone();
        html! { <button class="btn small" onclick={move |_| onpage.emit(to)}>{ label }</button> }
    };
    let newer = (offset > 0).then(|| button("← Newer", offset.saturating_sub(page)));
    let older = (offset + page < history.total).then(|| button("Older →", offset + page));
    let last = (offset + history.items.len() as u64).min(history.total);
    html! {
        <>
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
        </>
    }
}

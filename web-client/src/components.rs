//! The page, one component per card. Each takes plain data and `on<verb>` callbacks;
//! none sees the reducer.

mod account;
mod backup;
mod backup_prompt;
mod chain_status;
mod developer;
mod explorer;
mod header;
mod history;
mod mempool;
mod notices;
mod send;
mod setup;
mod unlock;

pub use account::AccountCard;
pub use backup::BackupCard;
pub use backup_prompt::BackupPrompt;
pub use chain_status::ChainStatus;
pub use developer::DeveloperCorner;
pub use explorer::ExplorerCard;
pub use header::Header;
pub use history::HistoryCard;
pub use mempool::MempoolCard;
pub use notices::Notices;
pub use send::SendCard;
pub use setup::SetupCard;
pub use unlock::UnlockCard;

use crate::format::short;
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

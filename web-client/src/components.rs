//! The page, one component per card. Each takes plain data and `on<verb>` callbacks;
//! none sees the reducer.

mod account;
mod backup;
mod chain_status;
mod explorer;
mod header;
mod history;
mod notices;
mod send;
mod setup;
mod unlock;

pub use account::AccountCard;
pub use backup::BackupCard;
pub use chain_status::ChainStatus;
pub use explorer::ExplorerCard;
pub use header::Header;
pub use history::HistoryCard;
pub use notices::Notices;
pub use send::SendCard;
pub use setup::SetupCard;
pub use unlock::UnlockCard;

use web_sys::HtmlInputElement;
use yew::{InputEvent, TargetCast};

/// The text of the input an event came from.
fn input_text(event: &InputEvent) -> String {
    event.target_unchecked_into::<HtmlInputElement>().value()
}

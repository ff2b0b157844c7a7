//! Hooks that own the page's long-lived browser resources.

mod use_auto_lock;
mod use_miners;
mod use_relay;
mod use_tick;
mod use_work;

pub use use_auto_lock::{AUTO_LOCK_MS, use_auto_lock};
pub use use_miners::use_miners;
pub use use_relay::{relay_url, use_relay};
pub use use_tick::use_tick;
pub use use_work::use_work;

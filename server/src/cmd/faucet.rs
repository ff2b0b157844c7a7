//! `FAUCET` (PROTOCOL §6): the treasury sends test coins to an address, as an ordinary
//! signed transaction that the sequencer signs and admits (so it is durable before
//! `SUCCESS`, like any other).
//!
//! Two limits, checked and taken together under one lock, before the payment is
//! asked for (so parallel requests cannot all pass the check): one payout per address
//! per cooldown, and a global rate for everyone together (addresses are free, so the
//! cooldown alone would let one client drain the treasury). A payment that fails gives
//! both back. A refusal says when to come back.
//!
//! ```text
//! > FAUCET:<address>
//! < SUCCESS
//! < ERROR:faucet_disabled:…     the server runs without --faucet
//! < ERROR:rate_limited:…        this address was paid within the cooldown, or the
//!                               faucet's global rate is used up: "try again in 16 s"
//! ```

use crate::cost::Cost;
use crate::inbox::Command;
use crate::shared::Shared;
use simplechain_core::Address;
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};
use std::time::{Duration, Instant};

/// Past this many remembered addresses, those whose cooldown is over are forgotten.
const REMEMBERED: usize = 10_000;

/// `FAUCET:<address>`.
#[derive(Debug)]
pub struct Faucet {
    /// Who gets the coins.
    pub to: Address,
}

fn come_back(what: &str, left: Duration) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::RateLimited,
        format!("{what}; try again in {} s", left.as_secs() + 1),
    )
}

impl Faucet {
    /// Checks and takes the cooldown and the global rate at once, asks the sequencer
    /// to pay, and gives both back if it could not.
    pub async fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let to = self.to;
        let Some(config) = shared.faucet.as_ref() else {
            return Err(ProtocolError::new(
                ErrorCode::FaucetDisabled,
                "this server has no faucet",
            ));
        };
        let now = Instant::now();
        let previous = {
            let mut paid = shared.faucet_paid.lock().unwrap_or_else(|e| e.into_inner());
            let last = paid.get(&to).copied();
            if let Some(left) = last.and_then(|t| config.cooldown.checked_sub(now - t)) {
                return Err(come_back("this address got test coins recently", left));
            }
            if config.per_minute > 0.0 {
                let mut rate = shared.faucet_rate.lock().unwrap_or_else(|e| e.into_inner());
                if let Err(left) = rate.take(Cost(1.0), now) {
                    return Err(come_back(
                        "the faucet has paid out all it may for now, to everyone together",
                        left,
                    ));
                }
            }
            if paid.len() >= REMEMBERED {
                paid.retain(|_, t| now - *t < config.cooldown);
            }
            paid.insert(to, now)
        };
        let amount = config.amount;
        let paid = shared
            .ask(|reply| Command::Faucet { to, amount, reply })
            .await;
        if paid.is_err() {
            let mut book = shared.faucet_paid.lock().unwrap_or_else(|e| e.into_inner());
            match previous {
                Some(t) => book.insert(to, t),
                None => book.remove(&to),
            };
            if config.per_minute > 0.0 {
                let mut rate = shared.faucet_rate.lock().unwrap_or_else(|e| e.into_inner());
                rate.refund(Cost(1.0));
            }
        }
        paid?;
        Ok(Response::Success)
    }
}

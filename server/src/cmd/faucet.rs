//! `FAUCET` (PROTOCOL §6): the treasury sends test coins to an address, as an ordinary
//! signed transaction that the sequencer signs and admits (so it is durable before
//! `SUCCESS`, like any other). One payout per address per cooldown.
//!
//! ```text
//! > FAUCET:<address>
//! < SUCCESS
//! < ERROR:faucet_disabled:…     the server runs without --faucet
//! < ERROR:rate_limited:…        this address was paid within the cooldown
//! ```

use crate::inbox::Command;
use crate::shared::Shared;
use simplechain_core::Address;
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};
use std::time::Instant;

/// `FAUCET:<address>`.
#[derive(Debug)]
pub struct Faucet {
    /// Who gets the coins.
    pub to: Address,
}

impl Faucet {
    /// Checks the cooldown, asks the sequencer to pay, and remembers when it did.
    pub async fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let to = self.to;
        let Some(config) = shared.faucet.as_ref() else {
            return Err(ProtocolError::new(
                ErrorCode::FaucetDisabled,
                "this server has no faucet",
            ));
        };
        if !config.cooldown.is_zero() {
            let last = shared
                .faucet_paid
                .lock()
                .expect("faucet lock")
                .get(&to)
                .copied();
            if let Some(left) = last.and_then(|t| config.cooldown.checked_sub(t.elapsed())) {
                return Err(ProtocolError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "this address got test coins recently; try again in {} s",
                        left.as_secs() + 1
                    ),
                ));
            }
        }
        let amount = config.amount;
        let _txid = shared
            .ask(|reply| Command::Faucet { to, amount, reply })
            .await?;
        shared
            .faucet_paid
            .lock()
            .expect("faucet lock")
            .insert(to, Instant::now());
        Ok(Response::Success)
    }
}

//! The unlocked wallet at a glance: address, balances (confirmed, spendable now,
//! incoming and still pending), faucet, lock.

use crate::format::coins;
use crate::state::FaucetStep;
use simplechain_core::Address;
use simplechain_core::protocol::AccountInfo;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct AccountProps {
    pub address: Address,
    pub account: Option<AccountInfo>,
    /// What the server accepts as a payment now.
    pub spendable: u64,
    /// Payments to this wallet still waiting for a block (`None` while loading).
    pub incoming_pending: Option<u64>,
    /// The tab's clock, for the faucet's countdown.
    pub now_ms: u64,
    /// Whether the server has a faucet.
    pub faucet_available: bool,
    pub faucet: FaucetStep,
    pub oncopy: Callback<String>,
    pub onfaucet: Callback<()>,
    pub onlock: Callback<()>,
}

#[component]
pub fn AccountCard(props: &AccountProps) -> Html {
    let address = props.address.to_string();
    let copied = use_state(|| false);
    let copy = {
        let address = address.clone();
        let oncopy = props.oncopy.clone();
        let copied = copied.clone();
        Callback::from(move |_| {
            oncopy.emit(address.clone());
            copied.set(true);
        })
    };
    let (balance, spendable, nonce) = match &props.account {
        Some(a) => (
            coins(a.balance),
            coins(props.spendable),
            a.pending_nonce.to_string(),
        ),
        None => ("…".into(), "…".into(), "…".into()),
    };
    let incoming = props.incoming_pending.map_or("…".into(), coins);
    let faucet_note = match &props.faucet {
        FaucetStep::Idle => html! {},
        FaucetStep::Requesting => {
            html! { <p class="muted" role="status">{ "Asking the faucet…" }</p> }
        }
        FaucetStep::Sent => {
            html! { <p class="ok-text" role="status">{ "Test coins sent: they count as pending until the next block." }</p> }
        }
        FaucetStep::Cooling { until_ms } => {
            let secs = until_ms.saturating_sub(props.now_ms).div_ceil(1000).max(1);
            html! { <p class="muted" role="status" data-testid="faucet-note">{ format!("The faucet paid this wallet recently: come back in {secs} s.") }</p> }
        }
        FaucetStep::Failed { message, .. } => {
            html! { <p class="error-text" role="status" data-testid="faucet-note">{ message.clone() }</p> }
        }
    };
    html! {
        <section class="card" aria-labelledby="account-title">
            <div class="row spread">
                <h2 id="account-title">{ "Your wallet" }</h2>
                <button class="btn small" data-testid="lock" onclick={props.onlock.reform(|_: MouseEvent| ())}>{ "Lock" }</button>
            </div>
            <label class="muted" for="address">{ "Address" }</label>
            <div class="row">
                <code id="address" class="mono address" data-testid="address">{ address.clone() }</code>
                <button class="btn small" onclick={copy} aria-label="Copy the address">
                    { if *copied { "Copied" } else { "Copy" } }
                </button>
            </div>
            <dl class="figures">
                <div><dt>{ "Balance" }</dt><dd><span data-testid="balance">{ balance }</span>{ " coins" }</dd></div>
                <div><dt title="the balance less your payments still waiting for a block">{ "Spendable now" }</dt><dd><span data-testid="spendable">{ spendable }</span>{ " coins" }</dd></div>
                <div><dt title="payments to you still waiting for a block">{ "Incoming, pending" }</dt><dd><span data-testid="incoming-pending">{ incoming }</span>{ " coins" }</dd></div>
                <div><dt>{ "Next nonce" }</dt><dd>{ nonce }</dd></div>
            </dl>
            if props.faucet_available {
                <button class="btn" data-testid="faucet" onclick={props.onfaucet.reform(|_: MouseEvent| ())}
                    disabled={props.faucet == FaucetStep::Requesting}>
                    { "Get test coins" }
                </button>
                { faucet_note }
            }
        </section>
    }
}

//! Sending coins: checked as typed, confirmed with the balance after, signed in the
//! tab, then followed from accepted (shown as "pending") to confirmed.

use super::input_text;
use crate::format::{coins, short};
use crate::state::{SendFormError, SendStep, check_amount, check_receiver};
use simplechain_core::Address;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct SendProps {
    pub own: Address,
    /// What the wallet can spend now (the balance less pending payments out).
    pub spendable: u64,
    pub step: SendStep,
    /// Check (receiver, amount) as typed and ask for confirmation.
    pub onreview: Callback<(String, String)>,
    pub onconfirm: Callback<()>,
    pub onreset: Callback<()>,
    pub onshowtx: Callback<simplechain_core::TxId>,
}

#[component]
pub fn SendCard(props: &SendProps) -> Html {
    let to = use_state(String::new);
    let amount = use_state(String::new);
    let receiver_check = (!to.is_empty()).then(|| check_receiver(&to, Some(props.own)));
    let amount_check = (!amount.is_empty()).then(|| check_amount(&amount, props.spendable));
    let valid = matches!(receiver_check, Some(Ok(_))) && matches!(amount_check, Some(Ok(_)));

    let review = {
        let (to, amount) = (to.clone(), amount.clone());
        let onreview = props.onreview.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            onreview.emit(((*to).clone(), (*amount).clone()));
        })
    };
    let confirm = {
        let (to, amount) = (to.clone(), amount.clone());
        let onconfirm = props.onconfirm.clone();
        Callback::from(move |_| {
            onconfirm.emit(());
            to.set(String::new());
            amount.set(String::new());
        })
    };
    let set = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(input_text(&e)))
    };
    let hint = |problem: Option<&SendFormError>, id: &'static str| match problem {
        Some(why) => {
            html! { <p id={id} class="error-text" aria-live="polite">{ why.to_string() }</p> }
        }
        None => html! {},
    };
    let reset = props.onreset.reform(|_: MouseEvent| ());

    let body = match &props.step {
        SendStep::Confirming {
            to: receiver,
            amount,
            balance_after,
        } => html! {
            <div class="confirm" role="group" aria-label="Confirm the transfer">
                <p>{ format!("Send {} coins to ", coins(*amount)) }<code class="mono" title={receiver.to_string()}>{ short(&receiver.to_string()) }</code>{ "?" }</p>
                <p>{ "Balance after: " }<strong>{ coins(*balance_after) }</strong>{ " coins" }</p>
                <div class="row">
                    <button class="btn primary" data-testid="send-confirm" onclick={confirm} autofocus=true>{ "Confirm and sign" }</button>
                    <button class="btn" onclick={reset.clone()}>{ "Back" }</button>
                </div>
            </div>
        },
        _ => html! {
            <form onsubmit={review} class="stack">
                <label for="send-to">{ "To address" }</label>
                <input id="send-to" class="mono" data-testid="send-to" autocomplete="off" spellcheck="false"
                    aria-describedby="send-to-hint" value={(*to).clone()} oninput={set(&to)} />
                { hint(receiver_check.as_ref().and_then(|c| c.as_ref().err()), "send-to-hint") }
                <label for="send-amount">{ format!("Amount (up to {} spendable now)", coins(props.spendable)) }</label>
                <input id="send-amount" data-testid="send-amount" inputmode="numeric" autocomplete="off"
                    aria-describedby="send-amount-hint" value={(*amount).clone()} oninput={set(&amount)} />
                { hint(amount_check.as_ref().and_then(|c| c.as_ref().err()), "send-amount-hint") }
                <button class="btn primary" type="submit" data-testid="send-submit"
                    disabled={!valid || matches!(props.step, SendStep::Submitting { .. })}>{ "Review transfer" }</button>
            </form>
        },
    };

    let status = match &props.step {
        SendStep::Idle | SendStep::Confirming { .. } => None,
        SendStep::Submitting { .. } => Some(("wait", "sending…".to_string(), None)),
        SendStep::Accepted { txid, amount, .. } => Some((
            "wait",
            format!(
                "pending: {} coins accepted by the server, waiting for a block",
                coins(*amount)
            ),
            Some(*txid),
        )),
        SendStep::Confirmed {
            txid,
            amount,
            height,
            ..
        } => Some((
            "ok",
            format!("confirmed: {} coins in block {height}", coins(*amount)),
            Some(*txid),
        )),
        SendStep::Failed { message } => Some(("bad", format!("failed: {message}"), None)),
    };
    let status = status.map(|(class, text, txid)| {
        let show = txid.map(|txid| {
            let onshowtx = props.onshowtx.clone();
            html! { <button class="btn link" onclick={move |_| onshowtx.emit(txid)}>{ format!("transaction {}", short(&txid.to_string())) }</button> }
        });
        let finished = matches!(props.step, SendStep::Confirmed { .. } | SendStep::Failed { .. });
        html! {
            <div class={classes!("tx-status", class)} role="status" aria-live="polite">
                <span data-testid="tx-status">{ text }</span>
                { for show }
                if finished { <button class="btn small" onclick={reset.clone()}>{ "OK" }</button> }
            </div>
        }
    });

    html! {
        <section class="card" aria-labelledby="send-title">
            <h2 id="send-title">{ "Send coins" }</h2>
            { body }
            { for status }
        </section>
    }
}

//! A stored, locked wallet: unlock it, or forget it.

use super::input_text;
use crate::format::short;
use simplechain_core::Address;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct UnlockProps {
    pub address: Address,
    pub onunlock: Callback<String>,
    pub onforget: Callback<()>,
    pub busy: bool,
}

#[component]
pub fn UnlockCard(props: &UnlockProps) -> Html {
    let passphrase = use_state(String::new);
    let confirm_forget = use_state(|| false);
    let unlock = {
        let passphrase = passphrase.clone();
        let onunlock = props.onunlock.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            onunlock.emit((*passphrase).clone());
            passphrase.set(String::new());
        })
    };
    let oninput = {
        let passphrase = passphrase.clone();
        Callback::from(move |e: InputEvent| passphrase.set(input_text(&e)))
    };
    let ask_forget = {
        let confirm_forget = confirm_forget.clone();
        Callback::from(move |_| confirm_forget.set(!*confirm_forget))
    };
    let forget = props.onforget.reform(|_: MouseEvent| ());
    let address = props.address.to_string();
    html! {
        <section class="card wide" aria-labelledby="unlock-title">
            <h2 id="unlock-title">{ "Unlock your wallet" }</h2>
            <p>{ "Wallet " }<code class="mono" title={address.clone()}>{ short(&address) }</code></p>
            <form onsubmit={unlock} class="stack">
                <label for="unlock-passphrase">{ "Passphrase" }</label>
                <input id="unlock-passphrase" type="password" autocomplete="current-password" autofocus=true
                    data-testid="passphrase" value={(*passphrase).clone()} {oninput} />
                <button class="btn primary" type="submit" data-testid="unlock" disabled={props.busy}>{ "Unlock" }</button>
            </form>
            <button class="btn link" onclick={ask_forget}>{ "Forget this wallet…" }</button>
            if *confirm_forget {
                <div class="stack warning" role="alert">
                    <p>{ "This removes the encrypted key from this browser. Without a backup file or the secret key, its coins are lost for good." }</p>
                    <button class="btn danger" onclick={forget}>{ "Forget it" }</button>
                </div>
            }
        </section>
    }
}

//! No wallet yet: create one, or import a secret key or a backup file.

use super::input_text;
use crate::wallet_file::MIN_PASSPHRASE_CHARS;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct SetupProps {
    /// Create a wallet under this passphrase (typed twice).
    pub oncreate: Callback<(String, String)>,
    /// Import (secret key hex, passphrase, passphrase again).
    pub onimportkey: Callback<(String, String, String)>,
    /// Import a backup file's text.
    pub onimportbackup: Callback<String>,
    pub busy: bool,
}

#[component]
pub fn SetupCard(props: &SetupProps) -> Html {
    let passphrase = use_state(String::new);
    let again = use_state(String::new);
    let secret = use_state(String::new);
    let import_passphrase = use_state(String::new);
    let import_again = use_state(String::new);

    let create = {
        let (passphrase, again) = (passphrase.clone(), again.clone());
        let oncreate = props.oncreate.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            oncreate.emit(((*passphrase).clone(), (*again).clone()));
        })
    };
    let import_key = {
        let secret = secret.clone();
        let (import_passphrase, import_again) = (import_passphrase.clone(), import_again.clone());
        let onimportkey = props.onimportkey.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            onimportkey.emit((
                (*secret).clone(),
                (*import_passphrase).clone(),
                (*import_again).clone(),
            ));
            secret.set(String::new());
        })
    };
    let differ = !again.is_empty() && *again != *passphrase;
    let import_backup = {
        let onimportbackup = props.onimportbackup.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let onimportbackup = onimportbackup.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(text) = JsFuture::from(file.text()).await {
                    onimportbackup.emit(text.as_string().unwrap_or_default());
                }
            });
            input.set_value("");
        })
    };
    let set = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(input_text(&e)))
    };

    html! {
        <section class="card wide" aria-labelledby="setup-title">
            <h2 id="setup-title">{ "Create your wallet" }</h2>
            <p>{ "The key is made in this tab from the browser's secure random numbers and stored here, encrypted under your passphrase. It never leaves the page." }</p>
            <form onsubmit={create} class="stack">
                <label for="new-passphrase">{ "Passphrase" }</label>
                <input id="new-passphrase" type="password" autocomplete="new-password"
                    data-testid="passphrase" value={(*passphrase).clone()} oninput={set(&passphrase)}
                    placeholder={format!("at least {MIN_PASSPHRASE_CHARS} characters")} />
                <label for="new-passphrase-again">{ "The same passphrase again" }</label>
                <input id="new-passphrase-again" type="password" autocomplete="new-password"
                    data-testid="passphrase-confirm" value={(*again).clone()} oninput={set(&again)}
                    aria-describedby="passphrase-hint" />
                if differ {
                    <p id="passphrase-hint" class="error-text" aria-live="polite">{ "The two passphrases differ." }</p>
                }
                <p class="muted">{ "Nobody can reset it: without the passphrase (and the backup file you will be asked to download next), the coins are lost." }</p>
                <button class="btn primary" type="submit" data-testid="create-wallet" disabled={props.busy}>
                    { "Create wallet" }
                </button>
            </form>
            <details>
                <summary>{ "Import an existing wallet" }</summary>
                <form onsubmit={import_key} class="stack">
                    <p class="warning">{ "Only paste a secret key on a device you trust. Anyone who sees it can spend its coins." }</p>
                    <label for="import-secret">{ "Secret key (64 hex characters)" }</label>
                    <input id="import-secret" type="password" autocomplete="off" spellcheck="false"
                        value={(*secret).clone()} oninput={set(&secret)} />
                    <label for="import-passphrase">{ "New passphrase for this browser" }</label>
                    <input id="import-passphrase" type="password" autocomplete="new-password"
                        value={(*import_passphrase).clone()} oninput={set(&import_passphrase)} />
                    <label for="import-passphrase-again">{ "The same passphrase again" }</label>
                    <input id="import-passphrase-again" type="password" autocomplete="new-password"
                        value={(*import_again).clone()} oninput={set(&import_again)} />
                    <button class="btn" type="submit" disabled={props.busy}>{ "Import secret key" }</button>
                </form>
                <div class="stack">
                    <label for="import-backup">{ "Or restore an encrypted backup file" }</label>
                    <input id="import-backup" type="file" accept="application/json,.json" onchange={import_backup} />
                </div>
            </details>
            <p class="muted" data-testid="second-wallet">{ "One wallet per browser profile: to try a second wallet (say, to send coins to yourself), open this page in a private window or in another browser profile." }</p>
        </section>
    }
}

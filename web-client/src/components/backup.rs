//! Backups: the encrypted file, and the secret key itself behind a warning.

use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct BackupProps {
    pub onexport: Callback<()>,
    /// Returns the secret key as hex, only when the user asks to see it.
    pub onreveal: Callback<(), String>,
    pub oncopy: Callback<String>,
}

#[component]
pub fn BackupCard(props: &BackupProps) -> Html {
    let warned = use_state(|| false);
    let secret = use_state(|| None::<String>);
    let warn = {
        let (warned, secret) = (warned.clone(), secret.clone());
        Callback::from(move |_| {
            warned.set(!*warned);
            secret.set(None);
        })
    };
    let reveal = {
        let (onreveal, secret) = (props.onreveal.clone(), secret.clone());
        Callback::from(move |_| secret.set(Some(onreveal.emit(()))))
    };
    let hide = {
        let (warned, secret) = (warned.clone(), secret.clone());
        Callback::from(move |_| {
            secret.set(None);
            warned.set(false);
        })
    };
    html! {
        <section class="card" aria-labelledby="backup-title">
            <h2 id="backup-title">{ "Backup" }</h2>
            <p>{ "The backup file holds the key encrypted under your passphrase; keep it with the passphrase somewhere safe." }</p>
            <button class="btn" onclick={props.onexport.reform(|_: MouseEvent| ())}>{ "Download encrypted backup" }</button>
            <button class="btn link" onclick={warn} aria-expanded={(*warned).to_string()}>{ "Show secret key…" }</button>
            if *warned {
                <div class="stack warning" role="alert">
                    <p><strong>{ "Warning: " }</strong>{ "anyone who sees this key can take every coin of this wallet, forever. Never paste it into a website or send it to anyone; this page never sends it anywhere." }</p>
                    if let Some(secret) = &*secret {
                        <code class="mono secret">{ secret.clone() }</code>
                        <div class="row">
                            <button class="btn small" onclick={{ let (oncopy, s) = (props.oncopy.clone(), secret.clone()); move |_| oncopy.emit(s.clone()) }}>{ "Copy" }</button>
                            <button class="btn small" onclick={hide}>{ "Hide" }</button>
                        </div>
                    } else {
                        <button class="btn danger" onclick={reveal}>{ "I understand, show it" }</button>
                    }
                </div>
            }
        </section>
    }
}

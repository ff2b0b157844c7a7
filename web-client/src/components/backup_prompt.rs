//! Right after a wallet is created: its backup, before anything else. The key exists
//! only in this browser's storage until then.

use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct BackupPromptProps {
    /// Download the encrypted backup file (then the wallet opens).
    pub ondownload: Callback<()>,
    /// Go on without a backup, knowingly.
    pub onskip: Callback<()>,
}

#[component]
pub fn BackupPrompt(props: &BackupPromptProps) -> Html {
    let confirm_skip = use_state(|| false);
    let ask_skip = {
        let confirm_skip = confirm_skip.clone();
        Callback::from(move |_| confirm_skip.set(true))
    };
    html! {
        <section class="card wide" aria-labelledby="backup-prompt-title" data-testid="backup-prompt">
            <h2 id="backup-prompt-title">{ "Back up your new wallet first" }</h2>
            <p>{ "Your key exists only in this browser's storage. Download the backup file now: it holds the key encrypted under your passphrase, and with it and the passphrase you can open this wallet on any browser." }</p>
            <div class="row">
                <button class="btn primary" data-testid="backup-download" autofocus=true
                    onclick={props.ondownload.reform(|_: MouseEvent| ())}>{ "Download encrypted backup" }</button>
                <button class="btn link" onclick={ask_skip}>{ "Skip for now…" }</button>
            </div>
            if *confirm_skip {
                <div class="stack warning" role="alert">
                    <p><strong>{ "Without a backup, " }</strong>{ "clearing this browser's data, a private window closing, or a lost device loses this wallet and every coin in it, for good. You can download the backup later from the Backup card." }</p>
                    <button class="btn danger" data-testid="backup-skip"
                        onclick={props.onskip.reform(|_: MouseEvent| ())}>{ "Skip the backup, I accept the risk" }</button>
                </div>
            }
        </section>
    }
}

//! The signature lab: sign a text with the wallet's key and check it, flip a
//! character and watch the check fail; then send the server transfers it must
//! refuse, and read its real answers.

use super::input_text;
use crate::state::{SigField, SigLab, Trial, TrialStep};
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct SigLabProps {
    pub lab: SigLab,
    /// Whether the wallet is unlocked (signing needs its key).
    pub unlocked: bool,
    pub onedit: Callback<SigField>,
    pub onsign: Callback<()>,
    pub onverify: Callback<()>,
    pub onfliptext: Callback<()>,
    pub onflipsignature: Callback<()>,
    pub ontrial: Callback<Trial>,
}

#[component]
pub fn SigLabCard(props: &SigLabProps) -> Html {
    let lab = &props.lab;
    let edit = |make: fn(String) -> SigField| {
        props
            .onedit
            .reform(move |e: InputEvent| make(input_text(&e)))
    };
    let click = |cb: &Callback<()>| cb.reform(|_: MouseEvent| ());
    let verdict = match &lab.verdict {
        None => html! {},
        Some(Ok(())) => html! {
            <p data-testid="sig-result" data-ok="true" class="ok-text">
                { "✔ Valid: this exact text was signed by the key of this address." }
            </p>
        },
        Some(Err(why)) => {
            html! { <p data-testid="sig-result" data-ok="false" class="error-text">{ format!("✘ {why}") }</p> }
        }
    };
    let trials = Trial::ALL.iter().map(|&trial| {
        trial_row(
            trial,
            lab.trials.get(&trial),
            &props.ontrial,
            props.unlocked,
        )
    });
    html! {
        <main class="grid">
            <section class="card wide" aria-labelledby="sig-title">
                <h2 id="sig-title">{ "Sign and verify" }</h2>
                <p class="muted">
                    { "Your wallet's " }<abbr title="secret key: 32 random bytes that never leave this tab">{ "secret key" }</abbr>
                    { " makes a " }<abbr title="Ed25519 signature: 64 bytes only the secret key can make for this exact message">{ "signature" }</abbr>
                    { " that anyone can check with your " }<abbr title="address: your public key, 32 bytes, derived from the secret key">{ "address" }</abbr>
                    { ". Change one character of the text or of the signature and the check fails. What is signed is “simplechain/text/v1:” followed by your text, so a text can never pass for a transfer." }
                </p>
                <label for="sig-message">{ "Text" }</label>
                <textarea id="sig-message" data-testid="sig-message" rows="2" value={lab.text.clone()}
                    oninput={edit(SigField::Text)} placeholder="I, the owner of this address, say hello." />
                <div class="row">
                    <button class="btn primary" data-testid="sig-sign" disabled={!props.unlocked} onclick={click(&props.onsign)}>{ "Sign with my key" }</button>
                    if !props.unlocked { <span class="muted">{ "Unlock your wallet to sign." }</span> }
                </div>
                <label for="sig-signature">{ "Signature (128 hex characters)" }</label>
                <input id="sig-signature" class="mono" data-testid="sig-signature" value={lab.signature.clone()} oninput={edit(SigField::Signature)} />
                <label for="sig-signer">{ "Signer's address" }</label>
                <input id="sig-signer" class="mono" data-testid="sig-signer" value={lab.signer.clone()} oninput={edit(SigField::Signer)} />
                <div class="row">
                    <button class="btn" data-testid="sig-verify" onclick={click(&props.onverify)}>{ "Verify" }</button>
                    <button class="btn small" data-testid="sig-flip-text" onclick={click(&props.onfliptext)}>{ "Change one letter of the text" }</button>
                    <button class="btn small" data-testid="sig-flip-signature" onclick={click(&props.onflipsignature)}>{ "Flip one bit of the signature" }</button>
                </div>
                { verdict }
            </section>
            <section class="card wide" aria-labelledby="trials-title">
                <h2 id="trials-title">{ "What the server refuses, and why" }</h2>
                <p class="muted">{ "Each button signs a real transfer in this tab and sends it to the real server, which must refuse it. Its answer is shown as it came." }</p>
                <ul class="trials">{ for trials }</ul>
            </section>
        </main>
    }
}

fn trial_row(
    trial: Trial,
    step: Option<&TrialStep>,
    ontrial: &Callback<Trial>,
    unlocked: bool,
) -> Html {
    let ontrial = ontrial.clone();
    let answer = match step {
        None => html! {},
        Some(TrialStep::Sent) => html! { <p class="muted">{ "Sent; waiting for the server…" }</p> },
        Some(TrialStep::FirstAccepted) => {
            html! { <p class="muted">{ "The first transfer was accepted; waiting for the answer to the second…" }</p> }
        }
        Some(step @ TrialStep::Refused { code, message }) => {
            let taught = step.taught(trial);
            html! {
                <p data-testid={format!("trial-{}-result", trial.key())} data-ok={taught.to_string()}
                    class={if taught { "ok-text" } else { "error-text" }}>
                    { format!("{} The server answered ERROR:{}:{message}", if taught { "✔ Refused." } else { "Refused, but not for the reason expected." }, code.as_str()) }
                </p>
            }
        }
        Some(TrialStep::Accepted) => html! {
            <p data-testid={format!("trial-{}-result", trial.key())} data-ok="false" class="error-text">
                { "The server accepted it. That should never happen: please report it." }
            </p>
        },
        Some(TrialStep::NotSent(why)) => html! {
            <p data-testid={format!("trial-{}-result", trial.key())} data-ok="false" class="muted">{ why.clone() }</p>
        },
    };
    html! {
        <li class="trial" data-testid="trial">
            <div class="row spread">
                <strong>{ trial.title() }</strong>
                <button class="btn small" data-testid={format!("trial-{}", trial.key())} disabled={!unlocked}
                    onclick={move |_| ontrial.emit(trial)}>{ "Try it" }</button>
            </div>
            <p class="muted">{ trial.why() }</p>
            { answer }
        </li>
    }
}

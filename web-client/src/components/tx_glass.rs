//! A transaction checked in this tab: the exact message its sender signed, its txid
//! recomputed from that message, and its signature verified by `core` (strict
//! Ed25519) for this chain id.

use super::glossary::{Term, term_lower};
use simplechain_core::{ChainId, Transaction, TxId};
use yew::prelude::*;

/// The glass box of a transaction the server described with `txid`.
pub fn tx_glass(tx: &Transaction, chain: ChainId, txid: TxId) -> Html {
    let message = tx.message(&chain);
    let computed = message.txid();
    let same = computed == txid;
    let verified = tx.verify_message(&message);
    let signature_ok = verified.is_ok();
    html! {
        <div class="glass" data-testid="tx-glass">
            <h4>{ "Checked in this tab" }</h4>
            <p class="muted">
                { "The signed message (its SHA-256 is the " }{ term_lower(Term::Txid, "txid") }
                { "; the " }{ term_lower(Term::ChainId, "chain id") }{ " comes first):" }
            </p>
            <pre class="mono message" data-testid="tx-message">{ message.as_str().to_string() }</pre>
            <dl class="fields">
                <dt>{ "Txid here" }</dt>
                <dd class="mono" data-testid="txid-check" data-match={same.to_string()}>
                    { computed.to_string() }
                    <span class={classes!(if same { "ok-text" } else { "error-text" })}>
                        { if same { " ✔ matches" } else { " ✘ differs from the server's txid" } }
                    </span>
                </dd>
                <dt>{ term_lower(Term::Signature, "Signature") }</dt>
                <dd data-testid="sig-check" data-ok={signature_ok.to_string()}
                    class={classes!(if signature_ok { "ok-text" } else { "error-text" })}>
                    { match verified {
                        Ok(()) => "✔ verified here: the sender's key signed exactly this message".to_string(),
                        Err(error) => format!("✘ {error}"),
                    } }
                </dd>
            </dl>
        </div>
    }
}

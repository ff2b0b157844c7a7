//! The developer corner: measurements for people working on the wallet, kept out of
//! the learner's way.

use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct DeveloperProps {
    /// Measures in-tab signing; returns a sentence with the result.
    pub onbench: Callback<(), String>,
}

#[component]
pub fn DeveloperCorner(props: &DeveloperProps) -> Html {
    let bench = use_state(|| None::<String>);
    let run_bench = {
        let (bench, onbench) = (bench.clone(), props.onbench.clone());
        Callback::from(move |_| bench.set(Some(onbench.emit(()))))
    };
    html! {
        <details class="card wide developer" data-testid="developer-corner">
            <summary>{ "Developer corner" }</summary>
            <p class="muted">{ "How fast this tab signs a transfer (Ed25519 compiled to WebAssembly)." }</p>
            <div class="row">
                <button class="btn small" data-testid="sign-bench" onclick={run_bench}>{ "Measure signing speed" }</button>
                if let Some(b) = &*bench { <span data-testid="sign-bench-result" class="muted">{ b.clone() }</span> }
            </div>
        </details>
    }
}

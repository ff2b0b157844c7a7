//! The mining Web Worker (trunk builds it with `data-type="worker"`): answers each
//! slice line from the page with its report line (`simplechain_miner`), after saying
//! `ready` once its wasm is loaded (a message sent before that would be lost).

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let answer = match event.data().as_string() {
            Some(line) => simplechain_miner::answer(&line, js_sys::Date::now),
            None => "error the mining worker takes text lines only".to_string(),
        };
        let _ = reply.post_message(&answer.into());
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    let _ = scope.post_message(&simplechain_miner::READY.into());
}

/// The worker only runs in a browser; natively, `cargo test` checks its library.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("simplechain-miner is the wallet's mining Web Worker: trunk builds it");
}

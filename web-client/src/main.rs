//! The wallet page's entry point; trunk builds this for `wasm32-unknown-unknown`.

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<simplechain_wallet::app::App>::new().render();
}

/// The page only runs in a browser; natively there is nothing to start (the state
/// logic is tested with `cargo test -p simplechain-wallet`).
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "simplechain-wallet runs in a browser: build it with trunk (scripts/build-wallet.sh)"
    );
}

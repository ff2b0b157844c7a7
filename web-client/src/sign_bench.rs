//! How long signing a transfer takes in this tab (issue 5's in-browser figure).

use ed25519_dalek::SigningKey;
use simplechain_core::{Address, ChainId, Transaction};

/// Signs `samples` transfers with a throwaway key and returns the median and the
/// fastest time of one signature, in milliseconds.
pub fn measure(samples: usize) -> Option<(f64, f64)> {
    let performance = web_sys::window()?.performance()?;
    let key = SigningKey::from_bytes(&[42; 32]);
    let chain = ChainId::from_bytes([1; 32]);
    let receiver = Address::from_bytes([2; 32]);
    let mut times = Vec::with_capacity(samples);
    for nonce in 0..samples as u64 {
        let start = performance.now();
        let tx = Transaction::sign(&key, &chain, receiver, 1, nonce);
        times.push(performance.now() - start);
        std::hint::black_box(tx);
    }
    times.sort_by(f64::total_cmp);
    Some((times[times.len() / 2], times[0]))
}

/// A sentence with the measurement.
pub fn report() -> String {
    const SAMPLES: usize = 501;
    match measure(SAMPLES) {
        Some((median, fastest)) => format!(
            "signing: median {median:.3} ms, fastest {fastest:.3} ms over {SAMPLES} signatures"
        ),
        None => "this browser has no timer".into(),
    }
}

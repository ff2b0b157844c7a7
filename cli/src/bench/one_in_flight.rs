//! The "1 in flight" phase: one connection, one `ADD_TRANSACTION` at a time, each sent
//! when the last was answered. What a wallet, a script or `simplechain send` feels:
//! the latency of one durable acknowledgement, with nothing to share it with.

use super::load::{self, Outcome, Plan};

/// Sends `count` pre-signed transfers over one connection, one at a time.
pub async fn measure(address: &str, plan: &mut Plan, count: usize) -> anyhow::Result<Outcome> {
    // Each sender's transfers stay in nonce order: `take` keeps them in order within
    // their connection, and the connections' lines are joined one after the other.
    let lines: Vec<String> = plan.take(count).into_iter().flatten().collect();
    load::ingest_tcp(address, vec![lines], 1, None).await
}

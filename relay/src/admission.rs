//! Connections per client address: a client (one IP address) may hold at most so many
//! connections at once, so that one client cannot take every slot.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Counts open connections per address, up to a limit each.
#[derive(Debug)]
pub struct PerAddress {
    counts: Mutex<HashMap<IpAddr, usize>>,
    /// Most connections one address may hold at once.
    limit: usize,
}

/// One connection of one address; dropping it frees the slot.
#[derive(Debug)]
pub struct AddressSlot {
    owner: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    /// At most `limit` connections per address.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(PerAddress {
            counts: Mutex::new(HashMap::new()),
            limit,
        })
    }

    /// A slot for `ip`, or `None` when it already holds the limit.
    pub fn try_take(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let ip = ip.to_canonical();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(ip).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            owner: self.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_gets_the_limit_and_others_are_separate() {
        let per = PerAddress::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = per.try_take(a).unwrap();
        let _s2 = per.try_take(a).unwrap();
        assert!(per.try_take(a).is_none());
        assert!(per.try_take(b).is_some());
        drop(s1);
        assert!(per.try_take(a).is_some());
    }
}

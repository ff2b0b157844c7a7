//! Keeps the relay's own answers in request order.
//!
//! The relay answers a message it refuses (one containing a newline) itself, but the
//! browser matches responses to requests by their order (PROTOCOL §1). So a refusal
//! may be sent only once every request forwarded before it has had its response: it
//! waits in a slot behind them. Event lines (`EVENT:…`) answer nothing and pass freely;
//! every other server line answers the oldest forwarded request.
//!
//! Refusals count with the forwarded requests against the limit of requests in
//! flight, and a waiting refusal holds no text (they are all the same answer), so a
//! browser sending refused messages holds a bounded, small amount of memory.

use std::collections::VecDeque;

/// One request the browser sent, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Forwarded to the server; its response is still to come.
    Forwarded,
    /// Refused by the relay: its answer is to be sent in its turn.
    Refused,
}

/// Too many requests are in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany;

/// The browser's requests whose answers have not been sent yet.
#[derive(Debug, Default)]
pub struct ReplyOrder {
    slots: VecDeque<Slot>,
}

impl ReplyOrder {
    /// How many unanswered requests (forwarded or refused) a browser may have.
    pub const MAX_IN_FLIGHT: usize = 4096;

    /// Records a forwarded request.
    pub fn forward(&mut self) -> Result<(), TooMany> {
        if self.slots.len() >= Self::MAX_IN_FLIGHT {
            return Err(TooMany);
        }
        self.slots.push_back(Slot::Forwarded);
        Ok(())
    }

    /// Records a refused request: `Ok(true)` when its answer can be sent now (nothing
    /// is in flight before it); `Ok(false)` when it waits for its turn.
    pub fn refuse(&mut self) -> Result<bool, TooMany> {
        if self.slots.is_empty() {
            return Ok(true);
        }
        if self.slots.len() >= Self::MAX_IN_FLIGHT {
            return Err(TooMany);
        }
        self.slots.push_back(Slot::Refused);
        Ok(false)
    }

    /// A response arrived from the server. Returns how many of the relay's own
    /// refusals were waiting for it, to be sent right after it.
    pub fn response(&mut self) -> usize {
        if let Some(Slot::Forwarded) = self.slots.front() {
            self.slots.pop_front();
        }
        let mut ready = 0;
        while let Some(Slot::Refused) = self.slots.front() {
            self.slots.pop_front();
            ready += 1;
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_with_nothing_in_flight_is_sent_at_once() {
        let mut order = ReplyOrder::default();
        assert_eq!(order.refuse(), Ok(true));
    }

    #[test]
    fn a_refusal_waits_for_the_responses_before_it() {
        let mut order = ReplyOrder::default();
        order.forward().unwrap();
        order.forward().unwrap();
        assert_eq!(order.refuse(), Ok(false));
        order.forward().unwrap();
        assert_eq!(order.refuse(), Ok(false));
        assert_eq!(order.response(), 0);
        assert_eq!(order.response(), 1);
        assert_eq!(order.response(), 1);
        assert_eq!(order.refuse(), Ok(true));
    }

    #[test]
    fn in_flight_is_bounded_and_refusals_count() {
        let mut order = ReplyOrder::default();
        order.forward().unwrap();
        for _ in 1..ReplyOrder::MAX_IN_FLIGHT {
            assert_eq!(order.refuse(), Ok(false));
        }
        assert_eq!(order.refuse(), Err(TooMany));
        assert_eq!(order.forward(), Err(TooMany));
    }
}

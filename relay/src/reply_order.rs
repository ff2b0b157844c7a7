//! Keeps the relay's own answers in request order.
//!
//! The relay answers a message it refuses (one containing a newline) itself, but the
//! browser matches responses to requests by their order (PROTOCOL §1). So a refusal
//! may be sent only once every request forwarded before it has had its response: it
//! waits in a slot behind them. Event lines (`EVENT:…`) answer nothing and pass freely;
//! every other server line answers the oldest forwarded request.

use std::collections::VecDeque;

/// One request the browser sent, in order.
#[derive(Debug)]
enum Slot {
    /// Forwarded to the server; its response is still to come.
    Forwarded,
    /// Answered by the relay: the answer, to be sent in its turn.
    Refused(String),
}

/// The browser's requests whose answers have not been sent yet.
#[derive(Debug, Default)]
pub struct ReplyOrder {
    slots: VecDeque<Slot>,
}

impl ReplyOrder {
    /// How many unanswered requests a browser may have in flight.
    pub const MAX_IN_FLIGHT: usize = 65_536;

    /// Records a forwarded request; `false` when too many are in flight.
    pub fn forward(&mut self) -> bool {
        if self.slots.len() >= Self::MAX_IN_FLIGHT {
            return false;
        }
        self.slots.push_back(Slot::Forwarded);
        true
    }

    /// Records a refused request. Returns the answer when it can be sent now (nothing
    /// is in flight before it); otherwise it is kept until its turn.
    pub fn refuse(&mut self, answer: String) -> Option<String> {
        if self.slots.is_empty() {
            Some(answer)
        } else {
            self.slots.push_back(Slot::Refused(answer));
            None
        }
    }

    /// A response arrived from the server. Returns the relay's own answers that were
    /// waiting for it, to be sent right after it.
    pub fn response(&mut self) -> Vec<String> {
        if let Some(Slot::Forwarded) = self.slots.front() {
            self.slots.pop_front();
        }
        let mut ready = Vec::new();
        while let Some(Slot::Refused(_)) = self.slots.front() {
            if let Some(Slot::Refused(answer)) = self.slots.pop_front() {
                ready.push(answer);
            }
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::ReplyOrder;

    #[test]
    fn a_refusal_with_nothing_in_flight_is_sent_at_once() {
        let mut order = ReplyOrder::default();
        assert_eq!(order.refuse("no".into()), Some("no".into()));
    }

    #[test]
    fn a_refusal_waits_for_the_responses_before_it() {
        let mut order = ReplyOrder::default();
        assert!(order.forward());
        assert!(order.forward());
        assert_eq!(order.refuse("r1".into()), None);
        assert!(order.forward());
        assert_eq!(order.refuse("r2".into()), None);
        assert!(order.response().is_empty());
        assert_eq!(order.response(), vec!["r1".to_string()]);
        assert_eq!(order.response(), vec!["r2".to_string()]);
        assert_eq!(order.refuse("r3".into()), Some("r3".into()));
    }

    #[test]
    fn in_flight_is_bounded() {
        let mut order = ReplyOrder::default();
        for _ in 0..ReplyOrder::MAX_IN_FLIGHT {
            assert!(order.forward());
        }
        assert!(!order.forward());
    }
}

//! The page's tick: `Action::Tick` with the time, every `State`-chosen interval
//! ([`crate::state::tick_ms`]: at most 2 s, and under a third of the server's idle
//! timeout), so that a tab left open stays connected and live.

use crate::state::{Action, State, tick_ms};
use gloo_timers::callback::Interval;
use yew::prelude::*;

/// Dispatches `Action::Tick(now)` every [`tick_ms`] of the server's idle timeout.
#[hook]
pub fn use_tick(state: &UseReducerHandle<State>) {
    let every = tick_ms(state.info.as_ref().and_then(|i| i.idle_timeout_secs));
    let dispatcher = state.dispatcher();
    use_effect_with(every, move |&every| {
        let tick = move || dispatcher.dispatch(Action::Tick(js_sys::Date::now() as u64));
        tick();
        let interval = Interval::new(every, tick);
        move || drop(interval)
    });
}

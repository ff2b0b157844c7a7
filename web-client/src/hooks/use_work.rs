//! The tab's heavy work in slices: while the state has work waiting
//! ([`State::has_work`]: a chain to replay, a block to re-mine), one `Action::Work`
//! after each render, from a zero-delay timer, so the browser paints and handles
//! input between slices and the page never freezes.

use crate::state::{Action, State};
use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// Schedules the next slice of work after every slice, while there is work.
#[hook]
pub fn use_work(state: &UseReducerHandle<State>) {
    let due = state.has_work();
    let dispatcher = state.dispatcher();
    use_effect_with((due, state.slices), move |&(due, _)| {
        let next = due.then(|| {
            Timeout::new(0, move || {
                dispatcher.dispatch(Action::Work(js_sys::Date::now()));
            })
        });
        move || drop(next)
    });
}

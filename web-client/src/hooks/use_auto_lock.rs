//! Locks the wallet after a while without a key press or a pointer press.

use crate::state::{Action, State};
use std::cell::Cell;
use std::rc::Rc;
use yew::prelude::*;

/// Inactivity before the key is forgotten: five minutes.
pub const AUTO_LOCK_MS: f64 = 5.0 * 60.0 * 1000.0;

fn now() -> f64 {
    js_sys::Date::now()
}

/// Returns the callback to call on every user activity; while `unlocked`, the
/// wallet is locked once none has happened for [`AUTO_LOCK_MS`].
#[hook]
pub fn use_auto_lock(unlocked: bool, dispatch: UseReducerDispatcher<State>) -> Callback<()> {
    let last = use_mut_ref(|| Rc::new(Cell::new(now())));
    let last = last.borrow().clone();
    {
        let last = last.clone();
        use_effect_with(unlocked, move |&unlocked| {
            last.set(now());
            let interval = unlocked.then(|| {
                gloo_timers::callback::Interval::new(5_000, move || {
                    if now() - last.get() > AUTO_LOCK_MS {
                        dispatch.dispatch(Action::Lock);
                    }
                })
            });
            move || drop(interval)
        });
    }
    Callback::from(move |()| last.set(now()))
}

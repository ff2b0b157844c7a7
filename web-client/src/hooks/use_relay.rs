//! The WebSocket to the relay: opened on mount, reopened with backoff whenever it
//! drops, and fed from the state's outbox.
//!
//! The reducer decides what to send ([`State::outbox`]); this hook only moves lines.
//! One task per connection reads messages and writes queued lines; the connection's
//! sender is swapped in when it opens and out when it closes, so a line is never sent
//! on a socket other than the one its answer will come back on.

use crate::state::{Action, State};
use futures::channel::mpsc;
use futures::{FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State as SocketState};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use yew::prelude::*;

type Sender = Rc<RefCell<Option<mpsc::UnboundedSender<String>>>>;

/// `ws(s)://<page host>/ws`.
pub fn relay_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let secure = location
        .and_then(|l| l.protocol().ok())
        .is_some_and(|p| p == "https:");
    format!("{}://{host}/ws", if secure { "wss" } else { "ws" })
}

/// Keeps the socket open and sends whatever the reducer queues.
#[hook]
pub fn use_relay(state: &UseReducerHandle<State>) {
    let sender: Sender = use_mut_ref(|| None);
    {
        let sender = sender.clone();
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let stop = Rc::new(Cell::new(false));
            wasm_bindgen_futures::spawn_local(keep_connected(
                relay_url(),
                dispatcher,
                sender,
                stop.clone(),
            ));
            move || stop.set(true)
        });
    }
    {
        let state = state.clone();
        use_effect_with((state.next_seq, state.link), move |_| {
            flush(&state, &sender);
        });
    }
}

/// Sends the outbox on the open socket and trims it.
fn flush(state: &UseReducerHandle<State>, sender: &Sender) {
    let Some(last) = state.outbox.last().map(|(seq, _)| *seq) else {
        return;
    };
    let Some(tx) = sender.borrow().clone() else {
        return;
    };
    for (_, line) in &state.outbox {
        if tx.unbounded_send(line.clone()).is_err() {
            return;
        }
    }
    state.dispatch(Action::Sent(last + 1));
}

/// Milliseconds to wait after `failures` failed attempts in a row.
fn backoff(failures: u32) -> u32 {
    (500u32 << failures.min(4)).min(8_000)
}

async fn keep_connected(
    url: String,
    dispatch: UseReducerDispatcher<State>,
    sender: Sender,
    stop: Rc<Cell<bool>>,
) {
    let mut failures = 0u32;
    while !stop.get() {
        if let Ok(mut ws) = WebSocket::open(&url) {
            // The sink is ready once the socket has opened or failed.
            let ready = futures::future::poll_fn(|cx| ws.poll_ready_unpin(cx)).await;
            if ready.is_ok() && matches!(ws.state(), SocketState::Open) {
                failures = 0;
                let (tx, rx) = mpsc::unbounded();
                *sender.borrow_mut() = Some(tx);
                dispatch.dispatch(Action::Connected);
                serve(ws, rx, &dispatch, &stop).await;
                *sender.borrow_mut() = None;
            }
        }
        if stop.get() {
            return;
        }
        failures = failures.saturating_add(1);
        dispatch.dispatch(Action::Disconnected);
        gloo_timers::future::TimeoutFuture::new(backoff(failures)).await;
    }
}

/// Moves messages both ways until the socket closes.
async fn serve(
    mut ws: WebSocket,
    mut lines: mpsc::UnboundedReceiver<String>,
    dispatch: &UseReducerDispatcher<State>,
    stop: &Cell<bool>,
) {
    loop {
        futures::select! {
            message = ws.next().fuse() => match message {
                Some(Ok(Message::Text(line))) => dispatch.dispatch(Action::Line(line)),
                Some(Ok(Message::Bytes(_))) => {}
                Some(Err(_)) | None => return,
            },
            line = lines.next() => match line {
                Some(line) => {
                    if ws.send(Message::Text(line)).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
        }
        if stop.get() {
            let _ = ws.close(Some(1000), Some("page closed"));
            return;
        }
    }
}

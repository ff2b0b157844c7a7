//! The mining Web Workers: started when mining starts (their wasm loads only then),
//! each fed one slice of nonces at a time, and terminated when mining stops.
//!
//! The reducer says what to search ([`Mining`]: the template, its job number, the
//! number of workers and the cap); this hook only moves slices and reports. Each
//! worker has its own nonce range. A slice lasts about [`SLICE_MS`] at the worker's
//! speed; under a hash-rate cap, the next slice waits until the worker's share of
//! the cap allows it. Reports of an old job are ignored, and a found block stops the
//! worker until the next template.

use crate::state::{Action, MineRun, Mining, State};
use gloo_timers::callback::Timeout;
use simplechain_core::BlockHeader;
use simplechain_miner::{READY, Report, Slice};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{MessageEvent, Worker};
use yew::prelude::*;

/// The worker script trunk writes next to the page (`data-loader-shim`).
const WORKER_SCRIPT: &str = "simplechain-miner_loader.js";
/// How long one slice should take, in milliseconds: long enough that messages cost
/// nothing, short enough that a new template or a stop is seen at once.
const SLICE_MS: f64 = 100.0;
/// The first slice, before a worker's speed is known.
const FIRST_SLICE: u64 = 20_000;

/// What the workers search now.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Job {
    id: u64,
    header: BlockHeader,
    /// Hashes per second allowed to each worker (`None`: no cap).
    cap_each: Option<f64>,
}

struct Slot {
    worker: Worker,
    /// Keeps the message and error handlers alive as long as the worker.
    _handlers: Handlers,
    ready: bool,
    busy: bool,
    /// The job of the slice out (or last sent).
    job: u64,
    /// The next nonce to try.
    next: u64,
    /// Nonces per slice.
    count: u64,
    /// When the slice out was sent (milliseconds, `Date.now()`).
    sent_at: f64,
    /// The pause before the next slice, under a cap.
    wait: Option<Timeout>,
}

#[derive(Default)]
struct Pool {
    slots: Vec<Slot>,
    job: Option<Job>,
    dispatch: Option<UseReducerDispatcher<State>>,
}

type Shared = Rc<RefCell<Pool>>;
/// A worker's message and error handlers.
type Handlers = (
    Closure<dyn Fn(MessageEvent)>,
    Closure<dyn Fn(web_sys::Event)>,
);

impl Drop for Pool {
    fn drop(&mut self) {
        for slot in &self.slots {
            slot.worker.terminate();
        }
    }
}

/// Runs as many workers as [`Mining::threads`] while mining is on.
#[hook]
pub fn use_miners(state: &UseReducerHandle<State>) {
    let pool: Shared = use_mut_ref(Pool::default);
    pool.borrow_mut().dispatch = Some(state.dispatcher());
    let mining = &state.mining;
    let job = job_of(mining);
    let running = mining.run != MineRun::Off;
    let threads = mining.threads as usize;
    use_effect_with((running, threads, job), move |&(running, threads, job)| {
        update(&pool, running, threads, job);
    });
}

fn job_of(mining: &Mining) -> Option<Job> {
    let template = mining.template.as_ref().filter(|_| mining.searching())?;
    Some(Job {
        id: mining.job,
        header: template.header(0),
        cap_each: mining
            .cap
            .map(|c| c as f64 / f64::from(mining.threads.max(1))),
    })
}

fn update(pool: &Shared, running: bool, threads: usize, job: Option<Job>) {
    let mut p = pool.borrow_mut();
    if !running {
        for slot in p.slots.drain(..) {
            slot.worker.terminate();
        }
        p.job = None;
        return;
    }
    while p.slots.len() > threads {
        if let Some(slot) = p.slots.pop() {
            slot.worker.terminate();
        }
    }
    let created = p.slots.len() < threads;
    while p.slots.len() < threads {
        let index = p.slots.len();
        match start_worker(Rc::downgrade(pool), index) {
            Some(slot) => p.slots.push(slot),
            None => {
                let dispatch = p.dispatch.clone();
                drop(p);
                if let Some(d) = dispatch {
                    d.dispatch(Action::MinerFailed);
                }
                return;
            }
        }
    }
    let new_job = job.map(|j| j.id) != p.job.map(|j| j.id);
    p.job = job;
    if (new_job || created)
        && let Some(job) = job
    {
        // Each worker gets its own stretch of nonces, from a random offset so that two
        // tabs of one wallet do not repeat each other's work.
        let stride = u64::MAX / threads.max(1) as u64;
        let offset = (js_sys::Math::random() * (1u64 << 40) as f64) as u64;
        for (i, slot) in p.slots.iter_mut().enumerate() {
            slot.next = stride * i as u64 + offset;
            slot.job = job.id;
            slot.wait = None;
        }
    }
    drop(p);
    for i in 0..threads {
        send(pool, i);
    }
}

fn start_worker(pool: Weak<RefCell<Pool>>, index: usize) -> Option<Slot> {
    let worker = Worker::new(WORKER_SCRIPT).ok()?;
    let onmessage = {
        let pool = pool.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            if let (Some(pool), Some(line)) = (pool.upgrade(), event.data().as_string()) {
                received(&pool, index, &line);
            }
        })
    };
    let onerror = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        event.prevent_default();
        if let Some(pool) = pool.upgrade() {
            failed(&pool);
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    Some(Slot {
        worker,
        _handlers: (onmessage, onerror),
        ready: false,
        busy: false,
        job: 0,
        next: 0,
        count: FIRST_SLICE,
        sent_at: 0.0,
        wait: None,
    })
}

fn failed(pool: &Shared) {
    let dispatch = pool.borrow().dispatch.clone();
    if let Some(d) = dispatch {
        d.dispatch(Action::MinerFailed);
    }
}

/// A line from worker `index`.
fn received(pool: &Shared, index: usize, line: &str) {
    if line == READY {
        if let Some(slot) = pool.borrow_mut().slots.get_mut(index) {
            slot.ready = true;
        }
        return send(pool, index);
    }
    let Ok(report) = Report::decode(line) else {
        return failed(pool);
    };
    let now = js_sys::Date::now();
    let (wall_ms, dispatch, pause) = {
        let mut p = pool.borrow_mut();
        let cap_each = p.job.and_then(|j| j.cap_each);
        let Some(slot) = p.slots.get_mut(index) else {
            return;
        };
        slot.busy = false;
        if report.found.is_some() && report.job == slot.job {
            // This job is done; the worker waits for the next template.
            slot.job = 0;
        }
        let wall_ms = now - slot.sent_at;
        if report.busy_ms > 0 {
            let per_ms = report.tried as f64 / report.busy_ms as f64;
            slot.count = ((per_ms * SLICE_MS) as u64).clamp(1_000, 50_000_000);
        } else {
            slot.count = slot.count.saturating_mul(2).min(50_000_000);
        }
        // Under a cap, the slice's hashes must take at least tried / cap seconds.
        let pause = cap_each.map_or(0.0, |cap| report.tried as f64 * 1000.0 / cap - wall_ms);
        (wall_ms, p.dispatch.clone(), pause)
    };
    if let Some(d) = dispatch {
        d.dispatch(Action::MinerReport {
            worker: index,
            report,
            wall_ms,
            at_ms: now as u64,
        });
    }
    if pause >= 1.0 {
        let later = Rc::downgrade(pool);
        let timeout = Timeout::new(pause as u32, move || {
            if let Some(pool) = later.upgrade() {
                if let Some(slot) = pool.borrow_mut().slots.get_mut(index) {
                    slot.wait = None;
                }
                send(&pool, index);
            }
        });
        if let Some(slot) = pool.borrow_mut().slots.get_mut(index) {
            slot.wait = Some(timeout);
        }
    } else {
        send(pool, index);
    }
}

/// Sends worker `index` its next slice, if it is ready, idle, not pausing, and its
/// job still stands (a found block waits for the next template).
fn send(pool: &Shared, index: usize) {
    let mut p = pool.borrow_mut();
    let Some(job) = p.job else {
        return;
    };
    let Some(slot) = p.slots.get_mut(index) else {
        return;
    };
    if !slot.ready || slot.busy || slot.wait.is_some() {
        return;
    }
    if slot.job != job.id {
        return;
    }
    let mut count = slot.count;
    if let Some(cap) = job.cap_each {
        count = count.min(((cap * SLICE_MS / 1000.0) as u64).max(1));
    }
    let slice = Slice {
        job: job.id,
        start: slot.next,
        count,
        header: job.header,
    };
    if slot.worker.post_message(&slice.encode().into()).is_ok() {
        slot.busy = true;
        slot.sent_at = js_sys::Date::now();
        slot.next = slot.next.saturating_add(count);
    }
}

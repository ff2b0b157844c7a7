//! The quests: missions in a learning order, each with a hint, marked done from what
//! the chain and the server said.

use crate::state::Quest;
use std::collections::BTreeSet;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct QuestsProps {
    pub done: BTreeSet<Quest>,
}

#[component]
pub fn QuestsCard(props: &QuestsProps) -> Html {
    let items = Quest::ALL.iter().enumerate().map(|(i, &quest)| {
        let done = props.done.contains(&quest);
        html! {
            <li class={classes!("quest", done.then_some("done"))} data-testid="quest"
                data-quest={quest.key()} data-done={done.to_string()}>
                <span class="mark" aria-hidden="true">{ if done { "✔" } else { "○" } }</span>
                <div>
                    <strong>{ format!("{}. {}", i + 1, quest.title()) }</strong>
                    <span class="sr-only">{ if done { " (done)" } else { " (not done yet)" } }</span>
                    <p class="muted">{ quest.hint() }</p>
                </div>
            </li>
        }
    });
    html! {
        <main class="grid">
            <section class="card wide" aria-labelledby="quests-title">
                <div class="row spread">
                    <h2 id="quests-title">{ "Quests" }</h2>
                    <span class="badge ok" data-testid="quests-done">{ format!("{} of {} done", props.done.len(), Quest::ALL.len()) }</span>
                </div>
                <p class="muted">
                    { "Missions in the order that explains the most. Each is marked done by what the real server answers, never by a click. docs/LEARN.md walks the same path, with the CLI commands that do the same." }
                </p>
                <ol class="quests">{ for items }</ol>
            </section>
        </main>
    }
}

//! The title bar: what this is and whether it is connected.

use crate::state::Link;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct HeaderProps {
    pub link: Link,
}

#[component]
pub fn Header(props: &HeaderProps) -> Html {
    let class = match props.link {
        Link::Connected => "badge ok",
        Link::Connecting => "badge wait",
        Link::Reconnecting { .. } => "badge bad",
    };
    html! {
        <header class="top">
            <h1>{ "SimpleBlockchain wallet" }</h1>
            <span class={class} role="status" aria-live="polite" aria-label="connection"
                data-testid="connection">{ props.link.label() }</span>
        </header>
    }
}

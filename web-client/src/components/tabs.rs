//! The tab bar: one button per section of the page, the open one marked.

use crate::state::Section;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct TabsProps {
    pub open: Section,
    pub onopen: Callback<Section>,
}

#[component]
pub fn Tabs(props: &TabsProps) -> Html {
    let tabs = Section::ALL.iter().map(|&section| {
        let onopen = props.onopen.clone();
        let selected = section == props.open;
        html! {
            <button role="tab" class={classes!("tab", selected.then_some("open"))}
                aria-selected={selected.to_string()} data-testid={section.testid()}
                onclick={move |_| onopen.emit(section)}>{ section.title() }</button>
        }
    });
    html! {
        <nav class="tabs" role="tablist" aria-label="Sections">{ for tabs }</nav>
    }
}

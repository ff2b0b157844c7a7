//! The error banner and the busy notice.

use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct NoticesProps {
    pub error: Option<AttrValue>,
    pub busy: Option<AttrValue>,
    pub ondismiss: Callback<()>,
}

#[component]
pub fn Notices(props: &NoticesProps) -> Html {
    let dismiss = props.ondismiss.reform(|_: MouseEvent| ());
    html! {
        <>
            if let Some(busy) = &props.busy {
                <div class="notice busy" role="status" aria-live="polite">{ busy.clone() }</div>
            }
            if let Some(error) = &props.error {
                <div class="notice error" role="alert">
                    <span data-testid="error">{ error.clone() }</span>
                    <button class="btn small" onclick={dismiss} aria-label="Dismiss the message">{ "Dismiss" }</button>
                </div>
            }
        </>
    }
}

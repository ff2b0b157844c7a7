//! The error banner, the busy notice and the coins-received notice.

use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct NoticesProps {
    pub error: Option<AttrValue>,
    pub busy: Option<AttrValue>,
    /// Coins arrived (`data-testid="received"`).
    pub received: Option<AttrValue>,
    pub ondismiss: Callback<()>,
    pub ondismissreceived: Callback<()>,
}

#[component]
pub fn Notices(props: &NoticesProps) -> Html {
    let dismiss = props.ondismiss.reform(|_: MouseEvent| ());
    html! {
        <>
            if let Some(busy) = &props.busy {
                <div class="notice busy" role="status" aria-live="polite">{ busy.clone() }</div>
            }
            if let Some(received) = &props.received {
                <div class="notice ok" role="status" aria-live="polite">
                    <span data-testid="received">{ received.clone() }</span>
                    <button class="btn small" onclick={props.ondismissreceived.reform(|_: MouseEvent| ())}
                        aria-label="Dismiss the notice">{ "OK" }</button>
                </div>
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

//! Small browser services outside the key's cryptography: the clipboard, a file
//! download, and [`JsCause`], a JavaScript exception kept as an error's cause.

use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// A JavaScript exception (or rejected promise) kept as the cause of one of the
/// wallet's errors. Its text is the browser's; the wallet's sentence is the error's.
#[derive(Debug, Clone)]
pub struct JsCause(pub JsValue);

impl fmt::Display for JsCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.dyn_ref::<js_sys::Error>(), self.0.as_string()) {
            (Some(error), _) => write!(f, "{}", String::from(error.message())),
            (None, Some(text)) => f.write_str(&text),
            (None, None) => f.write_str("a JavaScript exception"),
        }
    }
}

impl std::error::Error for JsCause {}

/// Copies `text` to the clipboard.
pub fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// Offers `text` as a file download; `None` if the browser refused.
pub fn download(name: &str, text: &str) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let anchor: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Some(())
}

/// The browser's logical cores (`navigator.hardwareConcurrency`), at least 1.
pub fn cores() -> u32 {
    web_sys::window().map_or(1, |w| w.navigator().hardware_concurrency().max(1.0) as u32)
}

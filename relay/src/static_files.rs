//! The wallet's static files, served from the web root on every path but `/ws`.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};

/// The content type for a file name, by its extension.
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("ico") => "image/x-icon",
        Some("webmanifest") => "application/manifest+json",
        Some("woff2") => "font/woff2",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `root` that `uri` names, or `None` when the path tries to leave the
/// root or names a hidden file. `/` and directories mean their `index.html`.
pub fn resolve(root: &Path, uri_path: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for segment in uri_path.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['\\', '\0', '%']) {
            return None;
        }
        path.push(segment);
    }
    if uri_path.ends_with('/') || path == root {
        path.push("index.html");
    }
    Some(path)
}

/// HTML files are read whole to find their inline scripts for the CSP; larger pages
/// are streamed like any other file, without inline hashes.
const MAX_HTML_BYTES: u64 = 1 << 20;
/// The chunk a file is streamed in: the memory one response holds, whatever its size.
const STREAM_CHUNK: usize = 64 << 10;

/// The `Content-Security-Policy` of a page: its own scripts and styles only, the wasm
/// compiled with `'wasm-unsafe-eval'`, the inline scripts whose hashes are given (trunk
/// writes one that loads the wasm), Web Workers from its own scripts only (the mining
/// worker, `worker-src 'self'`), connections to itself and to `connect` (the
/// WebSocket addresses), and no framing (`frame-ancestors 'none'`).
pub fn content_security_policy(inline_script_hashes: &[String], connect: &[String]) -> String {
    let mut scripts = String::from("'self' 'wasm-unsafe-eval'");
    for hash in inline_script_hashes {
        scripts.push_str(&format!(" 'sha256-{hash}'"));
    }
    let mut connects = String::from("'self'");
    for url in connect {
        connects.push(' ');
        connects.push_str(url);
    }
    format!(
        "default-src 'none'; script-src {scripts}; worker-src 'self'; style-src 'self'; \
         img-src 'self' data:; connect-src {connects}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// The SHA-256 of every inline `<script>` of `html`, in base64, as a CSP source wants.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut hashes = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(open) = lower[at..].find("<script") {
        let open = at + open;
        let Some(tag_end) = lower[open..].find('>') else {
            break;
        };
        let body_start = open + tag_end + 1;
        let Some(close) = lower[body_start..].find("</script") else {
            break;
        };
        let tag = &lower[open..body_start];
        if !tag.contains(" src=") {
            let body = &html[body_start..body_start + close];
            hashes.push(base64(&Sha256::digest(body.as_bytes())));
        }
        at = body_start + close;
    }
    hashes
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Serves `GET` and `HEAD` of a file under `root`. Files are streamed in chunks (no
/// copy of the file per request); an HTML page carries the CSP and framing headers,
/// with `connect` the WebSocket addresses it may use.
pub async fn serve(root: &Path, method: &Method, uri: &Uri, connect: &[String]) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let Some(mut path) = resolve(root, uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
        path.push("index.html");
    }
    let opened = async {
        let file = tokio::fs::File::open(&path).await?;
        let meta = file.metadata().await?;
        if meta.is_dir() {
            return Err(std::io::Error::other("a directory"));
        }
        Ok((file, meta.len()))
    };
    let (mut file, length) = match opened.await {
        Ok(opened) => opened,
        Err(e) => {
            tracing::debug!(path = %uri.path(), error = %e, "static file not served");
            return StatusCode::NOT_FOUND.into_response();
        }
    };
    let content_type = content_type(&path);
    let is_html = content_type.starts_with("text/html");
    let mut hashes = Vec::new();
    let body = if is_html && length <= MAX_HTML_BYTES {
        use tokio::io::AsyncReadExt;
        let mut html = Vec::with_capacity(length as usize);
        if file.read_to_end(&mut html).await.is_err() {
            return StatusCode::NOT_FOUND.into_response();
        }
        hashes = inline_script_hashes(&String::from_utf8_lossy(&html));
        Body::from(html)
    } else {
        Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
            file,
            STREAM_CHUNK,
        ))
    };
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        body
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&hashes, connect)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    // Trunk names the wasm and JS by content hash; only the page itself must be
    // checked again on every load.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        assert_eq!(content_type(Path::new("a/b_bg.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("x.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x")), "application/octet-stream");
    }

    #[test]
    fn inline_scripts_are_hashed_for_the_csp() {
        // The SHA-256 of "alert(1)", as `echo -n 'alert(1)' | openssl sha256 -binary | base64`.
        let html = "<script src=/a.js></script><script type=module>alert(1)</script>";
        assert_eq!(
            inline_script_hashes(html),
            vec!["bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=".to_string()]
        );
        let csp = content_security_policy(&[], &["ws://127.0.0.1:8080".into()]);
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
        // The mining worker's script is the page's own; no blob: or data: workers.
        assert!(csp.contains("worker-src 'self';"), "{csp}");
        assert!(
            csp.contains("connect-src 'self' ws://127.0.0.1:8080"),
            "{csp}"
        );
    }

    #[test]
    fn paths_stay_under_the_root() {
        let root = Path::new("/srv/www");
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, ""), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/app.js"), Some(root.join("app.js")));
        assert_eq!(resolve(root, "/a/"), Some(root.join("a/index.html")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/..%2f..%2fetc"), None);
        assert_eq!(resolve(root, "/.git/config"), None);
    }
}

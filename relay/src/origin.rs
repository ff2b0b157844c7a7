//! Which pages may open a WebSocket (PROTOCOL §8): the relay's own origin, taken from
//! the request's `Host` header, and the configured allow-list.
//!
//! A request without an `Origin` header does not come from a browser page (browsers
//! always send it on a WebSocket handshake), so it is let through: the check exists to
//! stop other web sites from driving a visitor's wallet connection, and a program can
//! set any header it likes anyway.

/// Whether a handshake with these headers may upgrade.
pub fn allowed(origin: Option<&str>, host: Option<&str>, allow_list: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let Some(origin) = normalize(origin) else {
        return false;
    };
    if let Some(host) = host {
        let host = host.trim().to_ascii_lowercase();
        for scheme in ["http", "https"] {
            if normalize(&format!("{scheme}://{host}")).as_deref() == Some(origin.as_str()) {
                return true;
            }
        }
    }
    allow_list
        .iter()
        .any(|allowed| normalize(allowed).as_deref() == Some(origin.as_str()))
}

/// `scheme://host[:port]` in lowercase, without a trailing `/` and without the
/// scheme's default port; `None` for anything else (including the opaque `null`).
fn normalize(origin: &str) -> Option<String> {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, authority) = origin.split_once("://")?;
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let authority = match (scheme, authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
        ("http" | "https", _) => authority,
        _ => return None,
    };
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn same_origin_is_allowed() {
        let host = Some("127.0.0.1:8080");
        assert!(allowed(Some("http://127.0.0.1:8080"), host, &[]));
        assert!(allowed(Some("https://127.0.0.1:8080"), host, &[]));
        assert!(allowed(
            Some("HTTP://Example.COM"),
            Some("example.com:80"),
            &[]
        ));
    }

    #[test]
    fn other_origins_are_refused_unless_listed() {
        let host = Some("127.0.0.1:8080");
        assert!(!allowed(Some("http://127.0.0.1:8081"), host, &[]));
        assert!(!allowed(Some("http://evil.example"), host, &[]));
        assert!(!allowed(Some("null"), host, &[]));
        assert!(!allowed(Some("http://127.0.0.1:8080"), None, &[]));
        let list = vec!["https://wallet.example/".to_string()];
        assert!(allowed(Some("https://wallet.example"), host, &list));
        assert!(!allowed(Some("http://wallet.example"), host, &list));
    }

    #[test]
    fn no_origin_is_a_program_and_allowed() {
        assert!(allowed(None, Some("127.0.0.1:8080"), &[]));
    }
}

//! Which pages may open a WebSocket (PROTOCOL §8): the relay's own origin and the
//! configured allow-list, both fixed at start. The relay's own origin is its listen
//! address, as `http://127.0.0.1:PORT` and `http://localhost:PORT` when it listens on
//! a loopback or unspecified address; it is never taken from the request's `Host`
//! header, which a DNS-rebinding page controls (it makes `evil.example` resolve to
//! 127.0.0.1, and then its own origin and `Host` agree).
//!
//! A request without an `Origin` header does not come from a browser page (browsers
//! always send it on a WebSocket handshake), so it is let through: the check exists to
//! stop other web sites from driving a visitor's wallet connection, and a program can
//! set any header it likes anyway.

use std::net::SocketAddr;

/// The origins allowed to open a WebSocket, normalized.
#[derive(Debug, Clone)]
pub struct Origins {
    allowed: Vec<String>,
}

impl Origins {
    /// The relay's own origins for `listen`, and every origin of `allow_list`.
    pub fn new(listen: SocketAddr, allow_list: &[String]) -> Origins {
        let port = listen.port();
        let ip = listen.ip();
        let mut allowed = Vec::new();
        if ip.is_loopback() || ip.is_unspecified() {
            allowed.push(format!("http://127.0.0.1:{port}"));
            allowed.push(format!("http://localhost:{port}"));
            if ip.is_ipv6() {
                allowed.push(format!("http://[::1]:{port}"));
            }
        }
        if !ip.is_unspecified() {
            allowed.push(format!("http://{listen}"));
        }
        allowed.extend(allow_list.iter().cloned());
        let mut normalized: Vec<String> = Vec::new();
        for origin in allowed.iter().filter_map(|o| normalize(o)) {
            if !normalized.contains(&origin) {
                normalized.push(origin);
            }
        }
        Origins {
            allowed: normalized,
        }
    }

    /// Whether a handshake with this `Origin` header may upgrade.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        let Some(origin) = normalize(origin) else {
            return false;
        };
        self.allowed.contains(&origin)
    }

    /// The allowed origins, normalized (for logs and the page's CSP).
    pub fn list(&self) -> &[String] {
        &self.allowed
    }
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
    use super::Origins;

    fn local() -> Origins {
        Origins::new("127.0.0.1:8080".parse().unwrap(), &[])
    }

    #[test]
    fn the_relays_own_address_is_allowed() {
        let origins = local();
        assert!(origins.allows(Some("http://127.0.0.1:8080")));
        assert!(origins.allows(Some("http://localhost:8080/")));
        assert!(origins.allows(Some("HTTP://LOCALHOST:8080")));
        let public = Origins::new("192.0.2.7:80".parse().unwrap(), &[]);
        assert!(public.allows(Some("http://192.0.2.7")));
    }

    #[test]
    fn other_origins_are_refused_unless_listed() {
        let origins = local();
        assert!(!origins.allows(Some("http://127.0.0.1:8081")));
        assert!(!origins.allows(Some("https://127.0.0.1:8080")));
        assert!(!origins.allows(Some("http://evil.example")));
        assert!(!origins.allows(Some("null")));
        let list = vec!["https://wallet.example/".to_string()];
        let origins = Origins::new("127.0.0.1:8080".parse().unwrap(), &list);
        assert!(origins.allows(Some("https://wallet.example")));
        assert!(!origins.allows(Some("http://wallet.example")));
    }

    #[test]
    fn a_rebound_host_is_not_the_relays_origin() {
        // DNS rebinding: evil.example resolves to 127.0.0.1, so the page's origin and
        // the Host header both say evil.example:8080. Neither is configured.
        assert!(!local().allows(Some("http://evil.example:8080")));
    }

    #[test]
    fn no_origin_is_a_program_and_allowed() {
        assert!(local().allows(None));
    }
}

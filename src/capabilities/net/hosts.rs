//! Which hosts `--allow-net` grants, and the host and port a URL leads to.

use std::fmt;

use ureq::http::Uri;

use crate::capabilities::Grant;
use crate::capabilities::net_entry::{split_host_port, unbracketed};

/// Whether `grant` allows `host` on `port`: its list names the host (any port) or
/// `host:port`. Host names compare without regard to case; addresses compare as written
/// (`[::1]` and `::1` are one host, `127.0.0.1` and `localhost` are two). Without a port (a
/// name lookup), any entry naming the host allows it.
pub(crate) fn net_allows(grant: &Grant, host: &str, port: Option<u16>) -> bool {
    match grant {
        Grant::Nothing => false,
        Grant::Everything => true,
        Grant::Only(list) => list.iter().any(|entry| {
            let (granted_host, granted_port) = split_host_port(entry);
            same_host(granted_host, host)
                && (granted_port.is_none() || port.is_none() || granted_port == port)
        }),
    }
}

/// Whether `limit` grants all that the grant entry `entry` (`host` or `host:port`) does: a
/// host script's pool may narrow `127.0.0.1` to `127.0.0.1:8080`, not widen the other way.
pub(crate) fn net_within(limit: &Grant, entry: &str) -> bool {
    match split_host_port(entry) {
        (host, Some(port)) => net_allows(limit, host, Some(port)),
        (host, None) => match limit {
            Grant::Everything => true,
            Grant::Only(list) => list.iter().any(|granted| {
                let (granted_host, granted_port) = split_host_port(granted);
                granted_port.is_none() && same_host(granted_host, host)
            }),
            _ => false,
        },
    }
}

fn same_host(a: &str, b: &str) -> bool {
    unbracketed(a).eq_ignore_ascii_case(unbracketed(b))
}

/// The host and port an `http` or `https` URL leads to (the scheme's port when it names none).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Target {
    pub(super) host: String,
    pub(super) port: u16,
}

impl Target {
    pub(super) fn of_url(url: &str) -> Result<Target, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        let default_port = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => 80,
            Some(s) if s.eq_ignore_ascii_case("https") => 443,
            _ => return Err(format!("{url:?} is not an http:// or https:// URL")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{url:?} names no host"))?;
        Ok(Target {
            host: unbracketed(host).to_string(),
            port: uri.port_u16().unwrap_or(default_port),
        })
    }

    /// Whether `other` is the same server, for the credentials a redirect may carry on.
    pub(super) fn same_server(&self, other: &Target) -> bool {
        same_host(&self.host, &other.host) && self.port == other.port
    }
}

/// As a refusal names it: `host:port`, an IPv6 address in brackets.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(list: &[&str]) -> Grant {
        Grant::Only(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn a_host_is_granted_on_every_port_and_a_host_port_on_its_own() {
        let grant = only(&["Example.COM", "127.0.0.1:8080", "[::1]:9000", "::2"]);
        assert!(net_allows(&grant, "example.com", Some(443)));
        assert!(net_within(&grant, "example.com:443"));
        assert!(net_within(&grant, "127.0.0.1:8080"));
        assert!(!net_within(&grant, "127.0.0.1"));
        assert!(!net_within(&grant, "127.0.0.1:8081"));
        assert!(net_allows(&grant, "EXAMPLE.com", Some(1)));
        assert!(net_allows(&grant, "127.0.0.1", Some(8080)));
        assert!(!net_allows(&grant, "127.0.0.1", Some(8081)));
        assert!(!net_allows(&grant, "localhost", Some(8080)));
        assert!(net_allows(&grant, "::1", Some(9000)));
        assert!(net_allows(&grant, "[::1]", Some(9000)));
        assert!(!net_allows(&grant, "::1", Some(9001)));
        assert!(net_allows(&grant, "::2", Some(7)));
        // A name lookup has no port: an entry with one still names the host.
        assert!(net_allows(&grant, "127.0.0.1", None));
        assert!(!net_allows(&grant, "example.org", None));
        assert!(!net_allows(&Grant::Nothing, "example.com", Some(80)));
        assert!(net_allows(&Grant::Everything, "example.com", Some(80)));
        // A port that is not a number grants nothing.
        assert!(!net_allows(
            &only(&["example.com:http"]),
            "example.com",
            Some(80)
        ));
        assert!(!net_allows(&only(&["[::1]:x"]), "::1", Some(80)));
    }

    #[test]
    fn a_url_leads_to_its_host_and_port() {
        let at = |host: &str, port| Target {
            host: host.into(),
            port,
        };
        assert_eq!(Target::of_url("http://a.test/x"), Ok(at("a.test", 80)));
        assert_eq!(Target::of_url("HTTPS://a.test"), Ok(at("a.test", 443)));
        assert_eq!(
            Target::of_url("http://u:p@127.0.0.1:8080/?q"),
            Ok(at("127.0.0.1", 8080))
        );
        assert_eq!(Target::of_url("http://[::1]:81/"), Ok(at("::1", 81)));
        assert_eq!(at("::1", 81).to_string(), "[::1]:81");
        assert!(Target::of_url("ftp://a.test/").is_err());
        assert!(Target::of_url("a.test/x").is_err());
        assert!(Target::of_url("not a url").is_err());
    }
}

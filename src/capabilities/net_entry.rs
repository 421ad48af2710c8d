//! How an `--allow-net` entry is written — `host` or `host:port`, an IPv6 address in brackets
//! when it has a port (`[::1]:8080`) — and what makes an entry name nothing a request could
//! reach. Plain text, without the network functions, so that every face checks an entry the
//! same way before granting it.

/// An entry's host (without the brackets of an IPv6 address) and its port, as written; or
/// why the entry has no such shape.
fn parts(entry: &str) -> Result<(&str, Option<&str>), &'static str> {
    match entry.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            None => Err("an IPv6 address opened with '[' is not closed"),
            Some((host, "")) => Ok((host, None)),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err("only ':PORT' may follow an address in brackets"),
            },
        },
        // One colon: a port. More: an IPv6 address without one.
        None => match entry.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => Ok((host, Some(port))),
            _ => Ok((entry, None)),
        },
    }
}

/// `host` or `host:port` as an entry writes it. An entry of another shape, or whose port is
/// not a number, is all host: one that matches nothing, rather than a host granted on every
/// port ([`problem`] refuses such an entry before it is granted).
#[cfg_attr(not(feature = "capabilities"), expect(dead_code))]
pub(crate) fn split_host_port(entry: &str) -> (&str, Option<u16>) {
    match parts(entry) {
        Ok((host, None)) => (host, None),
        Ok((host, Some(port))) => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => (entry, None),
        },
        Err(_) => (entry, None),
    }
}

/// `host` without the brackets an IPv6 address may be written in.
#[cfg_attr(not(feature = "capabilities"), expect(dead_code))]
pub(crate) fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Why `entry` names no host a request could reach, or `None`. Such an entry granted nothing,
/// silently: `--allow-net=:` or `--allow-net='*'` ran as if the flag were not given.
pub(crate) fn problem(entry: &str) -> Option<&'static str> {
    if entry.contains('/') {
        return Some("give a host or host:port, not a URL or a path");
    }
    if entry.contains('*') {
        return Some("a wildcard matches no host: name each host, or give the flag alone for all");
    }
    if entry.chars().any(char::is_whitespace) {
        return Some("a host holds no blanks");
    }
    match parts(entry) {
        Err(problem) => Some(problem),
        Ok(("", _)) => Some("names no host"),
        Ok((_, Some(port))) if !matches!(port.parse::<u16>(), Ok(1..)) => {
            Some("the port must be a number from 1 to 65535")
        }
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_that_names_no_reachable_host_is_refused() {
        let refused = [
            ":",
            ":80",
            "[]",
            "[]:80",
            "*",
            "*.example.com",
            "example.com:http",
            "h:0",
            "http://example.com",
            "example.com/x",
            "a b",
            "[::1",
            "[::1]x",
        ];
        let granted = [
            "example.com",
            "EXAMPLE.com:443",
            "127.0.0.1:8080",
            "::1",
            "[::1]",
            "[::1]:9000",
        ];
        for entry in refused {
            assert!(problem(entry).is_some(), "{entry}");
        }
        for entry in granted {
            assert_eq!(problem(entry), None, "{entry}");
        }
        assert_eq!(split_host_port("[::1]:9000"), ("::1", Some(9000)));
        assert_eq!(split_host_port("::1"), ("::1", None));
    }
}

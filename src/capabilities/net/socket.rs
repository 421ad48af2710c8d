//! `tcp_probe(host, port)` and `resolve(host)`: a TCP connection opened and closed, and a
//! name lookup, each on the worker's network thread ([`super::offload`]).

use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use rhai::{Array, Dynamic, EvalAltResult, FLOAT, Map};

use super::offload;
use crate::capabilities::failed;

/// How long a probe waits for a port that does not answer (a firewall dropping the
/// connection) before it calls it closed; a job's deadline, if sooner, ends it first.
const PROBE_LIMIT: Duration = Duration::from_secs(3);

/// `#{ open, ms }`: whether a TCP connection to `host:port` opens, and how long the answer
/// took. A refused, unreachable or silent port is `open: false`; a host that cannot be
/// resolved fails the call.
pub(super) fn tcp_probe(host: &str, port: u16) -> Result<Map, Box<EvalAltResult>> {
    let name = host.to_string();
    let probe = offload::run(move || -> Result<(bool, Duration), String> {
        let addresses = lookup(&name, port)?;
        let start = Instant::now();
        let open = addresses.iter().any(|address| {
            let left = PROBE_LIMIT.saturating_sub(start.elapsed());
            !left.is_zero() && TcpStream::connect_timeout(address, left).is_ok()
        });
        Ok((open, start.elapsed()))
    })?;
    let (open, took) = probe
        .ok_or_else(|| failed("tcp_probe", "the network thread stopped"))?
        .map_err(|why| failed("tcp_probe", why))?;
    let mut map = Map::new();
    map.insert("open".into(), Dynamic::from_bool(open));
    map.insert(
        "ms".into(),
        Dynamic::from_float(took.as_secs_f64() as FLOAT * 1000.0),
    );
    Ok(map)
}

/// The addresses `host` resolves to, as text, each once, in the resolver's order.
pub(super) fn resolve(host: &str) -> Result<Array, Box<EvalAltResult>> {
    let name = host.to_string();
    let found = offload::run(move || lookup(&name, 0))?
        .ok_or_else(|| failed("resolve", "the network thread stopped"))?
        .map_err(|why| failed("resolve", why))?;
    let mut addresses: Vec<IpAddr> = Vec::new();
    for address in found.iter().map(SocketAddr::ip) {
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    Ok(addresses
        .into_iter()
        .map(|a| Dynamic::from(a.to_string()))
        .collect())
}

fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    // An address in brackets, as URLs write IPv6 ones, is the address.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let addresses: Vec<SocketAddr> = (bare, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
        .collect();
    if addresses.is_empty() {
        return Err(format!("cannot resolve {host:?}: no address"));
    }
    Ok(addresses)
}

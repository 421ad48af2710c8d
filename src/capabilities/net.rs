//! The network for job scripts, granted by `--allow-net[=HOST[:PORT],...]`: `http_get`,
//! `http_request`, `tcp_probe` and `resolve`.
//!
//! Each call is checked against the grant (every redirect too), then runs on the worker's
//! network thread while the worker watches its job's clock ([`offload`]): a call ends when its
//! job times out or is cancelled, whatever the network does. A response body is read in pieces
//! and refused once it would pass the job's memory cap ([`http`]).

mod hosts;
mod http;
mod offload;
mod redirect;
mod socket;

use crate::batteries::registrar::Registrar;
use std::sync::Arc;

use rhai::{Array, Dynamic, EvalAltResult, INT, Map, NativeCallContext};

pub(crate) use hosts::{net_allows, net_within};
use http::Request;

use super::{Capability, Permissions, failed, refused};

pub(super) fn register(engine: &mut impl Registrar, permissions: &Arc<Permissions>) {
    let p = permissions.clone();
    engine.register_fn("http_get", move |context: NativeCallContext, url: &str| {
        let request = request_of("http_get", "GET", url, &Map::new())?;
        http::fetch(&context, "http_get", p.grant(Capability::Net), request)
    });
    let p = permissions.clone();
    engine.register_fn(
        "http_get",
        move |context: NativeCallContext, url: &str, options: Map| {
            let request = request_of("http_get", "GET", url, &options)?;
            http::fetch(&context, "http_get", p.grant(Capability::Net), request)
        },
    );
    let p = permissions.clone();
    engine.register_fn(
        "http_request",
        move |context: NativeCallContext, options: Map| {
            let function = "http_request";
            let method = match options.get("method") {
                None => "GET".to_string(),
                Some(method) => text(function, "method", method)?.to_ascii_uppercase(),
            };
            let url = match options.get("url") {
                Some(url) => text(function, "url", url)?,
                None => return Err(failed(function, "the request has no url")),
            };
            let request = request_of(function, &method, &url, &options)?;
            http::fetch(&context, function, p.grant(Capability::Net), request)
        },
    );
    let p = permissions.clone();
    engine.register_fn("tcp_probe", move |host: &str, port: INT| {
        let port = u16::try_from(port)
            .ok()
            .filter(|&port| port != 0)
            .ok_or_else(|| failed("tcp_probe", format!("{port} is not a port (1 to 65535)")))?;
        if !net_allows(p.grant(Capability::Net), host, Some(port)) {
            return Err(refused(Capability::Net, &host_port(host, port)));
        }
        socket::tcp_probe(host, port)
    });
    let p = permissions.clone();
    engine.register_fn("resolve", move |host: &str| -> Result<Array, _> {
        if !net_allows(p.grant(Capability::Net), host, None) {
            return Err(refused(Capability::Net, host));
        }
        socket::resolve(host)
    });
}

/// `host:port` as a grant writes it, an IPv6 address in brackets.
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The request `options` describe: `headers` (a map), `json` (parse the answer; asks for JSON
/// unless the headers say otherwise) and, for `http_request`, `method`, `url` and `body` (a
/// string or a blob as it is; a map or an array as JSON).
fn request_of(
    function: &str,
    method: &str,
    url: &str,
    options: &Map,
) -> Result<Request, Box<EvalAltResult>> {
    let known: &[&str] = match function {
        "http_request" => &["method", "url", "headers", "body", "json"],
        _ => &["headers", "json"],
    };
    if let Some(unknown) = options.keys().find(|key| !known.contains(&key.as_str())) {
        let why = format!("unknown option {unknown:?} (it takes {})", known.join(", "));
        return Err(failed(function, why));
    }
    let mut headers = Vec::new();
    match options.get("headers") {
        None => {}
        Some(value) if value.is_unit() => {}
        Some(value) => {
            let map = value.read_lock::<Map>().ok_or_else(|| {
                let why = format!("headers must be a map, not {}", value.type_name());
                failed(function, why)
            })?;
            for (name, value) in map.iter() {
                let value = match value.read_lock::<rhai::ImmutableString>() {
                    Some(text) => text.to_string(),
                    None => value.to_string(),
                };
                headers.push((name.to_string(), value));
            }
        }
    }
    let has = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let json = match options.get("json") {
        None => false,
        Some(flag) => flag
            .as_bool()
            .map_err(|kind| failed(function, format!("json must be true or false, not {kind}")))?,
    };
    if json && !has(&headers, "accept") {
        headers.push(("accept".into(), "application/json".into()));
    }
    let body = match options.get("body") {
        None => None,
        Some(body) if body.is_unit() => None,
        Some(body) if body.is_string() => Some(Arc::from(
            body.read_lock::<rhai::ImmutableString>()
                .expect("a string")
                .as_bytes(),
        )),
        Some(body) if body.is_blob() => Some(Arc::from(
            &body.read_lock::<rhai::Blob>().expect("a blob")[..],
        )),
        Some(body) if body.is_map() || body.is_array() => {
            let mut text = Vec::new();
            crate::value::write_json(body, &mut text).map_err(|e| failed(function, e))?;
            if !has(&headers, "content-type") {
                headers.push(("content-type".into(), "application/json".into()));
            }
            Some(Arc::from(text))
        }
        Some(body) => {
            let why = format!(
                "body must be a string, a blob, a map or an array, not {}",
                body.type_name()
            );
            return Err(failed(function, why));
        }
    };
    Ok(Request {
        method: method.to_string(),
        url: url.to_string(),
        headers,
        body,
        json,
    })
}

fn text(function: &str, key: &str, value: &Dynamic) -> Result<String, Box<EvalAltResult>> {
    value
        .read_lock::<rhai::ImmutableString>()
        .map(|s| s.to_string())
        .ok_or_else(|| {
            failed(
                function,
                format!("{key} must be a string, not {}", value.type_name()),
            )
        })
}

//! HTTP(S) requests for `http_get` and `http_request`: one `ureq` agent per worker, so that a
//! worker's requests to a server reuse a kept-alive connection; TLS by rustls.
//!
//! A request runs on the worker's network thread ([`super::offload`]). Its body comes back in
//! pieces, each read into a buffer the worker lends the helper, one at a time: the worker counts
//! what it holds against the job's memory cap and stops the read once the body would pass it.
//! The cap counts what each thread allocates, so every buffer of the body is allocated and freed
//! on the worker, and the request's own body is let go by the helper before it answers.

use std::cell::RefCell;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::Duration;

use rhai::{EvalAltResult, Map, NativeCallContext, Position};
use ureq::{Agent, AsSendBody, Body, http};

use super::hosts::{Target, net_allows};
use super::offload;
use super::redirect::redirected;
use crate::JobSignal;
use crate::capabilities::{Capability, Grant, failed, refused};
use crate::limits::memory::{room_left, would_pass_cap};
use crate::limits::signal::checkpoint;

/// The most redirects a request follows, each checked against the grant as the first URL is.
mod answer;

const MAX_REDIRECTS: usize = 10;

/// For a job without a deadline: how long a request waits to connect, or for the next bytes of
/// the answer, before it fails. (A request its job abandons is ended at once: see
/// [`abandon_connections`].)
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// The size of the pieces a response body is read in: the most read past the memory cap.
const PIECE: usize = 64 * 1024;

thread_local! {
    /// The worker's client. Its pool of kept-alive connections outlives jobs, until a job
    /// abandons a request ([`abandon_connections`]).
    static AGENT: RefCell<Agent> = RefCell::new(new_agent());
}

fn new_agent() -> Agent {
    Agent::new_with_config(
        Agent::config_builder()
            // A status is an answer: the script decides what a 404 means.
            .http_status_as_error(false)
            // Followed in `fetch` instead, where each new host is checked against the grant.
            .max_redirects(0)
            .user_agent(concat!("rsparallel/", env!("CARGO_PKG_VERSION")))
            // The system's trusted certificates, as curl uses them: a site signed by a CA the
            // machine trusts (a company's, a proxy's) is trusted here too. Still rustls.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            )
            .build(),
    )
}

/// Closes every connection of the worker's client, the one a request its job abandoned (a
/// timeout, a cancel) is blocked on included: the network thread's read fails at once, and
/// the thread ends now instead of at the request's own timeout (a minute, for a job without
/// one). The worker's next request gets a new client. (A connect or a name lookup in progress
/// is not interrupted; each has its own timeout.)
fn abandon_connections() {
    let old = AGENT.with(|agent| agent.replace(new_agent()));
    old.shutdown();
}

/// A request as a script asked for it.
#[derive(Clone, Debug)]
pub(super) struct Request {
    pub(super) method: String,
    pub(super) url: String,
    pub(super) headers: Vec<(String, String)>,
    /// Shared with the network thread, which lets go of it before it answers: the last
    /// reference, and the freeing, stay with the worker that allocated it.
    pub(super) body: Option<Arc<[u8]>>,
    /// Whether the answer's body is parsed as JSON too.
    pub(super) json: bool,
}

/// What the network thread tells the worker.
enum Event {
    /// The status and headers, and the body's length if the server gave it.
    Head {
        status: u16,
        headers: Vec<(String, String)>,
        length: Option<u64>,
    },
    /// The next `len` bytes of the body, in the buffer the worker lent, and what follows.
    Piece {
        buffer: Vec<u8>,
        len: usize,
        then: Then,
    },
    /// No answer.
    Failed(Failure),
}

enum Then {
    More,
    End,
    Failed(Failure),
}

enum Failure {
    TimedOut,
    Other(String),
}

/// An answer, its body read whole.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Sends `request` and reads its answer into `#{ status, headers, body }` (and `json`), after
/// the redirects it leads to. `function` names the failures.
pub(super) fn fetch(
    context: &NativeCallContext,
    function: &str,
    grant: &Grant,
    mut request: Request,
) -> Result<Map, Box<EvalAltResult>> {
    for _ in 0..=MAX_REDIRECTS {
        let target = Target::of_url(&request.url).map_err(|why| failed(function, why))?;
        if !net_allows(grant, &target.host, Some(target.port)) {
            return Err(refused(Capability::Net, &target.to_string()));
        }
        let answer = exchange(function, &request)?;
        match redirected(&request, &target, answer.status, &answer.headers) {
            Some(next) => request = next,
            None => return answer.into_map(context, function, &request),
        }
    }
    Err(failed(
        function,
        format!(
            "more than {MAX_REDIRECTS} redirects, the last to {}",
            request.url
        ),
    ))
}

/// One request and its answer, on the worker's network thread.
fn exchange(function: &str, request: &Request) -> Result<Answer, Box<EvalAltResult>> {
    let doing = format!("cannot {} {}", request.method, request.url);
    let deadline = JobSignal::current().and_then(|signal| signal.remaining());
    let agent = AGENT.with(|agent| agent.borrow().clone());
    let (tell, events) = mpsc::sync_channel(1);
    let (lend, lent) = mpsc::sync_channel(1);
    let sent = request.clone();
    let busy = offload::start(move || serve(&agent, sent, deadline, &tell, &lent))
        .map_err(|e| failed(function, format!("{doing}: no network thread: {e}")))?;
    let gone = || failed(function, format!("{doing}: the network thread stopped"));

    let (status, headers, length) =
        match offload::next(&events).inspect_err(|_| abandon_connections())? {
            Some(Event::Head {
                status,
                headers,
                length,
            }) => (status, headers, length),
            Some(Event::Failed(failure)) => {
                busy.release();
                return Err(failure.into_error(function, &doing));
            }
            _ => return Err(gone()),
        };
    // The body is held twice for a moment, when it becomes a Rhai string.
    if length.is_some_and(|length| {
        would_pass_cap(
            usize::try_from(length)
                .unwrap_or(usize::MAX)
                .saturating_mul(2),
        )
    }) {
        // The helper waits for a buffer: without one, it drops the answer unread.
        drop(lend);
        busy.release();
        return Err(too_large(function, &request.url));
    }
    let mut body = Vec::new();
    let mut buffer = vec![0; PIECE];
    loop {
        if lend.send(buffer).is_err() {
            return Err(gone());
        }
        let Some(Event::Piece {
            buffer: back,
            len,
            then,
        }) = offload::next(&events).inspect_err(|_| abandon_connections())?
        else {
            return Err(gone());
        };
        if !append_within_cap(&mut body, &back[..len]) {
            drop(lend);
            busy.release();
            return Err(too_large(function, &request.url));
        }
        buffer = back;
        match then {
            Then::More => checkpoint()?,
            Then::End => break,
            Then::Failed(failure) => {
                busy.release();
                let doing = format!("reading the answer of {} {}", request.method, request.url);
                return Err(failure.into_error(function, &doing));
            }
        }
    }
    busy.release();
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Appends `piece` to `body` unless that would take the job past its memory cap, leaving a
/// piece's worth for the call's own bookkeeping; grows as a vector does, but never past the cap.
fn append_within_cap(body: &mut Vec<u8>, piece: &[u8]) -> bool {
    let needed = body.len() + piece.len();
    if needed > body.capacity() {
        // Growing counts only the difference: the body may take what it has and the room left.
        let most = room_left().map_or(usize::MAX, |room| {
            let room = usize::try_from(room).unwrap_or(usize::MAX);
            body.capacity().saturating_add(room.saturating_sub(PIECE))
        });
        if needed > most {
            return false;
        }
        let target = body.capacity().saturating_mul(2).clamp(needed, most);
        body.reserve_exact(target - body.len());
    }
    body.extend_from_slice(piece);
    true
}

/// The error of a body that would not fit in the job's memory: like the cap itself, a limit
/// the script cannot catch; its record's kind is `memory_cap`.
fn too_large(function: &str, url: &str) -> Box<EvalAltResult> {
    let what = format!(
        "{function}: the response from {url} would take more memory than the job has left \
         (max-memory)"
    );
    EvalAltResult::ErrorDataTooLarge(what, Position::NONE).into()
}

/// The network thread's side of [`exchange`].
fn serve(
    agent: &Agent,
    request: Request,
    deadline: Option<Duration>,
    tell: &SyncSender<Event>,
    lent: &Receiver<Vec<u8>>,
) {
    let response = send(agent, &request, deadline);
    drop(request);
    let response = match response {
        Ok(response) => response,
        Err(error) => {
            let _ = tell.send(Event::Failed(failure(error)));
            return;
        }
    };
    let (parts, body) = response.into_parts();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_string(), value)
        })
        .collect();
    let head = Event::Head {
        status: parts.status.as_u16(),
        headers,
        length: body.content_length(),
    };
    if tell.send(head).is_err() {
        return;
    }
    let mut reader = body.into_reader();
    // Reading only into a lent buffer, the helper never reads more than a piece ahead of the
    // worker's count. Read to its end, the connection goes back to the agent's pool.
    while let Ok(mut buffer) = lent.recv() {
        let (len, then) = fill(&mut reader, &mut buffer);
        let last = !matches!(then, Then::More);
        if tell.send(Event::Piece { buffer, len, then }).is_err() || last {
            return;
        }
    }
}

fn send(
    agent: &Agent,
    request: &Request,
    deadline: Option<Duration>,
) -> Result<http::Response<Body>, ureq::Error> {
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(request.url.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    match &request.body {
        Some(body) => run(agent, builder.body(&body[..])?, deadline),
        None => run(agent, builder.body(())?, deadline),
    }
}

fn run<S: AsSendBody>(
    agent: &Agent,
    request: http::Request<S>,
    deadline: Option<Duration>,
) -> Result<http::Response<Body>, ureq::Error> {
    let config = agent.configure_request(request);
    let config = match deadline {
        // The whole request, body included, ends with the job.
        Some(left) => config.timeout_global(Some(left)),
        None => config
            .timeout_connect(Some(IDLE_LIMIT))
            .timeout_per_read(Some(IDLE_LIMIT)),
    };
    agent.run(config.build())
}

/// Reads into `buffer` until it is full or the body ends.
fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> (usize, Then) {
    let mut len = 0;
    while len < buffer.len() {
        match reader.read(&mut buffer[len..]) {
            Ok(0) => return (len, Then::End),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (len, Then::Failed(failure(ureq::Error::from(e)))),
        }
    }
    (len, Then::More)
}

fn failure(error: ureq::Error) -> Failure {
    match error {
        ureq::Error::Timeout(_) => Failure::TimedOut,
        ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => Failure::TimedOut,
        ureq::Error::Io(e) => Failure::Other(lowercase_first(&e.to_string())),
        ureq::Error::HostNotFound => Failure::Other("host not found".into()),
        other => Failure::Other(other.to_string()),
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Failure {
    fn into_error(self, function: &str, doing: &str) -> Box<EvalAltResult> {
        match self {
            Failure::Other(why) => failed(function, format!("{doing}: {why}")),
            Failure::TimedOut => {
                // ureq's timeout was the job's deadline, read off another clock: wait for the
                // job's own to pass, so that the job ends timed out rather than failed.
                if let Some(signal) = JobSignal::current()
                    && let Some(left) = signal.remaining()
                    && left < Duration::from_millis(100)
                    && let Err(stop) = signal.sleep(left + Duration::from_millis(2))
                {
                    return stop;
                }
                let within = match JobSignal::current().and_then(|s| s.remaining()) {
                    Some(_) => String::new(),
                    None => format!(" (no answer within {}s)", IDLE_LIMIT.as_secs()),
                };
                failed(function, format!("{doing}: timed out{within}"))
            }
        }
    }
}

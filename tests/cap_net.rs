//! The network functions, granted by `--allow-net`: `http_get`, `http_request`, `tcp_probe` and
//! `resolve`, against servers this file starts on the loopback address. A worker keeps its
//! connections alive; a request ends with its job's timeout or cancel, and a body ends at the
//! job's memory cap. This file is its own process, with the counting allocator the cap needs.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::http::{closed_port, endless, responder, silent};
use common::{jsonl_records, rsparallel};
use predicates::prelude::*;
use rsparallel::capabilities::{Capability, Permissions};
use rsparallel::rhai::Dynamic;
use rsparallel::{CountingAllocator, JobErrorKind, JobRecord, JobStatus, RunspacePool};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn pool_with_net(net: Option<&str>) -> rsparallel::RunspacePoolBuilder {
    let permissions = match net {
        Some(hosts) => Permissions::none().allow(Capability::Net, Some(hosts)),
        None => Permissions::none(),
    };
    RunspacePool::builder().threads(1).permissions(permissions)
}

/// Runs `source` over `items`, the records in input order.
fn run(pool: &RunspacePool, source: &str, items: &[impl AsRef<str>]) -> Vec<JobRecord> {
    let script = pool.compile(source).unwrap();
    let items: Vec<Dynamic> = items.iter().map(|i| i.as_ref().into()).collect();
    let mut records: Vec<JobRecord> = pool.run(&script, items).unwrap().collect();
    records.sort_by_key(|r| r.seq);
    records
}

fn output(record: &JobRecord) -> String {
    assert_eq!(record.status, JobStatus::Completed, "{:?}", record.error);
    record.output[0].to_string()
}

fn error(record: &JobRecord) -> (JobErrorKind, String) {
    let error = record.error.as_ref().expect("the job failed");
    (error.kind, error.message.clone())
}

#[test]
fn fifty_gets_from_one_worker_use_one_kept_alive_connection() {
    let server = responder();
    let pool = pool_with_net(Some("127.0.0.1")).build().unwrap();
    let urls = vec![server.url("/hello"); 50];
    let records = run(
        &pool,
        "let r = http_get(item); `${r.status} ${r.body}`",
        &urls,
    );
    assert!(records.iter().all(|r| output(r) == "200 hello"));
    assert_eq!(server.connections(), 1);
}

#[test]
fn answers_are_values_whatever_their_status() {
    let server = responder();
    let pool = pool_with_net(Some("127.0.0.1")).build().unwrap();
    let script = r#"
        let missing = http_get(`${item}/missing`);
        let json = http_get(`${item}/json`, #{ json: true });
        let echo = http_request(#{
            method: "post", url: `${item}/echo`,
            headers: #{ "X-Test": "yes" }, body: #{ n: 1 },
        });
        let redirected = http_get(`${item}/redirect`);
        [missing.status, missing.body, json.json.a[1], json.json.ok,
         json.headers["content-type"], echo.body, echo.headers["x-multi"],
         redirected.status, redirected.body, "json" in missing]
    "#;
    let records = run(&pool, script, &[server.url("")]);
    assert_eq!(
        output(&records[0]),
        r#"[404, "no such page", 2, true, "application/json", "POST yes [application/json] [{\"n\":1}]", "a, b", 200, "hello", false]"#
    );
}

#[test]
fn a_refused_connection_fails_its_job_naming_the_url() {
    let pool = pool_with_net(Some("127.0.0.1")).build().unwrap();
    let url = format!("http://127.0.0.1:{}/x", closed_port());
    let records = run(&pool, "http_get(item)", &[&url]);
    let (kind, message) = error(&records[0]);
    assert_eq!(kind, JobErrorKind::Thrown);
    assert!(
        message.starts_with(&format!("http_get: cannot GET {url}: connection refused")),
        "{message}"
    );
}

#[test]
fn a_redirect_to_a_host_not_granted_is_refused() {
    let (first, second) = (responder(), responder());
    let url = first.url(&format!("/away/{}", second.port));
    let only_first = pool_with_net(Some(&format!("127.0.0.1:{}", first.port)))
        .build()
        .unwrap();
    let (_, message) = error(&run(&only_first, "http_get(item)", &[&url])[0]);
    let flag = format!("--allow-net=127.0.0.1:{}", second.port);
    assert!(message.contains(&flag), "{message}");
    let both = pool_with_net(Some("127.0.0.1")).build().unwrap();
    assert_eq!(
        output(&run(&both, "http_get(item).body", &[url])[0]),
        "hello"
    );
}

#[test]
fn a_delay_within_the_deadline_is_waited_for_and_one_past_it_times_the_job_out() {
    let server = responder();
    // A wide margin: on a loaded machine, a debug build's job can take hundreds of
    // milliseconds more than the delay it waits for.
    let pool = pool_with_net(Some("127.0.0.1"))
        .timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    let urls = [server.url("/delay/100"), server.url("/delay/5000")];
    let records = run(&pool, "http_get(item).body", &urls);
    assert_eq!(output(&records[0]), "late");
    assert_eq!(
        records[1].status,
        JobStatus::TimedOut,
        "{:?}",
        records[1].error
    );
}

#[test]
fn a_server_that_never_answers_times_its_job_out_and_the_worker_goes_on() {
    let (quiet, server) = (silent(), responder());
    let pool = pool_with_net(Some("127.0.0.1"))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let start = Instant::now();
    let records = run(
        &pool,
        "http_get(item).body",
        &[quiet.url("/"), server.url("/hello")],
    );
    assert_eq!(
        records[0].status,
        JobStatus::TimedOut,
        "{:?}",
        records[0].error
    );
    assert_eq!(records[0].worker, records[1].worker);
    assert_eq!(output(&records[1]), "hello");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_cancel_ends_a_request_at_once() {
    let quiet = silent();
    let start = Instant::now();
    let records = jsonl_records(
        rsparallel()
            .args(["run", "--allow-net=127.0.0.1", "--total-timeout", "500ms"])
            .args(["--output", "jsonl", "-e", "http_get(item)", &quiet.url("/")])
            .assert()
            .code(1),
    );
    assert_eq!(records[0]["status"], "cancelled", "{records:?}");
    // 500 ms to the cancel, then a slice of the worker's wait.
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn an_endless_body_fails_its_job_at_the_memory_cap_through_the_binary() {
    let hung_up = Arc::new(AtomicBool::new(false));
    let server = endless(hung_up.clone());
    let records = jsonl_records(
        rsparallel()
            .args(["run", "--allow-net=127.0.0.1", "--max-memory", "8MiB"])
            .args(["--output", "jsonl", "-e", "http_get(item).body.len()"])
            .arg(server.url("/"))
            .assert()
            .code(1),
    );
    assert_eq!(records[0]["status"], "failed", "{records:?}");
    assert_eq!(records[0]["error"]["kind"], "memory_cap", "{records:?}");
    // The client hung up instead of reading on.
    let start = Instant::now();
    while !hung_up.load(Ordering::SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(5), "still sending");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_body_past_the_cap_fails_only_its_job_in_the_library() {
    let hung_up = Arc::new(AtomicBool::new(false));
    let (server, fine) = (endless(hung_up), responder());
    let pool = pool_with_net(Some("127.0.0.1"))
        .max_memory(8 << 20)
        .build()
        .unwrap();
    let urls = [server.url("/"), server.url("/declared"), fine.url("/hello")];
    let records = run(&pool, "http_get(item).body", &urls);
    for record in &records[..2] {
        let (kind, message) = error(record);
        assert_eq!(kind, JobErrorKind::MemoryCap, "{message}");
        assert!(
            message.starts_with("http_get: the response from"),
            "{message}"
        );
    }
    assert_eq!(output(&records[2]), "hello");
}

#[test]
fn nothing_is_reached_without_allow_net_and_a_refusal_names_the_flag() {
    let (server, other) = (responder(), responder());
    let url = server.url("/hello");
    let flag = format!("--allow-net=127.0.0.1:{}", server.port);
    rsparallel()
        .args(["run", "-e", "http_get(item).body", &url])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            r#"network access to "127.0.0.1:{}" is not granted ({flag})"#,
            server.port
        )));
    // A host alone grants every port.
    rsparallel()
        .args([
            "run",
            "-k",
            "--allow-net=127.0.0.1",
            "-e",
            "http_get(item).body",
        ])
        .args([&url, &other.url("/hello")])
        .assert()
        .success()
        .stdout("hello\nhello\n");
    // A host with a port grants only that port.
    rsparallel()
        .args(["run", &format!("--allow-net=127.0.0.1:{}", other.port)])
        .args(["-e", "http_get(item).body", &url])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(&flag));
    rsparallel()
        .args(["run", &flag, "-e", "http_get(item).body", &url])
        .assert()
        .success()
        .stdout("hello\n");
}

#[test]
fn a_probe_tells_an_open_port_from_a_closed_one() {
    let server = responder();
    let pool = pool_with_net(Some("127.0.0.1")).build().unwrap();
    let script = r#"let p = tcp_probe("127.0.0.1", parse_int(item)); `${p.open} ${type_of(p.ms)}`"#;
    let ports = [server.port.to_string(), closed_port().to_string()];
    let records = run(&pool, script, &ports);
    assert_eq!(output(&records[0]), "true f64");
    assert_eq!(output(&records[1]), "false f64");
    let (_, message) = error(&run(&pool, r#"tcp_probe("localhost", 80)"#, &[""])[0]);
    assert!(message.contains("--allow-net=localhost:80"), "{message}");
}

#[test]
fn localhost_resolves_to_a_loopback_address() {
    let pool = pool_with_net(Some("localhost")).build().unwrap();
    let records = run(&pool, r#"resolve("localhost")"#, &[""]);
    let addresses = output(&records[0]);
    assert!(
        addresses.contains("127.0.0.1") || addresses.contains("::1"),
        "{addresses}"
    );
    let (_, message) = error(&run(&pool, r#"resolve("example.com")"#, &[""])[0]);
    assert!(message.contains("--allow-net=example.com"), "{message}");
}

#[test]
fn a_cancelled_request_lets_go_of_its_connection_at_once() {
    // No timeout: without the cancel closing it, the connection would stay open for the
    // idle limit of a minute, on the worker's network thread.
    let hung_up = Arc::new(AtomicBool::new(false));
    let quiet = common::http::silent_noting(hung_up.clone());
    let pool = pool_with_net(Some("127.0.0.1")).threads(1).build().unwrap();
    let script = pool.compile("http_get(item)").unwrap();
    let mut run = pool.run(&script, [quiet.url("/")]).unwrap();
    let canceller = run.canceller();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        canceller.cancel();
    });
    assert_eq!(run.next().unwrap().status, JobStatus::Cancelled);
    let start = Instant::now();
    while !hung_up.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the connection stayed open {:?} after the cancel",
        start.elapsed()
    );
}

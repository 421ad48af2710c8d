//! The batteries through a real pool: bad input fails its job clearly, nothing reaches outside
//! the engine, and each worker's regular-expression cache is its own and bounded.

mod common;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::TcpListener;

use common::{assert_each_seq_once, count_by_status, pool, run_range};
use rsparallel::batteries::{HELP, REGEX_CACHE_CAPACITY};
use rsparallel::rhai::Dynamic;
use rsparallel::{JobRecord, JobStatus, RunspacePool};

fn run_items(pool: &RunspacePool, source: &str, items: Vec<Dynamic>) -> Vec<JobRecord> {
    let script = pool.compile(source).expect("script compiles");
    let mut records: Vec<JobRecord> = pool.run(&script, items).expect("run starts").collect();
    records.sort_by_key(|r| r.seq);
    records
}

#[test]
fn a_typical_normalising_script_runs_in_every_worker() {
    let pool = pool(2, 0);
    let source = r#"
        let fields = csv_split(item);
        let name = slugify(replace_regex(fields[0], "\\s+", " "));
        let when = format_time(add_duration(parse_time(fields[1]), "1 day"), "%Y-%m-%d");
        to_json(#{ name: name, when: when, id: crc32(name) })
    "#;
    let items: Vec<Dynamic> = (0..2_000)
        .map(|i| format!("\"Item  {i}, Large\",2024-02-28T10:00:00Z").into())
        .collect();
    let records = run_items(&pool, source, items);
    assert_each_seq_once(&records, 2_000);
    for r in &records {
        assert_eq!(r.status, JobStatus::Completed, "{r:?}");
        let out = r.output[0].to_string();
        let expected = format!(r#""name":"item-{}-large""#, r.seq);
        assert!(out.contains(&expected), "{out}");
        assert!(out.contains(r#""when":"2024-02-29""#), "{out}");
    }
}

#[test]
fn bad_input_fails_only_its_job_with_a_clear_message_and_position() {
    let pool = pool(2, 0);
    let items: Vec<Dynamic> = vec![
        r#"{"ok": 1}"#.into(),
        r#"{"ok": 1,}"#.into(),
        "not base64!".into(),
        "([a-".into(),
        "2024-99-01".into(),
    ];
    let source = r#"
        switch seq {
            0 | 1 => parse_json(item).ok,
            2 => base64_decode(item),
            3 => replace_regex("text", item, ""),
            _ => parse_time(item),
        }
    "#;
    let records = run_items(&pool, source, items);
    assert_eq!(records[0].status, JobStatus::Completed);
    let expected = [
        (1, "parse_json: invalid JSON: "),
        (2, "base64_decode: invalid base64: "),
        (3, r#"replace_regex: invalid pattern "([a-": "#),
        (4, r#"parse_time: "2024-99-01" is not an RFC 3339 time"#),
    ];
    for (seq, start) in expected {
        let r = &records[seq];
        assert_eq!(r.status, JobStatus::Failed, "{r:?}");
        let error = r.error.as_ref().unwrap();
        assert!(error.message.starts_with(start), "{error:?}");
        assert!(
            error.line.is_some(),
            "the error points into the script: {error:?}"
        );
    }
}

#[test]
fn no_battery_reaches_files_the_environment_or_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let secret_path = dir.path().join("secret.json");
    let secret = "file-secret-7f3a";
    std::fs::File::create(&secret_path)
        .unwrap()
        .write_all(format!("{{\"s\": \"{secret}\"}}").as_bytes())
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    // PATH is always set: a battery that expanded variables would print its value.
    let env_value = std::env::var("PATH").unwrap();

    // Every battery, with every path-, URL- or variable-like argument it accepts.
    let names: Vec<&str> = HELP
        .iter()
        .map(|(s, ..)| s.split('(').next().unwrap())
        .collect();
    let calls: Vec<String> = names
        .iter()
        .flat_map(|name| {
            [
                format!("{name}(item)"),
                format!("{name}(item, item)"),
                format!("{name}(item, item, item)"),
                format!("{name}(\"x\", item)"),
                format!("{name}(0, item)"),
                format!("{name}(item, 3, ' ')"),
            ]
        })
        .map(|call| format!("try {{ emit({call}); }} catch (e) {{ emit(`${{e}}`); }}"))
        .collect();
    let source = calls.join("\n");
    let dangers = [
        secret_path.display().to_string(),
        format!("file://{}", secret_path.display()),
        format!("@{}", secret_path.display()),
        url.clone(),
        "$PATH".to_string(),
        "${PATH}".to_string(),
        "%PATH%".to_string(),
    ];
    let pool = pool(2, 5_000);
    let records = run_items(&pool, &source, dangers.iter().map(|d| d.into()).collect());
    assert_eq!(records.len(), dangers.len());
    for r in &records {
        assert_eq!(r.status, JobStatus::Completed, "{r:?}");
        assert!(
            r.output.len() >= names.len() * 6,
            "every call ran: {}",
            r.output.len()
        );
        for out in &r.output {
            let text = out.to_string();
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains(&env_value), "{text}");
        }
    }
    assert!(listener.accept().is_err(), "a battery opened a connection");
}

#[test]
fn each_worker_has_its_own_regex_cache() {
    // A distinct pattern per job: each worker's cache grows by one per job *it* ran.
    let pool = pool(2, 0);
    let records = run_range(&pool, r#"is_match("x", `p${seq}`); regex_cache_len()"#, 40);
    assert_each_seq_once(&records, 40);
    let mut by_worker: HashMap<Option<usize>, Vec<&JobRecord>> = HashMap::new();
    for r in &records {
        by_worker.entry(r.worker).or_default().push(r);
    }
    for (worker, mut jobs) in by_worker {
        jobs.sort_by_key(|r| r.start);
        let lens: Vec<i64> = jobs.iter().map(|r| r.output[0].as_int().unwrap()).collect();
        let expected: Vec<i64> = (1..=jobs.len() as i64).collect();
        assert_eq!(lens, expected, "worker {worker:?}");
    }
}

/// Resident memory of this process, from /proc (Linux only).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[test]
fn a_job_building_100_000_patterns_keeps_the_cache_bounded() {
    let pool = pool(1, 0);
    let before = rss_bytes();
    let records = run_range(
        &pool,
        r#"let most = 0;
           for i in 0..100000 {
               is_match("p5", `p${i}`);
               most = max(most, regex_cache_len());
           }
           most"#,
        1,
    );
    let counts = count_by_status(&records);
    assert_eq!(counts.get(&JobStatus::Completed), Some(&1), "{records:?}");
    let most = records[0].output[0].as_int().unwrap();
    assert_eq!(most as usize, REGEX_CACHE_CAPACITY);
    // Unbounded, 100,000 compiled patterns take hundreds of MiB; bounded, a few KiB each for 64.
    if let (Some(before), Some(after)) = (before, rss_bytes()) {
        let grown = after.saturating_sub(before);
        assert!(grown < 64 << 20, "RSS grew by {} MiB", grown >> 20);
    }
}

#[test]
fn delimiters_and_fills_may_be_one_character_strings_and_times_without_an_offset_are_utc() {
    let pool = pool(1, 0);
    let cases = [
        (r#"csv_split("a;\"b;c\";d", ";")"#, r#"["a", "b;c", "d"]"#),
        (
            r#"pad_left("7", 3, "0") + pad_right("x", 3, "-")"#,
            "007x--",
        ),
        (
            r#"parse_time("2024-03-01 12:00:00") == parse_time("2024-03-01T12:00:00Z")"#,
            "true",
        ),
        (r#"parse_time("2024-03-01T12:00:00.5")"#, "1709294400500"),
    ];
    for (source, expected) in cases {
        let record = run_items(&pool, source, vec![Dynamic::UNIT]).remove(0);
        assert!(record.is_completed(), "{source}: {:?}", record.error);
        assert_eq!(record.output[0].to_string(), expected, "{source}");
    }
    for (source, message) in [
        (
            r#"csv_split("a", ";;")"#,
            r#"csv_split: the delimiter must be one character, not ";;""#,
        ),
        (
            r#"pad_left("a", 3, "")"#,
            r#"pad_left: the fill must be one character, not """#,
        ),
        (r#"parse_time("junk")"#, "nor a date and time in UTC"),
    ] {
        let record = run_items(&pool, source, vec![Dynamic::UNIT]).remove(0);
        let error = record.error.expect(source);
        assert!(
            error.message.contains(message),
            "{source}: {}",
            error.message
        );
    }
}

#[test]
fn a_pattern_over_64_kib_is_refused_before_it_is_parsed() {
    // The crate parses a pattern whole before its size limit applies: 130 MB of pattern took
    // the process past 6 GB. 128 KiB is refused, naming its start and length.
    let pool = pool(1, 0);
    let records = run_range(
        &pool,
        r#"let p = "abcdefgh"; for i in 0..14 { p += p; } is_match("x", p)"#,
        1,
    );
    let error = records[0].error.as_ref().expect("refused");
    assert!(
        error
            .message
            .starts_with("is_match: a pattern of 131072 bytes (\"abcdefgh"),
        "{}",
        error.message
    );
    assert!(
        error.message.ends_with("is over 64 KiB"),
        "{}",
        error.message
    );
}

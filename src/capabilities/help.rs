//! The capabilities' help table, by family, as the batteries have theirs: what the REPL's
//! `help` and `rsparallel functions` print. Each needs its `--allow-*` flag to do anything.

use crate::batteries::{Family, HelpEntry};

/// Every family of capabilities, in the order `help` lists them.
pub const FAMILIES: [Family; 4] = [
    Family {
        name: "files",
        about: "files under the paths --allow-read and --allow-write grant",
        entries: FILES,
    },
    Family {
        name: "network",
        about: "HTTP(S), TCP and names, to the hosts --allow-net grants",
        entries: NETWORK,
    },
    Family {
        name: "processes",
        about: "the programs --allow-run grants, no shell, bounded by the job",
        entries: PROCESSES,
    },
    Family {
        name: "environment",
        about: "the variables --allow-env grants",
        entries: ENVIRONMENT,
    },
];

const FILES: &[HelpEntry] = &[
    (
        "read_file(path)",
        "the file's text (UTF-8)",
        r#"read_file("data/a.txt")"#,
    ),
    (
        "read_blob(path)",
        "the file's bytes, as a blob",
        r#"read_blob("img.png").len()"#,
    ),
    (
        "read_lines(path)",
        "the file's lines, as an array of strings",
        r#"read_lines("list.txt")"#,
    ),
    (
        "write_file(path, text_or_blob)",
        "creates or replaces the file (--allow-write)",
        r#"write_file("out/a.txt", "hello")"#,
    ),
    (
        "append_file(path, text)",
        "adds to the end of the file (--allow-write)",
        r#"append_file("out/log.txt", "line\n")"#,
    ),
    (
        "remove_file(path)",
        "removes the file (--allow-write)",
        r#"remove_file("out/a.txt")"#,
    ),
    (
        "list_dir(path)",
        "the paths of a folder's entries",
        r#"list_dir("data")"#,
    ),
    (
        "list_dir(path, options)",
        "options: recursive, glob (`*`, `?` on names)",
        r#"list_dir("logs", #{ recursive: true, glob: "*.log" })"#,
    ),
    (
        "file_info(path)",
        "#{ size, modified (ms since the epoch), kind: file, dir, symlink or other }",
        r#"file_info("data/a.txt").size"#,
    ),
    (
        "exists(path)",
        "whether the path exists",
        r#"exists("data/a.txt")"#,
    ),
    (
        "sha256_file(path)",
        "the file's SHA-256, in hex, read through a fixed buffer",
        r#"sha256_file("big.iso")"#,
    ),
    (
        "md5_file(path)",
        "the file's MD5, in hex",
        r#"md5_file("big.iso")"#,
    ),
    (
        "crc32_file(path)",
        "the file's CRC-32, as 8 hex digits",
        r#"crc32_file("big.iso")"#,
    ),
];

const NETWORK: &[HelpEntry] = &[
    (
        "http_get(url)",
        "#{ status, headers, body }: a status is a value, not a failure",
        r#"http_get("https://example.com/").status"#,
    ),
    (
        "http_get(url, options)",
        "options: headers (a map), json (parse the body into `json`)",
        r#"http_get(url, #{ json: true }).json"#,
    ),
    (
        "http_request(options)",
        "#{ method, url, headers, body, json }: any method",
        r#"http_request(#{ method: "POST", url: url, body: "x" })"#,
    ),
    (
        "tcp_probe(host, port)",
        "#{ open, ms }: whether a TCP connection opens, and how fast",
        r#"tcp_probe("example.com", 443).open"#,
    ),
    (
        "resolve(host)",
        "the host's addresses",
        r#"resolve("localhost")"#,
    ),
];

const PROCESSES: &[HelpEntry] = &[
    (
        "run_process(program, args)",
        "#{ code, stdout, stderr }: runs the program with these arguments",
        r#"run_process("git", ["-C", item, "status", "--short"]).stdout"#,
    ),
    (
        "run_process(program, args, options)",
        "options: stdin (text or blob), env (a map of variables --allow-env grants), cwd",
        r#"run_process("wc", ["-l"], #{ stdin: "a\nb\n" }).stdout"#,
    ),
];

const ENVIRONMENT: &[HelpEntry] = &[(
    "env(name)",
    "the variable's value, or () when it is not set",
    r#"env("HOME")"#,
)];

//! `--shard`: the shards of a run together give the records of one unsharded run.

mod common;

use common::{jsonl_records, rsparallel};

/// What a record says: seq, item, status, output and error message.
type Shown = (
    u64,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
);

#[test]
fn shards_together_equal_one_unsharded_run() {
    // Every seventh item fails, so records of both kinds are compared.
    let script = "if item % 7 == 3 { throw `no ${item}` } item * 3";
    let run = |shard: Option<&str>| {
        let mut command = rsparallel();
        command.args([
            "run", "-e", script, "--range", "0..1000", "--output", "jsonl",
        ]);
        if let Some(shard) = shard {
            command.args(["--shard", shard]);
        }
        let records = jsonl_records(command.assert().code(1));
        let mut content: Vec<Shown> = records
            .iter()
            .map(|r| {
                (
                    r["seq"].as_u64().unwrap(),
                    r["item"].clone(),
                    r["status"].clone(),
                    r["output"].clone(),
                    r["error"]["message"].clone(),
                )
            })
            .collect();
        content.sort_by_key(|c| c.0);
        content
    };
    let whole = run(None);
    // The unsharded run is right on its own terms: one record per item, with its value.
    assert_eq!(whole.len(), 1000);
    for (i, (seq, item, status, output, error)) in whole.iter().enumerate() {
        assert_eq!(*seq, i as u64);
        assert_eq!(*item, serde_json::json!(i));
        if i % 7 == 3 {
            assert_eq!(*status, "failed");
            assert_eq!(*error, format!("no {i}"));
        } else {
            assert_eq!(*status, "completed");
            assert_eq!(*output, serde_json::json!([i * 3]));
        }
    }
    let mut union = Vec::new();
    for (k, len) in [(0, 334), (1, 333), (2, 333)] {
        let shard = run(Some(&format!("{k}/3")));
        assert_eq!(shard.len(), len, "shard {k}/3");
        assert!(shard.iter().all(|c| c.0 % 3 == k), "shard {k}/3");
        union.extend(shard);
    }
    union.sort_by_key(|c| c.0);
    assert_eq!(union, whole);
}

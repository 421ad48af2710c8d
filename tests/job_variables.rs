//! `item`, `seq` and `attempt` stay in each worker's scope and are overwritten per job: these
//! check that nothing of one job reaches the next, whatever the script did to them.

use rsparallel::{JobStatus, RunOptions, RunspacePool};

fn outputs(source: &str, items: i64) -> Vec<(i64, String, String)> {
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    let script = pool.compile(source).unwrap();
    let options = RunOptions {
        keep_order: true,
        ..RunOptions::default()
    };
    pool.run_with(&script, (0..items).map(|i| Ok(i.into())), options)
        .unwrap()
        .map(|r| {
            assert_eq!(r.status, JobStatus::Completed, "{:?}", r.error);
            (r.seq as i64, r.item.to_string(), r.output[0].to_string())
        })
        .collect()
}

#[test]
fn closures_capturing_the_job_variables_see_each_job_s_values() {
    let got = outputs("let f = || seq * 1000 + item * 10 + attempt; f.call()", 50);
    for (seq, item, out) in got {
        assert_eq!(item, seq.to_string());
        assert_eq!(out, (seq * 1000 + seq * 10 + 1).to_string());
    }
}

#[test]
fn a_job_that_changes_or_shadows_item_leaves_the_record_and_the_next_job_alone() {
    for source in [
        "item += 1000; item",
        "let item = item + 1000; item",
        "item = \"x\"; seq + 1000",
    ] {
        for (seq, item, out) in outputs(source, 20) {
            assert_eq!(item, seq.to_string(), "{source}");
            assert_eq!(out, (seq + 1000).to_string(), "{source}");
        }
    }
}

#[test]
fn top_level_variables_do_not_outlive_their_job() {
    let got = outputs(
        "let seen = if is_def_var(\"last\") { 1 } else { 0 }; let last = item; seen",
        20,
    );
    assert!(got.iter().all(|(_, _, out)| out == "0"), "{got:?}");
}

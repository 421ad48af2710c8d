//! `item`, `seq` and `attempt` stay in each worker's scope and are overwritten per job: these
//! check that nothing of one job reaches the next, whatever the script did to them.

use rsparallel::{JobStatus, RunOptions, RunspacePool, ScriptVm};

fn outputs(source: &str, items: i64) -> Vec<(i64, String, String)> {
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    let script = pool.compile(source).unwrap();
    let options = RunOptions::default().keep_order(true);
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
        let got = outputs(source, 20);
        assert_eq!(got.len(), 20, "{source}");
        for (seq, item, out) in got {
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
    assert_eq!(got.len(), 20);
    assert!(got.iter().all(|(_, _, out)| out == "0"), "{got:?}");
}

#[test]
fn no_job_changes_an_injected_variable_for_the_next() {
    // Methods that change their receiver in place refuse a constant, as injected variables
    // are; once, `pad` and then `tally` did not, and each job on a worker saw the last one's
    // padding, or counts.
    for vm in [ScriptVm::TreeWalker, ScriptVm::Grain] {
        let pool = RunspacePool::builder()
            .threads(1)
            .vm(vm)
            .variable("prefix", "abc")
            .variable("list", rsparallel::rhai::Array::from([1.into()]))
            .variable(
                "counts",
                rsparallel::rhai::Map::from([("a".into(), 0.into())]),
            )
            .build()
            .unwrap();
        for source in [
            r#"prefix.pad(prefix.len() + 1, "x"); prefix"#,
            "list.pad(list.len() + 1, 0); list",
            "list.push(2); list",
            r#"counts.tally("a"); counts"#,
            r#"counts.tally(7, 2); counts"#,
            r#"counts.tally(#{ a: 1 }); counts"#,
            r#"counts.tally_field("a b", 0); counts"#,
            r#"counts.tally_field("a:b", 0, ":"); counts"#,
        ] {
            let script = pool.compile(source).unwrap();
            for r in pool.run(&script, 0..3_i64).unwrap() {
                assert_eq!(r.status, JobStatus::Failed, "{vm}: {source}: {r:?}");
                let message = &r.error.as_ref().unwrap().message;
                assert!(message.contains("constant"), "{vm}: {source}: {message}");
            }
        }
        let script = pool.compile("`${prefix} ${list} ${counts}`").unwrap();
        for r in pool.run(&script, 0..3_i64).unwrap() {
            assert_eq!(r.output[0].to_string(), "abc [1] #{\"a\": 0}");
        }
    }
}

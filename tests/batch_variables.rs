//! Variables of one run or batch (`RunOptions::variable`, the host API's `variables` option),
//! beside the pool's.

mod common;

use rsparallel::rhai::Dynamic;
use rsparallel::{Error, JobStatus, RunOptions, RunspacePool, Wait};

fn ints(batch: rsparallel::Batch) -> Vec<i64> {
    let mut out: Vec<i64> = batch
        .map(|r| {
            assert_eq!(r.status, JobStatus::Completed, "{:?}", r.error);
            r.output[0].as_int().unwrap()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_batch_sees_its_own_variables_while_one_worker_alternates_between_them() {
    let pool = RunspacePool::builder()
        .threads(1)
        .variable("rate", 1_i64)
        .variable("offset", 100_i64)
        .build()
        .unwrap();
    let script = pool.compile("item * rate + offset").unwrap();
    // Small items and two batches in flight: the one worker takes chunks of each in turn.
    let plain = pool
        .submit(&script, 0..2_000_i64, RunOptions::default())
        .unwrap();
    let tripled = pool
        .submit(
            &script,
            0..2_000_i64,
            RunOptions::default().variable("rate", 3_i64),
        )
        .unwrap();
    let shifted = pool
        .submit(
            &script,
            0..2_000_i64,
            RunOptions::default().variable("offset", 0_i64),
        )
        .unwrap();
    let expect = |rate: i64, offset: i64| (0..2_000).map(|i| i * rate + offset).collect::<Vec<_>>();
    assert_eq!(ints(plain), expect(1, 100));
    assert_eq!(ints(tripled), expect(3, 100));
    assert_eq!(ints(shifted), expect(1, 0));
    // A streamed run after them sees only the pool's again.
    let after: Vec<i64> = pool
        .run(&script, [5_i64])
        .unwrap()
        .map(|r| r.output[0].as_int().unwrap())
        .collect();
    assert_eq!(after, [105]);
}

#[test]
fn a_batch_variable_is_a_constant_and_a_job_variable_name_is_refused() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let assign = pool.compile("limit = 1; limit").unwrap();
    let mut batch = pool
        .submit(
            &assign,
            [0_i64],
            RunOptions::default().variable("limit", 5_i64),
        )
        .unwrap();
    assert!(batch.wait(Wait::Yes));
    let record = batch.next().unwrap();
    assert_eq!(record.status, JobStatus::Failed);

    for name in ["item", "seq", "attempt"] {
        let refused = pool.submit(
            &assign,
            [0_i64],
            RunOptions::default().variable(name, 1_i64),
        );
        match refused {
            Err(Error::InvalidOption(message)) => assert!(message.contains(name), "{message}"),
            other => panic!("{name}: {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn a_batch_keeps_its_variables_after_a_native_panic_rebuilds_the_runspace() {
    let pool = common::pool_with_a_panicking_native();
    // Far into the batch, where chunks are long: the jobs after the panic in its chunk need
    // the batch's variables again.
    let script = pool
        .compile("if item == 1500 { boom() } item + bonus")
        .unwrap();
    let batch = pool
        .submit(
            &script,
            0..2_000_i64,
            RunOptions::default()
                .keep_order(true)
                .variable("bonus", 10_i64),
        )
        .unwrap();
    let outcomes: Vec<(JobStatus, Option<Dynamic>)> = batch
        .map(|r| (r.status, r.output.first().cloned()))
        .collect();
    assert_eq!(outcomes.len(), 2_000);
    assert_eq!(outcomes[1500].0, JobStatus::Failed);
    for i in (0..2_000).filter(|&i| i != 1500) {
        assert_eq!(outcomes[i].0, JobStatus::Completed, "job {i}");
        assert_eq!(
            outcomes[i].1.as_ref().unwrap().as_int().unwrap(),
            i as i64 + 10
        );
    }
}

#[test]
fn the_host_api_gives_a_batch_its_variables() {
    let engine = rsparallel::host::Host::new().engine();
    let sums: rsparallel::rhai::Array = engine
        .eval(
            r#"
            let pool = new_runspace_pool(#{ threads: 2, variables: #{ rate: 1 } });
            let plain = new_runspace_job(pool, "item * rate", 0..10);
            let tripled = new_runspace_job(pool, "item * rate", 0..10, #{ variables: #{ rate: 3 } });
            let sum = |records| { let s = 0; for r in records { s += r.output[0]; } s };
            [
                sum.call(receive_runspace_job(pool, #{ batch: plain, wait: true })),
                sum.call(receive_runspace_job(pool, #{ batch: tripled, wait: true })),
            ]
            "#,
        )
        .unwrap();
    let sums: Vec<i64> = sums.iter().map(|d| d.as_int().unwrap()).collect();
    assert_eq!(sums, [45, 135]);

    let message = engine
        .eval::<Dynamic>(
            r#"
            let pool = new_runspace_pool(#{ threads: 1 });
            new_runspace_job(pool, "item", [1], #{ variables: #{ seq: 1 } })
            "#,
        )
        .unwrap_err()
        .to_string();
    assert!(message.contains("'seq' is set by rsparallel"), "{message}");
}

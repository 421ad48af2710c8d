//! The `serde` feature: a record's outputs taken out as the host's own types.
#![cfg(feature = "serde")]

use rsparallel::{RunspacePool, TypedOutputError};

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Reading {
    sensor: String,
    values: Vec<f64>,
    ok: bool,
}

#[test]
fn outputs_deserialize_into_the_hosts_types() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool
        .compile(r#"emit(item); #{ sensor: `s${item}`, values: [1.5, item * 1.0], ok: item > 1 }"#)
        .unwrap();
    let mut records: Vec<_> = pool.run(&script, [1_i64, 2]).unwrap().collect();
    records.sort_by_key(|r| r.seq);
    let first: i64 = records[0].output_as(0).unwrap();
    assert_eq!(first, 1);
    let reading: Reading = records[1].output_as(1).unwrap();
    assert_eq!(
        reading,
        Reading {
            sensor: "s2".into(),
            values: vec![1.5, 2.0],
            ok: true
        }
    );
    // Asked for what is not there, or in the wrong shape: an error that says so.
    assert!(matches!(
        records[0].output_as::<i64>(5),
        Err(TypedOutputError::Missing {
            index: 5,
            outputs: 2
        })
    ));
    assert!(matches!(
        records[0].output_as::<Reading>(0),
        Err(TypedOutputError::Shape(_))
    ));
}

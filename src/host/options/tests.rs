//! The option maps' parsing: every key checked, every bad value named.

use super::*;

fn map(pairs: &[(&str, Dynamic)]) -> Map {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), v.clone()))
        .collect()
}

fn pool() -> RunspacePool {
    RunspacePool::builder().threads(1).build().unwrap()
}

#[test]
fn durations_are_strings_or_milliseconds() {
    let timeout = |value: Dynamic| {
        let builder = RunspacePool::builder().threads(1);
        let options = map(&[("timeout", value)]);
        pool_builder(&options, builder, &Permissions::none())
            .unwrap()
            .build()
            .unwrap()
            .timeout()
    };
    assert_eq!(timeout("2s".into()), Some(Duration::from_secs(2)));
    assert_eq!(timeout(250_i64.into()), Some(Duration::from_millis(250)));
    let err = pool_builder(
        &map(&[("timeout", "soon".into())]),
        RunspacePool::builder(),
        &Permissions::none(),
    )
    .err()
    .unwrap();
    assert!(err.contains("\"soon\" is not a duration"), "{err}");
}

#[test]
fn unknown_keys_and_bad_values_are_named() {
    let err = pool_builder(
        &map(&[("thread", Dynamic::from(2_i64))]),
        RunspacePool::builder(),
        &Permissions::none(),
    )
    .err()
    .unwrap();
    assert!(err.contains("unknown option 'thread'"), "{err}");
    let err = pool_builder(
        &map(&[("threads", Dynamic::from(-1_i64))]),
        RunspacePool::builder(),
        &Permissions::none(),
    )
    .err()
    .unwrap();
    assert!(err.contains("'threads' must not be negative"), "{err}");
    let err = receive_options(&map(&[("wait", "later".into())]), &pool())
        .err()
        .unwrap();
    assert!(
        err.contains("'wait' must be true, false or a duration"),
        "{err}"
    );
}

#[test]
fn wait_takes_a_flag_or_a_duration() {
    let o = receive_options(&map(&[("wait", true.into())]), &pool()).unwrap();
    assert_eq!(o.wait, Wait::Yes);
    let o = receive_options(&map(&[("wait", "1s".into())]), &pool()).unwrap();
    assert_eq!(o.wait, Wait::For(Duration::from_secs(1)));
}

#[test]
fn vm_is_tree_or_grain() {
    let built = |options: &Map| {
        let builder = RunspacePool::builder().threads(1).vm(ScriptVm::TreeWalker);
        pool_builder(options, builder, &Permissions::none())
            .unwrap()
            .build()
            .unwrap()
            .vm()
    };
    assert_eq!(built(&Map::new()), ScriptVm::TreeWalker);
    assert_eq!(built(&map(&[("vm", "grain".into())])), ScriptVm::Grain);
    let err = pool_builder(
        &map(&[("vm", "fast".into())]),
        RunspacePool::builder(),
        &Permissions::none(),
    )
    .err()
    .unwrap();
    assert!(err.contains("option 'vm': unknown vm 'fast'"), "{err}");
    let err = pool_builder(
        &map(&[("vm", true.into())]),
        RunspacePool::builder(),
        &Permissions::none(),
    )
    .err()
    .unwrap();
    assert!(
        err.contains("'vm' must be \"auto\", \"tree\" or \"grain\""),
        "{err}"
    );
}

#[test]
fn the_job_variables_cannot_be_injected() {
    for name in ["item", "seq", "attempt"] {
        let vars: Map = map(&[(name, Dynamic::from(1_i64))]);
        let err = pool_builder(
            &map(&[("variables", vars.into())]),
            RunspacePool::builder(),
            &Permissions::none(),
        )
        .err()
        .unwrap();
        assert!(
            err.contains(&format!("'{name}' is set by rsparallel")),
            "{err}"
        );
    }
}

#[test]
fn a_pool_is_granted_only_what_its_host_has() {
    let host = Permissions::none().allow(Capability::Read, Some("/data"));
    let allow = |value: Dynamic| {
        pool_builder(&map(&[("allow", value)]), RunspacePool::builder(), &host).err()
    };
    let inside: Map = map(&[("read", "/data/logs".into())]);
    assert_eq!(allow(inside.into()), None);
    let net: Map = map(&[("net", true.into())]);
    let err = allow(net.into()).unwrap();
    assert!(
        err.contains(
            "net access to all is not granted to this script (rsparallel exec or repl --allow-net)"
        ),
        "{err}"
    );
    let odd: Map = map(&[("disk", true.into())]);
    assert!(
        allow(odd.into())
            .unwrap()
            .contains("unknown capability 'disk'")
    );
}

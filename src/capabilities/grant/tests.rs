use super::*;

#[test]
fn flags_widen_grants_and_nothing_is_the_default() {
    let p = Permissions::none();
    assert!(p.is_none());
    let p = p
        .allow(Capability::Env, Some("HOME, PATH"))
        .allow(Capability::Env, Some("USER"));
    assert_eq!(
        p.grant(Capability::Env),
        &Grant::Only(vec!["HOME".into(), "PATH".into(), "USER".into()])
    );
    assert!(p.grant(Capability::Env).allows("USER"));
    assert!(!p.grant(Capability::Env).allows("SECRET"));
    let p = p
        .allow(Capability::Env, None)
        .allow(Capability::Env, Some("X"));
    assert_eq!(p.grant(Capability::Env), &Grant::Everything);
    assert!(!p.is_none());
    assert!(Permissions::all().grant(Capability::Run).allows("anything"));
    assert_eq!(Capability::from_name("net"), Some(Capability::Net));
    assert_eq!(Capability::Read.flag(), "--allow-read");
}

#[test]
fn a_pool_may_grant_only_what_its_host_has() {
    let host = Permissions::none()
        .allow(Capability::Read, Some("/data"))
        .allow(Capability::Net, Some("example.com"));
    let inside = Permissions::none().allow(Capability::Read, Some("/data/logs"));
    assert_eq!(inside.beyond(&host), None);
    let outside = Permissions::none().allow(Capability::Read, Some("/data2"));
    assert_eq!(
        outside.beyond(&host),
        Some((Capability::Read, "/data2".into()))
    );
    let all_net = Permissions::none().allow(Capability::Net, None);
    assert_eq!(
        all_net.beyond(&host),
        Some((Capability::Net, String::new()))
    );
    // `..` and symlinks lead where they lead: out of the host's grant.
    let dir = std::env::temp_dir().join(format!("rsparallel-grant-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    let _ = std::os::unix::fs::symlink("../b", dir.join("a/link"));
    let host = Permissions::none().allow(Capability::Read, Some(dir.join("a").to_str().unwrap()));
    for sneaky in ["a/../b", "a/link", "a/link/secret", "a/new/../../b"] {
        let wanted = dir.join(sneaky);
        let wanted = Permissions::none().allow(Capability::Read, Some(wanted.to_str().unwrap()));
        assert!(wanted.beyond(&host).is_some(), "{sneaky}");
    }
    let inside = Permissions::none().allow(
        Capability::Read,
        Some(dir.join("a/new/x").to_str().unwrap()),
    );
    assert_eq!(inside.beyond(&host), None);
    std::fs::remove_dir_all(&dir).unwrap();
    let run = Permissions::none().allow(Capability::Run, Some("ls"));
    assert_eq!(run.beyond(&host), Some((Capability::Run, "ls".into())));
    assert_eq!(Permissions::all().beyond(&Permissions::all()), None);
}

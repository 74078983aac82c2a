//! `vimage construct` without a terminal, against a CBSD workdir built from the fixtures:
//! the jconf it writes, the `cbsd jcreate` it runs (a stand-in in VIMAGE_CMD_DIR records its
//! argv and checks the jconf is there), the `vimage set` it runs for netgraph (a recorder
//! standing in for vimage), and its refusals.

mod common;

use common::bench::Bench;
use vimage::shvars::ShFile;

fn get(f: &ShFile, k: &str) -> String {
    f.get(k).unwrap_or_else(|| panic!("{k} missing"))
}

#[test]
fn epair_jail_with_defaults_from_the_inventory_is_created() {
    let b = Bench::new(true);
    let o = b.construct(&["jname=web3", "create=1"]);
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
    let path = b.jconf("web3");
    let f = ShFile::parse(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(get(&f, "jname"), "web3");
    assert_eq!(get(&f, "host_hostname"), "web3.my.domain", "domain of the inventory's hostname (nodename is bare)");
    assert_eq!(get(&f, "interface"), "em0", "nc.inventory's jail_interface");
    assert_eq!(get(&f, "ip4_addr"), "REALDHCP");
    assert_eq!(get(&f, "ci_gw4"), "0");
    assert_eq!(get(&f, "devfs_ruleset"), "5");
    assert_eq!(
        (get(&f, "vnet"), get(&f, "jail_profile"), get(&f, "vimage_mode")),
        ("1".into(), "vimage".into(), "epair".into())
    );
    assert_eq!(b.calls("cbsd"), vec![vec!["jcreate".to_string(), format!("jconf={}", path.display())]]);
    assert_eq!(std::fs::read(b.cmd_dir.join("jcreate.jconf")).unwrap(), std::fs::read(&path).unwrap());
    assert_eq!(b.calls("vimage"), vec![vec!["set", "jname=web3", "enable=1"]], "the new jail becomes a vimage jail");
    let out = common::stdout(&o);
    assert!(out.contains("ran cbsd jcreate jconf=") && out.contains("Creating complete"), "{out}");
}

#[test]
fn netgraph_jail_is_created_then_its_settings_are_stored_with_vimage_set() {
    let b = Bench::new(true);
    let o = b.construct(&[
        "jname=ng1",
        "mode=netgraph",
        "bridges=em0 em1",
        "ip4_addr=192.0.2.14/24,2001:db8::14/64",
        "ci_gw4=192.0.2.1,2001:db8::1",
        "devfs_ruleset=9",
        "host_hostname=ng1.example.org",
        "--yes",
    ]);
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
    let f = ShFile::parse(&std::fs::read_to_string(b.jconf("ng1")).unwrap());
    assert_eq!(get(&f, "ip4_addr"), "192.0.2.14/24,2001:db8::14/64");
    assert_eq!(get(&f, "ci_gw4"), "192.0.2.1,2001:db8::1");
    assert_eq!(get(&f, "interface"), "em0");
    assert_eq!(get(&f, "vimage_bridges"), "em0 em1");
    assert_eq!(get(&f, "devfs_ruleset"), "9");
    assert_eq!(b.calls("cbsd").len(), 1);
    assert_eq!(b.calls("vimage"), vec![vec!["set", "jname=ng1", "enable=1", "mode=netgraph", "bridges=em0 em1"]]);
}

#[test]
fn create_0_writes_the_jconf_and_prints_the_commands() {
    let b = Bench::new(true);
    let out = b.dir.path().join("elsewhere.jconf");
    let o = b.construct(&["ng2", "mode=netgraph", "interface=em1", "create=0", &format!("out={}", out.display())]);
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
    assert!(b.calls("cbsd").is_empty() && b.calls("vimage").is_empty());
    assert_eq!(get(&ShFile::parse(&std::fs::read_to_string(&out).unwrap()), "vimage_bridges"), "em1");
    let text = common::stdout(&o);
    assert!(text.contains(&format!("cbsd jcreate jconf={}", out.display())), "{text}");
    assert!(text.contains("vimage set jname=ng2 enable=1 mode=netgraph bridges=em1"), "{text}");
    // Without a terminal and without create=/--yes, nothing is created either.
    let o = b.construct(&["jname=web5"]);
    assert_eq!(common::code(&o), 0);
    assert!(b.calls("cbsd").is_empty() && b.jconf("web5").exists());
}

#[test]
fn refusals_name_the_key_and_create_nothing() {
    let b = Bench::new(true);
    for (args, code, text) in [
        (&["create=1"][..], 64, "jname= is required: stdin is not a terminal"),
        (&["--yes"][..], 64, "jname= is required: --yes"),
        (&["jname=web1"][..], 65, "already exists in CBSD"),
        (&["jname=web.9"][..], 65, "jname=: jail name"),
        (&["jname=w9", "ip4_addr=10.0.0.9"][..], 65, "ip4_addr=: \"10.0.0.9\" has no prefix"),
        (&["jname=w9", "ip4_addr=10.0.0.9/24", "ci_gw4=10.0.1.1"][..], 65, "ci_gw4=: router 10.0.1.1 is not inside"),
        (&["jname=w9", "interface=em0;reboot"][..], 65, "interface=:"),
        (&["jname=w9", "devfs_ruleset=70000"][..], 65, "devfs_ruleset=:"),
        (&["jname=w9", "mode=epair", "bridges=em0"][..], 65, "bridges=: bridges= is for mode=netgraph"),
        (&["jname=w9", "colour=blue"][..], 64, "unknown key 'colour'"),
    ] {
        let o = b.construct(args);
        assert_eq!(common::code(&o), code, "{args:?}: {}", common::stderr(&o));
        assert!(common::stderr(&o).contains(text), "{args:?}: {}", common::stderr(&o));
    }
    assert!(b.calls("cbsd").is_empty());
    assert!(!b.jconf("w9").exists() && !b.jconf("web1").exists());
}

#[test]
fn failures_of_jcreate_and_of_vimage_set_are_reported_with_what_is_left() {
    let b = Bench::new(true);
    std::fs::write(b.cmd_dir.join("cbsd.fail"), "").unwrap();
    let o = b.construct(&["jname=web6", "create=1"]);
    assert_eq!(common::code(&o), 71);
    let e = common::stderr(&o);
    assert!(e.contains("cbsd jcreate") && e.contains("told to fail") && e.contains("the jconf is kept"), "{e}");
    assert!(b.jconf("web6").exists());
    std::fs::remove_file(b.cmd_dir.join("cbsd.fail")).unwrap();
    std::fs::write(b.cmd_dir.join("vimage.fail"), "").unwrap();
    let o = b.construct(&["jname=ng6", "mode=netgraph", "create=1"]);
    assert_eq!(common::code(&o), 71);
    let e = common::stderr(&o);
    assert!(
        e.contains("vimage set jname=ng6 enable=1 mode=netgraph bridges=em0") && e.contains("the jail was created"),
        "{e}"
    );
}

#[test]
fn help_lists_every_question_as_a_key() {
    let b = Bench::new(false);
    let o = b.construct(&["--help"]);
    let h = common::stdout(&o);
    for k in [
        "jname=",
        "host_hostname=",
        "mode=",
        "interface=",
        "bridges=",
        "ip4_addr=",
        "ci_gw4=",
        "devfs_ruleset=",
        "out=",
    ] {
        assert!(h.contains(k), "{k}");
    }
    assert!(h.contains("--create") && h.contains("--yes"));
}

/// The CBSD profile, sourced by sh as jcreate and jconstruct-tui source it: exec_poststart
/// names the jail when jname is known (`cbsd jcreate jname=X jprofile=vimage`) and is CBSD's
/// "0" when it is not (jconstruct-tui sources profiles with jname unset).
#[test]
fn the_cbsd_profile_as_sh_sees_it() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("share/cbsd/jail-freebsd-vimage.conf");
    let f = ShFile::parse(&std::fs::read_to_string(&p).unwrap());
    for (k, v) in [
        ("jail_profile", "vimage"),
        ("vnet", "1"),
        ("vimage", "1"),
        ("devfs_ruleset", "5"),
        ("ip4_addr", "REALDHCP"),
        ("interface", "auto"),
        ("jailsysskeldir", "${workdir}/share/FreeBSD-jail-vimage-system-skel"),
    ] {
        assert_eq!(get(&f, k), v, "{k}");
    }
    assert!(f.get("long_description").is_some());
    for (jname, want) in [("web1", "/usr/local/bin/vimage bridge -q jname=web1"), ("", "0")] {
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(". \"$1\"; printf '%s|%s' \"$exec_poststart\" \"$jailsysskeldir\"")
            .arg("sh")
            .arg(&p)
            .env_clear()
            .env("jname", jname)
            .env("workdir", "/usr/jails")
            .output()
            .unwrap();
        let got = String::from_utf8_lossy(&o.stdout).into_owned();
        assert_eq!(got, format!("{want}|/usr/jails/share/FreeBSD-jail-vimage-system-skel"), "jname={jname:?}");
    }
}

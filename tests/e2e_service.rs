//! The standalone service: `vimage start NAME` / `stop NAME` configured from rc.conf, against
//! fbsd-sim, with the simulated kernel's state asserted after each step.

mod common;

use common::{World, code, stderr, stdout};
use vimage::host::{Host, SimHost};
use vimage::model::JailName;
use vimage::ops::Session;
use vimage::paths::Paths;
use vimage::sim::{Errno, Kernel, Sim};

const RC_CONF: &str = r#"# two vimages sharing one rootdir
vimage_enable="YES"
vimage_list="web3 db"
vimage_web3_rootdir="/vm/shared"
vimage_web3_hostname="web3.example.org"
vimage_web3_epairs="em0"
vimage_db_rootdir="/vm/shared"
vimage_db_epairs="em0"
vimage_db_ifnames="e0db"
vimage_bad_rootdir="/vm/bad"
vimage_bad_epairs="em0"
vimage_bad_exec_start="exit 3"
"#;

fn world() -> World {
    let w = World::demo();
    std::fs::create_dir_all(w.root.join("etc")).unwrap();
    std::fs::write(w.root.join("etc/rc.conf"), RC_CONF).unwrap();
    w
}

#[test]
fn start_start_again_stop_with_a_shared_rootdir() {
    let w = world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["start", "web3"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    let jid = k.jail_jid("web3").expect("jail web3 exists");
    let eth0 = k.jail_iface("web3", "eth0").expect("eth0 in web3");
    assert!(eth0.up);
    let log = w.take_log();
    let create = log
        .iter()
        .position(|l| l.starts_with("jail -c name=web3 path=/vm/shared host.hostname=web3.example.org vnet persist"));
    let rc = log.iter().position(|l| l == "jexec web3 /bin/sh -c /bin/sh /etc/rc");
    let rename = log.iter().position(|l| l.starts_with(&format!("ifconfig -j {jid} ")));
    assert!(create < rename && rename < rc && rc.is_some(), "order: jail -c, network, exec_start: {log:?}");

    // Starting again only checks the network.
    let snap = w.kernel().snapshot();
    let o = w.vimage(&["start", "web3"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("already running"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), snap);

    // A second vimage on the same rootdir, with its own interface name.
    assert_eq!(code(&w.vimage(&["start", "db"])), 0);
    assert!(w.kernel().jail_iface("db", "e0db").is_some());

    let o = w.vimage(&["stop", "web3"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    assert!(k.jail_jid("web3").is_none());
    assert!(!k.host_ifnames().contains(&"eth0".to_string()), "eth0 never comes back to the host");
    assert!(k.jail_iface("db", "e0db").is_some(), "db is untouched");
    let log = w.take_log();
    let unplug = log.iter().position(|l| l.ends_with(" destroy"));
    let remove = log.iter().position(|l| l == "jail -r web3");
    assert!(unplug < remove && remove.is_some(), "interfaces are taken back before the jail goes: {log:?}");

    assert_eq!(code(&w.vimage(&["stop", "db"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
    let o = w.vimage(&["stop", "db"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("not running"), "{}", stdout(&o));
}

#[test]
fn a_failing_exec_start_removes_the_jail_again() {
    let w = world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["start", "bad"]);
    assert_eq!(code(&o), 71, "{}", stderr(&o));
    assert!(stderr(&o).contains("jail bad"), "{}", stderr(&o));
    assert!(stderr(&o).contains("exit 3"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing of this start is left"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn unknown_or_invalid_vimages_are_refused() {
    let w = world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["start", "we-b"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    let o = w.vimage(&["start", "jname=web3", "--dry-run"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("jail -c name=web3"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn start_and_stop_of_a_name_that_is_not_a_vimage_touch_nothing() {
    // Issue 12, item 1: `vimage start typo` created a jail on the host's / and ran the host's
    // own /etc/rc in it; `vimage stop typo` then unmounted the host's /dev view; `vimage stop
    // web1` removed a jail vimage never started. Each is refused now, before any change.
    let w = world();
    let before = w.kernel().snapshot();
    w.take_log();
    for args in [["start", "typo"], ["stop", "typo"], ["start", "web1"], ["stop", "web1"], ["start", "web33"]] {
        let o = w.vimage(&args);
        assert_eq!(code(&o), 64, "{args:?}: {}{}", stdout(&o), stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(&format!("jail {}: is not a vimage", args[1])), "{args:?}: {err}");
        assert_eq!(w.kernel().snapshot(), before, "{args:?}");
        let changes: Vec<String> =
            w.take_log().into_iter().filter(|l| !l.starts_with("jls") && !l.starts_with("sysctl")).collect();
        assert!(changes.is_empty(), "{args:?} ran {changes:?}");
    }
    assert!(stderr(&w.vimage(&["start", "web33"])).contains("did you mean web3?"));
    // web1 (the demo's running jail, not configured) is still there, untouched.
    assert!(w.kernel().jail_jid("web1").is_some());
}

#[test]
fn the_hosts_root_only_when_written_and_never_with_devfs_on_its_dev() {
    let w = World::demo();
    std::fs::create_dir_all(w.root.join("etc")).unwrap();
    std::fs::write(
        w.root.join("etc/rc.conf"),
        "vimage_list=\"noroot slash shared\"\nvimage_noroot_epairs=em0\nvimage_slash_rootdir=\"/\"\n\
         vimage_shared_rootdir=\"/\"\nvimage_shared_devfs_enable=NO\nvimage_shared_exec_start=\"\"\n",
    )
    .unwrap();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["start", "noroot"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("vimage_noroot_rootdir is not set"), "{}", stderr(&o));
    let o = w.vimage(&["start", "slash"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("covering the host's own /dev"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
    let o = w.vimage(&["start", "shared"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(w.take_log().iter().any(|l| l == "jail -c name=shared path=/ host.hostname=shared vnet persist"));
    assert_eq!(code(&w.vimage(&["stop", "shared"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn stop_takes_down_a_jail_vimage_started_even_after_its_lines_are_gone() {
    let w = world();
    let before = w.kernel().snapshot();
    assert_eq!(code(&w.vimage(&["start", "web3"])), 0);
    // The admin removes web3 from rc.conf while it runs: vimage's records still know it.
    std::fs::write(w.root.join("etc/rc.conf"), "vimage_enable=\"YES\"\n").unwrap();
    let o = w.vimage(&["stop", "web3"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("no longer configured"), "{}", stdout(&o));
    assert!(w.take_log().iter().any(|l| l == "jexec web3 /bin/sh -c /bin/sh /etc/rc.shutdown jail"));
    assert_eq!(w.kernel().snapshot(), before);
    // Once stopped, the record is gone too: a second stop is refused.
    assert_eq!(code(&w.vimage(&["stop", "web3"])), 64);
    // A jail of the same name started another way is not vimage's.
    w.edit(|k| {
        k.create_jail("web3", "/vm/web3", true).unwrap();
    });
    let snap = w.kernel().snapshot();
    assert_eq!(code(&w.vimage(&["stop", "web3"])), 64);
    assert_eq!(w.kernel().snapshot(), snap);
}

#[test]
fn every_kernel_operation_of_a_start_fails_in_turn_and_nothing_is_left() {
    let conf = {
        let mut v = vimage::rcd::vars::Vars::default();
        v.read(RC_CONF);
        vimage::rcd::vimage(&v, "web3").unwrap()
    };
    let start = |h: &mut dyn Host, root: &std::path::Path| -> vimage::error::Result<()> {
        let mut s = Session::open(h, &Paths::rooted(root), "t", false, std::time::Duration::from_secs(5))?;
        s.start(&conf).map(|_| ())
    };
    let dir = tempfile::tempdir().unwrap();
    let mut h = SimHost::new(Sim::new(Kernel::demo()));
    let before = h.sim().kernel.snapshot();
    let ops0 = h.sim().kernel.ops_done();
    start(&mut h, dir.path()).unwrap();
    let total = h.sim().kernel.ops_done() - ops0;
    for k in 1..=total {
        let dir = tempfile::tempdir().unwrap();
        let mut h = SimHost::new(Sim::new(Kernel::demo()));
        h.sim_mut().kernel.fail_at(k, Errno::EIO);
        let e = start(&mut h, dir.path()).expect_err("must fail");
        assert_eq!(h.sim().kernel.snapshot(), before, "op {k}: {e}");
        start(&mut h, dir.path()).unwrap_or_else(|e| panic!("op {k}: retry: {e}"));
        let mut s =
            Session::open(&mut h, &Paths::rooted(dir.path()), "t", false, std::time::Duration::from_secs(5)).unwrap();
        s.stop(&JailName::parse("web3").unwrap(), Some("")).unwrap();
        drop(s);
        assert_eq!(h.sim().kernel.snapshot(), before, "op {k}: retry + stop left something");
    }
}

#[test]
fn a_start_killed_at_any_command_is_undone_by_the_next_run() {
    let probe = world();
    probe.take_log();
    assert_eq!(code(&probe.vimage(&["start", "web3"])), 0);
    let n = probe.take_log().len();
    for k in 1..=n {
        let w = world();
        let before = w.kernel().snapshot();
        let _ = std::fs::remove_file(&w.log);
        let mut child = w.spawn(&["start", "web3"], 20);
        while w.log_len() < k {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(60));
        let o = w.vimage(&["gc"]);
        assert_eq!(code(&o), 0, "k={k}: {}", stderr(&o));
        let after = w.kernel().snapshot();
        if after != before {
            // Killed after the start completed: then it is a complete, running vimage.
            assert!(w.kernel().jail_iface("web3", "eth0").is_some(), "k={k}: half-started vimage left: {}", stdout(&o));
            assert_eq!(code(&w.vimage(&["stop", "web3"])), 0);
        }
        assert_eq!(w.kernel().snapshot(), before, "k={k}");
    }
}

#[test]
fn rc_conf_bridges_and_vnets_give_a_vimage_netgraph_and_passthrough_nics() {
    // vimage_NAME_bridges: one ng<i>_NAME per uplink (the rc.d service's per-vimage names, so
    // vimages sharing a rootdir keep their ifconfig_ng0_NAME lines apart); vimage_NAME_vnets:
    // whole host interfaces, given back at stop.
    let mut k = Kernel::demo();
    k.add_ether("em1", "00:1b:21:aa:bb:cd", 9000);
    k.add_ether("em2", "00:1b:21:aa:bb:ce", 1500);
    let w = World::new(k);
    std::fs::create_dir_all(w.root.join("etc")).unwrap();
    std::fs::write(
        w.root.join("etc/rc.conf"),
        "vimage_enable=\"YES\"\nvimage_list=\"ngv\"\nvimage_ngv_rootdir=\"/vm/ngv\"\n\
         vimage_ngv_bridges=\"em0 em1\"\nvimage_ngv_vnets=\"em2\"\n",
    )
    .unwrap();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["start", "ngv"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    let mut names = k.jail_ifnames("ngv");
    names.sort();
    assert_eq!(names, ["em2", "lo0", "ng0_ngv", "ng1_ngv"]);
    assert_eq!(k.jail_iface("ngv", "ng1_ngv").unwrap().mtu, 9000);
    assert!(k.ng_host_node("vimage_em0").is_some() && k.ng_host_node("vimage_em1").is_some());
    assert!(!k.host_ifnames().iter().any(|n| n == "em2" || n.starts_with("epair")), "{:?}", k.host_ifnames());

    let o = w.vimage(&["stop", "ngv"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(w.kernel().snapshot(), before, "jail, eifaces, ng_bridges gone; em2 back on the host");
}

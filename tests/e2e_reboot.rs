//! Reboots (issue 14): records from an earlier boot (`kern.boottime`) describe nothing. After
//! a reboot ([`Kernel::reboot`]: cloned interfaces, jails, netgraph nodes but ng_ether's,
//! routes and devfs rulesets gone) another tool may own `bridge0`, `epair0a` and netgraph node
//! IDs — the very names and IDs vimage recorded. `status`, `gc`, `unbridge`, `bridge`, and the
//! standalone service's `start` and `stop` never touch them; the next `bridge` gives each jail
//! its stored MAC on a new bridge with its uplink, and `unbridge` leaves the host exactly as
//! the reboot and the other tool left it.

mod common;

use common::{World, code, stderr, stdout};
use std::process::Output;
use vimage::sim::{Kernel, Snapshot};

fn ok(o: &Output) {
    assert_eq!(code(o), 0, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

/// The demo host with a second vnet jail, web2.
fn world() -> World {
    let mut k = Kernel::demo();
    k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    World::new(k)
}

/// Reboots the world's machine and runs its rc (em0's address, the default route, web1 and,
/// with `web2`, web2 started again).
fn reboot(w: &World, web2: bool) {
    w.edit(|k| {
        k.reboot();
        k.run_demo_rc();
        if web2 {
            k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
        }
    });
}

/// Another tool's network after the reboot, made before vimage runs: its bridge `bridge0`
/// with its epair `epair0a` (its own descriptions, no group `vimage`), and an ng_eiface of its
/// own, whose node takes the low netgraph IDs of the fresh boot. Returns the host's interface
/// snapshot of those objects, to compare after every vimage verb.
fn other_tool(w: &World) -> Vec<vimage::sim::kernel::IfSnap> {
    for args in [
        &["ifconfig", "bridge", "create", "description", "othertool:lan", "up"][..],
        &["ifconfig", "epair", "create", "description", "othertool:jail0", "up"],
        &["ifconfig", "bridge0", "addm", "epair0a"],
        &["ngctl", "mkpeer", ".", "eiface", "hook", "ether"],
    ] {
        let o = w.sim(args[0], &args[1..]);
        assert_eq!(code(&o), 0, "{args:?}: {}{}", stdout(&o), stderr(&o));
    }
    let t = theirs(&w.kernel().snapshot());
    assert_eq!(t.len(), 4, "{t:#?}");
    t
}

/// The other tool's interfaces in a snapshot.
fn theirs(s: &Snapshot) -> Vec<vimage::sim::kernel::IfSnap> {
    let mine = ["bridge0", "epair0a", "epair0b", "ngeth0"];
    s.interfaces.iter().filter(|i| i.vnet == "host" && mine.contains(&i.name.as_str())).cloned().collect()
}

fn status(w: &World) -> serde_json::Value {
    let o = w.vimage(&["status", "--json"]);
    ok(&o);
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Commands vimage ran that name one of the other tool's objects.
fn touching_theirs(log: &[String]) -> Vec<String> {
    let words = ["bridge0", "epair0a", "epair0b", "ngeth0"];
    log.iter().filter(|l| l.split_whitespace().any(|x| words.contains(&x))).cloned().collect()
}

/// Every verb before the next bridge: none touches the other tool's objects; the old records
/// show no NIC up and no orphan.
fn verbs_after_reboot_touch_nothing(w: &World, jails: &[&str]) {
    let after = w.kernel().snapshot();
    w.take_log();
    let j = status(w);
    assert!(j["orphans"].as_array().unwrap().is_empty(), "nothing of an earlier boot is an orphan: {j:#}");
    assert!(
        j["jails"].as_array().unwrap().iter().all(|x| x["nics"].as_array().unwrap().iter().all(|n| n["state"] != "up")),
        "{j:#}"
    );
    for args in [&["status"][..], &["gc", "--dry-run"], &["gc"]] {
        ok(&w.vimage(args));
    }
    for jail in jails {
        let o = w.vimage(&["unbridge", &format!("jname={jail}")]);
        ok(&o);
    }
    assert_eq!(w.kernel().snapshot(), after, "status, gc and unbridge of an earlier boot's records change nothing");
    let log = w.take_log();
    assert_eq!(touching_theirs(&log), Vec::<String>::new(), "{log:#?}");
}

#[test]
fn after_a_reboot_another_tools_bridge0_and_epair0a_are_never_touched_epair_mode() {
    let w = world();
    ok(&w.vimage(&["bridge", "jname=web1"]));
    let k = w.kernel();
    let mac = k.jail_iface("web1", "eth0").unwrap().mac.unwrap();
    assert!(k.host_iface("bridge0").is_some() && k.host_iface("epair0a").is_some(), "vimage recorded these names");

    reboot(&w, false);
    let theirs_before = other_tool(&w);
    let rebooted = w.kernel().snapshot();
    verbs_after_reboot_touch_nothing(&w, &["web1"]);

    w.take_log();
    ok(&w.vimage(&["bridge", "jname=web1"]));
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().mac.as_deref(), Some(mac.as_str()), "the stored MAC");
    let ours = k.host_iface("bridge1").expect("a new bridge for em0");
    assert!(ours.members.contains(&"em0".to_string()) && ours.groups.contains(&"vimage".to_string()), "{ours:?}");
    assert_eq!(theirs(&k.snapshot()), theirs_before);
    assert_eq!(touching_theirs(&w.take_log()), Vec::<String>::new());
    let j = status(&w);
    let nic = &j["jails"].as_array().unwrap().iter().find(|x| x["jail"] == "web1").unwrap()["nics"][0];
    assert_eq!((nic["state"].as_str(), nic["bridge"].as_str()), (Some("up"), Some("bridge1")), "{j:#}");

    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), rebooted, "back to the host as the reboot and the other tool left it");
    assert_eq!(touching_theirs(&w.take_log()), Vec::<String>::new());
}

#[test]
fn after_a_reboot_another_tools_objects_and_node_ids_are_never_touched_netgraph_mode() {
    let w = world();
    ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
    ok(&w.vimage(&["bridge", "jname=web2", "mode=netgraph"]));
    let k = w.kernel();
    let macs = (
        k.jail_iface("web1", "ng0_web1").unwrap().mac.unwrap(),
        k.jail_iface("web2", "ng0_web2").unwrap().mac.unwrap(),
    );

    reboot(&w, true);
    let theirs_before = other_tool(&w);
    let nodes_before = w.kernel().ng_snapshot();
    let rebooted = w.kernel().snapshot();
    verbs_after_reboot_touch_nothing(&w, &["web1", "web2"]);
    assert_eq!(w.kernel().ng_snapshot(), nodes_before);

    w.take_log();
    ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
    ok(&w.vimage(&["bridge", "jname=web2", "mode=netgraph"]));
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "ng0_web1").unwrap().mac.unwrap(), macs.0, "the stored MAC");
    assert_eq!(k.jail_iface("web2", "ng0_web2").unwrap().mac.unwrap(), macs.1, "the stored MAC");
    assert!(k.ng_host_node("vimage_em0").is_some(), "a new ng_bridge on em0");
    assert_eq!(theirs(&k.snapshot()), theirs_before);
    let log = w.take_log();
    assert_eq!(touching_theirs(&log), Vec::<String>::new(), "{log:#?}");
    assert!(
        !log.iter().any(|l| l.contains("shutdown [")),
        "no node is shut down by an ID of the earlier boot: {log:#?}"
    );

    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert_eq!(w.kernel().snapshot(), rebooted);
    assert_eq!(w.kernel().ng_snapshot(), nodes_before);
}

const RC_CONF: &str = r#"vimage_enable="YES"
vimage_list="web3"
vimage_web3_rootdir="/vm/web3"
vimage_web3_epairs="em0"
"#;

#[test]
fn after_a_reboot_service_vimage_start_builds_anew_beside_another_tools_bridge0_and_epair0a() {
    let w = World::demo();
    std::fs::create_dir_all(w.root.join("etc")).unwrap();
    std::fs::write(w.root.join("etc/rc.conf"), RC_CONF).unwrap();
    ok(&w.vimage(&["start", "web3"]));
    let k = w.kernel();
    let mac = k.jail_iface("web3", "eth0").unwrap().mac.unwrap();
    assert!(k.host_iface("bridge0").is_some() && k.host_iface("epair0a").is_some());

    reboot(&w, false);
    let theirs_before = other_tool(&w);
    let rebooted = w.kernel().snapshot();
    w.take_log();
    // What rc.d/vimage runs at boot is `vimage start` for each of vimage_list.
    let o = w.vimage(&["start", "web3"]);
    ok(&o);
    let k = w.kernel();
    assert!(k.jail_jid("web3").is_some(), "the jail is started again");
    assert_eq!(k.jail_iface("web3", "eth0").unwrap().mac.as_deref(), Some(mac.as_str()), "the stored MAC");
    assert_eq!(theirs(&k.snapshot()), theirs_before);
    let log = w.take_log();
    assert_eq!(touching_theirs(&log), Vec::<String>::new(), "{log:#?}");

    ok(&w.vimage(&["stop", "web3"]));
    assert_eq!(w.kernel().snapshot(), rebooted);
    assert_eq!(touching_theirs(&w.take_log()), Vec::<String>::new());
}

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

    let j = status(&w);
    let web1 = j["jails"].as_array().unwrap().iter().find(|x| x["jail"] == "web1").unwrap();
    let recorded = web1["nics"][0]["node_id"].as_str().unwrap().trim_matches(['[', ']']).to_string();

    reboot(&w, true);
    let theirs_before = other_tool(&w);
    // The fresh boot hands the other tool's eiface the very node ID vimage recorded for web1.
    let list = stdout(&w.sim("ngctl", &["list"]));
    let line = list.lines().find(|l| l.contains("Name: ngeth0")).unwrap();
    let id = line.split("ID: ").nth(1).unwrap().split_whitespace().next().unwrap();
    assert_eq!(u32::from_str_radix(id, 16).unwrap(), u32::from_str_radix(&recorded, 16).unwrap(), "{list}");
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

// Jails removed and created again without vimage (`jail -r` by hand, a crash of the jail
// manager): the kernel moves each NIC of the dead jail's vnet back to the host under the name
// it had in the jail (sys/net/if.c vnet_if_return keeps if_xname, and checks no clash), so the
// host gets an `eth0` (the epair's jail end; its host end stays in the bridge) and an
// `ng0_web2` (the eiface's ifnet; its node stays hooked to the ng_bridge).

/// The host vnet's interfaces and netgraph nodes: what a restart behind vimage's back must
/// leave as it was once vimage has cleaned up (the jails' own vnets have new JIDs).
fn host_side(w: &World) -> (Vec<vimage::sim::kernel::IfSnap>, Vec<String>) {
    let k = w.kernel();
    let ifs = k.snapshot().interfaces.into_iter().filter(|i| i.vnet == "host").collect();
    (ifs, k.ng_snapshot().iter().filter(|n| n.vnet == "host").map(|n| format!("{n:?}")).collect())
}

/// web1 on an epair and web2 on netgraph, then both removed by hand (`jail -r`) and started
/// again without vimage. Returns their MACs.
fn bridged_then_restarted_behind_vimages_back(w: &World) -> (String, String) {
    ok(&w.vimage(&["bridge", "jname=web1"]));
    ok(&w.vimage(&["bridge", "jname=web2", "mode=netgraph"]));
    let k = w.kernel();
    let macs =
        (k.jail_iface("web1", "eth0").unwrap().mac.unwrap(), k.jail_iface("web2", "ng0_web2").unwrap().mac.unwrap());
    for j in ["web1", "web2"] {
        let o = w.sim("jail", &["-r", j]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    w.edit(|k| {
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    let k = w.kernel();
    let eth0 = k.host_iface("eth0").expect("web1's jail end came home under its jail name");
    assert_eq!(eth0.mac.as_deref(), Some(macs.0.as_str()));
    assert!(k.host_iface("ng0_web2").is_some(), "web2's eiface came home under its jail name");
    macs
}

#[test]
fn a_jail_restarted_behind_vimages_back_shows_stale_in_status_and_gc_alone_cleans_it() {
    let w = world();
    let pristine = host_side(&w);
    let macs = bridged_then_restarted_behind_vimages_back(&w);
    let restarted = w.kernel().snapshot();

    let o = w.vimage(&["status"]);
    ok(&o);
    let text = stdout(&o);
    let j = status(&w);
    for (jail, nic) in [("web1", "eth0"), ("web2", "ng0_web2")] {
        let x = j["jails"].as_array().unwrap().iter().find(|x| x["jail"] == jail).unwrap();
        assert_eq!(x["nics"][0]["state"].as_str(), Some("stale"), "{jail}: {j:#}");
        assert_eq!(x["nics"][0]["name"].as_str(), Some(nic));
    }
    let reasons: Vec<String> =
        j["orphans"].as_array().unwrap().iter().map(|o| o["reason"].as_str().unwrap().to_string()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("earlier start of jail web1") && r.contains("its jail end eth0 is back on the host")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("earlier start of jail web2")
                && r.contains("its interface ng0_web2 is back on the host")),
        "{reasons:#?}"
    );
    assert!(text.contains("its jail end eth0 is back on the host"), "{text}");
    assert_eq!(w.kernel().snapshot(), restarted, "status changes nothing");

    let o = w.vimage(&["gc"]);
    ok(&o);
    assert_eq!(
        host_side(&w),
        pristine,
        "gc alone removed the stale pair (and eth0 with it), the eiface and both bridges: {}",
        stdout(&o)
    );
    assert!(w.kernel().host_iface("eth0").is_none());
    assert!(status(&w)["orphans"].as_array().unwrap().is_empty());

    let cleaned = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1"]));
    ok(&w.vimage(&["bridge", "jname=web2", "mode=netgraph"]));
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().mac.unwrap(), macs.0, "the same MAC");
    assert_eq!(k.jail_iface("web2", "ng0_web2").unwrap().mac.unwrap(), macs.1, "the same MAC");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert_eq!(w.kernel().snapshot(), cleaned);
}

#[test]
fn a_jail_restarted_behind_vimages_back_is_rebuilt_by_the_next_bridge_and_unbridge_restores_the_host() {
    let w = world();
    let pristine = host_side(&w);
    let macs = bridged_then_restarted_behind_vimages_back(&w);
    for args in [&["bridge", "jname=web1"][..], &["bridge", "jname=web2", "mode=netgraph"]] {
        let o = w.vimage(args);
        ok(&o);
    }
    let k = w.kernel();
    assert!(
        k.host_iface("eth0").is_none(),
        "destroying the stale host end took the stray eth0: {:?}",
        k.host_ifnames()
    );
    assert_eq!(k.host_ifnames().iter().filter(|n| n.starts_with("epair")).count(), 1, "{:?}", k.host_ifnames());
    assert!(k.host_iface("ng0_web2").is_none(), "the stale eiface node (and its ifnet) is gone");
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().mac.unwrap(), macs.0);
    assert_eq!(k.jail_iface("web2", "ng0_web2").unwrap().mac.unwrap(), macs.1);
    let j = status(&w);
    assert!(j["orphans"].as_array().unwrap().is_empty(), "{j:#}");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert_eq!(host_side(&w), pristine);
}

#[test]
fn a_cbsd_jail_removed_by_hand_starts_again_through_cbsd_with_its_mac_and_no_eth0_on_the_host() {
    use common::cbsd::Cbsd;
    let c = Cbsd::new("auto");
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    // The first start makes CBSD's bridge for em0, which CBSD never removes: the baseline.
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    ok(&c.cbsd(&["jstop", "jname=web1"]));
    let baseline = c.w.kernel().snapshot();
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    let mac = c.w.kernel().jail_iface("web1", "eth0").unwrap().mac.unwrap();
    // The jail manager is gone; the admin removes the jail by hand.
    let o = c.w.sim("jail", &["-r", "web1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(c.w.kernel().host_iface("eth0").is_some(), "web1's jail end is home as eth0");
    let o = c.vimage(&["status", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["jails"][0]["nics"][0]["state"].as_str(), Some("stale"), "{j:#}");
    // CBSD starts it again: its jcleanup destroys its stale epair (eth0 with it), jstart makes
    // a new one and vimage takes it over with the stored MAC.
    let o = c.cbsd(&["jstart", "jname=web1"]);
    ok(&o);
    let k = c.w.kernel();
    assert!(k.host_iface("eth0").is_none(), "{:?}", k.host_ifnames());
    let eth0 = k.jail_iface("web1", "eth0").unwrap();
    assert!(eth0.up);
    assert_eq!(eth0.mac.unwrap(), mac, "the same MAC");
    let o = c.vimage(&["status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["jails"][0]["nics"][0]["state"].as_str(), Some("up"), "{j:#}");
    assert!(j["orphans"].as_array().unwrap().is_empty(), "{j:#}");
    ok(&c.cbsd(&["jstop", "jname=web1"]));
    assert_eq!(c.w.kernel().snapshot(), baseline);
}

#[test]
fn after_a_reboot_a_cbsd_jail_starts_again_beside_another_tools_bridge0_and_epairs() {
    use common::cbsd::Cbsd;
    let c = Cbsd::new("auto");
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    let k = c.w.kernel();
    let mac = k.jail_iface("web1", "eth0").unwrap().mac.unwrap();
    // CBSD's epair, taken over by vimage: epair1a (get-next-nic's probe leaked epair0).
    let recorded = k.jail_iface("web1", "eth0").unwrap().peer.unwrap();

    // Reboot; rc configures em0 again; CBSD's jails are not started yet. The other tool gets
    // bridge0, epair0 and epair1: every name vimage recorded.
    c.w.edit(|k| {
        k.reboot();
        k.run_rc_basics();
        k.add_inet("em0", "192.168.1.10/24");
        k.set_default_route("192.168.1.1", "em0");
    });
    other_tool(&c.w);
    ok(&c.w.sim("ifconfig", &["epair", "create", "description", "othertool:jail1", "up"]));
    let names = ["bridge0", "epair0a", "epair0b", "epair1a", "epair1b", "ngeth0"];
    assert!(names.contains(&recorded.as_str()), "{recorded}");
    let others = |s: &Snapshot| -> Vec<vimage::sim::kernel::IfSnap> {
        s.interfaces.iter().filter(|i| i.vnet == "host" && names.contains(&i.name.as_str())).cloned().collect()
    };
    let theirs_before = others(&c.w.kernel().snapshot());
    assert_eq!(theirs_before.len(), names.len());
    let o = c.vimage(&["status", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j["orphans"].as_array().unwrap().is_empty(), "{j:#}");
    ok(&c.vimage(&["gc"]));
    assert_eq!(others(&c.w.kernel().snapshot()), theirs_before);
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    let k = c.w.kernel();
    let eth0 = k.jail_iface("web1", "eth0").unwrap();
    assert!(eth0.up, "vimage took CBSD's new epair over");
    assert_eq!(eth0.mac.as_deref(), Some(mac.as_str()), "the jailnic row's MAC (vimage's)");
    assert!(!names.contains(&eth0.peer.as_deref().unwrap()), "{eth0:?}");
    assert_eq!(others(&k.snapshot()), theirs_before);
    ok(&c.cbsd(&["jstop", "jname=web1"]));
    assert_eq!(others(&c.w.kernel().snapshot()), theirs_before);
}

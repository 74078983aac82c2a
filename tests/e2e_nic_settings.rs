//! End to end (issue 14, "lagg", "VM uplinks", "Per-NIC settings"): the `vimage` binary
//! against `fbsd-sim`, asserting the simulated kernel's state after bridge, status and
//! unbridge on the host topologies of README's "Host topologies" section, and that every
//! refusal leaves the kernel as it was.

mod common;

use common::{World, code, stderr, stdout};
use vimage::sim::Errno;

/// The demo host with em1 beside em0 and lagg0 (`laggproto failover`) over both.
fn lagg_world() -> World {
    let w = World::demo();
    w.edit(|k| k.add_ether("em1", "00:1b:21:aa:bb:cd", 1500));
    let o =
        w.sim("ifconfig", &["lagg0", "create", "laggproto", "failover", "laggport", "em0", "laggport", "em1", "up"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    w
}

#[test]
fn a_lagg_uplink_bridges_and_unbridges_back_to_the_initial_state() {
    let w = lagg_world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=lagg0"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    let br = k.host_ifnames().into_iter().find(|n| n.starts_with("bridge")).expect("a bridge");
    let br = k.host_iface(&br).unwrap();
    assert_eq!(br.description.as_deref(), Some("vimage:lagg0"));
    assert!(br.members.contains(&"lagg0".to_string()), "{:?}", br.members);
    assert!(!br.members.iter().any(|m| m == "em0" || m == "em1"), "{:?}", br.members);
    assert_eq!(br.members.len(), 2, "{:?}", br.members);
    assert!(k.jail_iface("web1", "eth0").is_some_and(|e| e.up));
    let o = w.vimage(&["status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["jails"][0]["nics"][0]["state"], "up", "{j}");
    assert_eq!(j["jails"][0]["nics"][0]["uplink"], "lagg0", "{j}");
    let o = w.vimage(&["unbridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn a_lagg_port_as_uplink_is_refused_before_any_change_naming_the_lagg() {
    let w = lagg_world();
    let before = w.kernel().snapshot();
    for port in ["em0", "em1"] {
        w.take_log();
        let o = w.vimage(&["bridge", "jname=web1", &format!("interface={port}")]);
        assert_eq!(code(&o), 65, "{}{}", stdout(&o), stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(&format!("uplink {port} is a port of lagg0")), "{e}");
        assert!(e.contains("interface=lagg0"), "{e}");
        assert!(e.contains("jail web1") || e.contains("web1"), "{e}");
        assert_eq!(w.kernel().snapshot(), before);
        assert!(w.take_log().iter().all(|l| !l.contains("create") && !l.contains("addm")));
    }
}

#[test]
fn a_failure_on_a_lagg_uplink_is_rolled_back_at_every_step() {
    let probe = lagg_world();
    let ops0 = probe.kernel().ops_done();
    assert_eq!(code(&probe.vimage(&["bridge", "jname=web1", "interface=lagg0"])), 0);
    let total = probe.kernel().ops_done() - ops0;
    for k in 1..=total {
        let w = lagg_world();
        let before = w.kernel().snapshot();
        w.edit(|kern| kern.fail_at(k, Errno::EBUSY));
        let o = w.vimage(&["bridge", "jname=web1", "interface=lagg0"]);
        assert_eq!(code(&o), 71, "op {k}: {}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "op {k}: {}", stderr(&o));
    }
}

/// `IFF_PPROMISC` (net/if.h): what `ifconfig X promisc` sets.
const PPROMISC: u32 = 0x20000;

/// The demo host with a VM's virtio NIC vtnet0 beside em0, and jail web2 beside web1.
fn vtnet_world() -> World {
    let w = World::demo();
    w.edit(|k| {
        k.add_ether("vtnet0", "52:54:00:12:34:56", 1500);
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    w
}

#[test]
fn a_vtnet_uplink_is_made_promiscuous_for_its_bridge_and_given_back_by_the_last_jail() {
    let w = vtnet_world();
    let before = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1", "interface=vtnet0"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(w.take_log().iter().any(|l| l.ends_with("ifconfig vtnet0 promisc")));
    let k = w.kernel();
    assert_ne!(k.host_iface("vtnet0").unwrap().xflags & PPROMISC, 0, "vtnet0 promisc (PR 254343)");
    let o = w.sim("ifconfig", &["vtnet0"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(",PPROMISC,"), "{}", String::from_utf8_lossy(&o.stdout));
    // A second jail on the same bridge changes nothing on vtnet0; its leaving neither.
    assert_eq!(code(&w.vimage(&["bridge", "jname=web2", "interface=vtnet0"])), 0);
    assert!(!w.take_log().iter().any(|l| l.contains("promisc")));
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web2"])), 0);
    assert_ne!(w.kernel().host_iface("vtnet0").unwrap().xflags & PPROMISC, 0, "web1 is still on it");
    let o = w.vimage(&["status", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The last jail leaves: bridge gone, promisc off, the exact initial state.
    w.take_log();
    let o = w.vimage(&["unbridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(w.take_log().iter().any(|l| l.ends_with("ifconfig vtnet0 -promisc")));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn an_admins_promisc_on_a_vtnet_uplink_is_never_cleared() {
    let w = vtnet_world();
    assert_eq!(w.sim("ifconfig", &["vtnet0", "promisc"]).status.code(), Some(0));
    let before = w.kernel().snapshot();
    w.take_log();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1", "interface=vtnet0"])), 0);
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert!(!w.take_log().iter().any(|l| l.contains("promisc")), "vimage left vtnet0's flags alone");
    assert_eq!(w.kernel().snapshot(), before);
    assert_ne!(w.kernel().host_iface("vtnet0").unwrap().xflags & PPROMISC, 0);
}

#[test]
fn a_failure_on_a_vtnet_uplink_is_rolled_back_at_every_step_promisc_included() {
    let probe = vtnet_world();
    let ops0 = probe.kernel().ops_done();
    assert_eq!(code(&probe.vimage(&["bridge", "jname=web1", "interface=vtnet0"])), 0);
    let total = probe.kernel().ops_done() - ops0;
    for k in 1..=total {
        let w = vtnet_world();
        let before = w.kernel().snapshot();
        w.edit(|kern| kern.fail_at(k, Errno::EBUSY));
        let o = w.vimage(&["bridge", "jname=web1", "interface=vtnet0"]);
        assert_eq!(code(&o), 71, "op {k}: {}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "op {k}: {}", stderr(&o));
    }
}

/// `ifconfig <name>` in the simulated host, as text.
fn ifconfig(w: &World, name: &str) -> String {
    String::from_utf8_lossy(&w.sim("ifconfig", &[name]).stdout).into_owned()
}

/// The demo host with a jumbo uplink: `ifconfig em0 mtu 9000`.
fn jumbo_world() -> World {
    let w = World::demo();
    assert_eq!(w.sim("ifconfig", &["em0", "mtu", "9000"]).status.code(), Some(0));
    w
}

#[test]
fn a_jumbo_uplink_gives_host_end_and_jail_end_its_mtu_before_addm_if_bridge_c_bridge_ioctl_add() {
    let w = jumbo_world();
    let before = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let log = w.take_log();
    assert!(log.iter().any(|l| l.contains("ifconfig epair create") && l.contains("mtu 9000")), "{log:?}");
    let k = w.kernel();
    let br = k.host_ifnames().into_iter().find(|n| n.starts_with("bridge")).unwrap();
    assert_eq!(k.host_iface(&br).unwrap().mtu, 9000);
    let a = k.host_iface(&br).unwrap().members.into_iter().find(|m| m != "em0").unwrap();
    assert_eq!(k.host_iface(&a).unwrap().mtu, 9000);
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().mtu, 9000);
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn mtu_sets_the_jail_end_only_and_the_host_end_keeps_the_bridges() {
    let w = jumbo_world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "mtu=1500"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().mtu, 1500);
    let br = k.host_ifnames().into_iter().find(|n| n.starts_with("bridge")).unwrap();
    let a = k.host_iface(&br).unwrap().members.into_iter().find(|m| m != "em0").unwrap();
    assert_eq!(k.host_iface(&a).unwrap().mtu, 9000, "a member carries the bridge's MTU");
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn an_mtu_above_the_bridges_or_a_bad_one_is_refused_before_any_change_naming_both_values() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1", "mtu=9000"]);
    assert_eq!(code(&o), 65, "{}{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("mtu=9000") && e.contains("MTU 1500") && e.contains("em0"), "{e}");
    assert_eq!(w.kernel().snapshot(), before);
    assert!(w.take_log().iter().all(|l| !l.contains("create")));
    for bad in ["mtu=70", "mtu=big", "mtu=65536"] {
        let o = w.vimage(&["bridge", "jname=web1", bad]);
        assert_eq!(code(&o), 65, "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("from 72 to 65535"), "{}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before);
    }
}

#[test]
fn member_flags_apply_to_the_host_end_ifbridge_c_and_go_with_it() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1", "flags=private,sticky"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let log = w.take_log();
    let k = w.kernel();
    let br = k.host_ifnames().into_iter().find(|n| n.starts_with("bridge")).unwrap();
    let a = k.host_iface(&br).unwrap().members.into_iter().find(|m| m != "em0").unwrap();
    assert!(log.iter().any(|l| l.ends_with(&format!("ifconfig {br} private {a} sticky {a}"))), "{log:?}");
    let st = ifconfig(&w, &br);
    let line = st.lines().find(|l| l.contains(&format!("member: {a} "))).unwrap();
    assert!(line.contains("PRIVATE") && line.contains("STICKY"), "{line}");
    let em0 = st.lines().find(|l| l.contains("member: em0 ")).unwrap();
    assert!(!em0.contains("PRIVATE"), "the uplink is untouched: {em0}");
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn an_unknown_member_flag_is_refused_with_the_known_ones_and_nothing_changes() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    for bad in ["flags=span", "flags=private,frob"] {
        let o = w.vimage(&["bridge", "jname=web1", bad]);
        assert_eq!(code(&o), 65, "{bad}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("unknown bridge member flag") && e.contains("sticky, stp") && e.contains("private"), "{e}");
        assert_eq!(w.kernel().snapshot(), before);
    }
}

#[test]
fn offload_off_turns_off_txcsum_txcsum6_tso_lro_on_both_epair_ends() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1", "offload=off"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let log = w.take_log();
    let off: Vec<&String> = log.iter().filter(|l| l.ends_with("-txcsum -txcsum6 -tso -lro")).collect();
    assert_eq!(off.len(), 2, "{log:?}");
    assert!(off[0].contains("ifconfig epair") && off[0].contains("a -txcsum"), "{off:?}");
    assert!(off[1].contains("b -txcsum"), "{off:?}");
    let eth0 = w.kernel().jail_iface("web1", "eth0").unwrap();
    assert_eq!(eth0.caps & (0x2 | 0x400000 | 0x300 | 0x400), 0, "{:#x}", eth0.caps);
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
    let o = w.vimage(&["bridge", "jname=web1", "offload=sometimes"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn a_failure_with_every_nic_setting_is_rolled_back_at_every_step() {
    let args = ["bridge", "jname=web1", "mtu=1500", "flags=private", "offload=off"];
    let probe = jumbo_world();
    let ops0 = probe.kernel().ops_done();
    assert_eq!(code(&probe.vimage(&args)), 0);
    let total = probe.kernel().ops_done() - ops0;
    for k in 1..=total {
        let w = jumbo_world();
        let before = w.kernel().snapshot();
        w.edit(|kern| kern.fail_at(k, Errno::EBUSY));
        let o = w.vimage(&args);
        assert_eq!(code(&o), 71, "op {k}: {}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "op {k}: {}", stderr(&o));
    }
}

#[test]
fn doctor_reports_if_lagg_with_its_fix_in_text_and_json() {
    let w = World::demo();
    w.edit(|k| k.unload_module("if_lagg"));
    let o = w.vimage(&["doctor", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lagg =
        j["checks"].as_array().unwrap().iter().find(|c| c["name"] == "if_lagg").expect("an if_lagg check").clone();
    assert_eq!(lagg["status"], "info", "{lagg}");
    assert_eq!(lagg["fix"], "kldload if_lagg", "{lagg}");
    assert_eq!(lagg["persist"], "sysrc kld_list+=if_lagg", "{lagg}");
    assert!(stdout(&w.vimage(&["doctor"])).contains("if_lagg"));
    // `doctor fix=1` does not load it: no mode needs it.
    let o = w.vimage(&["doctor", "fix=1", "--dry-run"]);
    assert!(!stdout(&o).contains("kldload -n if_lagg"), "{}", stdout(&o));
    // `ifconfig lagg create` loads it (ifmaybeload): then it is ok.
    assert_eq!(w.sim("ifconfig", &["lagg", "create"]).status.code(), Some(0));
    let o = w.vimage(&["doctor", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lagg = j["checks"].as_array().unwrap().iter().find(|c| c["name"] == "if_lagg").unwrap().clone();
    assert_eq!(lagg["status"], "ok", "{lagg}");
}

#[test]
fn link_settings_on_netgraph_nics_are_a_usage_error_and_nothing_changes() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "mode=netgraph", "mtu=1400"]);
    assert_eq!(code(&o), 64, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("apply to epair NICs"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn vimage_set_stores_mtu_flags_and_offload_for_the_next_bridge() {
    let w = jumbo_world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["set", "jname=web1", "mtu=1500", "flags=private", "offload=off"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = w.vimage(&["set", "jname=web1", "flags=span"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let log = w.take_log();
    assert!(log.iter().any(|l| l.contains(" private epair")), "{log:?}");
    assert_eq!(log.iter().filter(|l| l.ends_with("-txcsum -txcsum6 -tso -lro")).count(), 2, "{log:?}");
    assert_eq!(w.kernel().jail_iface("web1", "eth0").unwrap().mtu, 1500);
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn host_address_on_the_admins_bridge_with_the_lagg_as_member_is_joined_not_duplicated() {
    // Issue 14 "the host's address on a bridge", lagg variant: the admin's bridge0 holds the
    // host's address and has lagg0 (failover over em0 em1) as its member. A jail on lagg0, or
    // on bridge0 by name, joins bridge0; no second bridge is made (if_bridge.c
    // bridge_ioctl_add: a lagg already in bridge0 cannot join another, EBUSY).
    let w = lagg_world();
    for args in [&["bridge0", "create", "addm", "lagg0", "up"][..], &["bridge0", "inet", "10.1.0.1/24"]] {
        let o = w.sim("ifconfig", args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    }
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=lagg0"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = w.vimage(&["bridge", "jname=web2", "interface=bridge0"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    let bridges: Vec<String> = k.host_ifnames().into_iter().filter(|n| n.starts_with("bridge")).collect();
    assert_eq!(bridges, ["bridge0"], "no bridge of vimage's beside the admin's");
    let br = k.host_iface("bridge0").unwrap();
    assert_eq!(br.members.len(), 3, "lagg0 and both jails' host ends: {:?}", br.members);
    assert!(k.jail_iface("web1", "eth0").is_some_and(|e| e.up) && k.jail_iface("web2", "eth0").is_some_and(|e| e.up));
    for j in ["web1", "web2"] {
        let o = w.vimage(&["unbridge", &format!("jname={j}")]);
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    }
    assert_eq!(w.kernel().snapshot(), before, "the admin's bridge0 with its address and lagg0 as they were");
}

#[test]
fn a_vlan_over_a_lagg_is_created_on_the_lagg_and_destroyed_with_its_last_jail() {
    // VLANs and lagg together: `interface=lagg0.100` makes vlan(4) lagg0.100 on the lagg
    // (if_vlan.c vlan_clone_match_ethervid: parent before the last `.`), never on a port.
    let w = lagg_world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=lagg0.100"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    let vlan = k.host_iface("lagg0.100").expect("vlan lagg0.100 created");
    assert_eq!(vlan.description.as_deref(), Some("vimage:vlan/lagg0.100"));
    let br = k.host_ifnames().into_iter().find(|n| n.starts_with("bridge")).expect("a bridge");
    assert!(k.host_iface(&br).unwrap().members.contains(&"lagg0.100".to_string()));
    let o = w.vimage(&["unbridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(w.kernel().snapshot(), before, "vlan and bridge gone, lagg0 as it was");
}

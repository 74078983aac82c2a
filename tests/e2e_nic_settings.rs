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

//! CBSD's VPC (issue 14): a jail NIC whose `nic_parent` is `vpc-NAME` joins the bridge CBSD's
//! `cbsd vpc mode=init_bridge` made for VPC NAME (described `vpc-NAME`), found the way CBSD's
//! jstart finds it (sudoexec/jstart `vpc-*)`, subr/vnet.subr get_my_device/get_device_uplink),
//! and leaves it as it was; a VPC CBSD does not have, or whose bridge is missing, is refused
//! with CBSD's commands that make them, before any change. Against fbsd-sim, a CBSD workdir
//! from the SQL fixtures (with `var/db/vpc/vpc1.sqlite`, tests/fixtures/cbsd/vpc-vpc1.sql) and
//! the stand-in `cbsd` (tests/fixtures/cbsd-standin/cbsd).
//!
//! fbsd-sim has no vxlan(4): the VPC's bridge here has no vxlan members, but the MTU of 1450
//! that `cbsd vpc mode=init_vxlan` gives the tunnels (and so the bridge).

mod common;

use common::cbsd::Cbsd;
use common::{code, stderr, stdout};
use std::process::Output;

/// VPC helpers on the CBSD host.
trait Vpc {
    fn with_vpc_bridge(self) -> Self;
    fn vpc_bridge(&self) -> (Option<String>, u32, bool, Vec<String>);
}

impl Vpc for Cbsd {
    /// VPC vpc1's bridge as `cbsd vpc vpc_name=vpc1 mode=init_bridge` leaves it (less the
    /// vxlan members the simulator cannot make): `bridge0`, described `vpc-vpc1`, UP.
    fn with_vpc_bridge(self) -> Cbsd {
        for args in [&["bridge0", "create", "description", "vpc-vpc1", "up"][..], &["bridge0", "mtu", "1450"]] {
            let o = self.w.sim("ifconfig", args);
            assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        }
        self
    }

    /// The VPC bridge as vimage must leave it: everything but its members.
    fn vpc_bridge(&self) -> (Option<String>, u32, bool, Vec<String>) {
        let b = self.w.kernel().host_iface("bridge0").expect("the VPC's bridge is still there");
        (b.description, b.mtu, b.up, b.groups)
    }
}

fn ok(o: &Output) {
    assert_eq!(code(o), 0, "stdout: {}\nstderr: {}", stdout(o), stderr(o));
}

/// web1's eth0 is UP with `mac` and its host end (of MTU 1450, the bridge's) is a member of
/// the VPC's bridge.
fn on_the_vpc(c: &Cbsd) -> String {
    let k = c.w.kernel();
    let eth0 = k.jail_iface("web1", "eth0").expect("eth0 in web1");
    assert!(eth0.up, "{eth0:?}");
    assert_eq!(eth0.mtu, 1450, "the NIC carries the VPC bridge's MTU");
    let host_end = eth0.peer.clone().unwrap();
    let b = k.host_iface("bridge0").unwrap();
    assert_eq!(b.members, std::slice::from_ref(&host_end), "only the jail's host end joined: {b:?}");
    assert_eq!(k.host_iface(&host_end).unwrap().mtu, 1450);
    assert!(k.host_ifnames().iter().filter(|n| n.starts_with("bridge")).count() == 1, "no bridge was made");
    eth0.mac.unwrap()
}

#[test]
fn vimage_bridge_joins_the_vpcs_bridge_and_unbridge_leaves_it_as_it_was() {
    let c = Cbsd::new("vpc-vpc1").with_vpc_bridge();
    c.w.edit(|k| {
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
    });
    let before = c.w.kernel().snapshot();
    let vpc = c.vpc_bridge();
    let o = c.vimage(&["bridge", "jname=web1"]);
    ok(&o);
    assert!(stdout(&o).contains("CBSD VPC vpc1: joining its bridge bridge0"), "{}", stdout(&o));
    let mac = on_the_vpc(&c);
    assert_eq!(c.vpc_bridge(), vpc, "the VPC's bridge itself is not changed");
    let o = c.vimage(&["status", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let nic = &j["jails"][0]["nics"][0];
    assert_eq!((nic["state"].as_str(), nic["bridge"].as_str()), (Some("up"), Some("bridge0")), "{j:#}");
    ok(&c.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(c.w.kernel().snapshot(), before, "the epair left the VPC's bridge, which stays as it was");
    ok(&c.vimage(&["bridge", "jname=web1"]));
    assert_eq!(on_the_vpc(&c), mac, "the stored MAC");
    ok(&c.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(c.w.kernel().snapshot(), before);
}

#[test]
fn cbsd_jstart_with_vimage_puts_the_nic_on_the_vpc_and_jstop_leaves_the_bridge_as_it_was() {
    let c = Cbsd::new("vpc-vpc1").with_vpc_bridge();
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    let before = c.w.kernel().snapshot();
    let vpc = c.vpc_bridge();
    for _ in 0..2 {
        let o = c.cbsd(&["jstart", "jname=web1"]);
        ok(&o);
        on_the_vpc(&c);
        let o = c.cbsd(&["jstop", "jname=web1"]);
        ok(&o);
        assert_eq!(c.vpc_bridge(), vpc);
        assert_eq!(c.w.kernel().snapshot(), before, "after jstop: {}{}", stdout(&o), stderr(&o));
    }
}

#[test]
fn a_vpc_cbsd_does_not_have_is_refused_with_cbsds_commands_and_nothing_changes() {
    let c = Cbsd::new("vpc-nope").with_vpc_bridge();
    c.w.edit(|k| {
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
    });
    let before = c.w.kernel().snapshot();
    let o = c.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 69, "{}{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    let db = c.workdir.join("var/db/vpc/nope.sqlite");
    for want in ["jail web1", "CBSD VPC nope", &db.display().to_string(), "VPC not exist", "cbsd vpc mode=init "] {
        assert!(e.contains(want), "{want:?} not in {e}");
    }
    assert_eq!(c.w.kernel().snapshot(), before);
    // CBSD's jstart refuses it the same way (sudoexec/jstart: `[ ! -r ${_dbpath} ]`).
    c.w.edit(|k| k.remove_jail("web1").unwrap());
    let before = c.w.kernel().snapshot();
    let o = c.cbsd(&["jstart", "jname=web1"]);
    assert_ne!(code(&o), 0);
    assert!(stdout(&o).contains(&format!("VPC not exist: {}", db.display())), "{}", stdout(&o));
    assert_eq!(c.w.kernel().snapshot(), before);
}

#[test]
fn a_vpc_without_its_bridge_is_refused_and_vimage_never_creates_it() {
    let c = Cbsd::new("vpc-vpc1");
    c.w.edit(|k| {
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
    });
    // A bridge described like another VPC is not this one's.
    ok(&c.w.sim("ifconfig", &["bridge0", "create", "description", "vpc-vpc10", "up"]));
    let with_other = c.w.kernel().snapshot();
    let o = c.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 69, "{}{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    for want in [
        "jail web1",
        "CBSD VPC vpc1 has no bridge",
        "vpc-vpc1",
        "never creates it",
        "cbsd vpc vpc_name=vpc1 mode=init_vxlan",
        "cbsd vpc vpc_name=vpc1 mode=init_bridge",
    ] {
        assert!(e.contains(want), "{want:?} not in {e}");
    }
    assert_eq!(c.w.kernel().snapshot(), with_other);
}

#[test]
fn cbsds_own_jstart_makes_the_vpc_bridge_but_fails_without_the_vxlan_tunnels() {
    // subr/vnet.subr get_my_device vpc: no bridge described vpc-vpc1, so a new one is created
    // with that description, then `ifconfig vxlan1` fails ("vxlan interface not initialized"),
    // and jstart stops ("failed to get VPC bridge") leaving the new bridge: CBSD's, as CBSD does.
    let c = Cbsd::new("vpc-vpc1");
    let o = c.cbsd(&["jstart", "jname=web1"]);
    assert_ne!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("failed to get VPC bridge: vxlan interface not initialized: vxlan1"), "{out}");
    let k = c.w.kernel();
    assert!(k.jail_jid("web1").is_none());
    let bridges: Vec<_> = k
        .host_ifnames()
        .into_iter()
        .filter_map(|n| k.host_iface(&n))
        .filter(|i| i.name.starts_with("bridge"))
        .collect();
    assert_eq!(bridges.len(), 1, "CBSD's half-made VPC bridge: {bridges:?}");
    assert_eq!((bridges[0].description.as_deref(), bridges[0].members.len()), (Some("vpc-vpc1"), 0));
}

#[test]
fn a_netgraph_nic_on_a_vpc_is_refused_with_mode_epair_as_the_fix() {
    // The VPC is an if_bridge with vxlan members; an ng_bridge hangs on an Ethernet uplink's
    // ng_ether node, and if_bridge(4) has none (ng_ether.c attaches IFT_ETHER and IFT_L2VLAN).
    let c = Cbsd::new("vpc-vpc1").with_vpc_bridge();
    c.w.edit(|k| {
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
    });
    let before = c.w.kernel().snapshot();
    let o = c.vimage(&["bridge", "jname=web1", "mode=netgraph", "interface=vpc-vpc1"]);
    assert_eq!(code(&o), 65, "{}{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("CBSD VPC vpc1") && e.contains("mode=epair"), "{e}");
    assert_eq!(c.w.kernel().snapshot(), before);
}

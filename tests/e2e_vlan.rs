//! End to end: VLAN uplinks (vlan(4) `<parent>.<tag>`, existing or created by vimage) and
//! FreeBSD 15's bridge VLAN filtering (`vlan_untagged=`, `vlan_tagged=`), the `vimage` binary
//! against `fbsd-sim`, asserting the simulated kernel's state; every bridge → status →
//! unbridge ends at the exact initial snapshot.

mod common;

use common::{World, code, stderr, stdout};
use vimage::sim::{Errno, Kernel};

fn ok(o: &std::process::Output) {
    assert_eq!(code(o), 0, "{}{}", stdout(o), stderr(o));
}

/// The demo host (em0 with the address and default route, jail web1) plus em1, a second NIC
/// without an address, and a second vnet jail web2.
fn world(osreldate: u32) -> World {
    let mut k = Kernel::freebsd14_with_nics(&[("em0", "00:1b:21:aa:bb:cc", 1500), ("em1", "00:1b:21:aa:bb:cd", 1500)]);
    k.add_inet("em0", "192.168.1.10/24");
    k.set_default_route("192.168.1.1", "em0");
    k.set_osreldate(osreldate);
    for j in ["web1", "web2"] {
        k.create_jail(j, &format!("/usr/jails/jails/{j}"), true).unwrap();
    }
    World::new(k)
}

fn bridge_on(w: &World, uplink: &str) -> Option<String> {
    let k = w.kernel();
    k.host_ifnames().into_iter().find(|n| {
        k.host_iface(n).is_some_and(|b| b.groups.iter().any(|g| g == "bridge") && b.members.iter().any(|m| m == uplink))
    })
}

#[test]
fn vlan_key_creates_marks_and_destroys_a_vlan_with_its_last_jail_but_not_before() {
    let w = world(1_403_000);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan=100"]);
    ok(&o);
    assert!(stdout(&o).contains("creating vlan(4) em1.100"), "{}", stdout(&o));
    let k = w.kernel();
    let v = k.host_iface("em1.100").expect("vimage created em1.100");
    assert!(v.up, "brought up");
    assert_eq!(v.description.as_deref(), Some("vimage:vlan/em1.100"));
    assert!(v.groups.contains(&"vimage".to_string()), "{:?}", v.groups);
    let br = bridge_on(&w, "em1.100").expect("a bridge on the vlan");
    assert_eq!(k.host_iface(&br).unwrap().description.as_deref(), Some("vimage:em1.100"));
    assert!(k.jail_iface("web1", "eth0").is_some());

    let o = w.vimage(&["status"]);
    ok(&o);
    assert!(stdout(&o).contains("em1.100"), "{}", stdout(&o));

    // A second jail on the same VLAN reuses vlan and bridge; the vlan stays while it is there.
    let o = w.vimage(&["bridge", "jname=web2", "interface=em1", "vlan=100"]);
    ok(&o);
    assert!(!stdout(&o).contains("creating vlan"), "{}", stdout(&o));
    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert!(w.kernel().host_iface("em1.100").is_some(), "web2 still uses em1.100");
    assert_eq!(bridge_on(&w, "em1.100"), Some(br));
    let o = w.vimage(&["unbridge", "jname=web2"]);
    ok(&o);
    assert!(stdout(&o).contains("destroying the vlan(4)"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), before, "vlan, bridge and epairs all gone");
}

#[test]
fn interface_with_a_dotted_name_creates_the_vlan_too() {
    let w = world(1_403_000);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1.200"]);
    ok(&o);
    assert!(w.kernel().host_iface("em1.200").is_some());
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn an_admins_vlan_uplink_is_used_and_left_alone() {
    let w = world(1_403_000);
    let o = w.sim("ifconfig", &["em1.100", "create", "up"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1.100"]);
    ok(&o);
    assert!(!stdout(&o).contains("creating vlan"), "{}", stdout(&o));
    let v = w.kernel().host_iface("em1.100").unwrap();
    assert_eq!(v.description, None, "the admin's vlan is not marked");
    assert!(!v.groups.contains(&"vimage".to_string()));
    assert!(bridge_on(&w, "em1.100").is_some());
    // vlan= naming the same VLAN on its parent finds it too.
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before, "the admin's em1.100 stays");
    ok(&w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan=100"]));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before, "still the admin's: never destroyed");
}

#[test]
fn host_address_on_the_admins_bridge_with_the_vlan_as_member() {
    let w = world(1_403_000);
    for args in [
        &["em1.100", "create", "up"][..],
        &["bridge0", "create", "addm", "em1.100", "up"],
        &["bridge0", "inet", "10.1.0.1/24"],
    ] {
        let o = w.sim("ifconfig", args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    }
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1.100"]);
    ok(&o);
    let k = w.kernel();
    let br = k.host_iface("bridge0").unwrap();
    assert_eq!(br.members.len(), 2, "em1.100 and the jail's host end: {:?}", br.members);
    assert_eq!(bridge_on(&w, "em1.100").as_deref(), Some("bridge0"), "no second bridge");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn netgraph_over_an_existing_vlan_uses_its_sanitized_ng_ether_node() {
    let w = world(1_403_000);
    w.edit(|k| k.load_module("ng_ether"));
    let o = w.sim("ifconfig", &["em1.100", "create", "up"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "mode=netgraph", "interface=em1", "vlan=100"]);
    ok(&o);
    let k = w.kernel();
    assert!(k.jail_ifnames("web1").iter().any(|n| n.starts_with("ng0_")), "{:?}", k.jail_ifnames("web1"));
    let o = w.sim("ngctl", &["show", "em1_100:"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("vimage_em1_100"), "{}", stdout(&o));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn netgraph_over_a_missing_vlan_is_refused_with_the_command_to_create_it() {
    let w = world(1_403_000);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "mode=netgraph", "interface=em1", "vlan=100"]);
    assert_eq!(code(&o), 69, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("ifconfig em1.100 create"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn fifteen_filters_vlans_on_vimages_own_bridge_and_undoes_all_of_it() {
    let w = world(1_500_000);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan_untagged=100", "vlan_tagged=200,300-301"]);
    ok(&o);
    assert!(stdout(&o).contains("enabling VLAN filtering"), "{}", stdout(&o));
    let br = bridge_on(&w, "em1").expect("vimage's bridge on em1");
    let o = w.sim("ifconfig", &[&br]);
    let st = stdout(&o);
    assert!(st.contains("bridge flags=1<VLANFILTER>"), "{st}");
    assert!(st.contains("untagged 100 tagged 200,300-301"), "the host end: {st}");
    assert!(st.contains("tagged 100,200,300-301"), "the uplink carries them all tagged: {st}");
    assert!(w.kernel().host_iface("em1.100").is_none(), "15.x filters on the bridge: no vlan(4)");
    ok(&w.vimage(&["status"]));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn fifteen_refuses_an_admins_bridge_that_does_not_filter_before_any_change() {
    let w = world(1_500_000);
    let o = w.sim("ifconfig", &["bridge0", "create", "addm", "em1", "up"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let before = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan_untagged=100"]);
    assert_eq!(code(&o), 69, "{}{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("web1") && e.contains("bridge0") && e.contains("does not filter VLANs"), "{e}");
    assert!(e.contains("ifconfig bridge0 vlanfilter +iftagged em1 100"), "the fix: {e}");
    assert_eq!(w.kernel().snapshot(), before);
    assert!(w.take_log().iter().all(|l| !l.contains("create")), "nothing was created");
}

#[test]
fn fourteen_falls_back_to_a_vlan_uplink_and_refuses_a_tagged_list() {
    let w = world(1_403_000);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan_untagged=100"]);
    ok(&o);
    assert!(w.kernel().host_iface("em1.100").is_some(), "14.x: untagged VLAN 100 is uplink em1.100");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan_tagged=200"]);
    assert_eq!(code(&o), 69, "{}{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("web1") && e.contains("eth0") && e.contains("vlan_tagged=200") && e.contains("1403000"), "{e}");
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn a_failure_at_every_step_of_a_vlan_bridge_rolls_back_to_nothing() {
    for (osreldate, args) in [
        (1_403_000, &["bridge", "jname=web1", "interface=em1", "vlan=100"][..]),
        (1_500_000, &["bridge", "jname=web1", "interface=em1", "vlan_untagged=100", "vlan_tagged=200"]),
    ] {
        let w = world(osreldate);
        let before = w.kernel().snapshot();
        let start = w.kernel().ops_done();
        ok(&w.vimage(args));
        let total = w.kernel().ops_done() - start;
        ok(&w.vimage(&["unbridge", "jname=web1"]));
        assert_eq!(w.kernel().snapshot(), before);
        for n in 1..=total {
            w.edit(|k| k.fail_at(n, Errno::EIO));
            let o = w.vimage(args);
            assert_ne!(code(&o), 0, "{osreldate} op {n} of {total} was made to fail");
            assert_eq!(w.kernel().snapshot(), before, "{osreldate} op {n}: {}", stderr(&o));
        }
    }
}

#[test]
fn vimage_set_stores_the_vlan_keys_and_bridge_uses_them() {
    let w = world(1_403_000);
    let before = w.kernel().snapshot();
    ok(&w.vimage(&["set", "jname=web1", "interface=em1", "vlan=100"]));
    let o = w.vimage(&["set", "jname=web1", "vlan=5000"]);
    assert_eq!(code(&o), 65, "a VLAN ID above 4094: {}", stderr(&o));
    ok(&w.vimage(&["bridge", "jname=web1"]));
    assert!(w.kernel().host_iface("em1.100").is_some(), "set's vlan=100 on set's em1");
    // The command line's vlan= wins over the stored one, NIC by NIC.
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["bridge", "jname=web1", "vlan=200"]));
    assert!(w.kernel().host_iface("em1.200").is_some() && w.kernel().host_iface("em1.100").is_none());
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn the_service_reads_vimage_name_vlan_from_rc_conf() {
    let w = world(1_403_000);
    std::fs::create_dir_all(w.root.join("etc")).unwrap();
    std::fs::write(
        w.root.join("etc/rc.conf"),
        "vimage_enable=\"YES\"\nvimage_list=\"web3\"\nvimage_web3_rootdir=\"/vm/web3\"\nvimage_web3_epairs=\"em1\"\nvimage_web3_vlan=\"100\"\n",
    )
    .unwrap();
    let before = w.kernel().snapshot();
    ok(&w.vimage(&["start", "web3"]));
    let k = w.kernel();
    assert!(k.jail_iface("web3", "eth0").is_some());
    assert!(k.host_iface("em1.100").is_some_and(|v| v.description.as_deref() == Some("vimage:vlan/em1.100")));
    ok(&w.vimage(&["stop", "web3"]));
    assert_eq!(w.kernel().snapshot(), before, "service stop takes the vlan along");
}

#[test]
fn gc_removes_a_marked_vlan_no_bridge_uses_and_never_an_unmarked_one() {
    let w = world(1_403_000);
    for args in [
        &["em1.300", "create", "description", "vimage:vlan/em1.300", "group", "vimage", "up"][..],
        &["em1.400", "create", "up"],
    ] {
        let o = w.sim("ifconfig", args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    }
    let o = w.vimage(&["status"]);
    ok(&o);
    assert!(stdout(&o).contains("em1.300"), "an orphan: {}", stdout(&o));
    ok(&w.vimage(&["gc"]));
    let k = w.kernel();
    assert!(k.host_iface("em1.300").is_none(), "vimage's orphan vlan is gone");
    assert!(k.host_iface("em1.400").is_some(), "the admin's vlan stays");
}

#[test]
fn dry_run_prints_the_vlan_commands_and_changes_nothing() {
    let w = world(1_500_000);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan=100", "--dry-run"]);
    ok(&o);
    let out = stdout(&o);
    for cmd in [
        "kldload -n if_vlan",
        "ifconfig em1.100 create",
        "ifconfig em1.100 description vimage:vlan/em1.100 group vimage up",
        "addm em1.100",
    ] {
        assert!(out.contains(cmd), "{cmd}: {out}");
    }
    let o = w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan_untagged=100", "vlan_tagged=200", "--dry-run"]);
    ok(&o);
    let out = stdout(&o);
    for cmd in [
        "ifconfig $bridge_em1 vlanfilter",
        "ifconfig $bridge_em1 +iftagged em1 100,200",
        "ifuntagged $eth0_a 100 iftagged $eth0_a 200",
    ] {
        assert!(out.contains(cmd), "{cmd}: {out}");
    }
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn doctor_json_names_the_vlan_features() {
    for (osrel, filter) in [(1_403_000, "info"), (1_500_000, "ok")] {
        let w = world(osrel);
        let o = w.vimage(&["doctor", "--json"]);
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
        let checks = j["checks"].as_array().unwrap_or_else(|| panic!("{j}"));
        let by = |n: &str| checks.iter().find(|c| c["name"] == n).unwrap_or_else(|| panic!("{n}: {j}")).clone();
        assert_eq!(by("if_vlan")["status"], "ok", "compiled in");
        assert_eq!(by("bridge vlanfilter")["status"], filter);
    }
}

#[test]
fn fifteen_adds_a_second_vlan_jail_and_refuses_a_nic_without_a_vlan_on_a_filtering_bridge() {
    let w = world(1_500_000);
    let before = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan_untagged=100"]));
    let br = bridge_on(&w, "em1").unwrap();
    // A second VLAN jail on vimage's filtering bridge: the uplink gets only the VLAN it lacks.
    w.take_log();
    ok(&w.vimage(&["bridge", "jname=web2", "interface=em1", "vlan_untagged=200"]));
    let st = stdout(&w.sim("ifconfig", &[&br]));
    assert!(st.contains("tagged 100,200"), "{st}");
    assert!(w.take_log().iter().any(|l| l.ends_with("+iftagged em1 200")), "only VLAN 200 is added");
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
    // An admin's filtering bridge without defuntagged: a NIC without a VLAN would be cut off.
    for args in [&["bridge0", "create", "vlanfilter", "addm", "em1", "up"][..], &["bridge0", "+iftagged", "em1", "100"]]
    {
        let o = w.sim("ifconfig", args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    }
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web2", "interface=em1"]);
    assert_eq!(code(&o), 65, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("filters VLANs") && stderr(&o).contains("vlan_untagged=N"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before, "nothing changed");
    // With its VLAN it joins the admin's bridge, which carries VLAN 100 already; the bridge
    // stays as the admin made it when the jail leaves.
    ok(&w.vimage(&["bridge", "jname=web2", "interface=em1", "vlan_untagged=100"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn a_vlan_on_a_parent_without_vlan_mtu_is_four_bytes_smaller_and_the_nic_follows_it() {
    let w = world(1_403_000);
    let o = w.sim("ifconfig", &["em1", "-vlanmtu"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let before = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1", "interface=em1", "vlan=100"]));
    let k = w.kernel();
    assert_eq!(k.host_iface("em1.100").unwrap().mtu, 1496, "if_vlan.c vlan_config: less ETHER_VLAN_ENCAP_LEN");
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().mtu, 1496, "the NIC copies its uplink's MTU");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

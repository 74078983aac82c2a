//! FreeBSD's own if_bridge ATF cases (tests/sys/net/if_bridge_test.sh, with
//! tests/sys/common/vnet.subr) as the simulator's yardstick: each test is one ATF case,
//! named after it, its configuration steps and checks replayed against `Sim`. The facts
//! carry over, the code does not. Cases that need what the simulator does not model (STP
//! BPDUs, captured frames, gif tunnels) are listed in the README's ATF table.

mod atf;

use atf::Atf;

#[test]
fn bridge_transmit_ipv4_unicast() {
    let mut t = Atf::new();
    let a = t.mkepair();
    let s = t.mkepair();
    t.mkjail("alcatraz", &[&format!("{a}b")]);
    t.mkjail("singsing", &[&format!("{s}b")]);
    t.ok(&format!("jexec alcatraz ifconfig {a}b 192.0.2.1/24 up"));
    t.ok(&format!("jexec singsing ifconfig {s}b 192.0.2.2/24 up"));
    let br = t.mkbridge();
    t.ok(&format!("ifconfig {br} up"));
    t.ok(&format!("ifconfig {a}a up"));
    t.ok(&format!("ifconfig {s}a up"));
    t.ok(&format!("ifconfig {br} addm {a}a"));
    t.ok(&format!("ifconfig {br} addm {s}a"));
    t.status(0, "jexec alcatraz ping -c 3 -t 1 192.0.2.2");
    t.status(0, "jexec singsing ping -c 3 -t 1 192.0.2.1");
}

#[test]
fn static_() {
    // ATF case `static`.
    let mut t = Atf::new();
    let e = t.mkepair();
    let br = t.mkbridge();
    t.mkjail("one", &[&br, &format!("{e}a")]);
    t.ok(&format!("ifconfig {e}b up"));
    t.ok(&format!("jexec one ifconfig {br} up"));
    t.ok(&format!("jexec one ifconfig {e}a up"));
    t.ok(&format!("jexec one ifconfig {br} addm {e}a"));
    t.status(1, &format!("jexec one ifconfig {br} static {e}b 00:01:02:03:04:05"));
    t.status(1, &format!("jexec one ifconfig {br} static {e}a 00:01:02:03:04"));
    t.status(0, &format!("jexec one ifconfig {br} static {e}a 00:01:02:03:04:05"));
    let addr = t.out(&format!("jexec one ifconfig {br} addr"));
    assert!(addr.contains("00:01:02:03:04:05"), "{addr}");
    t.status(1, &format!("jexec one ifconfig {br} deladdr 00:01:02:03:04"));
    t.status(1, &format!("jexec one ifconfig {br} deladdr 00:01:02:03:04:06"));
    t.status(0, &format!("jexec one ifconfig {br} deladdr 00:01:02:03:04:05"));
    assert!(!t.out(&format!("jexec one ifconfig {br} addr")).contains("00:01:02:03:04:05"));
}

#[test]
fn span() {
    // The configuration half: the span port is listed and removed; the copied frames
    // (checked with scapy there) are not modelled.
    let mut t = Atf::new();
    let e = t.mkepair();
    let sp = t.mkepair();
    let br = t.mkbridge();
    t.mkjail("one", &[&br, &format!("{e}a"), &format!("{sp}a")]);
    t.ok(&format!("jexec one ifconfig {br} up"));
    t.ok(&format!("jexec one ifconfig {e}a up"));
    t.ok(&format!("jexec one ifconfig {sp}a up"));
    t.ok(&format!("jexec one ifconfig {br} addm {e}a"));
    t.ok(&format!("jexec one ifconfig {br} span {sp}a"));
    t.ok(&format!("jexec one ifconfig {br} 192.0.2.1/24"));
    // BRDGGIFS lists span ports among the members, with IFBIF_SPAN.
    assert!(t.out(&format!("jexec one ifconfig {br}")).contains(&format!("member: {sp}a flags=8<SPAN>")));
    t.ok(&format!("jexec one ifconfig {br} -span {sp}a"));
    assert!(!t.out(&format!("jexec one ifconfig {br}")).contains("<SPAN>"));
}

#[test]
fn delete_with_members() {
    let mut t = Atf::new();
    let br = t.mkbridge();
    let e = t.mkepair();
    t.ok(&format!("ifconfig {br} 192.0.2.1/24 up"));
    t.ok(&format!("ifconfig {e}a up"));
    t.ok(&format!("ifconfig {br} addm {e}a"));
    t.ok(&format!("ifconfig {br} destroy"));
    assert!(!t.out("ifconfig -l").contains(&br));
    assert!(!t.out(&format!("ifconfig {e}a")).contains("PROMISC"), "the member left the bridge");
}

#[test]
fn mac_conflict() {
    let mut t = Atf::new();
    let e = t.mkepair();
    let _tmp = t.mkbridge();
    t.mkjail("bridge_mac_conflict_one", &[&format!("{e}a")]);
    t.mkjail("bridge_mac_conflict_two", &[&format!("{e}b")]);
    for (j, end, a) in [("one", "a", "192.0.2.1/24"), ("two", "b", "192.0.2.2/24")] {
        t.ok(&format!("jexec bridge_mac_conflict_{j} ifconfig bridge create"));
        t.ok(&format!("jexec bridge_mac_conflict_{j} ifconfig bridge0 {a} up addm {e}{end}"));
        t.ok(&format!("jexec bridge_mac_conflict_{j} ifconfig {e}{end} up"));
    }
    let m1 = t.ether("jexec bridge_mac_conflict_one ifconfig bridge0");
    let m2 = t.ether("jexec bridge_mac_conflict_two ifconfig bridge0");
    assert_ne!(m1, m2, "bridges in different jails get different MACs");
    t.status(0, "jexec bridge_mac_conflict_one ping -c 3 -t 1 192.0.2.2");
}

#[test]
fn inherit_mac() {
    let mut t = Atf::new();
    let br = t.mkbridge();
    let e = t.mkepair();
    t.mkjail("one", &[&br, &format!("{e}a")]);
    t.ok("jexec one sysctl net.link.bridge.inherit_mac=1");
    t.ok(&format!("jexec one ifconfig {br} 192.0.0.1/24 up"));
    t.ok(&format!("jexec one ifconfig {br} addm {e}a"));
    assert_eq!(t.ether(&format!("jexec one ifconfig {br}")), t.ether(&format!("jexec one ifconfig {e}a")));
}

#[test]
fn mtu() {
    // With epairs in place of gif (not simulated): the bridge's MTU goes to every member, a
    // member's own MTU cannot change, a new member takes the bridge's.
    let mut t = Atf::new_15();
    let e = t.mkepair();
    let g = t.mkepair();
    let br = t.mkbridge();
    t.ok(&format!("ifconfig {br} addm {e}a"));
    t.ok(&format!("ifconfig {br} addm {g}a"));
    t.ok(&format!("ifconfig {br} mtu 2000"));
    for i in [br.clone(), format!("{e}a"), format!("{g}a")] {
        assert_eq!(t.mtu(&i), 2000, "{i}");
    }
    t.status(1, &format!("ifconfig {e}a mtu 1900"));
    assert_eq!(t.mtu(&format!("{e}a")), 2000);
    let n = t.mkepair();
    assert_eq!(t.mtu(&format!("{n}a")), 1500);
    t.ok(&format!("ifconfig {br} addm {n}a"));
    for i in [br.clone(), format!("{e}a"), format!("{g}a"), format!("{n}a")] {
        assert_eq!(t.mtu(&i), 2000, "{i}");
    }
}

#[test]
fn vlan() {
    // PR 270559: one MAC on an untagged and on a tagged interface behind the same bridge.
    let mut t = Atf::new_15();
    let a = t.mkepair();
    let b = t.mkepair();
    let br = t.mkbridge();
    t.mkjail("one", &[&format!("{a}b")]);
    t.mkjail("two", &[&format!("{b}b")]);
    t.ok(&format!("ifconfig {br} up"));
    t.ok(&format!("ifconfig {a}a up"));
    t.ok(&format!("ifconfig {b}a up"));
    t.ok(&format!("ifconfig {br} addm {a}a addm {b}a"));
    t.ok(&format!("jexec one ifconfig {a}b up"));
    t.ok(&format!("jexec one ifconfig {a}b.1 create"));
    t.ok(&format!("jexec two ifconfig {b}b up"));
    t.ok(&format!("jexec two ifconfig {b}b.1 create"));
    t.ok(&format!("jexec two ifconfig {b}b.1 ether 02:05:6e:06:28:1a"));
    t.ok(&format!("jexec one ifconfig {a}b ether 02:05:6e:06:28:1a"));
    t.ok(&format!("jexec one ifconfig {a}b.1 ether 02:05:6e:06:28:1b"));
    t.ok(&format!("jexec one ifconfig {a}b.1 192.0.2.1/24 up"));
    t.ok(&format!("jexec two ifconfig {b}b.1 192.0.2.2/24 up"));
    t.status(0, "jexec one ping -c 1 -t 1 192.0.2.2");
    t.ok(&format!("jexec one ifconfig {a}b 192.0.2.1/24 up"));
    t.status(0, "jexec one ping -c 1 -t 1 192.0.2.2");
}

#[test]
fn many_bridge_members() {
    let mut t = Atf::new_15();
    let br = t.mkbridge();
    for _ in 0..256 {
        let e = t.mkepair();
        t.ok(&format!("ifconfig {br} addm {e}a"));
    }
    assert_eq!(t.out(&format!("ifconfig {br}")).matches("member:").count(), 256);
}

#[test]
fn member_ifaddrs_enabled() {
    let mut t = Atf::new_15();
    let e = t.mkepair();
    t.ok(&format!("ifconfig {e}a inet 192.0.2.1/24 up"));
    t.mkjail("one", &[&format!("{e}b")]);
    t.ok("jexec one sysctl net.link.bridge.member_ifaddrs=1");
    t.ok(&format!("jexec one ifconfig {e}b inet 192.0.2.2/24 up"));
    t.ok(&format!("jexec one ifconfig bridge0 create addm {e}b"));
    t.status(0, "ping -c3 -t1 192.0.2.2");
}

#[test]
fn member_ifaddrs_disabled() {
    let mut t = Atf::new_15();
    t.mkjail("one", &[]);
    t.ok("jexec one sysctl net.link.bridge.member_ifaddrs=0");
    let br = t.out("jexec one ifconfig bridge create").trim().to_string();
    let ep = t.out("jexec one ifconfig epair create").trim().to_string();
    t.ok(&format!("jexec one ifconfig {ep} 192.0.2.1/32"));
    t.status(1, &format!("jexec one ifconfig {br} addm {ep}"));
    let ep = t.out("jexec one ifconfig epair create").trim().to_string();
    t.ok(&format!("jexec one ifconfig {ep} inet6 2001:db8::1/128"));
    t.status(1, &format!("jexec one ifconfig {br} addm {ep}"));
    let ep = t.out("jexec one ifconfig epair create").trim().to_string();
    t.ok(&format!("jexec one ifconfig {br} addm {ep}"));
    t.status(1, &format!("jexec one ifconfig {ep} inet 192.0.2.2/32"));
    let ep = t.out("jexec one ifconfig epair create").trim().to_string();
    t.ok(&format!("jexec one ifconfig {br} addm {ep}"));
    t.status(1, &format!("jexec one ifconfig {ep} inet6 2001:db8::1/128"));
}

#[test]
fn member_ifaddrs_vlan() {
    // kern/287150: a bridge member with a vlan(4) child still passes tagged frames to it.
    let mut t = Atf::new_15();
    let one = t.mkepair();
    let _two = t.mkepair();
    t.mkjail("one", &[&format!("{one}a")]);
    t.ok(&format!("jexec one ifconfig {one}a up"));
    t.ok(&format!("jexec one ifconfig {one}a.20 create inet 192.0.2.1/24 up"));
    t.mkjail("two", &[&format!("{one}b")]);
    let br = t.out("jexec two ifconfig bridge create").trim().to_string();
    t.ok(&format!("jexec two ifconfig {br} addm {one}b up"));
    t.ok("jexec two sysctl net.link.bridge.member_ifaddrs=0");
    t.ok(&format!("jexec two ifconfig {one}b up"));
    t.ok(&format!("jexec two ifconfig {one}b.20 create inet 192.0.2.2/24 up"));
    t.status(0, "jexec one ping -c 3 -t 1 192.0.2.2");
    t.status(0, "jexec two ping -c 3 -t 1 192.0.2.1");
}

/// Two jails on `eptwo`/`epone` b-ends with the given setup, bridged through the a-ends.
fn two_jails(t: &mut Atf, tagged: bool) -> (String, String, String) {
    let one = t.mkepair();
    let two = t.mkepair();
    t.mkjail("one", &[&format!("{one}b")]);
    t.mkjail("two", &[&format!("{two}b")]);
    if tagged {
        t.ok(&format!("jexec one ifconfig {one}b up"));
        t.ok(&format!("jexec one ifconfig {one}b.20 create 192.0.2.1/24 up"));
        t.ok(&format!("jexec two ifconfig {two}b up"));
        t.ok(&format!("jexec two ifconfig {two}b.20 create 192.0.2.2/24 up"));
    } else {
        t.ok(&format!("jexec one ifconfig {one}b 192.0.2.1/24 up"));
        t.ok(&format!("jexec two ifconfig {two}b 192.0.2.2/24 up"));
    }
    let br = t.mkbridge();
    (one, two, br)
}

/// `ifconfig BR FLAGS up`, both a-ends up, then `addm ONEa ARGS1` and `addm TWOa ARGS2`.
fn members(t: &mut Atf, br: &str, flags: &str, one: (&str, &str), two: (&str, &str)) {
    t.ok(&format!("ifconfig {br} {flags} up"));
    t.ok(&format!("ifconfig {}a up", one.0));
    t.ok(&format!("ifconfig {}a up", two.0));
    t.ok(format!("ifconfig {br} addm {}a {}", one.0, one.1).trim_end());
    t.ok(format!("ifconfig {br} addm {}a {}", two.0, two.1).trim_end());
}

fn both(t: &mut Atf, code: i32) {
    t.status(code, "jexec one ping -c 3 -t 1 192.0.2.2");
    t.status(code, "jexec two ping -c 3 -t 1 192.0.2.1");
}

#[test]
fn vlan_pvid() {
    let mut t = Atf::new_15();
    let (one, two, br) = two_jails(&mut t, false);
    members(&mut t, &br, "vlanfilter", (&one, "untagged 20"), (&two, "untagged 20"));
    both(&mut t, 0);
    t.ok(&format!("ifconfig {br} -ifuntagged {one}a"));
    both(&mut t, 2);
}

#[test]
fn vlan_pvid_filtered() {
    let mut t = Atf::new_15();
    let (one, two, br) = two_jails(&mut t, false);
    members(&mut t, &br, "vlanfilter", (&one, "untagged 20"), (&two, "untagged 30"));
    both(&mut t, 2);
}

#[test]
fn vlan_pvid_tagged() {
    let mut t = Atf::new_15();
    let (one, two, br) = two_jails(&mut t, true);
    members(&mut t, &br, "vlanfilter", (&one, "untagged 20"), (&two, "untagged 20"));
    both(&mut t, 2);
}

#[test]
fn vlan_pvid_1q() {
    let mut t = Atf::new_15();
    let one = t.mkepair();
    let two = t.mkepair();
    t.mkjail("one", &[&format!("{one}b")]);
    t.mkjail("two", &[&format!("{two}b")]);
    t.ok(&format!("jexec one ifconfig {one}b 192.0.2.1/24 up"));
    t.ok(&format!("jexec two ifconfig {two}b up"));
    t.ok(&format!("jexec two ifconfig {two}b.20 create 192.0.2.2/24 up"));
    let br = t.mkbridge();
    t.ok(&format!("ifconfig {br} vlanfilter up"));
    t.ok(&format!("ifconfig {br} addm {one}a untagged 20"));
    t.ok(&format!("ifconfig {br} addm {two}a tagged 20"));
    t.ok(&format!("ifconfig {one}a up"));
    t.ok(&format!("ifconfig {two}a up"));
    both(&mut t, 0);
}

#[test]
fn vlan_filtering() {
    let mut t = Atf::new_15();
    let (one, two, br) = two_jails(&mut t, true);
    members(&mut t, &br, "vlanfilter", (&one, ""), (&two, ""));
    both(&mut t, 2);
    t.ok(&format!("ifconfig {br} ifuntagged {one}a 20"));
    t.ok(&format!("ifconfig {br} ifuntagged {two}a 20"));
    both(&mut t, 2);
    t.ok(&format!("ifconfig {br} -ifuntagged {one}a"));
    t.ok(&format!("ifconfig {br} -ifuntagged {two}a"));
    t.ok(&format!("ifconfig {br} +iftagged {one}a 10-30"));
    t.ok(&format!("ifconfig {br} +iftagged {two}a 10-30"));
    both(&mut t, 0);
    t.ok(&format!("ifconfig {br} -iftagged {one}a 20"));
    t.ok(&format!("ifconfig {br} -iftagged {two}a 20"));
    both(&mut t, 2);
}

#[test]
fn vlan_ifconfig_iftagged() {
    let mut t = Atf::new_15();
    let e = t.mkepair();
    let br = t.mkbridge();
    t.ok(&format!("ifconfig {br} vlanfilter up"));
    t.ok(&format!("ifconfig {br} addm {e}a"));
    t.ok(&format!("ifconfig {e}a up"));
    assert!(!t.out(&format!("ifconfig {br}")).contains("tagged"));
    t.ok(&format!("ifconfig {br} iftagged {e}a 100-149"));
    assert!(t.out(&format!("ifconfig {br}")).contains("tagged 100-149"));
    t.ok(&format!("ifconfig {br} iftagged {e}a 139-199"));
    assert!(t.out(&format!("ifconfig {br}")).contains("tagged 139-199"));
    t.ok(&format!("ifconfig {br} +iftagged {e}a 100-170"));
    assert!(t.out(&format!("ifconfig {br}")).contains("tagged 100-199"));
    t.ok(&format!("ifconfig {br} -iftagged {e}a 104,105,150-159"));
    assert!(t.out(&format!("ifconfig {br}")).contains("tagged 100-103,106-149,160-199"));
    t.ok(&format!("ifconfig {br} iftagged {e}a none"));
    assert!(!t.out(&format!("ifconfig {br}")).contains("tagged"));
    for bad in ["-1", "0", "4096", "4097", "foo", "0-10", "4000-5000", "foo-40", "40-foo"] {
        t.status(1, &format!("ifconfig {br} iftagged {bad}"));
    }
}

#[test]
fn vlan_svi() {
    let mut t = Atf::new_15();
    let one = t.mkepair();
    t.mkjail("one", &[&format!("{one}b")]);
    t.ok(&format!("jexec one ifconfig {one}b up"));
    t.ok(&format!("jexec one ifconfig {one}b.20 create 192.0.2.1/24 up"));
    let br = t.mkbridge();
    t.ok(&format!("ifconfig {br} vlanfilter up"));
    t.ok(&format!("ifconfig {one}a up"));
    t.ok(&format!("ifconfig {br} addm {one}a tagged 20"));
    let svi = t.out("ifconfig vlan create").trim().to_string();
    t.ok(&format!("ifconfig {svi} vlan 20 vlandev {br}"));
    t.ok(&format!("ifconfig {svi} inet 192.0.2.2/24 up"));
    t.status(0, "ping -c 3 -t 1 192.0.2.1");
}

#[test]
fn bridge_svi_in_bridge() {
    // A bridge's own SVI (a vlan(4) on the bridge) is refused as its member.
    let mut t = Atf::new_15();
    let br = t.mkbridge();
    t.ok(&format!("ifconfig {br}.1 create"));
    let o = t.status(1, &format!("ifconfig {br} addm {br}.1"));
    assert!(!t.out(&format!("ifconfig {br}")).contains(&format!("member: {br}.1")), "{}", o.stderr);
}

#[test]
fn vlan_qinq() {
    let mut t = Atf::new_15();
    let one = t.mkepair();
    let two = t.mkepair();
    t.mkjail("one", &[&format!("{one}b")]);
    t.mkjail("two", &[&format!("{two}b")]);
    for (j, e, a) in [("one", &one, "192.0.2.1/24"), ("two", &two, "192.0.2.2/24")] {
        t.ok(&format!("jexec {j} ifconfig {e}b up"));
        t.ok(&format!("jexec {j} ifconfig {e}b.5 create vlanproto 802.1ad up"));
        t.ok(&format!("jexec {j} ifconfig {e}b.5.10 create inet {a} up"));
    }
    let br = t.mkbridge();
    members(&mut t, &br, "vlanfilter defqinq", (&one, ""), (&two, ""));
    both(&mut t, 2);
    t.ok(&format!("ifconfig {br} +iftagged {one}a 5"));
    t.ok(&format!("ifconfig {br} +iftagged {two}a 5"));
    both(&mut t, 0);
    t.ok(&format!("ifconfig {br} -qinq {one}a"));
    both(&mut t, 2);
}

#[test]
fn vlan_untagged() {
    let mut t = Atf::new_15();
    let (one, two, br) = two_jails(&mut t, false);
    members(&mut t, &br, "", (&one, "untagged 20"), (&two, "untagged 30"));
    both(&mut t, 2);
    t.ok(&format!("ifconfig {br} ifuntagged {two}a 20"));
    both(&mut t, 0);
    t.ok(&format!("ifconfig {br} -ifuntagged {one}a"));
    both(&mut t, 2);
}

#[test]
fn vlan_defuntagged() {
    let mut t = Atf::new_15();
    let br = t.mkbridge();
    for bad in ["0", "4095", "5000"] {
        let o = t.run(&format!("ifconfig {br} defuntagged {bad}"));
        assert_eq!(o.code, 1);
        assert!(o.stderr.contains(&format!("invalid vlan id: {bad}")), "{}", o.stderr);
    }
    assert!(!t.out(&format!("ifconfig {br}")).contains("defuntagged="));
    t.ok(&format!("ifconfig {br} defuntagged 10"));
    assert!(t.out(&format!("ifconfig {br}")).lines().any(|l| l.ends_with("defuntagged=10")));
    t.ok(&format!("ifconfig {br} -defuntagged"));
    assert!(!t.out(&format!("ifconfig {br}")).contains("defuntagged="));
    t.ok(&format!("ifconfig {br} defuntagged 10"));
    let e = t.mkepair();
    t.ok(&format!("ifconfig {br} addm {e}a"));
    let st = t.out(&format!("ifconfig {br}"));
    let after = st.split(&format!("member: {e}a")).nth(1).unwrap();
    let next = after.lines().nth(1).unwrap_or("");
    assert!(next.contains("untagged 10"), "{st}");
}

#[test]
fn vstatic() {
    let mut t = Atf::new_15();
    let e = t.mkepair();
    let br = t.mkbridge();
    t.mkjail("one", &[&br, &format!("{e}a")]);
    t.ok(&format!("ifconfig {e}b up"));
    t.ok(&format!("jexec one ifconfig {br} up"));
    t.ok(&format!("jexec one ifconfig {e}a up"));
    t.ok(&format!("jexec one ifconfig {br} addm {e}a"));
    t.status(1, &format!("jexec one ifconfig {br} static {e}b 00:01:02:03:04:05 vlan 10"));
    t.status(1, &format!("jexec one ifconfig {br} static {e}a 00:01:02:03:04 vlan 10"));
    t.status(1, &format!("jexec one ifconfig {br} static {e}a 00:01:02:03:04:05 vlan 5000"));
    t.status(0, &format!("jexec one ifconfig {br} static {e}a 00:01:02:03:04:05 vlan 10"));
    let addr = t.out(&format!("jexec one ifconfig {br} addr"));
    assert!(addr.contains(&format!("00:01:02:03:04:05 Vlan10 {e}a 0 flags=1<STATIC>")), "{addr}");
    t.status(1, &format!("jexec one ifconfig {br} deladdr 00:01:02:03:04 vlan 10"));
    t.status(1, &format!("jexec one ifconfig {br} deladdr 00:01:02:03:04:06 vlan 10"));
    t.status(0, &format!("jexec one ifconfig {br} deladdr 00:01:02:03:04:05 vlan 10"));
    // The 15.x `static` case: no vlan is VLAN 0.
    t.status(0, &format!("jexec one ifconfig {br} static {e}a 00:01:02:03:04:05"));
    let addr = t.out(&format!("jexec one ifconfig {br} addr"));
    assert!(addr.contains(&format!("00:01:02:03:04:05 Vlan0 {e}a 0 flags=1<STATIC>")), "{addr}");
}

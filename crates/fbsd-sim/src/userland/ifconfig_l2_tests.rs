//! ifconfig's layer-2 words against the kernel rules: the if_bridge spanning-tree ID
//! (bridgestp.c `bstp_reinit`), member flags, span ports and the address cache (ifbridge.c,
//! if_bridge.c), 15.x VLAN filtering words, vlan(4) (ifvlan.c, if_vlan.c) and lagg(4)
//! (iflagg.c, if_lagg.c).

use super::run;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

fn ifc(k: &mut Kernel, args: &str) -> Output {
    let a: Vec<String> = args.split_whitespace().map(String::from).collect();
    run(k, Ctx::HOST, "ifconfig", &a)
}

fn ok(k: &mut Kernel, args: &str) -> String {
    let o = ifc(k, args);
    assert_eq!(o.code, 0, "ifconfig {args}: {}", o.stderr);
    o.stdout
}

fn fails(k: &mut Kernel, args: &str, stderr: &str) {
    let o = ifc(k, args);
    assert_eq!((o.code, o.stderr.as_str()), (1, stderr), "ifconfig {args}");
}

#[test]
fn bridge_id_is_zero_until_a_member_runs_stp_bridgestp_c_bstp_reinit() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create up");
    ok(&mut k, "epair create up");
    ok(&mut k, "bridge0 addm em0 addm epair0a");
    let st = ok(&mut k, "bridge0");
    assert!(st.contains("\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15\n"), "{st}");
    assert!(st.contains("\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0\n"), "{st}");
    // stp on one member: the bridge ID is the lowest MAC among its Ethernet members.
    ok(&mut k, "bridge0 stp epair0a");
    let st = ok(&mut k, "bridge0");
    let epair_mac = k.host_iface("epair0a").unwrap().mac.unwrap();
    let low = std::cmp::min(epair_mac.clone(), "00:1b:21:aa:bb:cc".to_string());
    assert!(st.contains(&format!("\tid {low} priority")), "{st}");
    assert!(st.contains("\tmember: epair0a flags=147<LEARNING,DISCOVER,STP,AUTOEDGE,AUTOPTP>\n"), "{st}");
    assert!(st.contains(" proto rstp\n\t        role designated state forwarding\n"), "{st}");
    ok(&mut k, "bridge0 -stp epair0a");
    assert!(ok(&mut k, "bridge0").contains("\tid 00:00:00:00:00:00 "));
}

#[test]
fn member_flag_words_need_a_member_ifbridge_c_do_bridgeflag() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create");
    ok(&mut k, "epair create");
    fails(&mut k, "bridge0 private epair0a", "ifconfig: unable to get bridge flags: No such file or directory\n");
    fails(&mut k, "em0 private epair0a", "ifconfig: unable to get bridge flags: Invalid argument\n");
    ok(&mut k, "bridge0 addm epair0a private epair0a");
    assert!(ok(&mut k, "bridge0").contains("member: epair0a flags=943<LEARNING,DISCOVER,PRIVATE,AUTOEDGE,AUTOPTP>"));
    ok(&mut k, "bridge0 -private epair0a");
    assert!(ok(&mut k, "bridge0").contains("member: epair0a flags=143<"));
}

#[test]
fn span_ports_if_bridge_c_bridge_ioctl_addspan() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create");
    ok(&mut k, "epair create");
    ok(&mut k, "epair create");
    ok(&mut k, "bridge0 addm epair0a span epair1a");
    fails(&mut k, "bridge0 span epair1a", "ifconfig: BRDGADDS epair1a: Device busy\n");
    fails(&mut k, "bridge0 span epair0a", "ifconfig: BRDGADDS epair0a: Device busy\n");
    fails(&mut k, "bridge0 span nosuch0", "ifconfig: BRDGADDS nosuch0: No such file or directory\n");
    let st = ok(&mut k, "bridge0");
    assert!(st.contains("\tmember: epair1a flags=8<SPAN>\n"), "{st}");
    ok(&mut k, "bridge0 -span epair1a");
    fails(&mut k, "bridge0 -span epair1a", "ifconfig: BRDGDELS epair1a: No such file or directory\n");
    // A span port that goes away leaves the list (bridge_ifdetach).
    ok(&mut k, "bridge0 span epair1a");
    ok(&mut k, "epair1a destroy");
    assert!(!ok(&mut k, "bridge0").contains("SPAN"));
}

#[test]
fn static_addresses_on_14_use_vlan_1_ifbridge_c_setbridge_static() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create");
    ok(&mut k, "epair create");
    ok(&mut k, "bridge0 addm epair0a");
    fails(
        &mut k,
        "bridge0 static epair0b 00:01:02:03:04:05",
        "ifconfig: BRDGSADDR epair0b: No such file or directory\n",
    );
    fails(&mut k, "bridge0 static epair0a 00:01:02:03:04", "ifconfig: epair0a: invalid address: 00:01:02:03:04\n");
    ok(&mut k, "bridge0 static epair0a 00:01:02:03:04:05");
    assert_eq!(ok(&mut k, "bridge0 addr"), "00:01:02:03:04:05 Vlan1 epair0a 0 flags=1<STATIC>\n");
    fails(&mut k, "bridge0 deladdr 00:01:02:03:04", "ifconfig: invalid address: 00:01:02:03:04\n");
    fails(
        &mut k,
        "bridge0 deladdr 00:01:02:03:04:06",
        "ifconfig: BRDGDADDR 00:01:02:03:04:06: No such file or directory\n",
    );
    ok(&mut k, "bridge0 deladdr 00:01:02:03:04:05");
    assert_eq!(ok(&mut k, "bridge0 addr"), "");
    // The entries go with their member.
    ok(&mut k, "bridge0 static epair0a 00:01:02:03:04:05 deletem epair0a");
    assert_eq!(ok(&mut k, "bridge0 addr"), "");
}

#[test]
fn vlan_filtering_words_exist_on_15_only_ifbridge_c() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create");
    ok(&mut k, "epair create");
    fails(&mut k, "bridge0 vlanfilter", "ifconfig: vlanfilter: bad value\n");
    k.set_osreldate(1_500_000);
    ok(&mut k, "bridge0 vlanfilter up");
    ok(&mut k, "bridge0 addm epair0a untagged 20 tagged 100-149");
    let st = ok(&mut k, "bridge0");
    assert!(st.contains("\tbridge flags=1<VLANFILTER>\n"), "{st}");
    assert!(st.contains("port 5 priority 128 path cost 2000 untagged 20 tagged 100-149\n"), "{st}");
    ok(&mut k, "bridge0 +iftagged epair0a 100-170 -iftagged epair0a 104,105,150-159");
    assert!(ok(&mut k, "bridge0").contains(" tagged 100-103,106-149,160-170\n"));
    fails(&mut k, "bridge0 defuntagged 0", "ifconfig: invalid vlan id: 0\n");
    fails(&mut k, "bridge0 defuntagged 4095", "ifconfig: invalid vlan id: 4095\n");
    ok(&mut k, "bridge0 defuntagged 10");
    assert!(ok(&mut k, "bridge0").contains("\tbridge flags=1<VLANFILTER> defuntagged=10\n"));
}

#[test]
fn ifuntagged_and_iftagged_errors_and_words_are_ifbridge_c_s() {
    // sbin/ifconfig/ifbridge.c: setbridge_ifuntagged → get_vlan_id (1-4094) "invalid VLAN
    // identifier: %s"; set_bridge_vlanset → parse_vlans ("none", "all", N, A-B; last >=
    // first) "invalid vlan set: %s"; both DEF_CMD_ARG2, run in order in one command.
    let mut k = Kernel::demo();
    k.set_osreldate(1_500_000);
    ok(&mut k, "bridge create vlanfilter up");
    ok(&mut k, "epair create up");
    ok(&mut k, "bridge0 addm epair0a");
    fails(&mut k, "bridge0 ifuntagged epair0a 0", "ifconfig: invalid VLAN identifier: 0\n");
    fails(&mut k, "bridge0 ifuntagged epair0a 4095", "ifconfig: invalid VLAN identifier: 4095\n");
    fails(&mut k, "bridge0 iftagged epair0a 5-3", "ifconfig: invalid vlan set: 5-3\n");
    fails(&mut k, "bridge0 +iftagged epair0a 1,4095", "ifconfig: invalid vlan set: 1,4095\n");
    // vimage's own form: PVID and tagged set of the host end in one call.
    ok(&mut k, "bridge0 ifuntagged epair0a 100 iftagged epair0a 200,300-301");
    assert!(ok(&mut k, "bridge0").contains(" untagged 100 tagged 200,300-301\n"));
    ok(&mut k, "bridge0 iftagged epair0a none -ifuntagged epair0a");
    let st = ok(&mut k, "bridge0");
    assert!(st.contains("port 5 priority 128 path cost 2000\n"), "none empties the set, -ifuntagged the PVID: {st}");
    ok(&mut k, "bridge0 iftagged epair0a all");
    assert!(ok(&mut k, "bridge0").contains(" tagged 1-4094\n"), "all: every VID but 0 and 4095");
}

#[test]
fn vlan_create_forms_and_errors_ifvlan_c_if_vlan_c() {
    let mut k = Kernel::demo();
    ok(&mut k, "epair create");
    assert_eq!(ok(&mut k, "vlan create vlandev epair0a vlan 42"), "vlan0\n");
    let st = ok(&mut k, "vlan0");
    assert!(st.contains("\tvlan: 42 vlanproto: 802.1q vlanpcp: 0 parent interface: epair0a\n"), "{st}");
    assert!(st.contains("\tgroups: vlan\n"), "{st}");
    assert_eq!(k.host_iface("vlan0").unwrap().mac, k.host_iface("epair0a").unwrap().mac, "the parent's MAC");
    // PARENT.TAG: nothing printed (the kernel keeps the name asked for).
    assert_eq!(ok(&mut k, "epair0b.20 create"), "");
    assert!(ok(&mut k, "epair0b.20").contains("vlan: 20 vlanproto: 802.1q"));
    fails(&mut k, "vlan create vlan 5", "ifconfig: must specify a parent device for vlan create\n");
    fails(&mut k, "vlan create vlandev epair0a", "ifconfig: must specify a tag for vlan create\n");
    fails(&mut k, "epair0a.0 create", "ifconfig: invalid vlan tag\n");
    // The parent of `PARENT.TAG` is what comes before the LAST `.` (ifvlan.c
    // vlan_parse_ethervid, strrchr): `epair0a.100.5` is VLAN 5 on `epair0a.100`, which must exist.
    let o = ifc(&mut k, "epair0a.100.5 create");
    assert_eq!((o.code, o.stderr.as_str()), (1, "ifconfig: SIOCIFCREATE2: Invalid argument\n"), "no epair0a.100");
    let o = ifc(&mut k, "nosuch0.5 create");
    assert_eq!((o.code, o.stderr.as_str()), (1, "ifconfig: SIOCIFCREATE2: Invalid argument\n"), "no parent: no cloner");
    fails(&mut k, "vlan create vlandev epair0a vlan 42", "ifconfig: interface vlan already exists\n");
    // Change the tag in place: setvlantag fills the current parent in (SIOCGETVLAN), so the
    // tag alone is enough on a configured vlan; then take the parent away (unsetvlandev).
    ok(&mut k, "vlan0 vlan 43");
    assert!(ok(&mut k, "vlan0").contains("vlan: 43 "));
    ok(&mut k, "vlan0 vlandev epair0a vlan 44");
    assert!(ok(&mut k, "vlan0").contains("vlan: 44 "));
    ok(&mut k, "vlan0 -vlandev");
    assert!(ok(&mut k, "vlan0").contains("vlan: 0 vlanproto: 802.1q vlanpcp: 0 parent interface: <none>\n"));
    fails(&mut k, "em0 vlan 5", "ifconfig: both vlan and vlandev must be specified\n");
    // The parent's departure unconfigures its vlans (vlan_ifdetach).
    ok(&mut k, "epair0a destroy");
    assert!(ok(&mut k, "epair0b.20").contains("parent interface: <none>"), "epair0b went with epair0a");
}

#[test]
fn lagg_ports_share_the_lagg_mac_if_lagg_c_lagg_port_create() {
    let mut k = Kernel::demo();
    ok(&mut k, "epair create up");
    ok(&mut k, "epair create up");
    assert_eq!(ok(&mut k, "lagg create"), "lagg0\n");
    ok(&mut k, "lagg0 up laggport epair0a laggport epair1a 192.0.2.2/24");
    let st = ok(&mut k, "lagg0");
    assert!(st.contains("\tlaggproto failover lagghash l2,l3,l4\n"), "{st}");
    assert!(st.contains("\tlaggport: epair0a flags=5<MASTER,ACTIVE>\n\tlaggport: epair1a flags=0<>\n"), "{st}");
    assert!(st.contains("\tinet 192.0.2.2 netmask 0xffffff00"), "{st}");
    let mac = k.host_iface("lagg0").unwrap().mac.unwrap();
    assert_eq!(k.host_iface("epair1a").unwrap().mac.as_deref(), Some(mac.as_str()));
    // ether on the lagg reaches every port.
    ok(&mut k, "lagg0 ether 00:11:22:33:44:55");
    assert_eq!(k.host_iface("epair0a").unwrap().mac.as_deref(), Some("00:11:22:33:44:55"));
    // A bad port warns and the exit status is 1, but the other words still apply.
    let o = ifc(&mut k, "lagg0 laggport nosuch0 mtu 1400");
    assert_eq!((o.code, o.stderr.as_str()), (1, "ifconfig: lagg0 nosuch0: SIOCSLAGGPORT: No such file or directory\n"));
    assert_eq!(k.host_iface("lagg0").unwrap().mtu, 1400);
    ok(&mut k, "lagg0 laggport epair0a");
    fails(&mut k, "lagg0 laggproto frob", "ifconfig: Invalid aggregation protocol: frob\n");
    ok(&mut k, "lagg0 laggproto lacp");
    // Leaving gives a port its own MAC back.
    ok(&mut k, "lagg0 -laggport epair1a");
    assert_ne!(k.host_iface("epair1a").unwrap().mac.as_deref(), Some("00:11:22:33:44:55"));
    fails(&mut k, "lagg0 -laggport epair1a", "ifconfig: SIOCSLAGGDELPORT: No such file or directory\n");
}

#[test]
fn a_lagg_port_is_no_bridge_member_if_lagg_c_lagg_port_create_if_bridge_c_bridge_ioctl_add() {
    // lagg_port_create turns the port's if_type into IFT_IEEE8023ADLAG; bridge_ioctl_add's
    // if_type switch takes only IFT_ETHER / IFT_L2VLAN / IFT_GIF: EINVAL. The lagg joins.
    let mut k = Kernel::demo();
    k.add_ether("em1", "00:1b:21:aa:bb:cd", 1500);
    ok(&mut k, "lagg create laggproto failover laggport em0 laggport em1 up");
    ok(&mut k, "bridge create up");
    fails(&mut k, "bridge0 addm em0", "ifconfig: BRDGADD em0: Invalid argument\n");
    fails(&mut k, "bridge0 addm em1", "ifconfig: BRDGADD em1: Invalid argument\n");
    assert!(k.host_iface("bridge0").unwrap().members.is_empty());
    ok(&mut k, "bridge0 addm lagg0");
    assert_eq!(k.host_iface("bridge0").unwrap().members, vec!["lagg0".to_string()]);
    // Once it has left the lagg, em1 is IFT_ETHER again (lagg_port_destroy restores
    // lp_iftype) and may join.
    ok(&mut k, "lagg0 -laggport em1");
    ok(&mut k, "bridge0 addm em1");
    // A port's own status shows no lagg lines on 14.x (iflagg.c lagg_status asks
    // SIOCGLAGG, which a port does not answer); the lagg lists it as `laggport:`.
    assert!(!ok(&mut k, "em0").contains("lagg"));
    assert!(ok(&mut k, "lagg0").contains("\tlaggport: em0 flags=5<MASTER,ACTIVE>\n"));
}

#[test]
fn a_member_whose_mtu_differs_is_einval_up_to_14_and_takes_the_bridges_on_15_if_bridge_c_bridge_ioctl_add() {
    // bridge_ioctl_add: up to stable/14 "if (ifs->if_mtu != sc->sc_ifp->if_mtu) EINVAL" once
    // the bridge has a member (the first one sets the bridge's MTU); 15.x sets the member's
    // MTU to the bridge's instead.
    for (osreldate, joins) in [(1_402_000, false), (1_500_000, true)] {
        let mut k = Kernel::demo();
        k.set_osreldate(osreldate);
        // em1 holds no address, which 15.x would refuse (net.link.bridge.member_ifaddrs=0).
        k.add_ether("em1", "00:1b:21:aa:bb:cd", 1500);
        ok(&mut k, "em1 mtu 9000");
        ok(&mut k, "bridge create up");
        ok(&mut k, "bridge0 addm em1");
        assert_eq!(k.host_iface("bridge0").unwrap().mtu, 9000, "the first member sets it");
        ok(&mut k, "epair create up");
        if joins {
            ok(&mut k, "bridge0 addm epair0a");
            assert_eq!(k.host_iface("epair0a").unwrap().mtu, 9000);
        } else {
            fails(&mut k, "bridge0 addm epair0a", "ifconfig: BRDGADD epair0a: Invalid argument\n");
            ok(&mut k, "epair0a mtu 9000");
            ok(&mut k, "bridge0 addm epair0a");
        }
    }
}

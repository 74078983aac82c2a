//! ifconfig behaviour through argv, asserting kernel state as well as output.

use super::run;
use crate::Errno;
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

fn fails(k: &mut Kernel, args: &str, stderr: &str) -> Output {
    let before = k.snapshot();
    let o = ifc(k, args);
    assert_eq!((o.code, o.stderr.as_str()), (1, stderr), "ifconfig {args}");
    assert_eq!(k.snapshot(), before, "ifconfig {args} must change nothing");
    o
}

#[test]
fn create_prints_the_kernel_chosen_name_ifclone_c() {
    let mut k = Kernel::demo();
    assert_eq!(ok(&mut k, "epair create"), "epair0a\n");
    assert_eq!(ok(&mut k, "bridge create"), "bridge0\n");
    assert_eq!(ok(&mut k, "bridge5 create"), "", "same name as requested: not printed");
    assert_eq!(ok(&mut k, "epair7 create"), "epair7a\n");
    assert_eq!(ok(&mut k, "epair create name e0a_web1"), "e0a_web1\n");
    assert!(k.host_iface("epair1b").is_some());
    assert_eq!(k.host_iface("e0a_web1").unwrap().peer.as_deref(), Some("epair1b"));
}

#[test]
fn create_prints_the_name_even_when_a_later_parameter_fails_printifnamemaybe() {
    let mut k = Kernel::demo();
    let o = ifc(&mut k, "epair create name em0 up");
    assert_eq!(o.code, 1);
    assert_eq!(o.stdout, "epair0a\n");
    assert_eq!(o.stderr, "ifconfig: ioctl SIOCSIFNAME (set name): File exists\n");
    let a = k.host_iface("epair0a").unwrap();
    assert!(!a.up, "parameters after the failing one are not applied");
    let o = ifc(&mut k, "bridge create description vimage:em0 addm nosuch0 up");
    assert_eq!((o.code, o.stdout.as_str()), (1, "bridge0\n"));
    assert_eq!(o.stderr, "ifconfig: BRDGADD nosuch0: No such file or directory\n");
    let b = k.host_iface("bridge0").unwrap();
    assert_eq!(b.description.as_deref(), Some("vimage:em0"), "earlier parameters stay applied");
}

#[test]
fn parameters_apply_in_order_on_create() {
    let mut k = Kernel::demo();
    let out = ok(&mut k, "bridge create description vimage:em0 group vimage addm em0 up");
    assert_eq!(out, "bridge0\n");
    let b = k.host_iface("bridge0").unwrap();
    assert!(b.up);
    assert_eq!(b.groups, vec!["bridge".to_string(), "vimage".to_string()]);
    assert_eq!(b.members, vec!["em0".to_string()]);
    let st = ok(&mut k, "bridge0");
    assert!(st.starts_with("bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n\tdescription: vimage:em0\n"), "{st}");
    assert!(st.contains("\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n\t        ifmaxaddr 0 port 1 priority 128 path cost 20000\n"), "{st}");
    assert!(st.contains("\tgroups: bridge vimage\n"), "{st}");
}

#[test]
fn names_longer_than_15_bytes_are_refused_ifnamsiz() {
    let mut k = Kernel::demo();
    ok(&mut k, "epair create");
    fails(&mut k, "epair0a name abcdefghijklmnop", "ifconfig: ioctl SIOCSIFNAME (set name): File name too long\n");
    assert_eq!(ok(&mut k, "epair0a name abcdefghijklmno"), "abcdefghijklmno\n");
    fails(&mut k, "abcdefghijklmnop create", "ifconfig: abcdefghijklmnop: cloning name too long\n");
    fails(&mut k, "abcdefghijklmno name em0", "ifconfig: ioctl SIOCSIFNAME (set name): File exists\n");
}

#[test]
fn unknown_interface_is_does_not_exist_ifconfig_c() {
    let mut k = Kernel::demo();
    fails(&mut k, "nosuch0 up", "ifconfig: interface nosuch0 does not exist\n");
    fails(&mut k, "nosuch0", "ifconfig: interface nosuch0 does not exist\n");
    ok(&mut k, "epair create");
    fails(&mut k, "epair0a create", "ifconfig: interface epair0a already exists\n");
    ok(&mut k, "epair0a create up");
    assert!(k.host_iface("epair0a").unwrap().up, "`create` on an existing interface is skipped");
}

#[test]
fn vnet_moves_and_their_errors_ifconfig_c_setifvnet() {
    let mut k = Kernel::demo();
    k.create_jail("plain", "/j/plain", false).unwrap();
    ok(&mut k, "epair create");
    fails(&mut k, "epair0b vnet nosuch", "ifconfig: jail \"nosuch\" not found\n");
    fails(&mut k, "epair0b vnet 77", "ifconfig: jail 77 not found\n");
    fails(&mut k, "epair0b vnet plain", "ifconfig: SIOCSIFVNET: File exists\n");
    assert_eq!(ok(&mut k, "epair0b vnet web1"), "");
    assert!(k.jail_iface("web1", "epair0b").is_some());
    fails(&mut k, "epair0b up", "ifconfig: interface epair0b does not exist\n");
    fails(&mut k, "nosuch -vnet web1", "ifconfig: SIOCSIFRVNET(1, nosuch): Device not configured\n");
    assert_eq!(ok(&mut k, "epair0b -vnet web1"), "");
    assert!(k.host_iface("epair0b").is_some());
}

#[test]
fn vnet_0_is_prison0_found_by_libjail_and_refused_by_the_kernel_jail_getid_c_if_vmove_loan() {
    // lib/libjail/jail_getid.c returns 0 without asking the kernel; if_vmove_loan then finds no
    // child prison 0 (prison_find_child) and fails with ENXIO.
    let mut k = Kernel::demo();
    ok(&mut k, "epair create");
    fails(&mut k, "epair0b vnet 0", "ifconfig: SIOCSIFVNET: Device not configured\n");
    fails(&mut k, "epair0b vnet 00", "ifconfig: SIOCSIFVNET: Device not configured\n");
    fails(&mut k, "epair0b -vnet 0", "ifconfig: SIOCSIFRVNET(0, epair0b): Device not configured\n");
    assert!(k.host_iface("epair0b").is_some());
}

#[test]
fn ifconfig_j_runs_in_the_jail_on_14_and_is_an_illegal_option_on_13() {
    let mut k = Kernel::demo();
    ok(&mut k, "epair create");
    ok(&mut k, "epair0b vnet web1");
    assert_eq!(ok(&mut k, "-j web1 epair0b name eth0 up"), "eth0\n");
    let eth0 = k.jail_iface("web1", "eth0").unwrap();
    assert!(eth0.up);
    assert_eq!(ok(&mut k, "-j 1 -l"), "lo0 eth0\n");
    let o = ifc(&mut k, "-j nosuch -l");
    assert_eq!((o.code, o.stderr.as_str()), (1, "ifconfig: jail not found: No such file or directory\n"));
    k.set_osreldate(1_302_000);
    let o = ifc(&mut k, "-j web1 eth0 down");
    assert_eq!(o.code, 1);
    assert!(o.stderr.starts_with("ifconfig: illegal option -- j\nusage: ifconfig [-f type:format]"), "{}", o.stderr);
    assert!(k.jail_iface("web1", "eth0").unwrap().up);
}

#[test]
fn group_filters_need_a_before_them_ifconfig_c() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create group vimage");
    ok(&mut k, "epair create");
    let names = |s: String| -> Vec<String> {
        s.lines().filter(|l| !l.starts_with('\t')).map(|l| l.split(':').next().unwrap_or("").to_string()).collect()
    };
    assert_eq!(names(ok(&mut k, "-a -g vimage")), vec!["bridge0"]);
    assert_eq!(names(ok(&mut k, "-a -G vimage")), vec!["em0", "lo0", "epair0a", "epair0b"]);
    assert_eq!(names(ok(&mut k, "-a -g epair*")), vec!["epair0a", "epair0b"]);
    let o = ifc(&mut k, "-G vimage");
    assert_eq!(o.code, 1);
    assert!(o.stderr.starts_with("usage: ifconfig"));
    assert_eq!(ok(&mut k, "-g epair"), "epair0a\nepair0b\n", "-g without -a prints the group's members");
    assert_eq!(ok(&mut k, "-l"), "em0 lo0 bridge0 epair0a epair0b\n");
    assert_eq!(ok(&mut k, "-l -g vimage"), "bridge0\n");
    assert_eq!(ok(&mut k, "-l inet"), "em0 lo0\n");
    let o = ifc(&mut k, "-l -a");
    assert_eq!(o.code, 1);
}

#[test]
fn bridge_errors_are_brdgadd_with_strerror_ifbridge_c() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create addm em0");
    ok(&mut k, "bridge create");
    ok(&mut k, "epair create mtu 9000");
    fails(&mut k, "bridge0 addm em0", "ifconfig: BRDGADD em0: File exists\n");
    fails(&mut k, "bridge1 addm em0", "ifconfig: BRDGADD em0: Device busy\n");
    fails(&mut k, "bridge0 addm lo0", "ifconfig: BRDGADD lo0: Invalid argument\n");
    fails(&mut k, "bridge0 addm epair0a", "ifconfig: BRDGADD epair0a: Invalid argument\n");
    fails(&mut k, "bridge0 deletem epair0a", "ifconfig: BRDGDEL epair0a: No such file or directory\n");
    fails(&mut k, "epair0a addm em0", "ifconfig: BRDGADD em0: Invalid argument\n");
}

#[test]
fn a_bridge_is_never_a_bridge_member_bridge_ioctl_add() {
    // sys/net/if_bridge.c bridge_ioctl_add (stable/14): ENOENT, then EBUSY/EEXIST for an
    // interface already in a bridge, then `switch (ifs->if_type)` admits IFT_ETHER,
    // IFT_L2VLAN and IFT_GIF only: an if_bridge (IFT_BRIDGE) is EINVAL, which ifconfig's
    // ifbridge.c setbridge_add reports as `err(1, "BRDGADD %s", val)`.
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create addm em0 up");
    ok(&mut k, "bridge create up");
    let before = k.snapshot();
    let o = ifc(&mut k, "bridge1 addm bridge0");
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (1, "", "ifconfig: BRDGADD bridge0: Invalid argument\n")
    );
    fails(&mut k, "bridge0 addm bridge1", "ifconfig: BRDGADD bridge1: Invalid argument\n");
    fails(&mut k, "bridge0 addm bridge0", "ifconfig: BRDGADD bridge0: Invalid argument\n");
    assert_eq!(k.snapshot(), before, "a refused addm changes nothing");
}

#[test]
fn destroying_one_epair_end_destroys_both_and_leaves_the_bridge_if_epair_c() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create addm em0 up");
    ok(&mut k, "epair create");
    ok(&mut k, "bridge0 addm epair0a");
    ok(&mut k, "epair0b vnet web1");
    ok(&mut k, "-j web1 epair0b name eth0");
    assert_eq!(ok(&mut k, "epair0a destroy"), "");
    assert_eq!(k.host_iface("bridge0").unwrap().members, vec!["em0".to_string()]);
    assert_eq!(k.jail_ifnames("web1"), vec!["lo0".to_string()]);
    assert!(!k.host_iface("em0").unwrap().members.contains(&"epair0a".to_string()));
    fails(&mut k, "em0 destroy", "ifconfig: SIOCIFDESTROY: Invalid argument\n");
    fails(&mut k, "lo0 destroy", "ifconfig: SIOCIFDESTROY: Invalid argument\n");
}

#[test]
fn a_parameter_after_destroy_finds_no_interface() {
    let mut k = Kernel::demo();
    ok(&mut k, "epair create");
    let o = ifc(&mut k, "epair0a destroy up");
    assert_eq!((o.code, o.stderr.as_str()), (1, "ifconfig: ioctl (SIOCGIFFLAGS): no such interface\n"));
    assert!(k.host_iface("epair0b").is_none());
}

#[test]
fn ether_lladdr_and_addresses_are_set_last_af_link_c_af_inet_c() {
    let mut k = Kernel::demo();
    ok(&mut k, "epair create");
    ok(&mut k, "epair0a ether 02:00:d2:aa:bb:cc up");
    let a = k.host_iface("epair0a").unwrap();
    assert_eq!(a.mac.as_deref(), Some("02:00:d2:aa:bb:cc"));
    assert!(a.up);
    assert!(ok(&mut k, "epair0a").contains("\tether 02:00:d2:aa:bb:cc\n\thwaddr "));
    fails(&mut k, "epair0b ether 0e2:00:d2:aa:bb:cc", "ifconfig: ioctl (SIOCAIFADDR): Invalid argument\n");
    fails(&mut k, "lo0 ether 02:00:00:00:00:01", "ifconfig: ioctl (SIOCAIFADDR): Invalid argument\n");
    ok(&mut k, "epair0b ether random");
    let m = k.host_iface("epair0b").unwrap().mac.unwrap();
    let first = u8::from_str_radix(&m[..2], 16).unwrap();
    assert_eq!(first & 0x03, 0x02, "random: locally administered unicast");
    ok(&mut k, "epair0b inet 10.0.0.2/24");
    let b = k.host_iface("epair0b").unwrap();
    assert!(b.up, "an address brings the interface up (ether_ioctl SIOCSIFADDR)");
    assert_eq!(b.addrs, vec!["10.0.0.2/24".to_string()]);
    ok(&mut k, "epair0b inet 10.0.0.3/24 alias");
    ok(&mut k, "epair0b 10.0.0.9/16");
    assert_eq!(k.host_iface("epair0b").unwrap().addrs, vec!["10.0.0.3/24".to_string(), "10.0.0.9/16".to_string()]);
    fails(&mut k, "epair0b inet 10.9.9.9 -alias", "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n");
    ok(&mut k, "epair0b inet 10.0.0.3 -alias");
    ok(&mut k, "epair0b inet6 2001:db8::1/64");
    let st = ok(&mut k, "epair0b");
    assert!(
        st.contains("\tinet 10.0.0.9 netmask 0xffff0000 broadcast 10.0.255.255\n\tinet6 2001:db8::1 prefixlen 64\n"),
        "{st}"
    );
    fails(&mut k, "epair0b inet 10.0.0.1/33", "ifconfig: 10.0.0.1/33: bad value (width too large)\n");
    fails(&mut k, "epair0b inet bogus", "ifconfig: bogus: bad value\n");
}

#[test]
fn mtu_description_group_errors_and_texts() {
    let mut k = Kernel::demo();
    ok(&mut k, "epair create");
    fails(&mut k, "epair0a mtu abc", "ifconfig: ioctl SIOCSIFMTU (set mtu): Invalid argument\n");
    fails(&mut k, "em0 mtu 65536", "ifconfig: ioctl SIOCSIFMTU (set mtu): Invalid argument\n");
    ok(&mut k, "epair0a mtu 9000 description vimage:web1:eth0 group vimage");
    let a = k.host_iface("epair0a").unwrap();
    assert_eq!((a.mtu, a.description.as_deref()), (9000, Some("vimage:web1:eth0")));
    fails(&mut k, "epair0a group vimage2", "ifconfig: setifgroup: group names may not end in a digit\n");
    ok(&mut k, "epair0a group vimage");
    ok(&mut k, "epair0a -group vimage -description -group nosuch");
    let a = k.host_iface("epair0a").unwrap();
    assert_eq!((a.groups.len(), a.description), (1, None));
    fails(&mut k, "epair0a mtu", "ifconfig: 'mtu' requires argument\n");
}

#[test]
fn non_vnet_jail_sees_host_interfaces_but_may_not_change_them() {
    let mut k = Kernel::demo();
    let plain = k.create_jail("plain", "/j/plain", false).unwrap();
    let ctx = k.ctx_in_jail(plain).unwrap();
    let before = k.snapshot();
    let o = run(&mut k, ctx, "ifconfig", &["-l".to_string()]);
    assert_eq!(o.stdout, "em0 lo0\n", "boot order: the NIC attached before lo0");
    let o = run(&mut k, ctx, "ifconfig", &["em0".to_string(), "down".to_string()]);
    assert_eq!((o.code, o.stderr.as_str()), (1, "ifconfig: down: permission denied\n"));
    let o = run(&mut k, ctx, "ifconfig", &["epair".to_string(), "create".to_string()]);
    assert_eq!(o.stderr, "ifconfig: SIOCIFCREATE2: Operation not permitted\n");
    assert_eq!(k.snapshot(), before);
}

#[test]
fn the_nth_operation_fails_and_changes_nothing_fault_injection() {
    let mut k = Kernel::demo();
    k.fail_at(1, Errno::EIO);
    fails(&mut k, "epair create", "ifconfig: SIOCIFCREATE2: Input/output error\n");
    k.fail_at(2, Errno::EBUSY);
    let o = ifc(&mut k, "epair create name e0a up");
    assert_eq!((o.code, o.stdout.as_str()), (1, "epair0a\n"));
    assert_eq!(o.stderr, "ifconfig: ioctl SIOCSIFNAME (set name): Device busy\n");
    assert!(k.host_iface("epair0a").is_some() && k.host_iface("e0a").is_none());
    k.fail_at(1, Errno::EIO);
    fails(&mut k, "epair0a up", "ifconfig: up: Input/output error\n");
    k.fail_at(1, Errno::EIO);
    fails(&mut k, "epair0b vnet web1", "ifconfig: SIOCSIFVNET: Input/output error\n");
    let before = k.ops_done();
    ok(&mut k, "epair0a");
    assert_eq!(k.ops_done(), before, "status is read-only");
}

#[test]
fn create_loads_the_cloner_module_unless_n_ifmaybeload() {
    let mut k = Kernel::demo();
    k.unload_module("if_bridge");
    k.unload_module("bridgestp");
    fails(&mut k, "-n bridge create", "ifconfig: SIOCIFCREATE2: Invalid argument\n");
    let before = k.ops_done();
    assert_eq!(ok(&mut k, "bridge create"), "bridge0\n");
    assert_eq!(k.ops_done(), before + 2, "one kldload, one create");
    assert!(k.loaded_modules().contains(&"bridgestp".to_string()));
}

#[test]
fn status_of_a_fresh_epair_matches_freebsd_14() {
    let mut k = Kernel::freebsd14();
    ok(&mut k, "epair create");
    let st = ok(&mut k, "epair0b");
    let mac = k.host_iface("epair0b").unwrap().mac.unwrap();
    assert_eq!(
        st,
        format!(
            "epair0b: flags=1008842<BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n\
             \toptions=8<VLAN_MTU>\n\tether {mac}\n\tgroups: epair\n\
             \tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\tstatus: active\n\
             \tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n"
        )
    );
}

#[test]
fn garbage_argv_never_panics() {
    let mut k = Kernel::demo();
    let cases = [
        "",
        "-",
        "--",
        "-z",
        "-j",
        "-G",
        "-g",
        "-a -g",
        "-l -l -l",
        "epair",
        "create",
        "em0 inet",
        "em0 ether",
        "em0 ether zz:zz",
        "em0 inet6 ::/200",
        "em0 netmask",
        "em0 vnet",
        "em0 -vnet",
        "é create",
        "epair999999999 create",
        "bridge01 create",
        "em0 mtu -1",
        "em0 mtu 99999999999999",
        "em0 metric x",
        "em0 name",
        "em0 broadcast 1.2.3.4",
        "em0 inet 1.2.3.4 5.6.7.8 9.9.9.9",
        "em0 ether 1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16",
        "em0 link 1",
        "lo0 inet6 fe80::1%lo0/64",
    ];
    for c in cases {
        let _ = ifc(&mut k, c);
    }
    let o = run(&mut k, Ctx::HOST, "ifconfig", &["\u{0}".to_string(), "create".to_string()]);
    assert_eq!(o.code, 1);
}

#[test]
fn epair_create_fails_when_a_returned_end_holds_the_name_if_epair_c() {
    let mut k = Kernel::demo();
    // An epair created inside the jail, its b end lent to the host: the host's unit 0 is free
    // but the name epair0b is taken.
    let jctx = k.ctx_in_jail(1).unwrap();
    let o = run(&mut k, jctx, "ifconfig", &["epair".into(), "create".into()]);
    assert_eq!(o.stdout, "epair0a\n");
    ok(&mut k, "epair0b -vnet web1");
    fails(&mut k, "epair create", "ifconfig: interface epair already exists\n");
    fails(&mut k, "epair create", "ifconfig: interface epair already exists\n");
    // When the jail dies, its epair dies with it, the lent end included.
    let o = run(&mut k, Ctx::HOST, "jail", &["-r".into(), "web1".into()]);
    assert_eq!(o.code, 0);
    assert!(k.host_iface("epair0b").is_none());
    assert_eq!(ok(&mut k, "epair create"), "epair0a\n");
}

#[test]
fn jail_r_returns_borrowed_interfaces_with_their_jail_side_names() {
    let mut k = Kernel::demo();
    ok(&mut k, "bridge create addm em0 up");
    ok(&mut k, "epair create up");
    ok(&mut k, "bridge0 addm epair0a");
    ok(&mut k, "epair0b vnet web1");
    ok(&mut k, "-j web1 epair0b name eth0 10.0.0.2/24 up");
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().addrs, vec!["10.0.0.2/24".to_string()]);
    fails(&mut k, "-j web1 eth0 mtu 1500 inet 10.0.0.3/24", "ifconfig: inet: bad value\n");
    let o = run(&mut k, Ctx::HOST, "jail", &["-r".into(), "1".into()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let eth0 = k.host_iface("eth0").unwrap();
    assert!(!eth0.up && eth0.addrs.is_empty());
    assert_eq!(eth0.peer.as_deref(), Some("epair0a"));
    assert_eq!(k.host_iface("bridge0").unwrap().members.len(), 2, "the a end stays bridged");
    assert_eq!(ok(&mut k, "eth0 destroy"), "");
    assert_eq!(k.host_iface("bridge0").unwrap().members, vec!["em0".to_string()]);
}

#[test]
fn bridge_15_rules_through_ifconfig() {
    let mut k = Kernel::demo();
    k.set_osreldate(1_500_000);
    ok(&mut k, "bridge create");
    fails(&mut k, "bridge0 addm em0", "ifconfig: BRDGADD em0: Invalid argument\n");
    ok(&mut k, "epair create mtu 9000");
    ok(&mut k, "epair create");
    ok(&mut k, "bridge0 addm epair1a addm epair0a");
    assert_eq!(k.host_iface("epair0a").unwrap().mtu, 1500, "member set to the bridge's MTU");
    fails(&mut k, "epair0a mtu 9000", "ifconfig: ioctl SIOCSIFMTU (set mtu): Operation not supported\n");
    fails(&mut k, "epair0a inet 10.1.1.1/24", "ifconfig: ioctl (SIOCAIFADDR): Invalid argument\n");
    let o = run(&mut k, Ctx::HOST, "sysctl", &["net.link.bridge.member_ifaddrs=1".into()]);
    assert_eq!(o.stdout, "net.link.bridge.member_ifaddrs: 0 -> 1\n");
    ok(&mut k, "bridge0 addm em0");
}

//! Kernel rules, tested through the kernel operations (no argv parsing).

use super::*;
use crate::Errno;

fn host() -> Ctx {
    Ctx::HOST
}

fn epair(k: &mut Kernel) -> (IfId, IfId) {
    let a = k.if_clone_create(host(), "epair").unwrap();
    let b = k.ifp(a).unwrap().peer().unwrap();
    (a, b)
}

fn name(k: &Kernel, id: IfId) -> String {
    k.ifp(id).unwrap().name.clone()
}

#[test]
fn epair_create_makes_both_ends_down_running_with_0a_0b_macs_if_epair_c() {
    let mut k = Kernel::freebsd14();
    let (a, b) = epair(&mut k);
    assert_eq!((name(&k, a), name(&k, b)), ("epair0a".into(), "epair0b".into()));
    let (ia, ib) = (k.ifp(a).unwrap(), k.ifp(b).unwrap());
    assert!(!ia.up && !ib.up);
    assert_eq!(ia.flags(false), 0x1008842);
    assert_eq!(ia.mtu, 1500);
    let (ma, mb) = (ia.mac.unwrap().0, ib.mac.unwrap().0);
    assert_eq!((ma[0], ma[5], mb[5]), (0x02, 0x0a, 0x0b));
    assert_eq!(ma[..5], mb[..5]);
    assert_eq!(ia.groups, vec!["epair".to_string()]);
}

#[test]
fn epair_units_are_lowest_free_and_held_across_rename_if_clone_c() {
    let mut k = Kernel::freebsd14();
    let (a0, _) = epair(&mut k);
    let (a1, _) = epair(&mut k);
    k.if_rename(host(), a0, "e0a_web1").unwrap();
    let (a2, _) = epair(&mut k);
    assert_eq!(name(&k, a2), "epair2a", "rename does not free unit 0");
    k.if_clone_destroy(host(), a1).unwrap();
    let (a3, _) = epair(&mut k);
    assert_eq!(name(&k, a3), "epair1a", "destroy frees the unit; the lowest free is reused");
}

#[test]
fn epair_create_is_eexist_when_an_end_name_is_taken_if_epair_c() {
    let mut k = Kernel::freebsd14();
    let (a, b) = epair(&mut k);
    k.if_rename(host(), a, "x").unwrap();
    k.if_rename(host(), b, "y").unwrap();
    k.if_clone_destroy(host(), a).unwrap();
    let (c, _) = epair(&mut k);
    k.if_rename(host(), c, "z").unwrap();
    // unit 0 is held by c; free it and make its b-name exist under another interface.
    let (d, _) = epair(&mut k);
    assert_eq!(name(&k, d), "epair1a");
    k.if_clone_destroy(host(), c).unwrap();
    k.if_rename(host(), d, "epair0b").unwrap();
    let before = k.snapshot();
    assert_eq!(k.if_clone_create(host(), "epair"), Err(Errno::EEXIST));
    assert_eq!(k.snapshot(), before);
    assert_eq!(k.if_clone_create(host(), "epair1"), Err(Errno::EEXIST), "unit 1 is in use");
}

#[test]
fn destroying_either_end_destroys_both_and_drops_bridge_membership_if_epair_c() {
    let mut k = Kernel::demo();
    let br = k.if_clone_create(host(), "bridge").unwrap();
    let (a, b) = epair(&mut k);
    k.bridge_add(host(), br, "epair0a").unwrap();
    k.vmove(b, k.jail(1).unwrap().vnet.unwrap()).unwrap();
    k.if_clone_destroy(host(), a).unwrap();
    assert!(k.ifp(a).is_none() && k.ifp(b).is_none());
    assert!(k.bridge_members(br).is_empty());
    assert_eq!(k.jail_ifnames("web1"), vec!["lo0".to_string()]);
    // From the jail side, destroying the b end works as well.
    let (a, b) = epair(&mut k);
    k.vmove(b, k.jail(1).unwrap().vnet.unwrap()).unwrap();
    let jctx = k.ctx_in_jail(1).unwrap();
    k.if_clone_destroy(jctx, b).unwrap();
    assert!(k.ifp(a).is_none());
}

#[test]
fn rename_rules_if_c_if_rename() {
    let mut k = Kernel::demo();
    let (a, _) = epair(&mut k);
    assert_eq!(k.if_rename(host(), a, "em0"), Err(Errno::EEXIST));
    assert_eq!(k.if_rename(host(), a, "abcdefghijklmnop"), Err(Errno::ENAMETOOLONG));
    assert_eq!(k.if_rename(host(), a, ""), Err(Errno::EINVAL));
    k.if_rename(host(), a, "epair0a").unwrap();
    k.if_rename(host(), a, "abcdefghijklmno").unwrap();
    assert!(k.host_iface("abcdefghijklmno").is_some());
    assert!(k.host_iface("epair0a").is_none());
}

#[test]
fn bridge_addm_rules_if_bridge_c() {
    let mut k = Kernel::demo();
    let br = k.if_clone_create(host(), "bridge").unwrap();
    let br2 = k.if_clone_create(host(), "bridge").unwrap();
    let (a, _) = epair(&mut k);
    assert_eq!(k.bridge_add(host(), br, "nosuch0"), Err(Errno::ENOENT));
    assert_eq!(k.bridge_add(host(), br, "lo0"), Err(Errno::EINVAL));
    assert_eq!(k.bridge_add(host(), br, "bridge1"), Err(Errno::EINVAL));
    k.bridge_add(host(), br, "em0").unwrap();
    assert_eq!(k.bridge_add(host(), br, "em0"), Err(Errno::EEXIST));
    assert_eq!(k.bridge_add(host(), br2, "em0"), Err(Errno::EBUSY));
    k.if_set_mtu(host(), a, 9000).unwrap();
    assert_eq!(k.bridge_add(host(), br, "epair0a"), Err(Errno::EINVAL), "14.x: MTU must match");
    k.if_set_mtu(host(), a, 1500).unwrap();
    k.bridge_add(host(), br, "epair0a").unwrap();
    let members: Vec<String> = k.bridge_members(br).iter().map(|&m| name(&k, m)).collect();
    assert_eq!(members, vec!["epair0a".to_string(), "em0".to_string()], "newest first");
    assert_eq!(k.bridge_del(host(), br, "epair0b"), Err(Errno::ENOENT));
    k.bridge_del(host(), br, "epair0a").unwrap();
    assert_eq!(k.bridge_members(br).len(), 1);
}

#[test]
fn bridge_15_syncs_mtu_and_refuses_members_with_addresses() {
    let mut k = Kernel::demo();
    k.set_osreldate(1_500_000);
    let br = k.if_clone_create(host(), "bridge").unwrap();
    assert_eq!(k.bridge_add(host(), br, "em0"), Err(Errno::EINVAL), "em0 holds 192.168.1.10");
    let (a, _) = epair(&mut k);
    let (c, _) = epair(&mut k);
    k.if_set_mtu(host(), c, 9000).unwrap();
    k.bridge_add(host(), br, "epair0a").unwrap();
    k.bridge_add(host(), br, "epair1a").unwrap();
    assert_eq!(k.ifp(c).unwrap().mtu, 1500, "15.x sets the member to the bridge MTU");
    assert_eq!(k.if_set_mtu(host(), a, 9000), Err(Errno::EOPNOTSUPP));
    let addr = table::parse_cidr("10.0.0.1/24").unwrap();
    assert_eq!(k.if_add_addr(host(), a, addr), Err(Errno::EINVAL));
    k.sysctl_set(host(), "net.link.bridge.member_ifaddrs", 1).unwrap();
    k.if_add_addr(host(), a, addr).unwrap();
    k.bridge_add(host(), br, "em0").unwrap();
}

#[test]
fn vnet_move_clears_up_and_addresses_and_keeps_name_mac_description_if_c_if_vmove() {
    let mut k = Kernel::demo();
    let (_, b) = epair(&mut k);
    k.if_set_up(host(), b, true).unwrap();
    k.if_set_descr(host(), b, Some("d")).unwrap();
    k.if_add_group(host(), b, "vimage").unwrap();
    k.if_add_addr(host(), b, table::parse_cidr("10.0.0.2/24").unwrap()).unwrap();
    let mac = k.ifp(b).unwrap().mac;
    k.if_vmove_loan(host(), b, 1).unwrap();
    let v = k.jail_iface("web1", "epair0b").unwrap();
    assert!(!v.up && v.addrs.is_empty());
    assert_eq!(v.description.as_deref(), Some("d"));
    assert_eq!(v.groups, vec!["epair".to_string()]);
    assert_eq!(k.ifp(b).unwrap().mac, mac);
    assert!(k.host_iface("epair0b").is_none());
}

#[test]
fn vnet_move_refusals_if_c_if_vmove_loan() {
    let mut k = Kernel::demo();
    let plain = k.create_jail("plain", "/j/plain", false).unwrap();
    let (_, b) = epair(&mut k);
    let before = k.snapshot();
    assert_eq!(k.if_vmove_loan(host(), b, plain), Err(Errno::EEXIST), "jail without vnet");
    assert_eq!(k.if_vmove_loan(host(), b, 99), Err(Errno::ENXIO));
    // The jail already has an interface of that name.
    let jctx = k.ctx_in_jail(1).unwrap();
    let jlo = k.ifunit(k.jail(1).unwrap().vnet.unwrap(), "lo0").unwrap();
    k.if_rename(jctx, jlo, "epair0b").unwrap();
    assert_eq!(k.if_vmove_loan(host(), b, 1), Err(Errno::EEXIST));
    k.if_rename(jctx, jlo, "lo0").unwrap();
    assert_eq!(k.snapshot(), before);
    // Non-vnet jails may not reconfigure the host's interfaces.
    let pctx = k.ctx_in_jail(plain).unwrap();
    assert_eq!(k.if_set_up(pctx, b, true), Err(Errno::EPERM));
}

#[test]
fn moving_a_bridge_member_drops_it_from_the_bridge_if_bridge_c() {
    let mut k = Kernel::demo();
    let br = k.if_clone_create(host(), "bridge").unwrap();
    let (a, _) = epair(&mut k);
    k.bridge_add(host(), br, "epair0a").unwrap();
    k.if_vmove_loan(host(), a, 1).unwrap();
    assert!(k.bridge_members(br).is_empty());
    assert!(k.ifp(a).unwrap().bridge.is_none());
}

#[test]
fn reclaim_brings_an_interface_back_even_when_the_name_is_taken_if_c_if_vmove_reclaim() {
    let mut k = Kernel::demo();
    let (a, b) = epair(&mut k);
    k.if_vmove_loan(host(), b, 1).unwrap();
    k.if_rename(host(), a, "epair0b").unwrap();
    assert_eq!(k.if_vmove_reclaim(host(), "nosuch", 1), Err(Errno::ENXIO));
    k.if_vmove_reclaim(host(), "epair0b", 1).unwrap();
    assert_eq!(k.host_ifnames().iter().filter(|n| *n == "epair0b").count(), 2);
    assert_eq!(k.ifunit(VnetId::HOST, "epair0b"), Some(a), "ifunit finds the older one");
}

#[test]
fn jail_removal_returns_foreign_ifnets_with_jail_names_and_destroys_jail_created_ones() {
    let mut k = Kernel::demo();
    let (a, b) = epair(&mut k);
    k.if_vmove_loan(host(), b, 1).unwrap();
    let jv = k.jail(1).unwrap().vnet.unwrap();
    let jctx = k.ctx_in_jail(1).unwrap();
    k.if_rename(jctx, b, "eth0").unwrap();
    k.if_set_up(jctx, b, true).unwrap();
    k.if_add_addr(jctx, b, table::parse_cidr("10.0.0.2/24").unwrap()).unwrap();
    // An epair created inside the jail, one end lent back to the host.
    let ja = k.if_clone_create(jctx, "epair").unwrap();
    let jb = k.ifp(ja).unwrap().peer().unwrap();
    k.if_vmove_reclaim(host(), "epair0b", 1).unwrap();
    assert_eq!(k.ifp(jb).unwrap().vnet, VnetId::HOST);
    // A host interface already named eth0: the returning one duplicates it.
    k.if_rename(host(), a, "eth0").unwrap();
    k.remove_jail("web1").unwrap();
    assert!(k.vnet(jv).is_none());
    assert_eq!(k.host_ifnames().iter().filter(|n| *n == "eth0").count(), 2);
    let back = k.ifp(b).unwrap();
    assert!(!back.up && back.addrs.is_empty() && back.vnet == VnetId::HOST);
    assert!(k.ifp(ja).is_none() && k.ifp(jb).is_none(), "jail-created epair died with its vnet");
    assert_eq!(k.jail_jid("web1"), None);
}

#[test]
fn fault_injection_fails_the_nth_op_and_changes_nothing() {
    let mut k = Kernel::demo();
    k.fail_at(2, Errno::EBUSY);
    let before_ops = k.ops_done();
    let (a, _) = epair(&mut k);
    let snap = k.snapshot();
    assert_eq!(k.if_set_up(host(), a, true), Err(Errno::EBUSY));
    assert_eq!(k.snapshot(), snap);
    assert_eq!(k.ops_done(), before_ops + 2);
    k.if_set_up(host(), a, true).unwrap();
    assert!(k.ifp(a).unwrap().up, "the plan is cleared after firing");
}

#[test]
fn jail_rules_kern_jail_c() {
    let mut k = Kernel::demo();
    assert_eq!(k.create_jail("web1", "/x", true), Err(Errno::EEXIST));
    assert_eq!(k.create_jail("42", "/x", true), Err(Errno::EINVAL));
    assert_eq!(k.create_jail("a.b", "/x", true), Err(Errno::ENOENT));
    k.set_vimage(false);
    assert_eq!(k.create_jail("v", "/x", true), Err(Errno::ENOENT));
    let j = k.create_jail("nv", "/x", false).unwrap();
    assert_eq!(j, 2);
    k.remove_jail("nv").unwrap();
    assert_eq!(k.create_jail("nv2", "/x", false), Ok(3), "JIDs are not reused at once");
}

#[test]
fn state_round_trips_through_json() {
    let mut k = Kernel::demo();
    let (_, b) = epair(&mut k);
    k.if_vmove_loan(host(), b, 1).unwrap();
    let s = serde_json::to_string(&k).unwrap();
    let k2: Kernel = serde_json::from_str(&s).unwrap();
    assert_eq!(k2.snapshot(), k.snapshot());
    assert_eq!(k2.ops_done(), k.ops_done());
}

#[test]
fn units_stay_lowest_free_at_scale() {
    let mut k = Kernel::freebsd14();
    let mut ids = Vec::new();
    for _ in 0..2000 {
        ids.push(epair(&mut k).0);
    }
    for id in ids.iter().step_by(2) {
        k.if_clone_destroy(host(), *id).unwrap();
    }
    let (a, _) = epair(&mut k);
    assert_eq!(name(&k, a), "epair0a");
    let (a, _) = epair(&mut k);
    assert_eq!(name(&k, a), "epair2a");
}

//! Netgraph rules, through the kernel operations (no argv parsing). Test names cite the
//! FreeBSD source each rule comes from.

use super::base::bridge_link_number;
use crate::Errno;
use crate::kernel::types::VnetId;
use crate::kernel::{Ctx, Kernel};

const H: Ctx = Ctx::HOST;

/// The demo host (em0, jail web1) with a socket node to send from.
fn host() -> (Kernel, u32) {
    let mut k = Kernel::demo();
    let s = k.ng_socket_open(H, "ngctl1").unwrap();
    (k, s)
}

fn node(k: &Kernel, name: &str) -> super::NodeSnap {
    k.ng_host_node(name).unwrap_or_else(|| panic!("no node {name}: {:?}", k.ng_snapshot()))
}

/// jng's bridge on em0, plus one eiface on link2, named `ng0_web1`.
fn bridged(k: &mut Kernel, s: u32) {
    k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "link0").unwrap();
    k.ng_name(H, s, "em0:lower", "vimage_em0").unwrap();
    k.ng_connect(H, s, "em0:", "vimage_em0:", "upper", "link1").unwrap();
    k.ng_mkpeer(H, s, "vimage_em0:", "eiface", "link2", "ether").unwrap();
    k.ng_name(H, s, "vimage_em0:link2", "ng0_web1").unwrap();
}

#[test]
fn ether_nodes_exist_per_ethernet_ifnet_and_are_persistent_ng_ether_c() {
    let (mut k, s) = host();
    let em0 = node(&k, "em0");
    assert_eq!((em0.type_name.as_str(), em0.ifname.as_deref()), ("ether", Some("em0")));
    // ng_ether_attach: priv is M_ZERO and autoSrcAddr is not set.
    assert_eq!(em0.ether_flags, Some((false, false)), "promisc 0, autosrc 0");
    // Epairs are Ethernet too; a rename renames the node (ng_ether_ifnet_arrival_event).
    let a = k.if_clone_create(H, "epair").unwrap();
    assert!(k.ng_host_node("epair0a").is_some() && k.ng_host_node("epair0b").is_some());
    k.if_rename(H, a, "e0a_web1").unwrap();
    assert!(k.ng_host_node("e0a_web1").is_some() && k.ng_host_node("epair0a").is_none());
    // A shutdown only resets an ether node; it stays.
    k.ng_msg(H, s, "em0:", "setpromisc", "1").unwrap();
    k.ng_msg(H, s, "em0:", "setautosrc", "1").unwrap();
    assert!(k.host_iface("em0").is_some());
    k.ng_shutdown(H, s, "em0:").unwrap();
    assert_eq!(
        node(&k, "em0").ether_flags,
        Some((false, true)),
        "ng_ether_shutdown: promisc off, autoSrcAddr left as it was"
    );
    // Destroying the ifnet removes its node; mkpeer of type ether is refused (constructor).
    k.if_clone_destroy(H, a).unwrap();
    assert!(k.ng_host_node("e0a_web1").is_none() && k.ng_host_node("epair0b").is_none());
    assert_eq!(k.ng_mkpeer(H, s, ".", "ether", "x", "lower"), Err(Errno::EINVAL));
}

#[test]
fn ether_nodes_appear_when_ng_ether_loads_and_follow_vnet_moves_ether_reassign() {
    let mut k = Kernel::demo();
    k.unload_module("ng_ether");
    assert!(k.ng_host_node("em0").is_none());
    k.kld_load(H, "ng_ether").unwrap();
    assert!(k.ng_host_node("em0").is_some(), "vnet_ng_ether_init makes nodes for existing ifnets");
    let em0 = k.ifunit(VnetId::HOST, "em0").unwrap();
    let jv = k.jail(1).unwrap().vnet.unwrap();
    k.vmove(em0, jv).unwrap();
    assert!(k.ng_host_node("em0").is_none());
    assert!(k.ng_snapshot().iter().any(|n| n.vnet == "web1" && n.name == "em0" && n.type_name == "ether"));
}

#[test]
fn ether_hooks_are_lower_upper_orphans_divert_and_each_only_once_ng_ether_newhook() {
    let (mut k, s) = host();
    assert_eq!(k.ng_mkpeer(H, s, "em0:", "bridge", "bogus", "link0"), Err(Errno::EINVAL));
    k.ng_mkpeer(H, s, "em0:", "bridge", "divert", "link0").unwrap();
    assert_eq!(k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "link0"), Err(Errno::EISCONN), "divert is lower");
    assert_eq!(k.ng_mkpeer(H, s, "em0:", "bridge", "divert", "link0"), Err(Errno::EEXIST));
    k.ng_mkpeer(H, s, "em0:", "bridge", "orphans", "link0").unwrap();
    k.ng_mkpeer(H, s, "em0:", "bridge", "upper", "link0").unwrap();
    assert_eq!(node(&k, "em0").hooks.len(), 3);
}

#[test]
fn bridge_hooks_are_link_n_or_uplink_n_only_ng_bridge_newhook() {
    assert_eq!(bridge_link_number("link0"), Ok(Some(0)));
    assert_eq!(bridge_link_number("link65535"), Ok(Some(65535)));
    assert_eq!(bridge_link_number("uplink1"), Ok(None));
    for bad in ["uplink0", "link", "link01", "link-1", "link+1", "Link1", "links1", "uplink", "ether", "link1x"] {
        assert_eq!(bridge_link_number(bad), Err(Errno::EINVAL), "{bad}");
    }
    let (mut k, s) = host();
    assert_eq!(k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "link01"), Err(Errno::EINVAL));
    assert_eq!(k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "uplink0"), Err(Errno::EINVAL));
    k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "uplink1").unwrap();
    // A refused mkpeer leaves no node behind.
    assert_eq!(k.ng_snapshot().iter().filter(|n| n.type_name == "bridge").count(), 1);
    // Connecting the bridge to itself is a loop.
    assert_eq!(k.ng_connect(H, s, "em0:lower", "em0:lower", "link5", "link6"), Err(Errno::ELOOP));
}

#[test]
fn a_bridge_shuts_itself_down_when_its_last_hook_goes_unless_persistent_ng_bridge_disconnect() {
    let (mut k, s) = host();
    k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "link0").unwrap();
    k.ng_name(H, s, "em0:lower", "br").unwrap();
    k.ng_connect(H, s, "em0:", "br:", "upper", "link1").unwrap();
    k.ng_rmhook(H, s, "em0:", "upper").unwrap();
    assert!(k.ng_host_node("br").is_some());
    k.ng_rmhook(H, s, "em0:", "lower").unwrap();
    assert!(k.ng_host_node("br").is_none(), "no hooks, not persistent: gone");
    k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "link0").unwrap();
    k.ng_name(H, s, "em0:lower", "br").unwrap();
    k.ng_msg(H, s, "br:", "setpersistent", "").unwrap();
    k.ng_rmhook(H, s, "em0:", "lower").unwrap();
    assert_eq!(node(&k, "br").persistent, Some(true));
    assert!(node(&k, "br").hooks.is_empty());
}

#[test]
fn rmhook_of_a_missing_hook_succeeds_ng_base_rmhook() {
    let (mut k, s) = host();
    k.ng_rmhook(H, s, "em0:", "lower").unwrap();
    assert_eq!(k.ng_rmhook(H, s, "nosuch:", "lower"), Err(Errno::ENOENT));
}

#[test]
fn getstats_of_a_free_link_is_enotconn_ng_bridge_rcvmsg() {
    let (mut k, s) = host();
    bridged(&mut k, s);
    assert!(k.ng_msg(H, s, "vimage_em0:", "getstats", "2").unwrap().is_some());
    assert_eq!(k.ng_msg(H, s, "vimage_em0:", "getstats", "3"), Err(Errno::ENOTCONN));
    assert_eq!(k.ng_msg(H, s, "vimage_em0:", "getstats", "-1"), Err(Errno::ENOTCONN), "uplink1");
    assert_eq!(k.ng_msg(H, s, "vimage_em0:", "getstats", ""), Err(Errno::EINVAL));
    assert_eq!(k.ng_msg(H, s, "vimage_em0:", "bogus", ""), Err(Errno::ENOSYS));
}

#[test]
fn eiface_makes_ngeth_with_zero_mac_and_only_an_ether_hook_ng_eiface_c() {
    let (mut k, s) = host();
    bridged(&mut k, s);
    let i = k.host_iface("ngeth0").unwrap();
    assert_eq!((i.mac.as_deref(), i.mtu, i.up), (Some("00:00:00:00:00:00"), 1500, false));
    assert_eq!(node(&k, "ng0_web1").ifname.as_deref(), Some("ngeth0"));
    assert!(k.ng_host_node("ngeth0").is_none(), "the eiface node was renamed; no ether node for ngeth0");
    let r = k.ng_msg(H, s, "ng0_web1:", "getifname", "").unwrap().unwrap();
    assert_eq!(r.args, "\"ngeth0\"");
    assert_eq!(k.ng_connect(H, s, "ng0_web1:", "vimage_em0:", "eth", "link3"), Err(Errno::EPFNOSUPPORT));
    assert_eq!(k.ng_connect(H, s, "ng0_web1:", "vimage_em0:", "ether", "link3"), Err(Errno::EEXIST));
    // Units are the lowest free per vnet (alloc_unr).
    k.ng_mkpeer(H, s, "vimage_em0:", "eiface", "link3", "ether").unwrap();
    k.ng_mkpeer(H, s, "vimage_em0:", "eiface", "link4", "ether").unwrap();
    k.ng_shutdown(H, s, "ngeth1:").unwrap();
    k.ng_mkpeer(H, s, "vimage_em0:", "eiface", "link5", "ether").unwrap();
    assert!(k.host_iface("ngeth1").is_some(), "unit 1 came back");
    assert_eq!(k.ng_host_bridge_links("vimage_em0"), Some((5, 3)), "link3 is free again");
    // It is no cloner: ifconfig destroy refuses.
    let id = k.ifunit(VnetId::HOST, "ngeth2").unwrap();
    assert_eq!(k.if_clone_destroy(H, id), Err(Errno::EINVAL));
}

#[test]
fn eiface_shutdown_kills_its_ifnet_inside_a_jail_ng_eiface_rmnode() {
    let (mut k, s) = host();
    bridged(&mut k, s);
    let id = k.ifunit(VnetId::HOST, "ngeth0").unwrap();
    k.if_vmove_loan(H, id, 1).unwrap();
    let jctx = k.ctx_in_jail(1).unwrap();
    k.if_rename(jctx, id, "ng0_web1").unwrap();
    assert!(k.jail_iface("web1", "ng0_web1").is_some());
    assert!(k.ng_snapshot().iter().any(|n| n.vnet == "web1" && n.name == "ng0_web1" && n.type_name == "ether"));
    k.ng_shutdown(H, s, "ng0_web1:").unwrap();
    assert_eq!(k.jail_ifnames("web1"), vec!["lo0".to_string()]);
    assert!(k.ng_snapshot().iter().all(|n| n.vnet != "web1"), "its ether node in the jail went too");
    assert_eq!(node(&k, "vimage_em0").hooks.len(), 2);
}

#[test]
fn a_jails_eiface_returns_home_when_the_jail_is_removed_and_keeps_its_node() {
    let (mut k, s) = host();
    bridged(&mut k, s);
    let id = k.ifunit(VnetId::HOST, "ngeth0").unwrap();
    k.if_vmove_loan(H, id, 1).unwrap();
    k.if_rename(k.ctx_in_jail(1).unwrap(), id, "ng0_web1").unwrap();
    k.remove_jail("web1").unwrap();
    assert!(k.host_iface("ng0_web1").is_some(), "back on the host under its jail name");
    assert_eq!(node(&k, "ng0_web1").type_name, "eiface", "no ether node: the eiface has the name");
    k.ng_shutdown(H, s, "ng0_web1:").unwrap();
    assert!(k.host_iface("ng0_web1").is_none());
}

#[test]
fn names_are_checked_and_unique_ng_name_node() {
    let (mut k, s) = host();
    bridged(&mut k, s);
    assert_eq!(k.ng_name(H, s, "em0:", "vimage_em0"), Err(Errno::EADDRINUSE));
    assert_eq!(k.ng_name(H, s, "vimage_em0:", "vimage_em0"), Err(Errno::EADDRINUSE), "its own name too");
    assert_eq!(k.ng_name(H, s, "vimage_em0:", "a.b"), Err(Errno::EINVAL));
    assert_eq!(k.ng_name(H, s, "vimage_em0:", "[12]"), Err(Errno::EINVAL));
    k.ng_name(H, s, "vimage_em0:", "br2").unwrap();
    assert!(k.ng_host_node("vimage_em0").is_none() && k.ng_host_node("br2").is_some());
}

#[test]
fn paths_follow_ng_path2noderef() {
    let (mut k, s) = host();
    bridged(&mut k, s);
    let br = k.ng_path(VnetId::HOST, s, "em0:lower").unwrap();
    assert_eq!(k.ng_path(VnetId::HOST, s, "vimage_em0:"), Ok(br));
    assert_eq!(k.ng_path(VnetId::HOST, s, &format!("[{br:x}]:")), Ok(br));
    assert_eq!(k.ng_path(VnetId::HOST, s, "em0:lower.link2").map(|n| n != br), Ok(true));
    assert_eq!(k.ng_path(VnetId::HOST, s, "em0:orphans"), Err(Errno::ENOENT));
    assert_eq!(k.ng_path(VnetId::HOST, s, "nosuch:"), Err(Errno::ENOENT));
    assert_eq!(k.ng_path(VnetId::HOST, s, "a.b:"), Err(Errno::EINVAL));
    assert_eq!(k.ng_path(VnetId::HOST, s, "em0:lower..x"), Err(Errno::EINVAL));
    assert_eq!(k.ng_path(VnetId::HOST, s, ":"), Err(Errno::EINVAL));
}

#[test]
fn setpromisc_drives_the_ifnets_promisc_flag_and_losing_the_last_hook_resets_it() {
    let (mut k, s) = host();
    k.ng_msg(H, s, "em0:", "setpromisc", "1").unwrap();
    k.ng_msg(H, s, "em0:", "setautosrc", "1").unwrap();
    let em0 = k.ifunit(VnetId::HOST, "em0").unwrap();
    assert_ne!(k.ifp(em0).unwrap().flags(false) & 0x100, 0, "PROMISC");
    assert_eq!(k.ng_msg(H, s, "em0:", "getpromisc", "").unwrap().unwrap().args, "1");
    k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "link0").unwrap();
    k.ng_rmhook(H, s, "em0:", "lower").unwrap();
    assert_eq!(
        node(&k, "em0").ether_flags,
        Some((false, true)),
        "ng_ether_disconnect → ng_ether_shutdown → promisc 0, autosrc untouched"
    );
    assert_eq!(k.ifp(em0).unwrap().flags(false) & 0x100, 0);
}

#[test]
fn ng_operations_are_counted_and_fault_injected_changing_nothing() {
    let (mut k, s) = host();
    let before = k.snapshot();
    k.fail_at(1, Errno::EIO);
    assert_eq!(k.ng_mkpeer(H, s, "em0:", "bridge", "lower", "link0"), Err(Errno::EIO));
    assert_eq!(k.snapshot(), before);
    let n0 = k.ops_done();
    bridged(&mut k, s);
    assert_eq!(k.ops_done() - n0, 5, "mkpeer, name, connect, mkpeer, name");
    let n0 = k.ops_done();
    k.ng_msg(H, s, "ng0_web1:", "getifname", "").unwrap();
    assert_eq!(k.ops_done(), n0, "reads are not counted");
}

#[test]
fn listings_that_do_not_fit_recvspace_fail_with_enobufs_ng_socket_c() {
    let (mut k, s) = host();
    bridged(&mut k, s);
    assert!(k.ng_listhooks(VnetId::HOST, s, "vimage_em0:").is_ok());
    for n in 3..300 {
        k.ng_mkpeer(H, s, "vimage_em0:", "eiface", &format!("link{n}"), "ether").unwrap();
    }
    assert_eq!(k.ng_listhooks(VnetId::HOST, s, "vimage_em0:").map(|_| ()), Err(Errno::ENOBUFS));
    assert_eq!(k.ng_listnodes(VnetId::HOST, false).map(|_| ()), Err(Errno::ENOBUFS));
    assert!(k.ng_listhooks(VnetId::HOST, s, "em0:").is_ok(), "a small node still lists");
}

//! Interface list order and `if_index` (sys/net/if.c `if_link_ifnet`, `ifindex_alloc`,
//! `if_vmove`): appended on arrival, one global index table from 14.x that a move keeps, a
//! per-vnet table on 13.x that a move renumbers.

use super::*;

fn names(k: &Kernel, v: VnetId) -> Vec<String> {
    k.ifnets_in(v).into_iter().map(|id| k.ifp(id).unwrap().name.clone()).collect()
}

fn index(k: &Kernel, id: IfId) -> u32 {
    k.ifp(id).unwrap().index
}

#[test]
fn demo_boot_order_puts_the_nic_before_lo0_if_loop_c_vnet_loif_init() {
    let k = Kernel::demo();
    assert_eq!(names(&k, VnetId::HOST), ["em0", "lo0"]);
    let em0 = k.ifunit(VnetId::HOST, "em0").unwrap();
    let lo0 = k.ifunit(VnetId::HOST, "lo0").unwrap();
    assert_eq!((index(&k, em0), index(&k, lo0)), (1, 2));
    // web1's lo0 was made after both: one global table on 14.x.
    let jv = k.jail(1).unwrap().vnet.unwrap();
    assert_eq!(index(&k, k.ifunit(jv, "lo0").unwrap()), 3);
}

#[test]
fn returning_and_new_interfaces_go_to_the_tail_if_c_if_link_ifnet() {
    let mut k = Kernel::demo();
    let a = k.if_clone_create(Ctx::HOST, "epair").unwrap();
    let b = k.ifp(a).unwrap().peer().unwrap();
    assert_eq!(names(&k, VnetId::HOST), ["em0", "lo0", "epair0a", "epair0b"]);
    // The a end leaves and comes back: it is listed last, not in its old place.
    k.if_vmove_loan(Ctx::HOST, a, 1).unwrap();
    k.if_vmove_reclaim(Ctx::HOST, "epair0a", 1).unwrap();
    assert_eq!(names(&k, VnetId::HOST), ["em0", "lo0", "epair0b", "epair0a"]);
    // A destroyed pair frees its place; the next new pair goes to the tail, not into it.
    let c = k.if_clone_create(Ctx::HOST, "bridge").unwrap();
    k.if_clone_destroy(Ctx::HOST, b).unwrap();
    let d = k.if_clone_create(Ctx::HOST, "epair").unwrap();
    assert_eq!(names(&k, VnetId::HOST), ["em0", "lo0", "bridge0", "epair0a", "epair0b"]);
    assert_eq!((k.ifp(c).unwrap().name.as_str(), k.ifp(d).unwrap().name.as_str()), ("bridge0", "epair0a"));
    // jail -r: a borrowed interface comes home at the tail too.
    let e = k.ifunit(VnetId::HOST, "em0").unwrap();
    k.if_vmove_loan(Ctx::HOST, e, 1).unwrap();
    k.remove_jail("web1").unwrap();
    assert_eq!(names(&k, VnetId::HOST), ["lo0", "bridge0", "epair0a", "epair0b", "em0"]);
}

#[test]
fn a_vnet_move_keeps_the_global_if_index_on_14_if_c_if_vmove() {
    let mut k = Kernel::demo();
    let a = k.if_clone_create(Ctx::HOST, "epair").unwrap();
    let b = k.ifp(a).unwrap().peer().unwrap();
    let (ia, ib) = (index(&k, a), index(&k, b));
    assert_eq!((ia, ib), (4, 5), "after em0 1, lo0 2, web1's lo0 3");
    k.if_vmove_loan(Ctx::HOST, b, 1).unwrap();
    assert_eq!(index(&k, b), ib, "if_vmove does not renumber on 14.x");
    // Indexes are unique machine-wide: a jail's new interface takes a fresh one.
    let jctx = k.ctx_in_jail(1).unwrap();
    let br = k.if_clone_create(jctx, "bridge").unwrap();
    assert_eq!(index(&k, br), 6);
    // if_free gives the index back; the lowest free one is reused.
    k.if_clone_destroy(Ctx::HOST, a).unwrap();
    let c = k.if_clone_create(Ctx::HOST, "bridge").unwrap();
    assert_eq!(index(&k, c), 4);
}

#[test]
fn a_vnet_move_renumbers_in_the_destination_on_13_if_c_ifindex_alloc() {
    let mut k = Kernel::demo();
    k.set_osreldate(1_304_000);
    let a = k.if_clone_create(Ctx::HOST, "epair").unwrap();
    let b = k.ifp(a).unwrap().peer().unwrap();
    assert_eq!((index(&k, a), index(&k, b)), (3, 4), "the host's own table: em0 1, lo0 2");
    k.if_vmove_loan(Ctx::HOST, b, 1).unwrap();
    // web1's own V_ifindex_table holds only its lo0 (1): the moved end takes 2 there.
    assert_eq!(index(&k, b), 2, "V_ifindex_table of the jail: lowest free");
    k.if_vmove_reclaim(Ctx::HOST, "epair0b", 1).unwrap();
    assert_eq!(index(&k, b), 4, "back home: the host's lowest free (4 went with the move)");
}

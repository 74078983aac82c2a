//! Fault injection: make every kernel operation of a bridge plan fail in turn; afterwards the
//! simulated kernel must be exactly as before, the error must name the failed command, and
//! the next bridge must succeed.

mod common;

use common::{World, code, stderr};
use vimage::host::{Host, SimHost};
use vimage::model::addr::{parse_ci_gw4, parse_ip4_addr};
use vimage::model::{IfName, JailName, JailNet, Uplink};
use vimage::ops::Session;
use vimage::paths::Paths;
use vimage::sim::{Errno, Kernel, Sim};

fn net(jail: &str, uplinks: &[&str]) -> JailNet {
    let ups: Vec<Uplink> = uplinks.iter().map(|u| Uplink::parse(u).unwrap()).collect();
    JailNet::epairs(JailName::parse(jail).unwrap(), &ups)
}

fn bridge(host: &mut dyn Host, root: &std::path::Path, n: &JailNet) -> vimage::error::Result<()> {
    let paths = Paths::rooted(root);
    let mut s = Session::open(host, &paths, "test", false, std::time::Duration::from_secs(5))?;
    s.bridge(n).map(|_| ())
}

fn unbridge(host: &mut dyn Host, root: &std::path::Path, jail: &str) -> vimage::error::Result<()> {
    let paths = Paths::rooted(root);
    let mut s = Session::open(host, &paths, "test", false, std::time::Duration::from_secs(5))?;
    s.unbridge(&JailName::parse(jail).unwrap()).map(|_| ())
}

/// A host with two uplinks so the plan includes two bridge creations, two epairs, and the
/// second jail's shared-bridge path; and em2 to pass through.
fn kernel() -> Kernel {
    let mut k = Kernel::demo();
    k.add_ether("em1", "00:1b:21:aa:bb:cd", 9000);
    k.add_ether("em2", "00:1b:21:aa:bb:ce", 1500);
    k
}

/// `net` with `ip4_addr` for its first NIC and `ci_gw4`.
fn addressed(mut n: JailNet, ip4_addr: &str, ci_gw4: &str) -> JailNet {
    let ip = parse_ip4_addr(ip4_addr).unwrap();
    n.nics[0].addrs = ip.nics[0].1.clone();
    n.addressing.gateway = parse_ci_gw4(ci_gw4).unwrap();
    n
}

const RC: &str = "hostname=\"web1\"\n";

/// A VIMAGE_ROOT with web1's rc.conf in place.
fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("usr/jails/jails/web1/etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("rc.conf"), RC).unwrap();
    dir
}

fn files_untouched(root: &std::path::Path) -> bool {
    std::fs::read_to_string(root.join("usr/jails/jails/web1/etc/rc.conf")).unwrap() == RC
        && !root.join("etc/devfs.rules").exists()
}

/// Netgraph NICs on `ng` uplinks, after epair ones on `epair`, then `vnets` passed through.
fn mixed(epair: &[&str], ng: &[&str], vnets: &[&str]) -> JailNet {
    let mut n = net("web1", epair);
    n.add_netgraph(&ng.iter().map(|u| Uplink::parse(u).unwrap()).collect::<Vec<_>>());
    n.add_passthrough(&vnets.iter().map(|v| IfName::parse(v).unwrap()).collect::<Vec<_>>());
    n
}

fn every_op_fails_in_turn(n: &JailNet) {
    // Count the kernel operations of a successful run.
    let dir = root();
    let mut h = SimHost::new(Sim::new(kernel()));
    let before = h.sim().kernel.snapshot();
    let ops0 = h.sim().kernel.ops_done();
    bridge(&mut h, dir.path(), n).unwrap();
    let total = h.sim().kernel.ops_done() - ops0;
    assert!(total >= 10, "a bridge plan makes many kernel changes ({total})");
    unbridge(&mut h, dir.path(), n.jail.as_str()).unwrap();
    assert_eq!(h.sim().kernel.snapshot(), before);

    for k in 1..=total {
        let dir = root();
        let mut h = SimHost::new(Sim::new(kernel()));
        h.sim_mut().kernel.fail_at(k, Errno::EIO);
        let err = bridge(&mut h, dir.path(), n).expect_err(&format!("op {k} of {total} was made to fail"));
        assert_eq!(h.sim().kernel.snapshot(), before, "op {k}: state not restored; error: {err}");
        assert!(files_untouched(dir.path()), "op {k}: a file was written by a failed run");
        let text = err.to_string();
        assert!(
            ["`ifconfig", "`jexec", "`devfs", "`ngctl", "`jail -m", "`kldload"].iter().any(|c| text.contains(c)),
            "op {k}: error does not name the command: {text}"
        );
        assert!(text.contains("Input/output error"), "op {k}: error lacks the command's stderr: {text}");
        assert!(text.contains("rolled back") || text.contains("nothing had been changed"), "op {k}: {text}");
        assert_eq!(err.exit_code(), 71);
        // The next attempt works, and the records were not polluted by the failed one.
        bridge(&mut h, dir.path(), n).unwrap_or_else(|e| panic!("op {k}: retry failed: {e}"));
        unbridge(&mut h, dir.path(), n.jail.as_str()).unwrap();
        assert_eq!(h.sim().kernel.snapshot(), before, "op {k}: retry + unbridge left something");
    }
}

#[test]
fn every_kernel_operation_of_a_one_nic_bridge_fails_in_turn() {
    every_op_fails_in_turn(&net("web1", &["em0"]));
}

#[test]
fn every_kernel_operation_of_a_two_nic_two_uplink_bridge_fails_in_turn() {
    every_op_fails_in_turn(&net("web1", &["em0", "em1"]));
}

#[test]
fn every_kernel_operation_of_a_dhcp_jail_with_ipv6_fails_in_turn() {
    every_op_fails_in_turn(&addressed(net("web1", &["em0"]), "REALDHCP,2001:db8::5/64", "2001:db8::1"));
}

#[test]
fn every_kernel_operation_of_a_static_two_nic_jail_fails_in_turn() {
    every_op_fails_in_turn(&addressed(net("web1", &["em0", "em1"]), "192.168.1.50/24,192.168.1.51", "192.168.1.1"));
}

#[test]
fn every_kernel_operation_of_a_netgraph_bridge_fails_in_turn() {
    every_op_fails_in_turn(&mixed(&[], &["em0", "em0"], &[]));
}

#[test]
fn every_kernel_operation_of_a_mixed_epair_netgraph_passthrough_bridge_fails_in_turn() {
    every_op_fails_in_turn(&mixed(&["em0"], &["em0", "em1"], &["em2"]));
}

#[test]
fn every_kernel_operation_of_a_later_netgraph_jail_fails_in_turn() {
    // web2 joins the bridge web1 made: the batch has only eiface lines; its rollback must leave
    // web1's bridge, links and flags alone.
    let n = mixed(&[], &["em0"], &[]);
    let mut web2 = n.clone();
    web2.jail = JailName::parse("web2").unwrap();
    web2.nics[0].name = vimage::model::ng_ifname(&web2.jail, 0, 0);
    let setup = |h: &mut SimHost, root: &std::path::Path| {
        h.sim_mut().kernel.create_jail("web2", "/j/web2", true).unwrap();
        bridge(h, root, &n).unwrap();
    };
    let dir = tempfile::tempdir().unwrap();
    let mut h = SimHost::new(Sim::new(kernel()));
    setup(&mut h, dir.path());
    let ops0 = h.sim().kernel.ops_done();
    bridge(&mut h, dir.path(), &web2).unwrap();
    let total = h.sim().kernel.ops_done() - ops0;
    for k in 1..=total {
        let dir = tempfile::tempdir().unwrap();
        let mut h = SimHost::new(Sim::new(kernel()));
        setup(&mut h, dir.path());
        let before = h.sim().kernel.snapshot();
        h.sim_mut().kernel.fail_at(k, Errno::EIO);
        let err = bridge(&mut h, dir.path(), &web2).expect_err("made to fail");
        assert_eq!(h.sim().kernel.snapshot(), before, "op {k}: {err}");
        bridge(&mut h, dir.path(), &web2).unwrap_or_else(|e| panic!("op {k}: retry: {e}"));
        unbridge(&mut h, dir.path(), "web2").unwrap();
        assert_eq!(h.sim().kernel.snapshot(), before, "op {k}: retry + unbridge");
    }
}

#[test]
fn a_failure_through_the_real_command_path_is_rolled_back_too() {
    // Through fbsd-sim processes: the first, some middle ones, and the last kernel operation.
    let probe = World::demo();
    let ops0 = probe.kernel().ops_done();
    assert_eq!(code(&probe.vimage(&["bridge", "jname=web1"])), 0);
    let total = probe.kernel().ops_done() - ops0;
    for k in [1, total / 3, total / 2, total - 1, total] {
        let w = World::demo();
        let before = w.kernel().snapshot();
        w.edit(|kern| kern.fail_at(k, Errno::EBUSY));
        let o = w.vimage(&["bridge", "jname=web1"]);
        assert_eq!(code(&o), 71, "op {k}: {}", stderr(&o));
        assert!(stderr(&o).contains("Device busy"), "op {k}: {}", stderr(&o));
        assert!(stderr(&o).contains("jail web1"), "op {k}: {}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "op {k}: {}", stderr(&o));
        let o = w.vimage(&["bridge", "jname=web1"]);
        assert_eq!(code(&o), 0, "op {k}: {}", stderr(&o));
    }
}

#[test]
fn a_netgraph_batch_failure_through_the_real_command_path_is_rolled_back() {
    // ngctl -f - through fbsd-sim processes: every operation of the batch and the moves.
    let probe = World::new(kernel());
    let ops0 = probe.kernel().ops_done();
    assert_eq!(code(&probe.vimage(&["bridge", "jname=web1", "bridges=em0"])), 0);
    let total = probe.kernel().ops_done() - ops0;
    for k in 1..=total {
        let w = World::new(kernel());
        let before = w.kernel().snapshot();
        w.edit(|kern| kern.fail_at(k, Errno::EBUSY));
        let o = w.vimage(&["bridge", "jname=web1", "bridges=em0"]);
        assert_eq!(code(&o), 71, "op {k}: {}", stderr(&o));
        assert!(stderr(&o).contains("Device busy"), "op {k}: {}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "op {k}: {}", stderr(&o));
        assert_eq!(code(&w.vimage(&["bridge", "jname=web1", "bridges=em0"])), 0, "op {k}");
    }
}

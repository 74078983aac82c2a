//! [`Kernel::reboot`]: what a boot leaves (see `boot.rs` for the sources read), through the
//! userland commands an admin would have used before the reboot.

use super::*;
use crate::Sim;

fn run(s: &mut Sim, line: &str) -> String {
    let w: Vec<String> = line.split_whitespace().map(String::from).collect();
    let o = s.exec(&w[0], &w[1..]);
    assert_eq!(o.code, 0, "{line}: {}{}", o.stdout, o.stderr);
    o.stdout
}

/// The demo host with everything a boot forgets: a bridge with an epair, web1's NIC moved in,
/// a renamed NIC with a changed MAC, a vlan, an eiface, a devfs ruleset, a second jail.
fn busy_host() -> Sim {
    let mut k = Kernel::freebsd14_with_nics(&[("em0", "00:1b:21:aa:bb:cc", 1500), ("em1", "00:1b:21:aa:bb:cd", 1500)]);
    k.add_inet("em0", "192.168.1.10/24");
    k.set_default_route("192.168.1.1", "em0");
    k.start_demo_jail();
    let mut s = Sim::new(k);
    for line in [
        "ifconfig bridge create description vimage:em0 group vimage addm em0 up",
        "ifconfig epair create description vimage:web1:eth0 group vimage up",
        "ifconfig bridge0 addm epair0a",
        "ifconfig epair0b vnet web1",
        "ifconfig em1 ether 02:00:00:00:00:01 mtu 9000 up",
        "ifconfig em1 name lan0",
        "ifconfig lan0.100 create",
        "ngctl mkpeer . eiface hook ether",
        "devfs rule -s 12 add path bpf* unhide",
        "jail -c name=db path=/usr/jails/jails/db vnet persist",
    ] {
        run(&mut s, line);
    }
    s
}

#[test]
fn a_reboot_leaves_only_the_physical_nics_down_with_their_hardware_macs_and_a_bare_lo0_if_attach() {
    let mut s = busy_host();
    s.kernel.reboot();
    let k = &s.kernel;
    let names: Vec<String> = k.snapshot().interfaces.iter().map(|i| format!("{}/{}", i.vnet, i.name)).collect();
    assert_eq!(names, ["host/em0", "host/em1", "host/lo0"], "cloned interfaces and the jails' vnets are gone");
    let em1 = k.host_iface("em1").expect("a renamed NIC attaches under its driver's name again");
    assert_eq!(em1.mac.as_deref(), Some("00:1b:21:aa:bb:cd"), "the MAC read from the hardware");
    assert_eq!(em1.mtu, 1500, "ETHERMTU until rc sets one");
    for i in k.snapshot().interfaces {
        assert!(!i.up && i.addrs.is_empty() && i.description.is_none() && i.groups.iter().all(|g| g == "lo"), "{i:?}");
    }
    // if_index: the NICs first, in attach order, then lo0 (vnet_loif_init, SI_SUB_PSEUDO).
    let out = run(&mut s, "ifconfig -l");
    assert_eq!(out, "em0 em1 lo0\n");
    let k = &s.kernel;
    assert!(k.snapshot().jails.is_empty());
    assert!(k.snapshot().default_routes.is_empty(), "routes are memory only");
    assert!(k.snapshot().devfs_rulesets.is_empty(), "rulesets are loaded by rc.d/devfs, not kept");
    assert_eq!(k.snapshot().devfs_mounts.keys().collect::<Vec<_>>(), ["/dev"], "the kernel mounts /dev itself");
    let nodes: Vec<String> = k.ng_snapshot().iter().map(|n| format!("{n:?}")).collect();
    assert_eq!(nodes.len(), 2, "only ng_ether's nodes, attached with em0 and em1: {nodes:?}");
    assert!(k.ng_host_node("em0").is_some() && k.ng_host_node("em1").is_some());
}

#[test]
fn a_reboot_moves_kern_boottime_on_and_jids_start_again_at_1() {
    let mut s = busy_host();
    s.kernel.reboot();
    let out = run(&mut s, "sysctl -n kern.boottime");
    let want = BOOTTIME + REBOOT_INTERVAL;
    assert!(out.starts_with(&format!("{{ sec = {want}, usec = 0 }}")), "{out}");
    s.kernel.run_demo_rc();
    assert_eq!(s.kernel.jail_jid("web1"), Some(1), "jail IDs are per boot");
    assert_eq!(run(&mut s, "ifconfig epair create"), "epair0a\n", "cloner units are per boot");
}

#[test]
fn a_rebooted_demo_host_after_its_rc_is_the_demo_host_with_a_later_boottime() {
    let mut s = busy_host();
    s.kernel.reboot();
    s.kernel.run_demo_rc();
    let mut want = Kernel::demo();
    want.add_ether("em1", "00:1b:21:aa:bb:cd", 1500);
    let (mut got, mut want) = (s.kernel.snapshot(), want.snapshot());
    // em1 has no rc configuration: it stays down, where the fixture's add_ether makes it UP.
    for i in want.interfaces.iter_mut().filter(|i| i.name == "em1") {
        i.up = false;
    }
    let bt = |sn: &mut Snapshot| sn.sysctls.remove("kern.boottime");
    assert_ne!(bt(&mut got), bt(&mut want));
    // add_ether ran after lo0 in the fixture, so its if_index differs: compare as sets.
    got.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    want.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(got, want);
}

#[test]
fn a_reboot_is_not_an_operation_and_survives_the_state_file() {
    let mut s = busy_host();
    let ops = s.kernel.ops_done();
    s.kernel.reboot();
    assert_eq!(s.kernel.ops_done(), ops);
    let dir = std::env::temp_dir().join(format!("fbsd-sim-reboot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("state.json");
    s.save(&p).unwrap();
    let back = Sim::load(&p).unwrap();
    assert_eq!(back.kernel.snapshot(), s.kernel.snapshot());
    assert_eq!(back.kernel.boottime(), BOOTTIME + REBOOT_INTERVAL);
    std::fs::remove_dir_all(&dir).unwrap();
}

//! A vimage that dies between two commands (here: a panic that unwinds past the executor, so no
//! rollback runs, as with kill -9) leaves an open run in the journal; the next session must
//! put the host back exactly as it was, whichever command it died at.

use std::panic::{AssertUnwindSafe, catch_unwind};
use vimage::host::{Cmd, Host, Output, SimHost, SpawnError};
use vimage::model::{JailName, JailNet, Uplink};
use vimage::ops::Session;
use vimage::paths::Paths;
use vimage::sim::{Kernel, Sim};

/// Dies at the `n`-th command: before running it, or just after (effect done, not journalled).
struct Dying<'a> {
    inner: &'a mut SimHost,
    n: usize,
    after: bool,
}

impl Host for Dying<'_> {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        self.n -= 1;
        if self.n == 0 && !self.after {
            panic!("killed before {cmd}");
        }
        let out = self.inner.run(cmd);
        if self.n == 0 {
            panic!("killed after {cmd}");
        }
        out
    }
}

fn net() -> JailNet {
    JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::Auto])
}

fn session<'h>(h: &'h mut dyn Host, root: &std::path::Path) -> Session<'h> {
    Session::open(h, &Paths::rooted(root), "test", false, std::time::Duration::from_secs(5)).unwrap()
}

fn commands_of(f: impl Fn(&mut dyn Host, &std::path::Path), setup: impl Fn(&mut SimHost, &std::path::Path)) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let mut h = SimHost::new(Sim::new(Kernel::demo()));
    setup(&mut h, dir.path());
    h.clear_invocations();
    f(&mut h, dir.path());
    h.invocations().len()
}

/// Kills `bridge` of `net` on `kernel` at every command (before and after it takes effect)
/// and checks that the next session rolls the host back exactly, and that the jail can then
/// be bridged and unbridged normally.
fn bridge_killed_everywhere_rolls_back(kernel: fn() -> Kernel, net: fn() -> JailNet) {
    let bridge = |h: &mut dyn Host, root: &std::path::Path| {
        session(h, root).bridge(&net()).unwrap();
    };
    let total = commands_of(bridge, |h, _| *h = SimHost::new(Sim::new(kernel())));
    for n in 1..=total {
        for after in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let mut h = SimHost::new(Sim::new(kernel()));
            let before = h.sim().kernel.snapshot();
            let died = catch_unwind(AssertUnwindSafe(|| {
                let mut d = Dying { inner: &mut h, n, after };
                bridge(&mut d, dir.path());
            }));
            assert!(died.is_err(), "command {n} should have killed the run");
            // The next run of anything repairs first; opening a session is enough.
            let s = session(&mut h, dir.path());
            assert!(s.db.unfinished_runs().unwrap().is_empty(), "n={n} after={after}: {:?}", s.notes);
            drop(s);
            assert_eq!(h.sim().kernel.snapshot(), before, "n={n} after={after}: not rolled back");
            session(&mut h, dir.path()).bridge(&net()).unwrap();
            session(&mut h, dir.path()).unbridge(&net().jail).unwrap();
            assert_eq!(h.sim().kernel.snapshot(), before, "n={n} after={after}");
        }
    }
}

#[test]
fn a_bridge_killed_at_any_command_is_rolled_back_by_the_next_run() {
    bridge_killed_everywhere_rolls_back(Kernel::demo, net);
}

#[test]
fn an_unbridge_killed_at_any_command_is_finished_by_the_next_run() {
    let setup = |h: &mut SimHost, root: &std::path::Path| {
        let mut k = Kernel::demo();
        k.add_ether("em1", "00:1b:21:aa:bb:cd", 1500);
        *h = SimHost::new(Sim::new(k));
        let n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::Auto, Uplink::parse("em1").unwrap()]);
        session(h, root).bridge(&n).unwrap();
    };
    let unbridge = |h: &mut dyn Host, root: &std::path::Path| {
        session(h, root).unbridge(&JailName::parse("web1").unwrap()).unwrap();
    };
    let total = commands_of(unbridge, setup);
    for n in 1..=total {
        for after in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let mut h = SimHost::new(Sim::new(Kernel::demo()));
            setup(&mut h, dir.path());
            let mut clean = Kernel::demo();
            clean.add_ether("em1", "00:1b:21:aa:bb:cd", 1500);
            let died = catch_unwind(AssertUnwindSafe(|| {
                let mut d = Dying { inner: &mut h, n, after };
                unbridge(&mut d, dir.path());
            }));
            assert!(died.is_err());
            // Opening a session finishes an open teardown; the retried unbridge (what CBSD's
            // stop hook or the admin does next) then has nothing or little left to do.
            let s = session(&mut h, dir.path());
            assert!(s.db.unfinished_runs().unwrap().is_empty());
            drop(s);
            unbridge(&mut h, dir.path());
            let s = session(&mut h, dir.path());
            assert!(s.db.attachments("web1").unwrap().is_empty(), "n={n} after={after}: {:?}", s.notes);
            drop(s);
            assert_eq!(h.sim().kernel.snapshot(), clean.snapshot(), "n={n} after={after}: teardown not finished");
        }
    }
}

/// web1 with `ip4_addr=REALDHCP,2001:db8::5/64`: devfs ruleset steps, dhclient and an IPv6
/// address on top of the epair.
fn dhcp_net() -> JailNet {
    let mut n = net();
    n.nics[0].addrs = vimage::model::addr::parse_ip4_addr("REALDHCP,2001:db8::5/64").unwrap().nics[0].1.clone();
    n
}

fn jail_root(root: &std::path::Path) {
    std::fs::create_dir_all(root.join("usr/jails/jails/web1/etc")).unwrap();
}

#[test]
fn a_dhcp_bridge_killed_at_any_command_is_rolled_back_devfs_included() {
    let bridge = |h: &mut dyn Host, root: &std::path::Path| {
        jail_root(root);
        session(h, root).bridge(&dhcp_net()).unwrap();
    };
    // The last command is the look at the lease after the run closed; a kill there leaves a
    // finished bridge, not one to roll back.
    let total = commands_of(bridge, |_, _| {}) - 1;
    for n in 1..=total {
        for after in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let mut h = SimHost::new(Sim::new(Kernel::demo()));
            let before = h.sim().kernel.snapshot();
            let died = catch_unwind(AssertUnwindSafe(|| {
                let mut d = Dying { inner: &mut h, n, after };
                bridge(&mut d, dir.path());
            }));
            assert!(died.is_err(), "command {n} should have killed the run");
            let s = session(&mut h, dir.path());
            assert!(s.db.unfinished_runs().unwrap().is_empty(), "n={n} after={after}: {:?}", s.notes);
            drop(s);
            assert_eq!(h.sim().kernel.snapshot(), before, "n={n} after={after}: not rolled back");
            assert!(!dir.path().join("etc/devfs.rules").exists(), "n={n}: no file before the run succeeds");
            session(&mut h, dir.path()).bridge(&dhcp_net()).unwrap();
            assert!(h.sim().kernel.devfs_visible("/usr/jails/jails/web1/dev").unwrap().iter().any(|d| d == "bpf"));
            session(&mut h, dir.path()).unbridge(&net().jail).unwrap();
            assert_eq!(h.sim().kernel.snapshot(), before, "n={n} after={after}");
            assert_eq!(std::fs::read_to_string(dir.path().join("etc/devfs.rules")).unwrap(), "");
        }
    }
}

/// The demo host plus em2 to pass through.
fn mixed_kernel() -> Kernel {
    let mut k = Kernel::demo();
    k.add_ether("em2", "00:1b:21:aa:bb:ce", 1500);
    k
}

/// eth0 by epair, ng0_web1 and ng1_web1 by netgraph, em2 passed through.
fn mixed_net() -> JailNet {
    let mut n = net();
    n.add_netgraph(&[Uplink::parse("em0").unwrap(), Uplink::parse("em0").unwrap()]);
    n.add_passthrough(&[vimage::model::IfName::parse("em2").unwrap()]);
    n
}

#[test]
fn a_mixed_bridge_killed_at_any_command_is_rolled_back_by_the_next_run() {
    bridge_killed_everywhere_rolls_back(mixed_kernel, mixed_net);
}

#[test]
fn a_mixed_unbridge_killed_at_any_command_is_finished_by_the_next_run() {
    let setup = |h: &mut SimHost, root: &std::path::Path| {
        *h = SimHost::new(Sim::new(mixed_kernel()));
        session(h, root).bridge(&mixed_net()).unwrap();
    };
    let unbridge = |h: &mut dyn Host, root: &std::path::Path| {
        session(h, root).unbridge(&JailName::parse("web1").unwrap()).unwrap();
    };
    let total = commands_of(unbridge, setup);
    for n in 1..=total {
        for after in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let mut h = SimHost::new(Sim::new(mixed_kernel()));
            setup(&mut h, dir.path());
            let died = catch_unwind(AssertUnwindSafe(|| {
                let mut d = Dying { inner: &mut h, n, after };
                unbridge(&mut d, dir.path());
            }));
            assert!(died.is_err());
            drop(session(&mut h, dir.path()));
            unbridge(&mut h, dir.path());
            let s = session(&mut h, dir.path());
            assert!(s.db.attachments("web1").unwrap().is_empty(), "n={n} after={after}: {:?}", s.notes);
            drop(s);
            assert_eq!(h.sim().kernel.snapshot(), mixed_kernel().snapshot(), "n={n} after={after}");
        }
    }
}

/// The demo host plus em1 (no address), for VLAN uplinks and 15.x VLAN filtering.
fn vlan_kernel() -> Kernel {
    let mut k = Kernel::demo();
    k.add_ether("em1", "00:1b:21:aa:bb:cd", 1500);
    k
}

/// eth0 on em1 with `vlan=100`: vimage creates, marks and bridges em1.100.
fn vlan_net() -> JailNet {
    let mut n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::parse("em1").unwrap()]);
    n.nics[0].vlan.vlan = Some(100);
    n
}

#[test]
fn a_bridge_creating_a_vlan_killed_at_any_command_is_rolled_back_vlan_included() {
    bridge_killed_everywhere_rolls_back(vlan_kernel, vlan_net);
}

/// FreeBSD 15: eth0 on em1, untagged VLAN 100 and tagged 200 on vimage's filtering bridge.
fn filtering_kernel() -> Kernel {
    let mut k = vlan_kernel();
    k.set_osreldate(1_500_000);
    k
}

fn filtering_net() -> JailNet {
    let mut n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::parse("em1").unwrap()]);
    n.nics[0].vlan.untagged = Some(100);
    n.nics[0].vlan.tagged = vec![200];
    n
}

#[test]
fn a_vlan_filtering_bridge_killed_at_any_command_is_rolled_back() {
    bridge_killed_everywhere_rolls_back(filtering_kernel, filtering_net);
}

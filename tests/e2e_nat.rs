//! End to end: NAT on private networks (`nat=auto|IF`) with the `vimage` binary against
//! fbsd-sim's pf: the network's anchor `vimage/NAME` as the simulated `pfctl -a … -s nat`
//! lists it, `net.inet.ip.forwarding` on while a NAT network is in use and put back to what
//! vimage found with the last one, the refusals (pf not loaded, the main ruleset not
//! referencing vimage's anchors) that change nothing, and a fault at every step of a NAT
//! network's start rolled back.

mod common;

use common::{World, code, stderr, stdout};

const JAILS: [(&str, &str); 3] =
    [("web1", "/usr/jails/jails/web1"), ("web2", "/usr/jails/jails/web2"), ("web3", "/usr/jails/jails/web3")];

/// The admin's pf.conf: its own NAT, and vimage's three anchor references.
const PF_CONF: &str = "ext_if = \"em0\"\n\
set skip on lo0\n\
nat on $ext_if from 192.168.1.0/24 to any -> ($ext_if)\n\
nat-anchor \"vimage/*\"\n\
rdr-anchor \"vimage/*\"\n\
pass out all keep state\n\
anchor \"vimage/*\"\n";

/// The same without vimage's anchors.
const PF_CONF_BARE: &str = "ext_if = \"em0\"\n\
set skip on lo0\n\
nat on $ext_if from 192.168.1.0/24 to any -> ($ext_if)\n\
pass out all keep state\n";

const HOST_RC: &str = "hostname=\"fw1\"\nsshd_enable=\"YES\"\n";

const NAT_LISTED: &str = "nat on em0 inet from 10.77.0.0/24 to any -> (em0) round-robin\n";

fn ok(o: &std::process::Output) {
    assert_eq!(code(o), 0, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

/// The demo host with web2 and web3, pf loaded and enabled with `conf` as its main ruleset.
fn world(conf: Option<&str>) -> World {
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("web2", JAILS[1].1, true).unwrap();
        k.create_jail("web3", JAILS[2].1, true).unwrap();
    });
    for (_, p) in JAILS {
        w.jail_rc(p, "hostname=\"x\"\n");
    }
    w.put_host_file("/etc/resolv.conf", "nameserver 192.0.2.53\n");
    w.put_host_file("/etc/rc.conf", HOST_RC);
    if let Some(conf) = conf {
        w.edit(|k| k.load_module("pf"));
        w.put_host_file("/etc/pf.conf", conf);
        let o = w.sim("pfctl", &["-f", "/etc/pf.conf"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(code(&w.sim("pfctl", &["-e"])), 0);
    }
    w
}

/// Everything a NAT network touches: the kernel's snapshot (forwarding included) and pf.
fn state(w: &World) -> (vimage::sim::Snapshot, Option<vimage::sim::kernel::Pf>) {
    let k = w.kernel();
    (k.snapshot(), k.host_pf().cloned())
}

fn forwarding(w: &World) -> Option<i64> {
    w.kernel().host_sysctl("net.inet.ip.forwarding")
}

/// `pfctl -a vimage/jails -s nat`; an anchor that does not exist (never loaded, or flushed)
/// is empty (pfctl: `DIOCGETRULES: Invalid argument`, sbin/pfctl/pfctl.c `pfctl_show_nat`).
fn anchor_nat(w: &World) -> String {
    let o = w.sim("pfctl", &["-a", "vimage/jails", "-s", "nat"]);
    if code(&o) != 0 {
        assert!(stderr(&o).contains("DIOCGETRULES: Invalid argument"), "{}", stderr(&o));
        return String::new();
    }
    stdout(&o)
}

/// The state with every jail's JID zeroed (a restarted jail gets a new one).
fn without_jids(mut s: (vimage::sim::Snapshot, Option<vimage::sim::kernel::Pf>)) -> impl PartialEq + std::fmt::Debug {
    s.0.jails.iter_mut().for_each(|j| j.jid = 0);
    (
        s.0.interfaces,
        s.0.sysctls.get("host/net.inet.ip.forwarding").cloned(),
        s.0.default_routes.get("host").cloned(),
        s.1,
    )
}

#[test]
fn three_jails_on_a_nat_network_load_the_anchor_and_forwarding_and_the_last_stop_restores_all() {
    let w = world(Some(PF_CONF));
    let initial = state(&w);
    assert_eq!(forwarding(&w), Some(0));
    let o = w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"]);
    ok(&o);
    assert!(stdout(&o).contains("nat=auto"), "{}", stdout(&o));
    assert_eq!(state(&w), initial, "a definition changes nothing in the kernel");
    // web1 with a fixed address, web2 and web3 from the pool.
    let o = w.vimage(&["bridge", "jname=web1", "interface=net:jails", "ip4_addr=10.77.0.50/24"]);
    ok(&o);
    let t = stdout(&o);
    assert!(t.contains("NAT out of em0 (pf anchor vimage/jails)"), "{t}");
    assert!(t.contains("A reboot loses it: gateway_enable=\"YES\" in /etc/rc.conf keeps it"), "{t}");
    for j in ["web2", "web3"] {
        ok(&w.vimage(&["bridge", &format!("jname={j}"), "interface=net:jails"]));
    }
    // pf: the anchor as pfctl lists it; nothing in the anchor's filter rules; forwarding on.
    assert_eq!(anchor_nat(&w), NAT_LISTED);
    assert_eq!(stdout(&w.sim("pfctl", &["-a", "vimage/jails", "-s", "rules"])), "");
    assert_eq!(forwarding(&w), Some(1));
    let k = w.kernel();
    let snap = k.snapshot();
    for (j, a) in [("web1", "10.77.0.50/24"), ("web2", "10.77.0.2/24"), ("web3", "10.77.0.3/24")] {
        assert_eq!(k.jail_iface(j, "eth0").unwrap().addrs, [a], "{j}");
        assert_eq!(snap.default_routes.get(j).map(String::as_str), Some("10.77.0.1 eth0"), "{j}");
    }
    // The admin's main ruleset is as loaded; pf.conf and rc.conf byte for byte.
    let pf = k.host_pf().unwrap();
    assert_eq!(pf.main, initial.1.as_ref().unwrap().main);
    assert_eq!(w.host_file("/etc/pf.conf"), PF_CONF);
    assert_eq!(w.host_file("/etc/rc.conf"), HOST_RC);
    // Again: nothing to change (the anchor already holds the rules, forwarding is on).
    let before = state(&w);
    for (j, _) in JAILS {
        ok(&w.vimage(&["bridge", &format!("jname={j}"), "interface=net:jails"]));
    }
    assert_eq!(state(&w), before, "idempotent");
    // Restart web2: same address, anchor and forwarding unchanged.
    w.edit(|k| {
        k.remove_jail("web2").unwrap();
        k.create_jail("web2", JAILS[1].1, true).unwrap();
    });
    ok(&w.vimage(&["bridge", "jname=web2", "interface=net:jails"]));
    assert_eq!(w.kernel().jail_iface("web2", "eth0").unwrap().addrs, ["10.77.0.2/24"]);
    assert_eq!((anchor_nat(&w), forwarding(&w)), (NAT_LISTED.to_string(), Some(1)));
    // Someone flushed the anchor: the next start puts it back.
    ok(&w.sim("pfctl", &["-a", "vimage/jails", "-F", "all"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails", "ip4_addr=10.77.0.50/24"]));
    assert_eq!(anchor_nat(&w), NAT_LISTED);
    // Two jails go: the anchor and forwarding stay for the third.
    for j in ["web1", "web2"] {
        ok(&w.vimage(&["unbridge", &format!("jname={j}")]));
    }
    assert_eq!((anchor_nat(&w), forwarding(&w)), (NAT_LISTED.to_string(), Some(1)));
    // The last one: the anchor is flushed, forwarding back to 0, the kernel as it was.
    let o = w.vimage(&["unbridge", "jname=web3"]);
    ok(&o);
    assert!(stdout(&o).contains("flushing pf anchor vimage/jails"), "{}", stdout(&o));
    assert_eq!(anchor_nat(&w), "");
    assert_eq!(forwarding(&w), Some(0));
    assert_eq!(without_jids(state(&w)), without_jids(initial));
    assert_eq!(w.host_file("/etc/pf.conf"), PF_CONF);
    assert_eq!(w.host_file("/etc/rc.conf"), HOST_RC);
}

#[test]
fn a_forwarding_the_admin_turned_on_is_never_turned_off() {
    let w = world(Some(PF_CONF));
    ok(&w.sim("sysctl", &["net.inet.ip.forwarding=1"]));
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=em0"]));
    let o = w.vimage(&["bridge", "jname=web1", "interface=net:jails"]);
    ok(&o);
    assert!(!stdout(&o).contains("net.inet.ip.forwarding=1"), "{}", stdout(&o));
    assert_eq!(anchor_nat(&w), NAT_LISTED);
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!((anchor_nat(&w), forwarding(&w)), (String::new(), Some(1)), "the admin's forwarding stays");
}

#[test]
fn nat_0_uses_no_pf_at_all() {
    let w = world(None);
    let initial = state(&w);
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    assert_eq!(forwarding(&w), Some(0));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(state(&w), initial);
}

#[test]
fn net_create_with_nat_is_refused_with_the_exact_lines_while_pf_cannot_serve_it() {
    // pf not loaded.
    let w = world(None);
    let initial = state(&w);
    let o = w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"]);
    assert_eq!(code(&o), 69, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("network jails: nat=auto needs pf with vimage's anchors, but pf is not loaded"), "{e}");
    for l in
        ["  nat-anchor \"vimage/*\"", "  rdr-anchor \"vimage/*\"", "  anchor \"vimage/*\"", "vimage doctor fix=1 pf=1"]
    {
        assert!(e.contains(l), "{l} in {e}");
    }
    assert!(!stdout(&w.vimage(&["net", "list"])).contains("jails:"), "nothing stored");
    assert_eq!(state(&w), initial);
    // pf loaded, the main ruleset without the anchors.
    let w = world(Some(PF_CONF_BARE));
    let initial = state(&w);
    let o = w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=em0"]);
    assert_eq!(code(&o), 69, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("nat=em0 needs pf with vimage's anchors, but the loaded main ruleset does not reference"),
        "{e}"
    );
    assert!(e.contains("  nat-anchor \"vimage/*\"") && e.contains("  anchor \"vimage/*\""), "{e}");
    assert_eq!(state(&w), initial);
    assert_eq!(w.host_file("/etc/pf.conf"), PF_CONF_BARE, "never edited without fix=1 pf=1");
}

#[test]
fn a_start_on_a_nat_network_whose_anchors_are_no_longer_referenced_is_refused_before_any_change() {
    let w = world(Some(PF_CONF));
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"]));
    // The admin reloads a ruleset without vimage's anchors.
    w.put_host_file("/etc/pf.conf", PF_CONF_BARE);
    ok(&w.sim("pfctl", &["-f", "/etc/pf.conf"]));
    let initial = state(&w);
    let o = w.vimage(&["bridge", "jname=web1", "interface=net:jails"]);
    assert_eq!(code(&o), 69, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("does not reference vimage's anchors") && e.contains("vimage doctor fix=1 pf=1"), "{e}");
    assert_eq!(state(&w), initial, "nothing changed");
    // doctor fix=1 pf=1 puts the lines back; then the start works.
    ok(&w.vimage(&["doctor", "fix=1", "pf=1"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    assert_eq!(anchor_nat(&w), NAT_LISTED);
}

// ── fault injection (the tests/fault_injection.rs pattern) ───────────────────────────────

mod faults {
    use vimage::host::{Cmd, Host, Program, SimHost};
    use vimage::model::{JailName, JailNet, Uplink};
    use vimage::ops::Session;
    use vimage::paths::Paths;
    use vimage::sim::{Errno, Kernel, Sim};

    const RC: &str = "hostname=\"web1\"\n";
    const HOST_RC: &str = "vimage_net_list=\"jails\"\nvimage_net_jails_cidr=\"10.77.0.0/24\"\n";

    fn root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("usr/jails/jails/web1/etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("rc.conf"), RC).unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/rc.conf"), HOST_RC).unwrap();
        std::fs::write(dir.path().join("etc/resolv.conf"), "nameserver 192.0.2.53\n").unwrap();
        dir
    }

    fn host() -> SimHost {
        let mut k = Kernel::demo();
        k.load_module("pf");
        let mut h = SimHost::new(Sim::new(k));
        let conf = "nat-anchor \"vimage/*\"\nrdr-anchor \"vimage/*\"\nanchor \"vimage/*\"\n";
        let out = h.run(&Cmd::new(Program::Pfctl, ["-f", "-"]).with_stdin(conf)).unwrap();
        assert!(out.ok(), "{out:?}");
        h
    }

    fn state(h: &SimHost) -> (vimage::sim::Snapshot, Option<vimage::sim::kernel::Pf>) {
        (h.sim().kernel.snapshot(), h.sim().kernel.host_pf().cloned())
    }

    fn session<'h>(host: &'h mut dyn Host, root: &std::path::Path) -> vimage::error::Result<Session<'h>> {
        Session::open(host, &Paths::rooted(root), "test", false, std::time::Duration::from_secs(5))
    }

    /// A host that "kills" vimage (a panic) just before or just after its `n`-th command.
    struct Dying<'a> {
        inner: &'a mut SimHost,
        n: usize,
        after: bool,
    }

    impl Host for Dying<'_> {
        fn run(&mut self, cmd: &Cmd) -> Result<vimage::host::Output, vimage::host::SpawnError> {
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

    /// Killed before or after any command of a NAT network's start (pfctl and sysctl
    /// included), the next session's recovery replays the journalled undos: the anchor and
    /// forwarding are as they were, and a retry and its unbridge leave the kernel as found.
    #[test]
    fn a_nat_network_start_killed_at_any_command_is_rolled_back_by_the_next_run() {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        let n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::parse("net:jails").unwrap()]);
        let total = {
            let dir = root();
            let mut h = host();
            h.clear_invocations();
            session(&mut h, dir.path()).unwrap().bridge(&n).unwrap();
            h.invocations().len()
        };
        for k in 1..=total {
            for after in [false, true] {
                let dir = root();
                let mut h = host();
                let before = state(&h);
                let died = catch_unwind(AssertUnwindSafe(|| {
                    let mut d = Dying { inner: &mut h, n: k, after };
                    let _ = session(&mut d, dir.path()).unwrap().bridge(&n);
                }));
                assert!(died.is_err(), "command {k} should have killed the run");
                let s = session(&mut h, dir.path()).unwrap();
                assert!(s.db.unfinished_runs().unwrap().is_empty(), "k={k} after={after}: {:?}", s.notes);
                drop(s);
                assert_eq!(state(&h), before, "k={k} after={after}: not rolled back");
                session(&mut h, dir.path()).unwrap().bridge(&n).unwrap();
                session(&mut h, dir.path()).unwrap().unbridge(&n.jail).unwrap();
                assert_eq!(state(&h), before, "k={k} after={after}");
            }
        }
    }

    #[test]
    fn every_step_of_a_nat_network_start_fails_once_and_nothing_is_left_half_done() {
        let n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::parse("net:jails").unwrap()]);
        let dir = root();
        let mut h = host();
        let before = state(&h);
        let ops0 = h.sim().kernel.ops_done();
        let r = session(&mut h, dir.path()).unwrap().bridge(&n).unwrap();
        let total = h.sim().kernel.ops_done() - ops0;
        let cmds: Vec<String> = vimage::plan::render::commands(&r.plan).into_iter().map(|c| c.to_string()).collect();
        for want in ["pfctl -a vimage/jails -f -", "sysctl net.inet.ip.forwarding=1"] {
            assert!(cmds.iter().any(|c| c.starts_with(want)), "{want} in {cmds:#?}");
        }
        assert_eq!(h.sim().kernel.host_sysctl("net.inet.ip.forwarding"), Some(1));
        session(&mut h, dir.path()).unwrap().unbridge(&n.jail).unwrap();
        assert_eq!(state(&h), before);
        for k in 1..=total {
            let dir = root();
            let mut h = host();
            h.sim_mut().kernel.fail_at(k, Errno::EIO);
            let err = session(&mut h, dir.path()).unwrap().bridge(&n).expect_err(&format!("op {k} of {total}"));
            assert_eq!(state(&h), before, "op {k}: state not restored; error: {err}");
            assert_eq!(std::fs::read_to_string(dir.path().join("etc/rc.conf")).unwrap(), HOST_RC);
            session(&mut h, dir.path()).unwrap().bridge(&n).unwrap_or_else(|e| panic!("op {k}: retry failed: {e}"));
            assert_eq!(h.sim().kernel.host_sysctl("net.inet.ip.forwarding"), Some(1), "op {k}");
            session(&mut h, dir.path()).unwrap().unbridge(&n.jail).unwrap();
            assert_eq!(state(&h), before, "op {k}: retry + unbridge left something");
        }
    }
}

#[test]
fn persist_1_writes_gateway_enable_keeping_every_other_byte_and_without_it_the_output_says_a_reboot_loses_it() {
    let w = world(Some(PF_CONF));
    let o = w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"]);
    ok(&o);
    assert!(stdout(&o).contains("until reboot; persist=1 writes gateway_enable=\"YES\""), "{}", stdout(&o));
    assert_eq!(w.host_file("/etc/rc.conf"), HOST_RC, "untouched without persist=1");
    let o = w.vimage(&["net", "create", "name=lan2", "cidr=10.78.0.0/24", "persist=1", "--dry-run"]);
    ok(&o);
    assert!(stdout(&o).contains("would write gateway_enable=\"YES\""), "{}", stdout(&o));
    assert_eq!(w.host_file("/etc/rc.conf"), HOST_RC, "a dry run writes nothing");
    let o = w.vimage(&["net", "create", "name=lan2", "cidr=10.78.0.0/24", "persist=1"]);
    ok(&o);
    assert!(stdout(&o).contains("/etc/rc.conf: wrote gateway_enable=\"YES\""), "{}", stdout(&o));
    assert_eq!(w.host_file("/etc/rc.conf"), format!("{HOST_RC}gateway_enable=\"YES\"\n"));
    let o = w.vimage(&["net", "create", "name=lan2", "cidr=10.78.0.0/24", "persist=1"]);
    ok(&o);
    assert!(stdout(&o).contains("already there"), "{}", stdout(&o));
    assert_eq!(w.host_file("/etc/rc.conf"), format!("{HOST_RC}gateway_enable=\"YES\"\n"));
}

fn anchor_rdr_lines(w: &World) -> Vec<String> {
    anchor_nat(w).lines().filter(|l| l.starts_with("rdr")).map(str::to_string).collect()
}

#[test]
fn expose_loads_rdr_rules_for_running_jails_and_every_start_and_stop_keeps_them_right() {
    let w = world(Some(PF_CONF));
    let initial = state(&w);
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    ok(&w.vimage(&["bridge", "jname=web2", "interface=net:jails"]));
    // A dry run stores and loads nothing.
    let before = state(&w);
    let o = w.vimage(&["expose", "jname=web1", "port=80", "hostport=8080", "--dry-run"]);
    ok(&o);
    assert!(stdout(&o).contains("would forward tcp/8080 -> jail web1 port 80 (network jails)"), "{}", stdout(&o));
    assert_eq!(state(&w), before);
    // expose on a running jail: loaded now.
    let o = w.vimage(&["expose", "jname=web1", "port=80", "hostport=8080"]);
    ok(&o);
    assert!(stdout(&o).contains("ran: pfctl -a vimage/jails -f -"), "{}", stdout(&o));
    let rdr1 = "rdr on em0 inet proto tcp from any to any port = http-alt -> 10.77.0.2 port 80";
    assert_eq!(anchor_rdr_lines(&w), [rdr1]);
    assert_eq!(anchor_nat(&w).lines().next(), NAT_LISTED.lines().next(), "nat stays first");
    let o = w.vimage(&["expose", "jname=web2", "port=53", "proto=udp", "--json"]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["changed"].as_bool(), v["forward"]["host_port"].as_u64()), (Some(true), Some(53)), "{v}");
    let rdr2 = "rdr on em0 inet proto udp from any to any port = domain -> 10.77.0.3 port 53";
    assert_eq!(anchor_rdr_lines(&w), [rdr1, rdr2]);
    // Refusals change nothing: the host port is taken (its holder named); web3 is not on it.
    let before = state(&w);
    let o = w.vimage(&["expose", "jname=web2", "port=8000", "hostport=8080"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("host port tcp/8080 is already forwarded to jail web1 port 80"), "{}", stderr(&o));
    let o = w.vimage(&["expose", "jname=web3", "port=80", "net=jails"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("has no NIC on network jails"), "{}", stderr(&o));
    assert_eq!(state(&w), before);
    // status lists the forwards.
    let o = w.vimage(&["status"]);
    ok(&o);
    assert!(stdout(&o).contains("forward tcp/8080 -> web1 port 80"), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&w.vimage(&["status", "--json"]).stdout).unwrap();
    assert_eq!(v["networks"][0]["forwards"][1]["jail"], "web2", "{v}");
    // web1 stops: its forward leaves the anchor, web2's stays; it comes back with web1.
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(anchor_rdr_lines(&w), [rdr2]);
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    assert_eq!(anchor_rdr_lines(&w), [rdr1, rdr2]);
    // unexpose while running: reloaded without it.
    ok(&w.vimage(&["unexpose", "jname=web2", "port=53", "proto=udp"]));
    assert_eq!(anchor_rdr_lines(&w), [rdr1]);
    let o = w.vimage(&["unexpose", "jname=web2", "port=53", "proto=udp"]);
    ok(&o);
    assert!(stdout(&o).contains("nothing to do"), "{}", stdout(&o));
    // All stop: the anchor is empty, the kernel as it was; the forward is kept for the next start.
    for j in ["web1", "web2"] {
        ok(&w.vimage(&["unbridge", &format!("jname={j}")]));
    }
    assert_eq!(anchor_nat(&w), "");
    assert_eq!(without_jids(state(&w)), without_jids(initial));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    assert_eq!(anchor_rdr_lines(&w), [rdr1]);
}

#[test]
fn gc_flushes_the_anchor_of_a_nat_network_no_bridge_serves_and_puts_forwarding_back() {
    let w = world(Some(PF_CONF));
    let initial = state(&w);
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    assert_eq!((anchor_nat(&w), forwarding(&w)), (NAT_LISTED.to_string(), Some(1)));
    // web1 goes away behind vimage's back (its epair goes with its vnet), the bridge by hand.
    w.edit(|k| k.remove_jail("web1").unwrap());
    let br = w
        .kernel()
        .snapshot()
        .interfaces
        .iter()
        .find(|i| i.description.as_deref() == Some("vimage:net:jails"))
        .map(|i| i.name.clone())
        .expect("the bridge");
    ok(&w.sim("ifconfig", &[&br, "destroy"]));
    let o = w.vimage(&["gc", "--dry-run"]);
    ok(&o);
    assert_eq!(anchor_nat(&w), NAT_LISTED, "a dry run flushes nothing");
    let o = w.vimage(&["gc"]);
    ok(&o);
    assert_eq!(anchor_nat(&w), "", "{}", stdout(&o));
    assert_eq!(forwarding(&w), Some(0));
    let after = state(&w);
    assert_eq!(after.1, initial.1, "pf as it was");
    // Once more: nothing left to do.
    let before = state(&w);
    ok(&w.vimage(&["gc"]));
    assert_eq!(state(&w), before);
}

#[test]
fn net_destroy_forgets_the_networks_forwards_with_it() {
    let w = world(Some(PF_CONF));
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    ok(&w.vimage(&["expose", "jname=web1", "port=80"]));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["net", "destroy", "name=jails"]));
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    assert_eq!(anchor_rdr_lines(&w), Vec::<String>::new(), "no forward came back with a new network of that name");
}

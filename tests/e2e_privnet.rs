//! End to end: private networks (`vimage net`, `interface=net:NAME`) with the `vimage` binary
//! against `fbsd-sim`: three jails on one host-only bridge, their pool addresses, routes and
//! resolvers, reachability with the simulator's ping (if_bridge.c bridge_forward, including
//! IFBIF_PRIVATE), restarts, teardown to the exact initial kernel, and refusals.

mod common;

use common::{World, code, stderr, stdout};

const JAILS: [(&str, &str); 3] =
    [("web1", "/usr/jails/jails/web1"), ("web2", "/usr/jails/jails/web2"), ("web3", "/usr/jails/jails/web3")];

fn ok(o: &std::process::Output) {
    assert_eq!(code(o), 0, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

/// The demo host with web2 and web3 beside web1, each with an rc.conf, the host with a resolver.
fn world() -> World {
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("web2", JAILS[1].1, true).unwrap();
        k.create_jail("web3", JAILS[2].1, true).unwrap();
    });
    for (_, p) in JAILS {
        w.jail_rc(p, "hostname=\"x\"\n");
    }
    w.put_host_file("/etc/resolv.conf", "search example.org\nnameserver 192.0.2.53\n");
    w
}

fn bridge_of(w: &World) -> Option<vimage::sim::IfView> {
    let k = w.kernel();
    let snap = k.snapshot();
    let b = snap.interfaces.iter().find(|i| i.description.as_deref() == Some("vimage:net:jails"))?;
    k.host_iface(&b.name)
}

#[test]
fn three_jails_share_a_network_with_pool_addresses_and_unbridge_restores_the_kernel() {
    let w = world();
    let initial = w.kernel().snapshot();
    let o = w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0"]);
    ok(&o);
    assert!(stdout(&o).contains("network jails: created (10.77.0.0/24 gateway 10.77.0.1, nat=0)"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), initial, "a definition changes nothing in the kernel");
    for (j, _) in JAILS {
        let o = w.vimage(&["bridge", &format!("jname={j}"), "interface=net:jails"]);
        ok(&o);
    }
    // The bridge: host-only (no physical member), vimage's, UP, the gateway on it.
    let br = bridge_of(&w).expect("the network's bridge");
    assert!(br.up && br.groups.iter().any(|g| g == "vimage"), "{br:?}");
    assert_eq!(br.addrs, ["10.77.0.1/24"]);
    assert_eq!(br.members.len(), 3, "one epair host end per jail, nothing else: {:?}", br.members);
    assert!(br.members.iter().all(|m| m.starts_with("epair")), "{:?}", br.members);
    // Each jail: the lowest free address, the gateway as router, rc.conf and resolv.conf.
    let k = w.kernel();
    let snap = k.snapshot();
    for (i, (j, p)) in JAILS.iter().enumerate() {
        let a = format!("10.77.0.{}/24", i + 2);
        assert_eq!(k.jail_iface(j, "eth0").unwrap().addrs, std::slice::from_ref(&a), "{j}");
        assert_eq!(snap.default_routes.get(*j).map(String::as_str), Some("10.77.0.1 eth0"), "{j}");
        let rc = w.host_file(&format!("{p}/etc/rc.conf"));
        assert!(rc.starts_with("hostname=\"x\"\n"), "{rc}");
        assert!(
            rc.contains(&format!("ifconfig_eth0=\"inet {a}\"")) && rc.contains("defaultrouter=\"10.77.0.1\""),
            "{rc}"
        );
        assert_eq!(w.host_file(&format!("{p}/etc/resolv.conf")), "nameserver 192.0.2.53\n", "{j}");
    }
    // Jail ↔ jail and jail ↔ gateway; the LAN is not reachable (host-only, no NAT yet).
    assert!(w.pings("web1", "10.77.0.3") && w.pings("web3", "10.77.0.2"), "jails on one bridge");
    assert!(w.pings("web2", "10.77.0.1"), "the gateway: the host's address on the bridge");
    assert!(w.pings("", "10.77.0.4"), "the host reaches a jail");
    // Twice: nothing changes.
    let before = w.kernel().snapshot();
    for (j, _) in JAILS {
        ok(&w.vimage(&["bridge", &format!("jname={j}"), "interface=net:jails"]));
    }
    assert_eq!(w.kernel().snapshot(), before, "idempotent");
    // status and net list show the pool.
    let o = w.vimage(&["net", "list"]);
    ok(&o);
    assert!(stdout(&o).contains("pool 3 used / 250 free"), "{}", stdout(&o));
    let o = w.vimage(&["net", "list", "--json"]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["networks"][0]["bridge"], serde_json::json!(br.name));
    assert_eq!(v["networks"][0]["leases"][1]["address"], "10.77.0.3");
    // Restart web2 (the kernel gives it a new JID): same address.
    w.edit(|k| {
        k.remove_jail("web2").unwrap();
        k.create_jail("web2", JAILS[1].1, true).unwrap();
    });
    ok(&w.vimage(&["bridge", "jname=web2", "interface=net:jails"]));
    assert_eq!(w.kernel().jail_iface("web2", "eth0").unwrap().addrs, ["10.77.0.3/24"]);
    // Destroy is refused while jails use it (force=1 would forget it, dry run: nothing).
    let o = w.vimage(&["net", "destroy", "name=jails"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("network jails is in use by jail(s) web1, web2, web3"), "{}", stderr(&o));
    let o = w.vimage(&["net", "destroy", "name=jails", "force=1", "--dry-run"]);
    ok(&o);
    assert!(stdout(&o).contains("would forget its definition and 3 lease(s)"), "{}", stdout(&o));
    // Unbridge all: the bridge goes with the last jail; the kernel is as it was.
    for (j, _) in JAILS {
        ok(&w.vimage(&["unbridge", &format!("jname={j}")]));
    }
    assert!(bridge_of(&w).is_none(), "the bridge went with the last jail");
    // Stopped, the jails keep their addresses: status shows them for the next start.
    let o = w.vimage(&["status"]);
    ok(&o);
    assert!(stdout(&o).contains("networks:\n  jails: 10.77.0.0/24 gateway 10.77.0.1, no bridge"), "{}", stdout(&o));
    assert!(stdout(&o).contains("jail web2 NIC 0: pool address 10.77.0.3"), "{}", stdout(&o));
    let mut after = w.kernel().snapshot();
    let mut initial2 = initial.clone();
    // web2 was restarted (new JID): compare everything but the jails' JIDs.
    after.jails.iter_mut().for_each(|j| j.jid = 0);
    initial2.jails.iter_mut().for_each(|j| j.jid = 0);
    assert_eq!(after.interfaces, initial2.interfaces);
    assert_eq!(after.default_routes.get("host"), initial2.default_routes.get("host"));
    // The definition stays; the leases too (stable across stops) until released.
    let o = w.vimage(&["net", "release", "jname=web1"]);
    ok(&o);
    assert!(stdout(&o).contains("released 10.77.0.2 (network jails, NIC 0)"), "{}", stdout(&o));
    ok(&w.vimage(&["net", "destroy", "name=jails"]));
    let o = w.vimage(&["net", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["networks"], serde_json::json!([]));
}

#[test]
fn gc_removes_a_network_bridge_no_jail_uses_and_a_dry_run_changes_nothing() {
    let w = world();
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0"]));
    let initial = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=net:jails", "--dry-run"]);
    ok(&o);
    assert!(
        stdout(&o).contains("ifconfig bridge create description vimage:net:jails group vimage up"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("address 10.77.0.2/24 from network jails's pool"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), initial, "a dry run changes nothing");
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    // The jail dies without unbridge: its epair host end and the bridge are orphans.
    w.edit(|k| k.remove_jail("web1").unwrap());
    let o = w.vimage(&["gc"]);
    ok(&o);
    assert!(bridge_of(&w).is_none(), "gc removed the network's bridge: {}", stdout(&o));
    let snap = w.kernel().snapshot();
    assert!(!snap.interfaces.iter().any(|i| i.groups.iter().any(|g| g == "vimage")), "{:?}", snap.interfaces);
}

#[test]
fn a_private_network_isolates_its_jails_but_not_from_the_gateway_if_bridge_c_ifbif_private() {
    let w = world();
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.78.0.0/24", "nat=0", "gateway=10.78.0.254", "private=1"]));
    for (j, _) in JAILS.iter().take(2) {
        ok(&w.vimage(&["bridge", &format!("jname={j}"), "interface=net:jails"]));
    }
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().addrs, ["10.78.0.1/24"], "lowest free, below the gateway");
    assert_eq!(k.jail_iface("web2", "eth0").unwrap().addrs, ["10.78.0.2/24"]);
    assert!(w.pings("web1", "10.78.0.254") && w.pings("web2", "10.78.0.254"), "the gateway is reached");
    assert!(!w.pings("web1", "10.78.0.2"), "two private members do not talk");
}

#[test]
fn a_fixed_address_inside_the_network_is_kept_and_the_pool_skips_it() {
    let w = world();
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails", "ip4_addr=10.77.0.2/24"]));
    ok(&w.vimage(&["bridge", "jname=web2", "interface=net:jails"]));
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().addrs, ["10.77.0.2/24"]);
    assert_eq!(k.jail_iface("web2", "eth0").unwrap().addrs, ["10.77.0.3/24"], "the fixed one is taken");
    let o = w.vimage(&["bridge", "jname=web3", "interface=net:jails", "ip4_addr=10.77.0.3/24"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("10.77.0.3 on network jails is already held by NIC 0 of jail web2"), "{}", stderr(&o));
}

#[test]
fn net_create_refuses_bad_definitions_naming_the_network() {
    let w = world();
    for (args, why) in [
        (&["cidr=10.77.0.5/24"][..], "host bits set; the network is 10.77.0.0/24"),
        (&["cidr=10.77.0.0/24", "gateway=10.78.0.1"][..], "gateway=10.78.0.1 is outside cidr=10.77.0.0/24"),
        (&["cidr=10.77.0.0/24", "gateway=10.77.0.255"][..], "broadcast address"),
        (&["cidr=192.168.0.0/16"][..], "overlaps 192.168.1.10/24 on the host's em0"),
    ] {
        let mut a = vec!["net", "create", "name=jails", "nat=0"];
        a.extend_from_slice(args);
        let o = w.vimage(&a);
        assert_eq!(code(&o), 65, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
    let o = w.vimage(&["net", "create", "name=a-b", "cidr=10.77.0.0/24", "nat=0"]);
    assert_eq!(code(&o), 64, "{}", stderr(&o));
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0"]));
    let o = w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0"]);
    ok(&o);
    assert!(stdout(&o).contains("already exists as given"), "{}", stdout(&o));
    let o = w.vimage(&["net", "create", "name=other", "cidr=10.77.0.128/25", "nat=0"]);
    assert!(stderr(&o).contains("overlaps network jails (10.77.0.0/24)"), "{}", stderr(&o));
    let o = w.vimage(&["net", "create", "name=jails", "cidr=10.99.0.0/24", "nat=0"]);
    assert!(stderr(&o).contains("network jails already exists in vimage's database"), "{}", stderr(&o));
    let o = w.vimage(&["bridge", "jname=web1", "interface=net:nosuch"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("network nosuch does not exist"), "{}", stderr(&o));
    // A dry run stores nothing.
    ok(&w.vimage(&["net", "create", "name=dry", "cidr=10.88.0.0/24", "nat=0", "--dry-run"]));
    assert!(!stdout(&w.vimage(&["net", "list"])).contains("dry"));
}

#[test]
fn an_rc_conf_network_serves_the_standalone_service_and_is_read_only() {
    let w = world();
    w.put_host_file(
        "/etc/rc.conf",
        "vimage_net_list=\"lab\"\nvimage_net_lab_cidr=\"10.66.0.0/24\"\nvimage_net_lab_nat=\"0\"\nvimage_net_lab_private=\"YES\"\n",
    );
    let o = w.vimage(&["net", "list"]);
    ok(&o);
    assert!(stdout(&o).contains("lab [rc.conf]: 10.66.0.0/24 gateway 10.66.0.1, private"), "{}", stdout(&o));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:lab"]));
    assert_eq!(w.kernel().jail_iface("web1", "eth0").unwrap().addrs, ["10.66.0.2/24"]);
    let o = w.vimage(&["net", "destroy", "name=lab"]);
    assert!(stderr(&o).contains("defined in rc.conf"), "{}", stderr(&o));
}

#[test]
fn the_standalone_service_starts_and_stops_two_vimages_on_an_rc_conf_network() {
    let w = World::demo();
    let rc = "vimage_list=\"a1 a2\"\nvimage_net_list=\"lab\"\nvimage_net_lab_cidr=\"10.66.0.0/24\"\nvimage_net_lab_nat=\"0\"\n\
              vimage_a1_rootdir=\"/vm/a1\"\nvimage_a1_epairs=\"net:lab\"\n\
              vimage_a2_rootdir=\"/vm/a2\"\nvimage_a2_epairs=\"net:lab\"\n";
    w.put_host_file("/etc/rc.conf", rc);
    w.jail_rc("/vm/a1", "");
    w.jail_rc("/vm/a2", "");
    let before = w.kernel().snapshot();
    for j in ["a1", "a2"] {
        ok(&w.vimage(&["start", j]));
    }
    let k = w.kernel();
    assert_eq!(k.jail_iface("a1", "eth0").unwrap().addrs, ["10.66.0.2/24"]);
    assert_eq!(k.jail_iface("a2", "eth0").unwrap().addrs, ["10.66.0.3/24"]);
    assert!(w.pings("a1", "10.66.0.3") && w.pings("a2", "10.66.0.1"));
    for j in ["a2", "a1"] {
        ok(&w.vimage(&["stop", j]));
    }
    assert_eq!(w.kernel().snapshot().interfaces, before.interfaces, "the bridge went with the last vimage");
    assert_eq!(w.host_file("/etc/rc.conf"), rc, "rc.conf's definitions are read, never written");
}

#[test]
fn a_resolver_the_admin_wrote_is_kept_byte_for_byte() {
    let w = world();
    let mine = "# mine\nnameserver 9.9.9.9\noptions edns0";
    w.put_host_file(&format!("{}/etc/resolv.conf", JAILS[0].1), mine);
    let nons = "search lan\n";
    w.put_host_file(&format!("{}/etc/resolv.conf", JAILS[1].1), nons);
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0"]));
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"]));
    let o = w.vimage(&["bridge", "jname=web2", "interface=net:jails"]);
    ok(&o);
    assert!(stdout(&o).contains("no name server there; adding the host's (192.0.2.53)"), "{}", stdout(&o));
    assert_eq!(w.host_file(&format!("{}/etc/resolv.conf", JAILS[0].1)), mine);
    assert_eq!(w.host_file(&format!("{}/etc/resolv.conf", JAILS[1].1)), "search lan\nnameserver 192.0.2.53\n");
}

// ── fault injection (the tests/fault_injection.rs pattern) ───────────────────────────────

mod faults {
    use vimage::host::{Host, SimHost};
    use vimage::model::{JailName, JailNet, Uplink};
    use vimage::ops::Session;
    use vimage::paths::Paths;
    use vimage::sim::{Errno, Kernel, Sim};
    use vimage::state::StateDb;

    const RC: &str = "hostname=\"web1\"\n";
    const HOST_RC: &str = "vimage_net_list=\"jails\"\nvimage_net_jails_cidr=\"10.77.0.0/24\"\nvimage_net_jails_nat=\"0\"\n\
                           vimage_net_jails_cidr6=\"fd00:77::/64\"\nvimage_net_jails_private=\"YES\"\n";

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

    fn session<'h>(host: &'h mut dyn Host, root: &std::path::Path) -> vimage::error::Result<Session<'h>> {
        Session::open(host, &Paths::rooted(root), "test", false, std::time::Duration::from_secs(5))
    }

    fn files_untouched(root: &std::path::Path) -> bool {
        std::fs::read_to_string(root.join("usr/jails/jails/web1/etc/rc.conf")).unwrap() == RC
            && !root.join("usr/jails/jails/web1/etc/resolv.conf").exists()
            && std::fs::read_to_string(root.join("etc/rc.conf")).unwrap() == HOST_RC
    }

    fn leases(root: &std::path::Path) -> usize {
        StateDb::open(&Paths::rooted(root).state_db()).unwrap().leases(None).unwrap().len()
    }

    #[test]
    fn every_step_of_a_network_start_fails_once_and_nothing_is_left_half_done() {
        let n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::parse("net:jails").unwrap()]);
        let dir = root();
        let mut h = SimHost::new(Sim::new(Kernel::demo()));
        let before = h.sim().kernel.snapshot();
        let ops0 = h.sim().kernel.ops_done();
        let r = session(&mut h, dir.path()).unwrap().bridge(&n).unwrap();
        let total = h.sim().kernel.ops_done() - ops0;
        let cmds: Vec<String> = vimage::plan::render::commands(&r.plan).into_iter().map(|c| c.to_string()).collect();
        for want in [
            "ifconfig bridge create description vimage:net:jails group vimage up",
            "ifconfig '$bridge_net_jails' inet 10.77.0.1/24 alias",
            "ifconfig '$bridge_net_jails' inet6 fd00:77::1/64 alias",
            "ifconfig '$bridge_net_jails' private '$eth0_a'",
        ] {
            assert!(cmds.iter().any(|c| c == want), "{want} in {cmds:#?}");
        }
        assert!(total >= 8, "bridge, two addresses, epair, member, flag, move, rename, address, route ({total})");
        session(&mut h, dir.path()).unwrap().unbridge(&n.jail).unwrap();
        assert_eq!(h.sim().kernel.snapshot(), before);
        for k in 1..=total {
            let dir = root();
            let mut h = SimHost::new(Sim::new(Kernel::demo()));
            h.sim_mut().kernel.fail_at(k, Errno::EIO);
            let err = session(&mut h, dir.path()).unwrap().bridge(&n).expect_err(&format!("op {k} of {total}"));
            assert_eq!(h.sim().kernel.snapshot(), before, "op {k}: state not restored; error: {err}");
            assert!(files_untouched(dir.path()), "op {k}: a file was written by a failed run");
            assert_eq!(leases(dir.path()), 0, "op {k}: a failed run recorded a lease");
            let text = err.to_string();
            assert!(text.contains("Input/output error") && text.contains('`'), "op {k}: {text}");
            assert_eq!(err.exit_code(), 71);
            session(&mut h, dir.path()).unwrap().bridge(&n).unwrap_or_else(|e| panic!("op {k}: retry failed: {e}"));
            assert_eq!(leases(dir.path()), 1);
            session(&mut h, dir.path()).unwrap().unbridge(&n.jail).unwrap();
            assert_eq!(h.sim().kernel.snapshot(), before, "op {k}: retry + unbridge left something");
        }
    }

    /// Dies at the `n`-th command, before it runs or just after (done, not journalled): a
    /// kill -9 as tests/crash_recovery.rs models it (a panic past the executor).
    struct Dying<'a> {
        inner: &'a mut SimHost,
        n: usize,
        after: bool,
    }

    impl Host for Dying<'_> {
        fn run(&mut self, cmd: &vimage::host::Cmd) -> Result<vimage::host::Output, vimage::host::SpawnError> {
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

    #[test]
    fn a_network_start_killed_at_any_command_is_rolled_back_by_the_next_run() {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        let n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::parse("net:jails").unwrap()]);
        let dir = root();
        let mut h = SimHost::new(Sim::new(Kernel::demo()));
        drop(session(&mut h, dir.path()).unwrap());
        h.clear_invocations();
        session(&mut h, dir.path()).unwrap().bridge(&n).unwrap();
        let total = h.invocations().len();
        let mut killed = 0;
        for k in 1..=total {
            for after in [false, true] {
                let dir = root();
                let mut h = SimHost::new(Sim::new(Kernel::demo()));
                let before = h.sim().kernel.snapshot();
                let died = catch_unwind(AssertUnwindSafe(|| {
                    let mut d = Dying { inner: &mut h, n: k, after };
                    let _ = session(&mut d, dir.path()).and_then(|mut s| s.bridge(&n).map(|_| ()));
                }));
                if died.is_ok() {
                    continue; // the run had fewer commands this time (nothing to kill)
                }
                killed += 1;
                let s = session(&mut h, dir.path()).unwrap();
                assert!(s.db.unfinished_runs().unwrap().is_empty(), "k={k} after={after}");
                drop(s);
                assert_eq!(h.sim().kernel.snapshot(), before, "k={k} after={after}: not rolled back");
                assert_eq!(leases(dir.path()), 0, "k={k} after={after}: a killed run recorded a lease");
                session(&mut h, dir.path()).unwrap().bridge(&n).unwrap();
                session(&mut h, dir.path()).unwrap().unbridge(&n.jail).unwrap();
                assert_eq!(h.sim().kernel.snapshot(), before, "k={k} after={after}");
            }
        }
        assert!(total >= 10 && killed == 2 * total, "every command of the start was killed at ({killed}/{total})");
    }
}

#[test]
fn a_private_networks_isolation_and_a_nics_own_flags_go_in_one_member_flag_step() {
    // Integration of issue 14's `flags=` with issue 15's `private=1`: one
    // `ifconfig bridgeN private epairNa sticky epairNa` (ifbridge.c, BRDGSIFFLGS per word).
    let w = world();
    let initial = w.kernel().snapshot();
    ok(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0", "private=1"]));
    w.take_log();
    ok(&w.vimage(&["bridge", "jname=web1", "interface=net:jails", "flags=sticky"]));
    let log = w.take_log();
    let br = bridge_of(&w).expect("the network's bridge");
    let a = br.members[0].clone();
    let flag_lines: Vec<&String> =
        log.iter().filter(|l| l.contains(&format!(" {a} ")) && l.contains("private")).collect();
    assert_eq!(flag_lines.len(), 1, "{log:#?}");
    assert!(flag_lines[0].ends_with(&format!("ifconfig {} private {a} sticky {a}", br.name)), "{log:#?}");
    let st = stdout(&w.sim("ifconfig", &[&br.name]));
    let line = st.lines().find(|l| l.contains(&format!("member: {a} "))).unwrap();
    assert!(line.contains("PRIVATE") && line.contains("STICKY"), "{line}");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), initial);
}

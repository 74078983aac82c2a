//! Jails with a Linux userland (issue 18), end to end: the real binary against fbsd-sim, whose
//! `/` is the test's VIMAGE_ROOT, where web1's root has a Linux `/bin/sh` (a link to a Linux
//! ELF `dash`). Everything vimage does must come from the host: no jexec of a FreeBSD tool
//! (fbsd-sim's jexec fails such a command as FreeBSD's does), no rename, no rc.conf; and the
//! kernel afterwards is exactly what it was.

mod common;

use common::{World, code, stderr, stdout};
use vimage::sim::Kernel;

const WEB1: &str = "/usr/jails/jails/web1";

/// The demo host (em0 192.168.1.10/24, default route via 192.168.1.1, vnet jail web1) at
/// `osreldate`, with web1's root a Debian-like Linux userland. On 15.x em0 keeps its address
/// as a bridge member (`net.link.bridge.member_ifaddrs=1`, as such a host must set).
fn world(osreldate: u32) -> World {
    let mut k = Kernel::demo();
    k.set_osreldate(osreldate);
    let mut sim = vimage::sim::Sim::new(k);
    if osreldate >= 1_500_000 {
        assert_eq!(sim.exec("sysctl", &["net.link.bridge.member_ifaddrs=1".to_string()]).code, 0);
    }
    let w = World::new(sim.kernel);
    w.linux_root(WEB1);
    w
}

fn ok(o: &std::process::Output) {
    assert_eq!(code(o), 0, "stdout: {}\nstderr: {}", stdout(o), stderr(o));
}

/// The commands fbsd-sim ran that reach into a jail through its own programs.
fn jexecs(log: &[String]) -> Vec<&String> {
    log.iter().filter(|l| l.starts_with("jexec")).collect()
}

/// web1's interfaces other than lo0.
fn nics(w: &World) -> Vec<String> {
    w.kernel().jail_ifnames("web1").into_iter().filter(|n| n != "lo0").collect()
}

#[test]
fn bridge_sets_mac_addresses_and_route_from_the_host_and_unbridge_restores_the_kernel() {
    let w = world(1_500_000);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24,2001:db8::50/64", "ci_gw4=192.168.1.1"]);
    ok(&o);
    let out = stdout(&o);
    assert!(out.contains("userland linux") && out.contains("GNU ABI note"), "{out}");
    assert!(out.contains("jail web1: eth0 (in the jail: epair"), "{out}");
    let log = w.take_log();
    assert!(jexecs(&log).is_empty(), "no FreeBSD program runs inside: {log:#?}");
    assert!(log.iter().any(|l| l.starts_with("route -j 1 add default 192.168.1.1")), "{log:#?}");

    // The jail end keeps the kernel's name (the peer of the host end), with vimage's MAC, UP,
    // both addresses and the default route.
    let k = w.kernel();
    let names = nics(&w);
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    assert!(name.starts_with("epair") && name.ends_with('b'), "the kernel's name: {name}");
    assert!(k.jail_iface("web1", "eth0").is_none(), "not renamed");
    let nic = k.jail_iface("web1", name).unwrap();
    assert!(nic.up, "{nic:?}");
    assert!(nic.mac.as_deref().is_some_and(|m| vimage::model::Mac::parse(m).unwrap().is_local()), "{nic:?}");
    assert!(nic.addrs.contains(&"192.168.1.50/24".to_string()), "{nic:?}");
    assert!(nic.addrs.contains(&"2001:db8::50/64".to_string()), "{nic:?}");
    let snap = k.snapshot();
    assert_eq!(snap.default_routes.get("web1").map(String::as_str), Some(format!("192.168.1.1 {name}").as_str()));
    // No rc.conf appeared in the jail (a Linux root has none and gets none).
    assert!(!w.root.join(WEB1.trim_start_matches('/')).join("etc/rc.conf").exists());

    // status: the userland, and the NIC under its name in the jail.
    let o = w.vimage(&["status", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["jails"][0]["userland"], "linux", "{j}");
    assert_eq!(j["jails"][0]["nics"][0]["name"], name.as_str(), "{j}");
    assert_eq!(j["jails"][0]["nics"][0]["state"], "up", "{j}");
    let o = w.vimage(&["status"]);
    assert!(stdout(&o).contains("userland:\n  web1: linux ("), "{}", stdout(&o));

    // Again: nothing to do.
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24,2001:db8::50/64", "ci_gw4=192.168.1.1"]);
    ok(&o);
    assert!(stdout(&o).contains(&format!("{name}: already bridged")), "{}", stdout(&o));
    w.take_log();

    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert!(jexecs(&w.take_log()).is_empty());
    assert_eq!(w.kernel().snapshot(), before, "unbridge gives the kernel back as it was");
}

#[test]
fn without_route_j_the_route_is_left_to_the_jail_and_said_exactly() {
    let w = world(1_402_000);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24", "ci_gw4=192.168.1.1"]);
    ok(&o);
    let name = nics(&w).pop().unwrap();
    let out = stdout(&o);
    assert!(out.contains("default route NOT set") && out.contains("default via 192.168.1.1 dev"), "{out}");
    let log = w.take_log();
    assert!(jexecs(&log).is_empty(), "{log:#?}");
    assert!(log.iter().any(|l| l == "route -j 1 -n get default"), "the probe: {log:#?}");
    assert!(!w.kernel().snapshot().default_routes.contains_key("web1"));
    assert!(w.kernel().jail_iface("web1", &name).unwrap().addrs.contains(&"192.168.1.50/24".to_string()));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn dhcp_slaac_and_13x_are_refused_and_nothing_changes() {
    for (rel, args, want) in [
        (1_402_000, vec!["ip4_addr=REALDHCP"], (65, "DHCP client")),
        (1_402_000, vec!["ip4_addr=SLAAC"], (65, "IPv6 autoconfiguration")),
        (1_302_000, vec![], (69, "ifconfig -j")),
    ] {
        let w = world(rel);
        let before = w.kernel().snapshot();
        let mut argv = vec!["bridge", "jname=web1"];
        argv.extend(args.iter().copied());
        let o = w.vimage(&argv);
        assert_eq!(code(&o), want.0, "{argv:?}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains(want.1) && stderr(&o).contains("web1"), "{}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "{argv:?}");
        let log = w.take_log();
        assert!(jexecs(&log).is_empty(), "not even a query runs inside: {log:#?}");
    }
}

#[test]
fn dry_run_shows_only_host_side_commands() {
    let w = world(1_500_000);
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24", "ci_gw4=192.168.1.1", "--dry-run"]);
    ok(&o);
    let out = stdout(&o);
    let cmds: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(cmds.iter().all(|c| c.starts_with("ifconfig ") || c.starts_with("route -j ")), "{out}");
    assert!(cmds.contains(&"ifconfig -j 1 $eth0_b inet 192.168.1.50/24 alias"), "{out}");
    assert!(!out.contains("name eth0") && !out.contains("rc.conf\n"), "{out}");
}

#[test]
fn the_admins_setting_wins_over_the_shell_and_a_freebsd_jail_is_as_before() {
    // userland=freebsd: vimage trusts the admin and renames the NIC (with the host's
    // ifconfig -j); a jexec'd FreeBSD tool would fail in this root, so the setting is for
    // roots vimage misreads.
    let w = world(1_402_000);
    ok(&w.vimage(&["set", "jname=web1", "userland=freebsd"]));
    ok(&w.vimage(&["bridge", "jname=web1"]));
    assert!(w.kernel().jail_iface("web1", "eth0").is_some());
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(code(&w.vimage(&["set", "jname=web1", "userland=debian"])), 65);

    // A FreeBSD root: the plan vimage always made (rename, rc.conf, jexec route).
    let w = World::demo();
    let root = w.root.join(WEB1.trim_start_matches('/'));
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("bin/sh"), vimage::elf::sample::freebsd()).unwrap();
    w.jail_rc(WEB1, "hostname=\"web1\"\n");
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24", "ci_gw4=192.168.1.1"]);
    ok(&o);
    assert!(!stdout(&o).contains("userland"), "{}", stdout(&o));
    let log = w.take_log();
    assert!(log.iter().any(|l| l == "jexec 1 route add default 192.168.1.1"), "{log:#?}");
    assert!(w.kernel().jail_iface("web1", "eth0").is_some());
    assert!(w.host_file(&format!("{WEB1}/etc/rc.conf")).contains("ifconfig_eth0=\"inet 192.168.1.50/24\""));
}

#[test]
fn a_root_without_a_readable_shell_is_freebsd_with_a_note() {
    let w = World::demo();
    let o = w.vimage(&["bridge", "jname=web1"]);
    ok(&o);
    let out = stdout(&o);
    assert!(out.contains("there is no /usr/jails/jails/web1/bin/sh") && out.contains("taking it as FreeBSD"), "{out}");
    assert!(w.kernel().jail_iface("web1", "eth0").is_some());
}

const RC_CONF: &str = r#"vimage_enable="YES"
vimage_list="deb1 deb2"
vimage_deb1_rootdir="/vm/deb1"
vimage_deb1_epairs="em0"
vimage_deb1_exec_start="/bin/sh /etc/init.d/rc 2"
vimage_deb1_exec_stop="/bin/sh /etc/init.d/rc 0"
vimage_deb2_rootdir="/vm/deb1"
vimage_deb2_epairs="em0"
vimage_deb2_ifnames="lan0"
vimage_deb2_userland="linux"
vimage_deb2_exec_start=""
"#;

#[test]
fn the_service_starts_and_stops_a_linux_vimage_from_the_host_side_only() {
    let w = world(1_402_000);
    w.linux_root("/vm/deb1");
    w.put_host_file("/etc/rc.conf", RC_CONF);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["start", "deb1"]);
    ok(&o);
    let k = w.kernel();
    let names: Vec<String> = k.jail_ifnames("deb1").into_iter().filter(|n| n != "lo0").collect();
    assert_eq!(names.len(), 1);
    assert!(names[0].starts_with("epair") && k.jail_iface("deb1", &names[0]).unwrap().up, "{names:?}");
    let log = w.take_log();
    // The only jexec is the admin's exec_start, run by the jail's own (Linux) shell.
    assert_eq!(jexecs(&log), ["jexec deb1 /bin/sh -c /bin/sh /etc/init.d/rc 2"], "{log:#?}");
    assert!(!w.root.join("vm/deb1/etc/rc.conf").exists());

    // A name chosen in rc.conf is given, in a Linux jail too.
    ok(&w.vimage(&["start", "deb2"]));
    assert!(w.kernel().jail_iface("deb2", "lan0").is_some_and(|i| i.up));

    ok(&w.vimage(&["stop", "deb2"]));
    let o = w.vimage(&["stop", "deb1"]);
    ok(&o);
    assert_eq!(w.kernel().snapshot(), before, "{}", stdout(&o));
}

/// fbsd-sim as a program, as vimage and CBSD meet it: with FBSD_SIM_ROOT it reads web1's root,
/// and FreeBSD's programs are not there (usr.sbin/jexec/jexec.c: `err(1, "execvp: %s", …)`).
#[test]
fn fbsd_sims_jexec_finds_no_freebsd_program_in_a_linux_root() {
    let w = world(1_402_000);
    let jexec = |args: &[&str], root: bool| {
        let mut c = std::process::Command::new(w.cmd_dir.join("jexec"));
        c.args(args).env("FBSD_SIM_STATE", &w.state);
        if root {
            c.env("FBSD_SIM_ROOT", &w.root);
        }
        c.output().unwrap()
    };
    let o = jexec(&["web1", "/sbin/route", "add", "default", "192.168.1.1"], true);
    assert_eq!((code(&o), stderr(&o).as_str()), (1, "jexec: execvp: /sbin/route: No such file or directory\n"));
    let o = jexec(&["web1", "dhclient", "epair0b"], true);
    assert_eq!((code(&o), stderr(&o).as_str()), (1, "jexec: execvp: dhclient: No such file or directory\n"));
    assert_eq!(code(&jexec(&["web1", "/bin/sh", "-c", "exit 0"], true)), 0, "the jail's own shell runs");
    // Without the host's files fbsd-sim cannot see the userland: FreeBSD's programs answer.
    assert_eq!(stdout(&jexec(&["web1", "ifconfig", "-l"], false)), "lo0\n");
}

/// A lost database is rebuilt from the markers: a Linux NIC keeps the kernel's name in the
/// jail (`epairNb`, not the `eth0` of its marker), and the rebuilt record must say so, or the
/// next bridge would judge the NIC missing and replace it.
#[test]
fn a_linux_nic_is_rebuilt_with_its_in_jail_name_after_the_database_is_lost() {
    let w = world(1_500_000);
    let before = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24", "ci_gw4=192.168.1.1"]));
    let name = nics(&w).remove(0);
    let mac = w.kernel().jail_iface("web1", &name).unwrap().mac;
    let kernel_after_bridge = w.kernel().snapshot();
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", w.state_db().display()));
    }
    let o = w.vimage(&["status", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["jails"][0]["nics"][0]["name"], name.as_str(), "{j}");
    assert_eq!(j["jails"][0]["nics"][0]["state"], "up", "{j}");
    w.take_log();
    // bridge again: nothing to do, the same interface and MAC.
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24", "ci_gw4=192.168.1.1"]);
    ok(&o);
    assert!(stdout(&o).contains(&format!("{name}: already bridged")), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), kernel_after_bridge, "nothing replaced");
    assert_eq!(w.kernel().jail_iface("web1", &name).unwrap().mac, mac);
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

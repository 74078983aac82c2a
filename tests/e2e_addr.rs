//! End to end: addresses, routers, rc.conf lines and the devfs ruleset, with the `vimage`
//! binary against `fbsd-sim`, asserting what the simulated jail has afterwards.

mod common;

use common::{World, code, stderr, stdout};

const WEB1: &str = "/usr/jails/jails/web1";
const WEB1_DEV: &str = "/usr/jails/jails/web1/dev";
const JAIL_RC: &str = "# the jail's own settings\nhostname=\"web1\"\nsshd_enable='YES'\n";

fn ok(o: &std::process::Output) {
    assert_eq!(code(o), 0, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

fn sees_bpf(w: &World, mount: &str) -> bool {
    w.kernel().devfs_visible(mount).unwrap_or_default().iter().any(|d| d == "bpf")
}

#[test]
fn realdhcp_gets_a_lease_a_route_bpf_and_an_rc_conf_line() {
    let w = World::demo();
    let rc = w.jail_rc(WEB1, JAIL_RC);
    assert!(!sees_bpf(&w, WEB1_DEV), "stock ruleset 5 hides bpf");
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]);
    ok(&o);
    assert!(stdout(&o).contains("eth0: DHCP lease 192.168.1.100/24"), "{}", stdout(&o));
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().addrs, ["192.168.1.100/24"]);
    assert_eq!(k.snapshot().default_routes.get("web1").map(String::as_str), Some("192.168.1.1 eth0"));
    // The ruleset: in the kernel, on the jail's /dev, in /etc/devfs.rules.
    assert_eq!(
        k.devfs_show(50).unwrap(),
        ["100 include 1", "200 include 2", "300 include 3", "400 include 4", "500 include 5", "600 path bpf* unhide"]
    );
    assert_eq!(k.devfs_mount_ruleset(WEB1_DEV), Some(50));
    assert!(sees_bpf(&w, WEB1_DEV));
    assert!(!k.devfs_visible(WEB1_DEV).unwrap().iter().any(|d| d == "mem"), "everything else stays hidden");
    let rules = w.host_file("/etc/devfs.rules");
    assert!(rules.starts_with("[vimage_vnet_bpf=50]\n# managed by vimage"), "{rules}");
    assert!(rules.contains("add include $devfsrules_jail_vnet\nadd path 'bpf*' unhide\n"), "{rules}");
    assert_eq!(std::fs::read_to_string(&rc).unwrap(), format!("{JAIL_RC}ifconfig_eth0=\"DHCP\"\n"));
    // Again: nothing to do.
    let snap = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]);
    ok(&o);
    assert!(stdout(&o).contains("records updated") || stdout(&o).contains("already"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), snap);
}

#[test]
fn static_ipv4_and_ipv6_get_addresses_routes_and_rc_conf_lines() {
    let w = World::demo();
    let rc = w.jail_rc(WEB1, JAIL_RC);
    let args = [
        "bridge",
        "jname=web1",
        "ip4_addr=192.168.1.50/24,192.168.1.51,2001:db8::5/64",
        "ci_gw4=192.168.1.1,2001:db8::1",
    ];
    let o = w.vimage(&args);
    ok(&o);
    let k = w.kernel();
    let eth0 = k.jail_iface("web1", "eth0").unwrap();
    assert_eq!(eth0.addrs, ["192.168.1.50/24", "192.168.1.51/24", "2001:db8::5/64"]);
    let snap = k.snapshot();
    assert_eq!(snap.default_routes.get("web1").map(String::as_str), Some("192.168.1.1 eth0"));
    assert_eq!(snap.default_routes6.get("web1").map(String::as_str), Some("2001:db8::1 eth0"));
    assert!(!sees_bpf(&w, WEB1_DEV), "no DHCP: the jail's /dev is not touched");
    assert_eq!(w.host_file("/etc/devfs.rules"), "", "no devfs.rules edit without DHCP");
    assert_eq!(
        std::fs::read_to_string(&rc).unwrap(),
        format!(
            "{JAIL_RC}ifconfig_eth0=\"inet 192.168.1.50/24\"\nifconfig_eth0_ipv6=\"inet6 2001:db8::5/64\"\n\
             ifconfig_eth0_alias0=\"inet 192.168.1.51/24\"\ndefaultrouter=\"192.168.1.1\"\n\
             ipv6_defaultrouter=\"2001:db8::1\"\n"
        )
    );
    // Again: nothing changes; then one alias less and an automatic router.
    ok(&w.vimage(&args));
    assert_eq!(w.kernel().snapshot(), snap);
    ok(&w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24,2001:db8::5/64", "ci_gw4=auto"]));
    assert_eq!(w.kernel().jail_iface("web1", "eth0").unwrap().addrs, ["192.168.1.50/24", "2001:db8::5/64"]);
    let text = std::fs::read_to_string(&rc).unwrap();
    assert!(!text.contains("alias0"), "{text}");
    assert!(text.contains("defaultrouter=\"192.168.1.1\""), "{text}");
}

#[test]
fn a_restart_gets_the_same_addresses_routes_and_bpf_back() {
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    w.jail_rc(WEB1, JAIL_RC);
    w.jail_rc("/usr/jails/jails/web2", "");
    let a1 = ["bridge", "jname=web1", "ip4_addr=REALDHCP,2001:db8::7/64"];
    let a2 = ["bridge", "jname=web2", "ip4_addr=192.168.1.60/24", "ci_gw4=192.168.1.1"];
    ok(&w.vimage(&a1));
    ok(&w.vimage(&a2));
    let before = w.kernel();
    let rc_before = w.host_file("/usr/jails/jails/web1/etc/rc.conf");
    // Restart both jails (no unbridge: as after a crash or a plain `jail -r`).
    w.edit(|k| {
        for (j, p) in [("web1", WEB1), ("web2", "/usr/jails/jails/web2")] {
            k.remove_jail(j).unwrap();
            k.create_jail(j, p, true).unwrap();
        }
    });
    assert!(w.kernel().jail_iface("web1", "eth0").is_none());
    assert!(!sees_bpf(&w, WEB1_DEV), "a new /dev has the jail's own ruleset again");
    ok(&w.vimage(&a1));
    ok(&w.vimage(&a2));
    let after = w.kernel();
    for j in ["web1", "web2"] {
        assert_eq!(after.jail_iface(j, "eth0").unwrap().addrs, before.jail_iface(j, "eth0").unwrap().addrs, "{j}");
        assert_eq!(after.snapshot().default_routes.get(j), before.snapshot().default_routes.get(j), "{j}");
    }
    assert_eq!(after.jail_iface("web1", "eth0").unwrap().addrs, ["192.168.1.100/24", "2001:db8::7/64"]);
    assert!(sees_bpf(&w, WEB1_DEV));
    assert_eq!(w.host_file("/usr/jails/jails/web1/etc/rc.conf"), rc_before, "rc.conf already right");
}

#[test]
fn unbridge_of_the_last_dhcp_jail_removes_vimages_section_and_ruleset() {
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    w.jail_rc(WEB1, "");
    w.jail_rc("/usr/jails/jails/web2", "");
    let mine = "# local rules\n[devfsrules_mine=7]\nadd path 'tun*' unhide\n";
    w.put_host_file("/etc/devfs.rules", mine);
    let before = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]));
    ok(&w.vimage(&["bridge", "jname=web2", "ip4_addr=REALDHCP"]));
    assert_eq!(w.kernel().jail_iface("web2", "eth0").unwrap().addrs, ["192.168.1.101/24"]);
    let rules = w.host_file("/etc/devfs.rules");
    assert!(rules.starts_with(mine) && rules.contains("[vimage_vnet_bpf=50]"), "{rules}");
    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert!(w.host_file("/etc/devfs.rules").contains("[vimage_vnet_bpf=50]"), "web2 still uses it");
    assert!(w.kernel().devfs_show(50).is_some());
    assert!(!sees_bpf(&w, WEB1_DEV), "web1's /dev has ruleset 5 again");
    let o = w.vimage(&["unbridge", "jname=web2"]);
    ok(&o);
    assert!(stdout(&o).contains("no jail uses vimage's ruleset 50"), "{}", stdout(&o));
    assert_eq!(w.host_file("/etc/devfs.rules"), mine, "every other line byte for byte");
    assert_eq!(w.kernel().snapshot(), before, "kernel as before: no ruleset 50, /devs back to 5");
}

#[test]
fn a_ruleset_50_someone_else_wrote_makes_vimage_take_the_next_and_say_so() {
    let w = World::demo();
    w.jail_rc(WEB1, "");
    w.put_host_file("/etc/devfs.rules", "[bastille_like=50]\nadd include $devfsrules_jail\n");
    // And 51 is loaded in the kernel by something else (no file says so).
    w.edit(|k| k.load_devfs_rules("[iocage_like=51]\nadd hide\n"));
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]);
    ok(&o);
    assert!(stdout(&o).contains("default ruleset 50 is ruleset [bastille_like=50]"), "{}", stdout(&o));
    assert!(stdout(&o).contains("using 52 instead"), "{}", stdout(&o));
    assert_eq!(w.kernel().devfs_mount_ruleset(WEB1_DEV), Some(52));
    assert_eq!(w.kernel().devfs_show(51).unwrap(), ["100 hide"], "the foreign set is untouched");
    let rules = w.host_file("/etc/devfs.rules");
    assert!(rules.starts_with("[bastille_like=50]\nadd include $devfsrules_jail\n[vimage_vnet_bpf=52]\n"), "{rules}");
    // An explicit number someone else uses is refused.
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP", "devfs_ruleset=50"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("vimage uses only a ruleset it writes itself"), "{}", stderr(&o));
}

#[test]
fn vimage_devfs_refuses_stock_rulesets_and_applies_its_own() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    for n in ["4", "5", "1", "0"] {
        let o = w.vimage(&["devfs", "jname=web1", &format!("ruleset={n}")]);
        assert_eq!(code(&o), 65, "ruleset={n}: {}", stderr(&o));
    }
    let o = w.vimage(&["devfs", "jname=web1", "ruleset=4"]);
    assert!(stderr(&o).contains("FreeBSD's stock ruleset devfsrules_jail"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before, "nothing changed");
    assert_eq!(w.host_file("/etc/devfs.rules"), "");
    let o = w.vimage(&["devfs", "jname=web1", "ruleset=60", "--dry-run"]);
    ok(&o);
    assert!(stdout(&o).contains("devfs -m /usr/jails/jails/web1/dev rule -s 60 applyset"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), before);
    ok(&w.vimage(&["devfs", "jname=web1", "ruleset=60"]));
    assert!(sees_bpf(&w, WEB1_DEV));
    assert!(w.host_file("/etc/devfs.rules").starts_with("[vimage_vnet_bpf=60]\n"));
    let o = w.vimage(&["devfs", "jname=web1"]);
    ok(&o);
    assert!(stdout(&o).contains("nothing to do"), "{}", stdout(&o));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
    assert_eq!(w.host_file("/etc/devfs.rules"), "");
}

#[test]
fn under_cbsd_the_jails_devfs_ruleset_is_set_and_given_back() {
    let w = World::demo();
    w.jail_rc(WEB1, "");
    let workdir = w.path().join("cbsd");
    std::fs::create_dir_all(&workdir).unwrap();
    let env = [("workdir", workdir.to_str().unwrap())];
    let o = w.vimage_env(&["bridge", "jname=web1", "ip4_addr=REALDHCP"], &env);
    ok(&o);
    assert_eq!(w.kernel().cbsd_value("web1", "devfs_ruleset").as_deref(), Some("50"));
    assert!(workdir.join("var/db/vimage.sqlite").exists(), "state next to CBSD's");
    ok(&w.vimage_env(&["unbridge", "jname=web1"], &env));
    assert_eq!(w.kernel().cbsd_value("web1", "devfs_ruleset").as_deref(), Some("5"));
}

#[test]
fn per_nic_addresses_for_a_two_nic_jail() {
    let w = World::demo();
    w.edit(|k| k.add_ether("em1", "00:1b:21:aa:bb:cd", 1500));
    let rc = w.jail_rc(WEB1, "");
    let o = w.vimage(&[
        "bridge",
        "jname=web1",
        "interface=em0,em1",
        "ip4_addr=10.0.0.5/24,em1#10.1.0.5/16,eth1#2001:db8:1::5",
        "ci_gw4=10.1.0.1",
    ]);
    ok(&o);
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().addrs, ["10.0.0.5/24"]);
    assert_eq!(k.jail_iface("web1", "eth1").unwrap().addrs, ["10.1.0.5/16", "2001:db8:1::5/64"]);
    assert_eq!(k.snapshot().default_routes.get("web1").map(String::as_str), Some("10.1.0.1 eth1"));
    let text = std::fs::read_to_string(&rc).unwrap();
    for line in [
        "ifconfig_eth0=\"inet 10.0.0.5/24\"",
        "ifconfig_eth1=\"inet 10.1.0.5/16\"",
        "ifconfig_eth1_ipv6=\"inet6 2001:db8:1::5/64\"",
        "defaultrouter=\"10.1.0.1\"",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
}

#[test]
fn refusals_change_nothing() {
    let w = World::demo();
    w.jail_rc(WEB1, JAIL_RC);
    let before = w.kernel().snapshot();
    for (args, want, why) in [
        (vec!["ip4_addr=DHCP"], 65, "CBSD's own address pool"),
        (vec!["ip4_addr=10.0.0.5/33"], 65, "at most 32"),
        (vec!["ip4_addr=eth3#10.0.0.5"], 65, "names NIC eth3"),
        (vec!["ip4_addr=10.0.0.5", "ci_gw4=10.9.0.1"], 65, "not on any of the jail's IPv4 subnets"),
        (vec!["ip4_addr=REALDHCP", "ci_gw4=192.168.1.1"], 65, "gets one from the DHCP server"),
        (vec!["ip4_addr=10.0.0.5", "ci_gw4=auto"], 65, "ci_gw4=auto"),
        (vec!["devfs_ruleset=x"], 65, "not a ruleset number"),
    ] {
        let mut a = vec!["bridge", "jname=web1"];
        a.extend(args.iter().copied());
        let o = w.vimage(&a);
        assert_eq!(code(&o), want, "{a:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{a:?}: {}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "{a:?}");
    }
    assert_eq!(w.host_file("/usr/jails/jails/web1/etc/rc.conf"), JAIL_RC);
    // A dry run writes no file either.
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP", "--dry-run"]);
    ok(&o);
    assert!(stdout(&o).contains("write /usr/jails/jails/web1/etc/rc.conf: ifconfig_eth0=\"DHCP\""), "{}", stdout(&o));
    assert_eq!(w.host_file("/usr/jails/jails/web1/etc/rc.conf"), JAIL_RC);
    assert_eq!(w.host_file("/etc/devfs.rules"), "");
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn dhcp_without_a_server_says_so_and_keeps_the_config() {
    let w = World::demo();
    w.edit(|k| k.remove_dhcp_server("em0"));
    let rc = w.jail_rc(WEB1, "");
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]);
    ok(&o);
    assert!(stdout(&o).contains("eth0: no DHCP lease yet"), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(rc).unwrap(), "ifconfig_eth0=\"DHCP\"\n");
}

#[test]
fn rcconf_names_a_host_path_that_is_rerooted_like_every_other() {
    let w = World::demo();
    w.put_host_file("/srv/web1/etc/rc.conf", JAIL_RC);
    let jail_own = w.jail_rc(WEB1, "hostname=\"web1\"\n");
    ok(&w.vimage(&["bridge", "jname=web1", "ip4_addr=10.0.0.5/24", "rcconf=/srv/web1/etc/rc.conf"]));
    assert_eq!(w.host_file("/srv/web1/etc/rc.conf"), format!("{JAIL_RC}ifconfig_eth0=\"inet 10.0.0.5/24\"\n"));
    assert_eq!(std::fs::read_to_string(jail_own).unwrap(), "hostname=\"web1\"\n", "the default file is left alone");
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=10.0.0.5/24", "rcconf=srv/rc.conf"]);
    assert_eq!(code(&o), 64, "{}", stderr(&o));
    assert!(stderr(&o).contains("rcconf= must be an absolute path"), "{}", stderr(&o));
}

#[test]
fn a_dhcp_jails_own_devfs_ruleset_parameter_tells_the_truth_and_goes_back() {
    // Issue 12, item 18: besides its /dev, the running jail's devfs_ruleset parameter is set
    // (`jail -m jid=J devfs_ruleset=N`), so `jls -j web1 devfs_ruleset` says 50, and a devfs
    // mounted inside the jail later gets it; unbridge gives the parameter back.
    let w = World::demo();
    w.jail_rc(WEB1, "");
    let before = w.kernel().snapshot();
    let jls = |w: &World| {
        let o = std::process::Command::new(w.cmd_dir.join("jls"))
            .args(["-j", "web1", "devfs_ruleset"])
            .env("FBSD_SIM_STATE", &w.state)
            .output()
            .unwrap();
        stdout(&o).trim().to_string()
    };
    assert_eq!(jls(&w), "5");
    w.take_log();
    ok(&w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]));
    assert!(w.take_log().iter().any(|l| l == "jail -m jid=1 devfs_ruleset=50"));
    assert_eq!(jls(&w), "50");
    assert_eq!(w.kernel().devfs_mount_ruleset(WEB1_DEV), Some(50));
    // Again: nothing to do, the parameter is right.
    let snap = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]));
    assert_eq!(w.kernel().snapshot(), snap);
    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert!(stdout(&o).contains("devfs_ruleset parameter gets 5 back"), "{}", stdout(&o));
    assert_eq!(jls(&w), "5");
    assert_eq!(w.kernel().snapshot(), before, "the parameter, /dev and the kernel's rulesets as before");
}

#[test]
fn a_failing_jail_m_rolls_the_devfs_changes_back() {
    let w = World::demo();
    w.jail_rc(WEB1, "");
    let before = w.kernel().snapshot();
    // The 9th kernel operation of a DHCP bridge is `jail -m` (6 rules, ruleset, applyset, -m).
    w.edit(|k| k.fail_at(9, vimage::sim::Errno::EPERM));
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]);
    assert_eq!(code(&o), 71, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("jail -m jid=1 devfs_ruleset=50"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn a_dhcp_jail_and_a_static_jail_reach_the_router_and_each_other_until_unbridged() {
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    w.jail_rc(WEB1, JAIL_RC);
    w.jail_rc("/usr/jails/jails/web2", "");
    ok(&w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]));
    ok(&w.vimage(&["bridge", "jname=web2", "ip4_addr=192.168.1.60/24", "ci_gw4=192.168.1.1"]));
    let lease = w.kernel().jail_iface("web1", "eth0").unwrap().addrs[0].clone();
    let lease = lease.split('/').next().unwrap().to_string();
    assert!(w.pings("web1", "192.168.1.1"), "the router the lease named");
    assert!(w.pings("web2", "192.168.1.1"), "the router ci_gw4 named");
    assert!(w.pings("web2", &lease), "the static jail reaches the DHCP one at {lease}");
    assert!(w.pings("web1", "192.168.1.60"));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert!(!w.pings("web2", "192.168.1.1"), "unbridged: no interface, no route");
    assert!(!w.pings("web1", "192.168.1.60"));
    assert!(w.pings("web1", "192.168.1.1"));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert!(!w.pings("web1", "192.168.1.1"));
}

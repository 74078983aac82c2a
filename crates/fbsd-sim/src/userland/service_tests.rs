//! `service` and the base rc.d scripts (usr.sbin/service/service.sh, libexec/rc/rc.subr
//! `run_rc_command`, rc.d/netif + network.subr, rc.d/routing, rc.d/devfs).

use super::run;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

fn sh(k: &mut Kernel, ctx: Ctx, line: &str) -> Output {
    let w: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    run(k, ctx, &w[0], &w[1..])
}

fn host_with(rc: &str) -> (tempfile::TempDir, Kernel) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/rc.conf"), rc).unwrap();
    let mut k = Kernel::demo();
    k.set_root(Some(dir.path().to_path_buf()));
    (dir, k)
}

#[test]
fn netif_restart_reconfigures_from_rc_conf_and_leaves_unlisted_interfaces_down_network_subr() {
    let (_d, mut k) = host_with("ifconfig_em0=\"inet 192.168.1.10/24\"\ncloned_interfaces=\"bridge7\"\n");
    // An interface nobody configured in rc.conf (what vimage creates): up before.
    assert_eq!(sh(&mut k, Ctx::HOST, "ifconfig epair create").stdout, "epair0a\n");
    assert_eq!(sh(&mut k, Ctx::HOST, "ifconfig epair0a up").code, 0);
    let o = sh(&mut k, Ctx::HOST, "service netif restart");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("Stopping Network: lo0 em0 epair0a epair0b.\n"), "{}", o.stdout);
    assert!(o.stdout.contains("Created clone interfaces: bridge7.\n"), "{}", o.stdout);
    assert!(o.stdout.contains("Starting Network: lo0 em0.\n"), "ifn_start counts only configured ones: {}", o.stdout);
    let em0 = k.host_iface("em0").unwrap();
    assert!(em0.up);
    assert_eq!(em0.addrs, vec!["192.168.1.10/24".to_string()]);
    assert!(!k.host_iface("epair0a").unwrap().up, "ifn_stop took it down and nothing brings it back");
    assert!(k.host_iface("lo0").unwrap().addrs.iter().any(|a| a.starts_with("127.0.0.1/8")));
    // stop destroys the cloned_interfaces, not the others.
    let o = sh(&mut k, Ctx::HOST, "service netif stop");
    assert!(o.stdout.ends_with("Destroyed clone interfaces: bridge7.\n"), "{}", o.stdout);
    assert!(k.host_iface("bridge7").is_none());
    assert!(k.host_iface("epair0a").is_some());
}

#[test]
fn netif_in_a_vnet_jail_reads_the_jails_rc_conf() {
    let (d, mut k) = host_with("");
    let jetc = d.path().join("usr/jails/jails/web1/etc");
    std::fs::create_dir_all(&jetc).unwrap();
    std::fs::write(jetc.join("rc.conf"), "ifconfig_eth0=\"inet 10.0.0.5/24\"\n").unwrap();
    assert_eq!(sh(&mut k, Ctx::HOST, "ifconfig epair create").code, 0);
    assert_eq!(sh(&mut k, Ctx::HOST, "ifconfig epair0b name eth0").code, 0);
    assert_eq!(sh(&mut k, Ctx::HOST, "ifconfig eth0 vnet web1").code, 0);
    let o = sh(&mut k, Ctx::HOST, "service -j web1 netif start eth0");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("Starting Network: eth0.\n"), "{}", o.stdout);
    let eth0 = k.jail_iface("web1", "eth0").unwrap();
    assert!(eth0.up);
    assert_eq!(eth0.addrs, vec!["10.0.0.5/24".to_string()]);
    assert!(k.host_iface("em0").unwrap().up, "the host's interfaces are not the jail's");
}

#[test]
fn rc_subr_run_rc_command_rcvar_prefixes_and_unknown_directives() {
    let (_d, mut k) = host_with("netif_enable=\"NO\"\n");
    let o = sh(&mut k, Ctx::HOST, "service netif start");
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Cannot 'start' netif. Set netif_enable to YES in /etc/rc.conf or use 'onestart' instead of 'start'.\n")
    );
    let o = sh(&mut k, Ctx::HOST, "service netif onestart lo0");
    assert!(o.stdout.starts_with("Starting Network: lo0.\n"), "{}", o.stdout);
    let o = sh(&mut k, Ctx::HOST, "service netif frob");
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        "/etc/rc.d/netif: unknown directive 'frob'.\nUsage: /etc/rc.d/netif [fast|force|one|quiet](start|stop|restart|rcvar|enable|disable|delete|enabled|describe|extracommands|cloneup|clonedown|clear|vnetup|vnetdown)\n"
    );
    assert_eq!(sh(&mut k, Ctx::HOST, "service netif enabled").code, 1);
    let o = sh(&mut k, Ctx::HOST, "service netif enable");
    assert_eq!((o.code, o.stdout.as_str()), (0, "netif enabled in /etc/rc.conf\n"));
    assert_eq!(sh(&mut k, Ctx::HOST, "service netif enabled").code, 0);
    let o = sh(&mut k, Ctx::HOST, "service nosuch start");
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stdout,
        "nosuch does not exist in /etc/rc.d or the local startup\ndirectories (/usr/local/etc/rc.d), or is not executable\n"
    );
    let o = sh(&mut k, Ctx::HOST, "service netif");
    assert_eq!(o.code, 1, "service.sh: fewer than two arguments is usage");
    assert!(o.stdout.contains("Usage:"));
    let o = sh(&mut k, Ctx::HOST, "service -l");
    assert_eq!(o.stdout, "devfs\nnetif\nrouting\n");
}

#[test]
fn routing_restart_puts_back_defaultrouter_rc_d_routing() {
    let (_d, mut k) = host_with("defaultrouter=\"192.168.1.1\"\n");
    let o = sh(&mut k, Ctx::HOST, "service routing restart");
    assert_eq!(
        o.stdout,
        "delete net default: gateway 192.168.1.1\nadd host 127.0.0.1: gateway lo0 fib 0: route already in table\nadd net default: gateway 192.168.1.1\n"
    );
    assert_eq!(o.code, 1, "the loopback route was already there: static_inet's route add failed");
    assert_eq!(k.snapshot().default_routes.get("host").map(String::as_str), Some("192.168.1.1 em0"));
    // stop flushes what was not in rc.conf as well.
    let (_d, mut k) = host_with("");
    let o = sh(&mut k, Ctx::HOST, "service routing stop");
    assert_eq!(o.stdout, "default              192.168.1.1          -fib 0   done\n");
    assert!(k.snapshot().default_routes.is_empty());
}

#[test]
fn devfs_restart_loads_the_rules_files_rc_subr_devfs_rulesets_from_file() {
    let (d, mut k) = host_with("");
    std::fs::write(
        d.path().join("etc/devfs.rules"),
        "# local\n[vimage_vnet_bpf=50]\nadd include $devfsrules_jail_vnet\nadd path 'bpf*' unhide\n",
    )
    .unwrap();
    assert!(k.devfs_show(50).is_none());
    let o = sh(&mut k, Ctx::HOST, "service devfs restart");
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    assert_eq!(k.devfs_show(50).unwrap(), vec!["100 include 5".to_string(), "200 path bpf* unhide".to_string()]);
    // In a jail, devfs rule is refused: rc.subr warns and gives up.
    let jctx = k.ctx_in_jail(1).unwrap();
    let o = sh(&mut k, jctx, "service devfs start");
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.ends_with(
            "/etc/rc.d/devfs: WARNING: devfs_init_rulesets: could not read rules from /etc/defaults/devfs.rules\n"
        ),
        "{}",
        o.stderr
    );
}

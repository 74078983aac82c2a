//! `ping` over the reachability walk (sbin/ping/ping.c; the paths are those of if_epair.c,
//! if_bridge.c `bridge_input`/`bridge_forward`, if_vlan.c, ng_ether.c, ng_bridge.c,
//! ng_eiface.c).

use super::run;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

fn sh(k: &mut Kernel, ctx: Ctx, line: &str) -> Output {
    let w: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    run(k, ctx, &w[0], &w[1..])
}

fn ok(k: &mut Kernel, line: &str) -> String {
    let o = sh(k, Ctx::HOST, line);
    assert_eq!(o.code, 0, "{line}: {}", o.stderr);
    o.stdout
}

fn ping(k: &mut Kernel, jail: Option<&str>, addr: &str) -> i32 {
    let ctx = match jail {
        None => Ctx::HOST,
        Some(j) => {
            let jid = k.jail_jid(j).unwrap();
            k.ctx_in_jail(jid).unwrap()
        }
    };
    sh(k, ctx, &format!("ping -c 1 -t 1 {addr}")).code
}

/// The demo host with a second vnet jail and each jail on bridge0 with em0 (vimage's epair
/// mode, by hand): web1 eth0 192.168.1.50, web2 eth0 192.168.1.51, default via the router.
fn bridged() -> Kernel {
    let mut k = Kernel::demo();
    k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    ok(&mut k, "ifconfig bridge create");
    ok(&mut k, "ifconfig bridge0 addm em0 up");
    for (n, j, a) in [(0, "web1", "192.168.1.50/24"), (1, "web2", "192.168.1.51/24")] {
        ok(&mut k, "ifconfig epair create up");
        ok(&mut k, &format!("ifconfig bridge0 addm epair{n}a"));
        ok(&mut k, &format!("ifconfig epair{n}b name eth0"));
        ok(&mut k, &format!("ifconfig eth0 vnet {j}"));
        ok(&mut k, &format!("jexec {j} ifconfig eth0 inet {a} up"));
        ok(&mut k, &format!("jexec {j} route add default 192.168.1.1"));
    }
    k
}

#[test]
fn ping_prints_what_ping_c1_s56_t1_expects_and_exits_0() {
    let mut k = Kernel::demo();
    let o = sh(&mut k, Ctx::HOST, "ping -c 1 -s 56 -t 1 192.168.1.1");
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (
            0,
            "PING 192.168.1.1 (192.168.1.1): 56 data bytes\n64 bytes from 192.168.1.1: icmp_seq=0 ttl=64 time=0.050 ms\n\n--- 192.168.1.1 ping statistics ---\n1 packets transmitted, 1 packets received, 0.0% packet loss\nround-trip min/avg/max/stddev = 0.050/0.050/0.050/0.000 ms\n",
            ""
        )
    );
    let o = sh(&mut k, Ctx::HOST, "ping -c 2 localhost");
    assert!(
        o.stdout.starts_with("PING localhost (127.0.0.1): 56 data bytes\n64 bytes from 127.0.0.1: icmp_seq=0"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("2 packets transmitted, 2 packets received, 0.0% packet loss\n"));
}

#[test]
fn no_answer_is_exit_2_and_errors_are_ping_c_texts() {
    let mut k = Kernel::demo();
    // On em0's subnet, but nobody holds the address.
    let o = sh(&mut k, Ctx::HOST, "ping -c 3 -t 2 192.168.1.77");
    assert_eq!(o.code, 2);
    assert!(
        o.stdout.ends_with(
            "--- 192.168.1.77 ping statistics ---\n2 packets transmitted, 0 packets received, 100.0% packet loss\n"
        ),
        "{}",
        o.stdout
    );
    // The jail has only lo0: no route.
    let jctx = k.ctx_in_jail(1).unwrap();
    let o = sh(&mut k, jctx, "ping -c 2 192.168.1.1");
    assert_eq!((o.code, o.stderr.as_str()), (2, "ping: sendto: No route to host\nping: sendto: No route to host\n"));
    let o = sh(&mut k, Ctx::HOST, "ping -c 1 www.example.org");
    assert_eq!((o.code, o.stderr.as_str()), (68, "ping: cannot resolve www.example.org: Unknown host\n"));
    assert_eq!(sh(&mut k, Ctx::HOST, "ping 192.168.1.1").code, 64, "would never end");
    assert_eq!(sh(&mut k, Ctx::HOST, "ping -c 0 192.168.1.1").code, 64);
    ok(&mut k, "ifconfig em0 down");
    let o = sh(&mut k, Ctx::HOST, "ping -c 1 192.168.1.1");
    assert_eq!((o.code, o.stderr.as_str()), (2, "ping: sendto: Network is down\n"));
}

#[test]
fn bridged_epair_jails_reach_the_router_the_host_and_each_other_if_bridge_c() {
    let mut k = bridged();
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.1"), 0, "the LAN's router");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.51"), 0, "the other jail");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.10"), 0, "the host, on a member");
    assert_eq!(ping(&mut k, None, "192.168.1.50"), 0, "host to jail: bridge_output floods");
    assert_eq!(ping(&mut k, Some("web2"), "192.168.1.50"), 0);
    // Beyond the router nothing is simulated.
    assert_eq!(ping(&mut k, Some("web1"), "8.8.8.8"), 2);
}

#[test]
fn a_down_link_or_private_members_cut_the_path_if_bridge_c_bridge_forward() {
    let mut k = bridged();
    ok(&mut k, "ifconfig bridge0 private epair0a private epair1a");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.51"), 2, "two private members do not talk");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.1"), 0, "private to non-private does");
    ok(&mut k, "ifconfig bridge0 -private epair1a");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.51"), 0);
    ok(&mut k, "ifconfig epair0a down");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.1"), 2, "the host end is down");
    ok(&mut k, "ifconfig epair0a up");
    ok(&mut k, "ifconfig bridge0 down");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.1"), 2, "a down bridge forwards nothing");
    ok(&mut k, "ifconfig bridge0 up");
    ok(&mut k, "ifconfig bridge0 deletem epair1a");
    assert_eq!(ping(&mut k, Some("web2"), "192.168.1.1"), 2, "no longer a member");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.1"), 0);
}

#[test]
fn netgraph_jails_reach_the_lan_unless_ng_ether_rewrites_the_source_ng_ether_c() {
    let mut k = Kernel::demo();
    let script = "mkpeer em0: bridge lower link0\nname em0:lower br\nconnect em0: br: upper link1\nmkpeer br: eiface link2 ether\n";
    let o = super::run_input(&mut k, Ctx::HOST, "ngctl", &["-f".into(), "-".into()], Some(script));
    assert_eq!(o.code, 0, "{}", o.stderr);
    ok(&mut k, "ngctl msg em0: setpromisc 1");
    ok(&mut k, "ngctl msg em0: setautosrc 0");
    ok(&mut k, "ifconfig ngeth0 vnet web1");
    ok(&mut k, "jexec web1 ifconfig ngeth0 inet 192.168.1.60/24 up");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.1"), 0, "eiface → ng_bridge → em0 lower → LAN");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.10"), 0, "→ em0 upper → the host's stack");
    assert_eq!(ping(&mut k, None, "192.168.1.1"), 0, "the host's own traffic goes through upper");
    ok(&mut k, "ngctl msg em0: setautosrc 1");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.1"), 2, "the router answers em0's MAC");
    assert_eq!(ping(&mut k, None, "192.168.1.1"), 0, "the host's own frames keep its MAC");
    ok(&mut k, "ngctl msg em0: setautosrc 0");
    ok(&mut k, "ngctl rmhook em0: lower");
    assert_eq!(ping(&mut k, Some("web1"), "192.168.1.1"), 2, "the bridge is cut off the wire");
}

#[test]
fn vlan_tags_must_match_on_both_ends_if_vlan_c_vlan_input() {
    let mut k = Kernel::demo();
    ok(&mut k, "ifconfig epair create up");
    ok(&mut k, "ifconfig epair0b vnet web1");
    ok(&mut k, "jexec web1 ifconfig epair0b up");
    ok(&mut k, "ifconfig epair0a.10 create inet 10.10.0.1/24 up");
    ok(&mut k, "jexec web1 ifconfig epair0b.10 create inet 10.10.0.2/24 up");
    assert_eq!(ping(&mut k, None, "10.10.0.2"), 0);
    ok(&mut k, "ifconfig epair0a.20 create inet 10.20.0.1/24 up");
    ok(&mut k, "jexec web1 ifconfig epair0b.21 create inet 10.20.0.2/24 up");
    assert_eq!(ping(&mut k, None, "10.20.0.2"), 2, "tag 20 leaves, only 21 is listened for");
    ok(&mut k, "jexec web1 ifconfig epair0b.10 vlanproto 802.1ad");
    assert_eq!(ping(&mut k, None, "10.10.0.2"), 2, "same tag, other ethertype");
}

#[test]
fn a_vlan_filtering_bridge_passes_only_configured_vlans_if_bridge_c_15() {
    let mut k = Kernel::demo();
    k.set_osreldate(1_500_000);
    k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    ok(&mut k, "ifconfig bridge create vlanfilter up");
    for (n, j, a) in [(0, "web1", "10.0.0.1/24"), (1, "web2", "10.0.0.2/24")] {
        ok(&mut k, "ifconfig epair create up");
        ok(&mut k, &format!("ifconfig bridge0 addm epair{n}a"));
        ok(&mut k, &format!("ifconfig epair{n}b vnet {j}"));
        ok(&mut k, &format!("jexec {j} ifconfig epair{n}b inet {a} up"));
    }
    assert_eq!(ping(&mut k, Some("web1"), "10.0.0.2"), 2, "untagged frames on a port without a PVID are dropped");
    ok(&mut k, "ifconfig bridge0 ifuntagged epair0a 10 ifuntagged epair1a 20");
    assert_eq!(ping(&mut k, Some("web1"), "10.0.0.2"), 2, "VLAN 10 and VLAN 20");
    ok(&mut k, "ifconfig bridge0 ifuntagged epair1a 10");
    assert_eq!(ping(&mut k, Some("web1"), "10.0.0.2"), 0);
}

#[test]
fn a_non_vnet_jail_needs_allow_raw_sockets_kern_jail_c_prison_priv_check() {
    let mut k = Kernel::demo();
    ok(&mut k, "jail -c name=plain path=/ persist");
    let jid = k.jail_jid("plain").unwrap();
    let ctx = k.ctx_in_jail(jid).unwrap();
    let o = sh(&mut k, ctx, "ping -c 1 192.168.1.1");
    assert_eq!((o.code, o.stderr.as_str()), (71, "ping: ssend socket: Operation not permitted\n"));
    ok(&mut k, "jail -c name=raw path=/ persist allow.raw_sockets");
    let jid = k.jail_jid("raw").unwrap();
    let ctx = k.ctx_in_jail(jid).unwrap();
    assert_eq!(sh(&mut k, ctx, "ping -c 1 192.168.1.1").code, 0, "it shares the host's stack");
}

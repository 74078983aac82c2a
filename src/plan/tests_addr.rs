//! Golden plans and refusals for addresses, routers and vimage's devfs ruleset, from
//! hand-built host views.

use super::render::dry_run;
use super::*;
use crate::devfs::rules::STOCK_FILE;
use crate::error::Kind;
use crate::facts::{DevfsFacts, HostView, JailInfo, KernelFacts, RcConfFacts, RouteFact};
use crate::model::addr::{parse_ci_gw4, parse_ip4_addr};
use crate::model::{JailName, JailNet, Uplink};
use crate::op;
use crate::parse::ifconfig::parse_status;
use crate::state::DevfsUser;

const EM0: &str = "em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:1b:21:aa:bb:cc
\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255
";

fn jail() -> JailName {
    JailName::parse("web1").unwrap()
}

fn info() -> JailInfo {
    JailInfo { jid: 3, name: "web1".into(), vnet: true, dying: false, path: "/j/web1".into(), devfs_ruleset: 5 }
}

fn devfs(rules: &str) -> DevfsFacts {
    DevfsFacts {
        defaults: Some(STOCK_FILE.to_string()),
        rules: Some(rules.to_string()),
        loaded: [1, 2, 3, 4, 5].into_iter().collect(),
        ..DevfsFacts::default()
    }
}

fn view() -> HostView {
    let mut v = HostView {
        kernel: KernelFacts {
            vimage: true,
            hostuuid: "u".into(),
            osreldate: 1_402_000,
            boottime: 100,
            ..Default::default()
        },
        jail: Some(info()),
        jail_ifaces: parse_status("lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n"),
        default_if: Some("em0".into()),
        devfs: Some(devfs("")),
        rcconf: Some(RcConfFacts {
            path: "/r/j/web1/etc/rc.conf".into(),
            shown: "/j/web1/etc/rc.conf".into(),
            text: None,
        }),
        host_gateway: Some("192.168.1.1".into()),
        ..HostView::default()
    };
    for s in parse_status(EM0) {
        v.host_ifaces.insert(s.name.clone(), s);
    }
    v
}

fn net(ip4_addr: &str, ci_gw4: &str) -> JailNet {
    let mut n = JailNet::epairs(jail(), &[Uplink::Auto]);
    if let Some((_, a)) = parse_ip4_addr(ip4_addr).unwrap().nics.into_iter().next() {
        n.nics[0].addrs = a;
    }
    n.addressing.gateway = parse_ci_gw4(ci_gw4).unwrap();
    n
}

fn lines(p: &Plan) -> Vec<String> {
    dry_run(p).lines().filter(|l| !l.starts_with('#')).map(|l| l.split("   #").next().unwrap().to_string()).collect()
}

#[test]
fn golden_realdhcp_plan_loads_applies_bridges_then_runs_dhclient() {
    let plan = plan_bridge(&net("REALDHCP", "0"), &view()).unwrap();
    let l = lines(&plan);
    assert_eq!(
        l[..9],
        [
            "devfs rule -s 50 add include 1",
            "devfs rule -s 50 add include 2",
            "devfs rule -s 50 add include 3",
            "devfs rule -s 50 add include 4",
            "devfs rule -s 50 add include 5",
            "devfs rule -s 50 add path 'bpf*' unhide",
            "devfs -m /j/web1/dev ruleset 50",
            "devfs -m /j/web1/dev rule -s 50 applyset",
            "jail -m jid=3 devfs_ruleset=50",
        ]
    );
    assert_eq!(l.last().unwrap(), "jexec 3 dhclient eth0");
    assert_eq!(l.len(), 9 + 5 + 1, "devfs, bridge + epair, dhclient: {l:#?}");
    assert_eq!(
        plan.steps[8].undo,
        Some(op::Op::JailSetDevfs { jail: jail(), jid: 3, set: 5, prev: 50 }),
        "the jail's parameter goes back on rollback"
    );
    assert_eq!(plan.steps[0].undo, Some(op::Op::DevfsDelset { set: 50 }), "the new set goes on rollback");
    assert_eq!(plan.steps[1].undo, None);
    assert_eq!(
        plan.steps[6].undo,
        Some(op::Op::DevfsUse { mount: "/j/web1/dev".into(), set: 5, prev: 50 }),
        "the mount gets its old ruleset back"
    );
    assert_eq!(plan.files.len(), 2);
    assert!(plan.files[1].describe()[0].ends_with("ifconfig_eth0=\"DHCP\""), "{:?}", plan.files);
    assert!(plan.effects.contains(&Effect::DevfsUse { ruleset: 50, prev: 5, jid: 3, cbsd: false }));
}

#[test]
fn golden_static_plan_adds_addresses_and_routes_after_the_rename() {
    let plan = plan_bridge(&net("10.0.0.5/24,10.0.0.6,2001:db8::5", "10.0.0.1,2001:db8::1"), &view()).unwrap();
    let l = lines(&plan);
    assert_eq!(
        l[5..],
        [
            "ifconfig -j 3 eth0 inet 10.0.0.5/24 alias",
            "ifconfig -j 3 eth0 inet 10.0.0.6/24 alias",
            "ifconfig -j 3 eth0 inet6 -ifdisabled 2001:db8::5/64 alias",
            "jexec 3 route add default 10.0.0.1",
            "jexec 3 route add -inet6 default 2001:db8::1",
        ]
    );
    assert!(l[4].starts_with("ifconfig -j 3 $eth0_b ether"), "{l:#?}");
    assert!(!l.iter().any(|c| c.starts_with("devfs")), "no DHCP, no devfs");
    let FileEdit::RcConf { set, remove, .. } = &plan.files[0] else { panic!("{:?}", plan.files) };
    assert_eq!(
        set,
        &[
            ("ifconfig_eth0".to_string(), "inet 10.0.0.5/24".to_string()),
            ("ifconfig_eth0_ipv6".into(), "inet6 2001:db8::5/64".into()),
            ("ifconfig_eth0_alias0".into(), "inet 10.0.0.6/24".into()),
            ("defaultrouter".into(), "10.0.0.1".into()),
            ("ipv6_defaultrouter".into(), "2001:db8::1".into()),
        ]
    );
    assert!(remove.is_empty(), "nothing to remove from a new file");
}

#[test]
fn pre_14_hosts_configure_addresses_through_jexec() {
    let mut v = view();
    v.kernel.osreldate = 1_302_000;
    let plan = plan_bridge(&net("10.0.0.5/24,SLAAC", "0"), &v).unwrap();
    let l = lines(&plan);
    assert!(l.contains(&"jexec 3 ifconfig eth0 inet 10.0.0.5/24 alias".to_string()), "{l:#?}");
    assert!(l.contains(&"jexec 3 ifconfig eth0 inet6 -ifdisabled accept_rtadv".to_string()), "{l:#?}");
}

#[test]
fn a_live_nic_is_reconciled_address_by_address_and_route_by_route() {
    let mut v = view();
    let mac = crate::mac::candidate("u", &jail(), 0, 0);
    v.jail_ifaces.extend(parse_status(&format!(
        "eth0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tether {mac}
\tinet 10.0.0.5 netmask 0xffffff00 broadcast 10.0.0.255
\tinet 10.0.0.9 netmask 0xffffff00 broadcast 10.0.0.255
\tinet6 fe80::1%eth0 prefixlen 64 scopeid 0x2
"
    )));
    v.attachments.push(crate::state::Attachment {
        jail: "web1".into(),
        nic: 0,
        nic_name: "eth0".into(),
        mode: crate::model::ModeKind::Epair,
        host_if: "epair4a".into(),
        bridge: Some("bridge0".into()),
        uplink: Some("em0".into()),
        mac: Some(mac.to_string()),
        jid: 3,
        boottime: 100,
        ng_node: None,
        ng_link: None,
        wanted_name: None,
        was_up: None,
        jail_if: None,
    });
    v.jail_route4 = Some(RouteFact { gateway: "10.0.0.254".into(), interface: "eth0".into() });
    v.rcconf.as_mut().unwrap().text = Some("ifconfig_eth0=\"inet 10.0.0.5/24\"\nifconfig_eth0_alias0=\"inet 10.0.0.9/24\"\nifconfig_eth0_alias1=\"inet 10.0.0.8/24\"\n".into());
    let plan = plan_bridge(&net("10.0.0.5/24", "10.0.0.1"), &v).unwrap();
    assert_eq!(
        lines(&plan),
        ["ifconfig -j 3 eth0 inet 10.0.0.9 -alias", "jexec 3 route change default 10.0.0.1"],
        "the link-local address is not vimage's to remove"
    );
    assert_eq!(
        plan.steps[1].undo,
        Some(op::Op::RouteDefault {
            jail: jail(),
            jid: 3,
            v6: false,
            gw: "10.0.0.254".into(),
            old: Some("10.0.0.1".into()),
            route_j: false,
        })
    );
    let FileEdit::RcConf { set, remove, .. } = &plan.files[0] else { panic!() };
    assert_eq!(set, &[("defaultrouter".to_string(), "10.0.0.1".to_string())]);
    assert_eq!(remove, &["ifconfig_eth0_alias0".to_string(), "ifconfig_eth0_alias1".into()]);
}

#[test]
fn auto_router_prefers_the_bridges_own_address_then_the_hosts_gateway() {
    let plan = plan_bridge(&net("192.168.1.50/24", "auto"), &view()).unwrap();
    assert!(lines(&plan).contains(&"jexec 3 route add default 192.168.1.1".to_string()));
    let mut v = view();
    v.host_ifaces.extend(
        parse_status(
            "bridge1: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tinet 10.9.0.1 netmask 0xffff0000 broadcast 10.9.255.255
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tgroups: bridge
",
        )
        .into_iter()
        .map(|s| (s.name.clone(), s)),
    );
    let plan = plan_bridge(&net("10.9.0.5/16", "auto"), &v).unwrap();
    assert!(lines(&plan).contains(&"jexec 3 route add default 10.9.0.1".to_string()), "{:#?}", lines(&plan));
    let e = plan_bridge(&net("172.16.0.5/24", "auto"), &v).unwrap_err();
    assert_eq!(e.kind, Kind::Data);
    assert!(e.message.contains("ci_gw4=auto"), "{e}");
    // With DHCP, auto leaves the router to the DHCP server.
    let plan = plan_bridge(&net("REALDHCP", "auto"), &view()).unwrap();
    assert!(!lines(&plan).iter().any(|l| l.contains("route")));
}

#[test]
fn devfs_number_choice() {
    let pick = |f: DevfsFacts, want: Option<u16>| {
        let mut v = view();
        v.devfs = Some(f);
        let mut p = Plan::new(jail(), Verb::Devfs);
        devfs::plan_use(&mut p, &jail(), &info(), &v, want).map(|n| (n, p))
    };
    assert_eq!(pick(devfs(""), None).unwrap().0, 50);
    // Taken by another section, or loaded by someone else: the next free one, said so.
    let (n, p) = pick(devfs("[x=50]\nadd hide\n"), None).unwrap();
    assert_eq!(n, 51);
    assert!(p.notes[0].contains("default ruleset 50 is ruleset [x=50]"), "{:?}", p.notes);
    let mut f = devfs("");
    f.loaded.extend([50, 51]);
    assert_eq!(pick(f, None).unwrap().0, 52);
    // vimage's own section keeps its number; its loaded copy, if right, is not reloaded.
    let mut f = devfs("[vimage_vnet_bpf=70]\nadd hide\n");
    f.loaded.insert(70);
    f.shown.insert(70, crate::devfs::expected_show(&[1, 2, 3, 4, 5]));
    let (n, p) = pick(f.clone(), None).unwrap();
    assert_eq!(n, 70);
    assert!(!p.steps.iter().any(|s| matches!(s.op, op::Op::DevfsRuleAdd { .. })));
    assert_eq!(p.files, [FileEdit::DevfsRules { set: Some(70) }], "the hand-edited section is rewritten");
    // Asked-for numbers: stock, foreign, zero are refused (65); vimage's own is fine.
    for (want, why) in [(4, "stock ruleset devfsrules_jail"), (1, "stock"), (0, "no ruleset"), (60, "[x=60]")] {
        let e = pick(devfs("[x=60]\nadd hide\n"), Some(want)).unwrap_err();
        assert_eq!(e.kind, Kind::Data, "{want}");
        assert!(e.to_string().contains(why), "{want}: {e}");
    }
    // Moving vimage's ruleset while another jail uses it is refused.
    let mut g = f.clone();
    g.users.push(DevfsUser { jail: "web2".into(), ruleset: 70, prev: 5, jid: 9, boottime: 100, cbsd: false });
    let e = pick(g, Some(80)).unwrap_err();
    assert!(e.to_string().contains("used by web2"), "{e}");
    // Moving it when nobody else uses it: load 80, drop 70.
    let (n, p) = pick(f, Some(80)).unwrap();
    assert_eq!(n, 80);
    assert!(p.steps.iter().any(|s| s.op == op::Op::DevfsDelset { set: 70 }));
    // The stock rulesets must be loaded for the include to work.
    let mut f = devfs("");
    f.loaded.remove(&5);
    let e = pick(f, None).unwrap_err();
    assert_eq!(e.kind, Kind::Unavailable);
    assert!(e.to_string().contains("service devfs restart"), "{e}");
}

#[test]
fn unbridge_gives_the_ruleset_back_and_removes_it_with_the_last_jail() {
    let mut v = view();
    let mut f = devfs("[vimage_vnet_bpf=50]\n");
    f.loaded.insert(50);
    f.users.push(DevfsUser { jail: "web1".into(), ruleset: 50, prev: 5, jid: 3, boottime: 100, cbsd: true });
    v.devfs = Some(f.clone());
    let plan = plan_unbridge(&jail(), &v);
    assert_eq!(
        lines(&plan),
        [
            "devfs -m /j/web1/dev ruleset 5",
            "devfs -m /j/web1/dev rule -s 5 applyset",
            "cbsd jset jname=web1 devfs_ruleset=5",
            "devfs rule -s 50 delset"
        ]
    );
    assert_eq!(plan.files, [FileEdit::DevfsRules { set: None }]);
    assert_eq!(plan.effects, [Effect::DevfsRelease]);
    // The jail's parameter is vimage's ruleset (vimage set it): it goes back too; a jail that
    // had none (0) gets 0 back, and its /dev jail(8)'s 4.
    v.jail.as_mut().unwrap().devfs_ruleset = 50;
    let plan = plan_unbridge(&jail(), &v);
    assert!(lines(&plan).contains(&"jail -m jid=3 devfs_ruleset=5".to_string()), "{:#?}", lines(&plan));
    let mut g = f.clone();
    g.users[0].prev = 0;
    v.devfs = Some(g);
    let l = lines(&plan_unbridge(&jail(), &v));
    assert!(l.contains(&"devfs -m /j/web1/dev ruleset 4".to_string()), "{l:#?}");
    assert!(l.contains(&"jail -m jid=3 devfs_ruleset=0".to_string()), "{l:#?}");
    v.jail.as_mut().unwrap().devfs_ruleset = 5;
    // Another jail still uses it: it stays; a restarted jail's /dev is not touched.
    f.users.push(DevfsUser { jail: "web2".into(), ruleset: 50, prev: 5, jid: 4, boottime: 100, cbsd: false });
    f.users[0].jid = 2;
    f.users[0].cbsd = false;
    v.devfs = Some(f);
    let plan = plan_unbridge(&jail(), &v);
    assert!(plan.steps.is_empty() && plan.files.is_empty(), "{:#?}", lines(&plan));
    assert_eq!(plan.effects, [Effect::DevfsRelease]);
}

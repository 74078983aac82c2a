//! Plans for jails with a Linux userland (issue 18): only host-side commands, interfaces keep
//! the kernel's names, routes through the host's `route -j` where it exists, DHCP/SLAAC and
//! releases before 14.0 refused, no rc.conf.

use super::render::dry_run;
use super::tests::view;
use super::*;
use crate::error::Kind;
use crate::facts::RouteFact;
use crate::facts::userland::UserlandFact;
use crate::model::addr::{parse_ci_gw4, parse_ip4_addr};
use crate::model::{IfName, JailName, JailNet, Uplink, Userland};
use crate::op::{IfRef, Op, Slot};
use crate::parse::ifconfig::parse_status;
use crate::state::Attachment;

const EM0: &str = "em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:1b:21:aa:bb:cc
\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255
";
const UUID: &str = "4c4c4544-0000-4000-8000-00000000cafe";

fn jail() -> JailName {
    JailName::parse("web1").unwrap()
}

fn linux(mut v: crate::facts::HostView) -> crate::facts::HostView {
    v.userland = UserlandFact {
        userland: Userland::Linux,
        how: "/usr/jails/jails/web1/bin/sh: GNU ABI note (Linux 3.2.0)".into(),
        guessed: false,
    };
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

fn mac0() -> crate::model::Mac {
    crate::mac::candidate(UUID, &jail(), 0, 0)
}

fn commands(p: &Plan) -> Vec<String> {
    p.steps.iter().map(|s| s.op.command(&Default::default()).script_line()).collect()
}

#[test]
fn golden_linux_epair_keeps_the_kernels_name_and_runs_nothing_inside() {
    let plan = plan_bridge(&net("0", "0"), &linux(view(EM0))).unwrap();
    let want = format!(
        "# userland linux (/usr/jails/jails/web1/bin/sh: GNU ABI note (Linux 3.2.0)): only host-side commands (ifconfig -j, route -j), interfaces keep the kernel's names, no rc.conf is written
# creating a bridge for uplink em0
ifconfig bridge create description vimage:em0 group vimage addm em0 up   # prints the new bridge: $bridge_em0
ifconfig epair create description vimage:web1:eth0 group vimage mtu 1500 up   # prints the new host end: $eth0_a; its jail end is $eth0_b
ifconfig $bridge_em0 addm $eth0_a
ifconfig $eth0_b mtu 1500 vnet 3
ifconfig -j 3 $eth0_b ether {} up
",
        mac0()
    );
    assert_eq!(dry_run(&plan), want);
    let fx = plan.effects.iter().find_map(|e| match e {
        Effect::Attach(f) => Some(f),
        _ => None,
    });
    let fx = fx.unwrap();
    assert_eq!(fx.nic_name, "eth0", "vimage's name of the NIC, as in its marker");
    assert_eq!(fx.jail_if, Some(IfRef::Peer(Slot("eth0_a".into()))), "recorded under the kernel's name");
    assert!(!commands(&plan).iter().any(|c| c.starts_with("jexec")));
}

#[test]
fn static_addresses_and_the_route_go_in_from_the_host_and_no_rcconf_is_written() {
    let mut v = linux(view(EM0));
    v.route_j = Some(true);
    let plan = plan_bridge(&net("10.0.0.5/24,2001:db8::5/64", "10.0.0.1,2001:db8::1"), &v).unwrap();
    let c = commands(&plan);
    assert_eq!(
        c[4..],
        [
            format!("ifconfig -j 3 $eth0_b ether {} up", mac0()),
            "ifconfig -j 3 $eth0_b inet 10.0.0.5/24 alias".to_string(),
            "ifconfig -j 3 $eth0_b inet6 -ifdisabled 2001:db8::5/64 alias".to_string(),
            "route -j 3 add default 10.0.0.1".to_string(),
            "route -j 3 add -inet6 default 2001:db8::1".to_string(),
        ]
    );
    assert!(plan.files.is_empty(), "no rc.conf: {:?}", plan.files);
    assert!(plan.notes.iter().any(|n| n.contains("no rc.conf is written")));
    // The undos come back through the host too.
    let undo: Vec<String> = plan
        .steps
        .iter()
        .filter_map(|s| s.undo.as_ref())
        .map(|u| u.command(&Default::default()).script_line())
        .collect();
    assert!(undo.contains(&"route -j 3 delete default".to_string()), "{undo:?}");
    assert!(undo.contains(&"ifconfig -j 3 $eth0_b inet 10.0.0.5 -alias".to_string()), "{undo:?}");
}

#[test]
fn without_route_j_the_note_names_the_route_the_jail_must_set() {
    let mut v = linux(view(EM0));
    v.route_j = Some(false);
    let plan = plan_bridge(&net("10.0.0.5/24", "10.0.0.1"), &v).unwrap();
    assert!(!commands(&plan).iter().any(|c| c.contains("route")), "{:?}", commands(&plan));
    let note = plan.notes.iter().find(|n| n.contains("default route NOT set")).expect("a note");
    assert!(note.contains("default via 10.0.0.1 dev <the interface of NIC eth0"), "{note}");
    // A second run, once the NIC exists: the note names it.
    let mut v = later(v);
    v.route_j = Some(false);
    let plan = plan_bridge(&net("10.0.0.5/24", "10.0.0.1"), &v).unwrap();
    let note = plan.notes.iter().find(|n| n.contains("default route NOT set")).expect("a note");
    assert!(note.ends_with("default via 10.0.0.1 dev epair4b"), "{note}");
}

#[test]
fn realdhcp_slaac_and_releases_before_14_are_refused_before_anything() {
    for (ip, want) in [("REALDHCP", "own DHCP client"), ("SLAAC", "IPv6 autoconfiguration")] {
        let e = plan_bridge(&net(ip, "0"), &linux(view(EM0))).unwrap_err();
        assert_eq!(e.kind, Kind::Data, "{ip}");
        let text = e.to_string();
        assert!(text.contains("Linux userland") && text.contains(want) && text.contains("web1"), "{text}");
    }
    let mut v = linux(view(EM0));
    v.kernel.osreldate = 1_302_000;
    let e = plan_bridge(&net("0", "0"), &v).unwrap_err();
    assert_eq!(e.exit_code(), 69);
    let text = e.to_string();
    assert!(text.contains("no `ifconfig -j`") && text.contains("14.0") && text.contains("userland=freebsd"), "{text}");
}

#[test]
fn a_name_the_admin_chose_is_given_in_a_linux_jail_too() {
    let mut n = net("0", "0");
    n.nics[0].name = IfName::parse("lan0").unwrap();
    n.nics[0].name_given = true;
    let plan = plan_bridge(&n, &linux(view(EM0))).unwrap();
    assert_eq!(commands(&plan).last().unwrap(), &format!("ifconfig -j 3 $lan0_b ether {} name lan0 up", mac0()));
}

/// The view after a first bridge: web1 has epair4b (the kernel's name) with vimage's MAC,
/// recorded as NIC eth0.
fn later(mut v: crate::facts::HostView) -> crate::facts::HostView {
    let text = format!(
        "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\nepair4b: flags=8843<UP> metric 0 mtu 1500\n\tether {}\n\tinet 10.0.0.5 netmask 0xffffff00 broadcast 10.0.0.255\n",
        mac0()
    );
    v.jail_ifaces = parse_status(&text);
    let mut a = Attachment::basic("web1", 0, "eth0", crate::model::ModeKind::Epair, "epair4a", 3, v.kernel.boottime);
    a.bridge = Some("bridge1".into());
    a.uplink = Some("em0".into());
    a.mac = Some(mac0().to_string());
    a.jail_if = Some("epair4b".into());
    v.attachments.push(a);
    v.stored_macs.insert(0, mac0());
    v
}

#[test]
fn a_second_bridge_finds_the_nic_under_the_kernels_name_and_changes_nothing() {
    let mut v = later(linux(view(EM0)));
    v.route_j = Some(true);
    v.jail_route4 = Some(RouteFact { gateway: "10.0.0.1".into(), interface: "epair4b".into() });
    let plan = plan_bridge(&net("10.0.0.5/24", "10.0.0.1"), &v).unwrap();
    assert!(plan.steps.is_empty(), "{:?}", commands(&plan));
    assert!(plan.notes.iter().any(|n| n.starts_with("epair4b: already bridged")), "{:?}", plan.notes);
    // A new address goes onto epair4b by name.
    let plan = plan_bridge(&net("10.0.0.5/24,10.0.0.6/24", "10.0.0.1"), &v).unwrap();
    assert_eq!(commands(&plan), ["ifconfig -j 3 epair4b inet 10.0.0.6/24 alias"]);
}

#[test]
fn cbsds_epair_keeps_its_name_and_only_gets_its_mac_and_up() {
    const BRIDGE: &str = "bridge1: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tdescription: em0
\tmember: epair9a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tgroups: bridge
epair9a: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tdescription: web1-eth0
\tether 02:59:9b:e2:cb:0a
\tgroups: epair
epair9b: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:a0:98:11:22:33
\tgroups: epair
";
    let mut n = net("0", "0");
    let mac = crate::model::Mac::parse("02:00:00:00:00:07").unwrap();
    n.nics[0].mac = Some(mac);
    let plan = plan_bridge(&n, &linux(view(&format!("{EM0}{BRIDGE}")))).unwrap();
    assert_eq!(
        commands(&plan),
        [
            "ifconfig epair9a group vimage",
            "ifconfig epair9b mtu 1500 vnet 3",
            "ifconfig -j 3 epair9b ether 02:00:00:00:00:07 up"
        ]
    );
    let undos: Vec<Option<&Op>> = plan.steps.iter().map(|s| s.undo.as_ref()).collect();
    assert!(undos[2].is_none(), "CBSD's jstop destroys the epair; nothing to rename back");
    assert!(plan.notes.iter().any(|n| n.contains("epair9b moves in as epair9b (keeping its name")), "{:?}", plan.notes);
}

#[test]
fn a_linux_netgraph_nic_keeps_the_eifaces_name() {
    let mut v = linux(view(EM0));
    v.ng_uplinks
        .insert("em0".into(), crate::facts::NgUplink { node: "em0".into(), exists: true, ..Default::default() });
    let mut n = JailNet::epairs(jail(), &[]);
    n.add_netgraph(&[Uplink::parse("em0").unwrap()]);
    let plan = plan_bridge(&n, &v).unwrap();
    let last = commands(&plan).pop().unwrap();
    assert!(
        last.starts_with("ifconfig -j 3 $ng0_web1 ether ") && last.ends_with(" up") && !last.contains("name"),
        "{last}"
    );
    let fx = plan.effects.iter().find_map(|e| match e {
        Effect::Attach(f) => Some(f),
        _ => None,
    });
    assert_eq!(fx.unwrap().jail_if, Some(IfRef::Created(Slot("ng0_web1".into()))));
}

#[test]
fn a_link_local_router_on_a_nic_not_yet_named_is_refused_and_on_a_named_one_is_scoped_to_it() {
    let mut v = linux(view(EM0));
    v.route_j = Some(true);
    let e = plan_bridge(&net("2001:db8::5/64", "fe80::1%eth0"), &v).unwrap_err();
    assert_eq!(e.kind, Kind::Data);
    assert!(e.to_string().contains("keeps the name the kernel gives it"), "{e}");
    let mut v = later(v);
    v.route_j = Some(true);
    let plan = plan_bridge(&net("2001:db8::5/64", "fe80::1%eth0"), &v).unwrap();
    assert!(
        commands(&plan).contains(&"route -j 3 add -inet6 default fe80::1%epair4b".to_string()),
        "{:?}",
        commands(&plan)
    );
}

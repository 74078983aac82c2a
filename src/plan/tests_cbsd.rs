//! Plans for CBSD jails: taking over the epair CBSD's jstart made (wherever its jail end is),
//! giving it back at unbridge without destroying it, and how gc and the markers treat it.

use super::gc;
use super::render::dry_run;
use super::tests::view;
use super::*;
use crate::error::Kind;
use crate::facts::HostView;
use crate::model::{JailName, JailNet, Uplink};
use crate::naming::{EpairMark, epair_mark, parse_cbsd_epair_descr};
use crate::op;
use crate::parse::ifconfig::parse_status;
use crate::state::Attachment;
use std::collections::BTreeMap;

const EM0: &str = "em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:1b:21:aa:bb:cc
\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255
";
const EM1: &str = "em1: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:1b:21:aa:bb:cd
";
/// CBSD's bridge for em0 (get_my_device: description = uplink) with CBSD's epair on it.
const CBSD_BRIDGE: &str = "bridge1: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tdescription: em0
\tmember: epair9a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tgroups: bridge
";
/// The host end as sudoexec/jstart l.601 leaves it.
const CBSD_A: &str = "epair9a: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tdescription: web1-eth0
\tether 02:59:9b:e2:cb:0a
\tgroups: epair
";
/// The jail end before CBSD's move loop: on the host, with the jailnic row's MAC.
const CBSD_B: &str = "epair9b: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:a0:98:11:22:33
\tgroups: epair
";

fn jail() -> JailName {
    JailName::parse("web1").unwrap()
}

fn net(uplinks: &[&str]) -> JailNet {
    let ups: Vec<Uplink> = uplinks.iter().map(|u| Uplink::parse(u).unwrap()).collect();
    JailNet::epairs(jail(), &ups)
}

fn commands(p: &Plan) -> Vec<String> {
    p.steps.iter().map(|s| s.op.command(&Default::default()).script_line()).collect()
}

fn undos(p: &Plan) -> Vec<String> {
    p.steps.iter().filter_map(|s| s.undo.as_ref()).map(|u| u.command(&Default::default()).script_line()).collect()
}

#[test]
fn cbsds_epair_on_the_host_is_taken_over_and_keeps_cbsds_description() {
    let mut n = net(&["auto"]);
    let mac = crate::model::Mac::parse("02:00:00:00:00:07").unwrap();
    n.nics[0].mac = Some(mac);
    let plan = plan_bridge(&n, &view(&format!("{EM0}{CBSD_BRIDGE}{CBSD_A}{CBSD_B}"))).unwrap();
    assert_eq!(
        commands(&plan),
        [
            "ifconfig epair9a group vimage",
            "ifconfig epair9b mtu 1500 vnet 3",
            "ifconfig -j 3 epair9b ether 02:00:00:00:00:07 name eth0 up",
        ]
    );
    assert!(!dry_run(&plan).contains("description"), "CBSD's jstop looks it up by web1-eth0");
    // Every undo gives it back as CBSD left it; none destroys it.
    assert_eq!(
        undos(&plan),
        ["ifconfig epair9a -group vimage", "ifconfig epair9b -vnet 3", "ifconfig -j 3 eth0 name epair9b"]
    );
    let fx = plan.effects.iter().find_map(|e| match e {
        Effect::Attach(f) => Some(f),
        _ => None,
    });
    let fx = fx.unwrap();
    assert_eq!((fx.host_if.clone(), fx.bridge.clone()), (op::IfRef::name("epair9a"), Some(op::IfRef::name("bridge1"))));
}

#[test]
fn cbsds_epair_keeps_cbsds_mtu_and_gets_the_nics_flags_with_their_inverse_as_undo() {
    // CBSD 15.x jstart set nic_mtu=1400 on its epair: taking it over used to overwrite it with
    // the uplink's 1500.
    let b = CBSD_B.replace("mtu 1500", "mtu 1400");
    let mut n = net(&["auto"]);
    n.nics[0].mac = Some(crate::model::Mac::parse("02:00:00:00:00:07").unwrap());
    let plan = plan_bridge(&n, &view(&format!("{EM0}{CBSD_BRIDGE}{CBSD_A}{b}"))).unwrap();
    assert!(commands(&plan).contains(&"ifconfig epair9b mtu 1400 vnet 3".to_string()), "{:?}", commands(&plan));
    n.nics[0].link.flags = crate::model::link::MemberFlag::parse_list("private").unwrap();
    n.nics[0].link.mtu = Some(9000);
    let e = plan_bridge(&n, &view(&format!("{EM0}{CBSD_BRIDGE}{CBSD_A}{b}"))).unwrap_err();
    assert!(e.to_string().contains("mtu=9000 is above the MTU 1500"), "{e}");
    n.nics[0].link.mtu = None;
    let plan = plan_bridge(&n, &view(&format!("{EM0}{CBSD_BRIDGE}{CBSD_A}{b}"))).unwrap();
    assert!(commands(&plan).contains(&"ifconfig bridge1 private epair9a".to_string()), "{:?}", commands(&plan));
    assert!(undos(&plan).contains(&"ifconfig bridge1 -private epair9a".to_string()), "{:?}", undos(&plan));
}

#[test]
fn cbsds_epair_already_moved_in_by_cbsds_move_loop_is_taken_over_in_the_jail() {
    let mut v = view(&format!("{EM0}{CBSD_BRIDGE}{CBSD_A}"));
    // sudoexec/jstart l.855: `ifconfig epair9b name eth0 && ifconfig eth0 vnet web1` (DOWN).
    v.jail_ifaces.extend(parse_status(
        "eth0: flags=1008802<BROADCAST,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n\tether 00:a0:98:11:22:33\n\tgroups: epair\n",
    ));
    let plan = plan_bridge(&net(&["em0"]), &v).unwrap();
    let cmds = commands(&plan);
    assert_eq!(cmds[0], "ifconfig epair9a group vimage");
    assert!(cmds[1].starts_with("ifconfig -j 3 eth0 ether ") && cmds[1].ends_with(" name eth0 up"), "{cmds:?}");
    assert_eq!(cmds.len(), 2);
    // With another name wanted, eth0 is renamed inside the jail.
    let mut n = net(&["em0"]);
    n.nics[0].name = crate::model::IfName::parse("lan0").unwrap();
    let plan = plan_bridge(&n, &v).unwrap();
    assert!(commands(&plan)[1].ends_with(" name lan0 up"));
    // An eth0 in the jail with no CBSD epair behind it is still refused.
    let mut v2 = v.clone();
    v2.host_ifaces.remove("epair9a");
    assert_eq!(plan_bridge(&net(&["em0"]), &v2).unwrap_err().kind, Kind::Data);
}

#[test]
fn cbsds_epair_on_a_bridge_that_does_not_reach_the_uplink_is_refused() {
    let v = view(&format!("{EM0}{EM1}{CBSD_BRIDGE}{CBSD_A}{CBSD_B}"));
    let e = plan_bridge(&net(&["em1"]), &v).unwrap_err();
    assert_eq!(e.kind, Kind::Data);
    for w in ["epair9a", "bridge1", "em1", "nic_parent"] {
        assert!(e.to_string().contains(w), "{w}: {e}");
    }
}

fn adopted_view() -> HostView {
    let mut v = view(&format!("{EM0}{CBSD_BRIDGE}{}", CBSD_A.replace("groups: epair", "groups: epair vimage")));
    let mut a = Attachment::basic("web1", 0, "eth0", crate::model::ModeKind::Epair, "epair9a", 3, v.kernel.boottime);
    a.bridge = Some("bridge1".into());
    a.uplink = Some("em0".into());
    v.attachments.push(a);
    v
}

#[test]
fn unbridge_gives_cbsds_epair_back_and_destroys_nothing() {
    let plan = plan_unbridge(&jail(), &adopted_view());
    assert_eq!(commands(&plan), ["ifconfig epair9a -group vimage"]);
    assert_eq!(plan.steps[0].effects, [Effect::Detach { nic: 0 }]);
    // Without vimage's group it is CBSD's alone: nothing to do but forget the record.
    let mut v = adopted_view();
    v.host_ifaces.get_mut("epair9a").unwrap().groups.retain(|g| g != "vimage");
    let plan = plan_unbridge(&jail(), &v);
    assert!(plan.steps.is_empty());
    assert_eq!(plan.effects, [Effect::Detach { nic: 0 }]);
    // Another jail's CBSD epair is none of this jail's business.
    let plan = plan_unbridge(&JailName::parse("web2").unwrap(), &adopted_view());
    assert!(plan.steps.is_empty());
}

#[test]
fn a_vimage_bridge_holding_cbsds_epair_is_not_removed_under_it() {
    let br = "bridge0: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:em0
\tmember: epair9a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tgroups: bridge vimage
";
    let mut v = adopted_view();
    for s in parse_status(br) {
        v.host_ifaces.insert(s.name.clone(), s);
    }
    v.attachments[0].bridge = Some("bridge0".into());
    assert_eq!(commands(&plan_unbridge(&jail(), &v)), ["ifconfig epair9a -group vimage"]);
}

#[test]
fn markers_tell_created_adopted_and_cbsds_own_epairs_apart() {
    assert_eq!(parse_cbsd_epair_descr("web1-eth0"), Some(("web1".into(), 0)));
    assert_eq!(parse_cbsd_epair_descr("my-jail-eth12"), Some(("my-jail".into(), 12)));
    for bad in ["web1-eth", "web1-ethx", "-eth0", "web1", "vimage:web1:eth0", "web1-eth0 x"] {
        assert_eq!(parse_cbsd_epair_descr(bad), None, "{bad}");
    }
    let st = |name: &str, descr: &str, groups: &str| {
        parse_status(&format!("{name}: flags=8843<UP> metric 0 mtu 1500\n\tdescription: {descr}\n\tgroups: {groups}\n"))
            .remove(0)
    };
    assert_eq!(
        epair_mark(&st("epair4a", "vimage:web1:eth0", "epair vimage")),
        Some(EpairMark::Created { jail: "web1".into(), nic: "eth0".into() })
    );
    let adopted = epair_mark(&st("epair9a", "web1-eth1", "epair vimage")).unwrap();
    assert_eq!(adopted, EpairMark::Adopted { jail: "web1".into(), index: 1 });
    assert!(adopted.is_adopted() && adopted.is_nic("web1", 1, "lan1") && !adopted.is_nic("web1", 0, "eth1"));
    assert_eq!(epair_mark(&st("epair9a", "web1-eth1", "epair")), None, "CBSD's alone");
    assert_eq!(epair_mark(&st("epair9b", "web1-eth1", "epair vimage")), None, "not a host end");
    assert_eq!(epair_mark(&st("bridge1", "vimage:web1:eth0", "bridge vimage")), None);
}

#[test]
fn gc_only_takes_vimages_group_off_cbsds_epair() {
    let jails = |jid: u32| {
        vec![crate::facts::JailInfo {
            jid,
            name: "web1".into(),
            vnet: true,
            dying: false,
            path: String::new(),
            devfs_ruleset: 0,
        }]
    };
    let v = adopted_view();
    let scan: Vec<_> = v.host_ifaces.values().filter(|s| s.in_group("vimage")).cloned().collect();
    let bt = v.kernel.boottime;
    // Live: nothing to do, the record stands.
    let o = gc::find(bt, &jails(3), &scan, &v.attachments, &[], &BTreeMap::new());
    assert!(o.objects.is_empty() && o.dead_records.is_empty(), "{o:?}");
    // The jail is gone: the group comes off, the record goes, nothing is destroyed.
    let o = gc::find(bt, &[], &scan, &v.attachments, &[], &BTreeMap::new());
    assert_eq!(o.objects.len(), 1);
    assert!(o.objects[0].removable && o.objects[0].is_cbsd_epair());
    let p = gc::plans(&o);
    assert_eq!(commands(&p[0]), ["ifconfig epair9a -group vimage"]);
    // Running, but no record: left alone.
    let o = gc::find(bt, &jails(3), &scan, &[], &[], &BTreeMap::new());
    assert!(!o.objects[0].removable, "{o:?}");
}

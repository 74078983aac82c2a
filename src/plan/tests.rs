//! Golden plans and refusals, from hand-written host views (FreeBSD 14 `ifconfig` text).

use super::render::dry_run;
use super::*;
use crate::error::Kind;
use crate::facts::{HostView, JailInfo, KernelFacts};
use crate::model::{IfName, JailNet, Mac, NicSpec, Uplink};
use crate::op;
use crate::parse::ifconfig::parse_status;
use crate::state::Attachment;

const UUID: &str = "4c4c4544-0000-4000-8000-00000000cafe";

const EM0: &str = "em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:1b:21:aa:bb:cc
\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255
\tmedia: Ethernet autoselect (1000baseT <full-duplex>)
\tstatus: active
";
const EM1: &str = "em1: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 9000
\tether 00:1b:21:aa:bb:cd
";
const CBSD_BRIDGE: &str = "bridge1: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tdescription: em0
\tether 58:9c:fc:10:ff:b6
\tmember: epair9a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 7 priority 128 path cost 2000
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 1 priority 128 path cost 20000
\tgroups: bridge
";

/// The planner's input for running vnet jail web1 (jid 3) on a host whose interfaces are
/// `host_text` (ifconfig output); shared by the plan test modules.
pub(super) fn view(host_text: &str) -> HostView {
    let mut v = HostView {
        kernel: KernelFacts {
            vimage: true,
            hostuuid: UUID.into(),
            osreldate: 1_402_000,
            boottime: 1_763_880_000,
            bridge_member_ifaddrs: None,
        },
        jail: Some(JailInfo {
            jid: 3,
            name: "web1".into(),
            vnet: true,
            dying: false,
            path: "/usr/jails/jails/web1".into(),
            devfs_ruleset: 5,
        }),
        jail_ifaces: parse_status("lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n"),
        default_if: Some("em0".into()),
        ..HostView::default()
    };
    for s in parse_status(host_text) {
        v.host_ifaces.insert(s.name.clone(), s);
    }
    v
}

fn jail() -> crate::model::JailName {
    crate::model::JailName::parse("web1").unwrap()
}

fn net(uplinks: &[&str]) -> JailNet {
    let ups: Vec<Uplink> = uplinks.iter().map(|u| Uplink::parse(u).unwrap()).collect();
    JailNet::epairs(jail(), &ups)
}

fn mac0() -> Mac {
    crate::mac::candidate(UUID, &jail(), 0, 0)
}

#[test]
fn golden_typical_jail_creates_bridge_and_epair() {
    let plan = plan_bridge(&net(&["auto"]), &view(EM0)).unwrap();
    let want = format!(
        "# creating a bridge for uplink em0
ifconfig bridge create description vimage:em0 group vimage addm em0 up   # prints the new bridge: $bridge_em0
ifconfig epair create description vimage:web1:eth0 group vimage mtu 1500 up   # prints the new host end: $eth0_a; its jail end is $eth0_b
ifconfig $bridge_em0 addm $eth0_a
ifconfig $eth0_b mtu 1500 vnet 3
ifconfig -j 3 $eth0_b ether {} name eth0 up
",
        mac0()
    );
    assert_eq!(dry_run(&plan), want);
    assert_eq!(plan.steps.len(), 5);
    // Exactly the creating steps have undos, and they destroy what was created.
    let undos: Vec<String> = plan
        .steps
        .iter()
        .filter_map(|s| s.undo.as_ref())
        .map(|u| u.command(&Default::default()).script_line())
        .collect();
    assert_eq!(undos, ["ifconfig $bridge_em0 destroy", "ifconfig $eth0_a destroy"]);
}

#[test]
fn golden_uplink_that_already_has_a_bridge_reuses_it() {
    let plan = plan_bridge(&net(&["em0"]), &view(&format!("{EM0}{CBSD_BRIDGE}"))).unwrap();
    let want = format!(
        "# using bridge1 for uplink em0: an existing bridge with this uplink; vimage will never change or remove it
ifconfig epair create description vimage:web1:eth0 group vimage mtu 1500 up   # prints the new host end: $eth0_a; its jail end is $eth0_b
ifconfig bridge1 addm $eth0_a
ifconfig $eth0_b mtu 1500 vnet 3
ifconfig -j 3 $eth0_b ether {} name eth0 up
",
        mac0()
    );
    assert_eq!(dry_run(&plan), want);
    assert!(plan.effects.contains(&Effect::Bridge {
        name: op::IfRef::name("bridge1"),
        uplink: "em0".into(),
        owned: false
    }));
}

#[test]
fn golden_second_nic_on_another_uplink_gets_its_own_bridge_and_mtu() {
    let plan = plan_bridge(&net(&["em0", "em1"]), &view(&format!("{EM0}{EM1}{CBSD_BRIDGE}"))).unwrap();
    let mac1 = crate::mac::candidate(UUID, &jail(), 1, 0);
    let want = format!(
        "# using bridge1 for uplink em0: an existing bridge with this uplink; vimage will never change or remove it
# creating a bridge for uplink em1
ifconfig epair create description vimage:web1:eth0 group vimage mtu 1500 up   # prints the new host end: $eth0_a; its jail end is $eth0_b
ifconfig bridge1 addm $eth0_a
ifconfig $eth0_b mtu 1500 vnet 3
ifconfig -j 3 $eth0_b ether {} name eth0 up
ifconfig bridge create description vimage:em1 group vimage addm em1 up   # prints the new bridge: $bridge_em1
ifconfig epair create description vimage:web1:eth1 group vimage mtu 9000 up   # prints the new host end: $eth1_a; its jail end is $eth1_b
ifconfig $bridge_em1 addm $eth1_a
ifconfig $eth1_b mtu 9000 vnet 3
ifconfig -j 3 $eth1_b ether {mac1} name eth1 up
",
        mac0()
    );
    assert_eq!(dry_run(&plan), want);
    assert_ne!(mac0(), mac1);
}

#[test]
fn two_nics_on_one_uplink_share_the_new_bridge() {
    let plan = plan_bridge(&net(&["em0", "em0"]), &view(EM0)).unwrap();
    let creates = plan.steps.iter().filter(|s| matches!(s.op, op::Op::CreateBridge { .. })).count();
    assert_eq!(creates, 1);
    assert_eq!(plan.steps.len(), 9);
}

#[test]
fn freebsd_13_renames_through_jexec() {
    let mut v = view(EM0);
    v.kernel.osreldate = 1_302_000;
    let plan = plan_bridge(&net(&["em0"]), &v).unwrap();
    let last = plan.steps.last().unwrap().op.command(&Default::default()).script_line();
    assert_eq!(last, format!("jexec 3 ifconfig $eth0_b ether {} name eth0 up", mac0()));
}

fn refusal(v: &HostView, n: &JailNet) -> crate::error::Error {
    plan_bridge(n, v).unwrap_err()
}

#[test]
fn refusals_name_the_jail_and_reason_with_the_right_exit_code() {
    let mut v = view(EM0);
    v.kernel.vimage = false;
    let e = refusal(&v, &net(&["em0"]));
    assert_eq!((e.exit_code(), e.jail.as_deref()), (69, Some("web1")));
    assert!(e.message.contains("VIMAGE"), "{e}");

    let mut v = view(EM0);
    v.jail = None;
    let e = refusal(&v, &net(&["em0"]));
    assert_eq!(e.exit_code(), 69);
    assert!(e.message.contains("not running"), "{e}");

    let mut v = view(EM0);
    v.jail.as_mut().unwrap().vnet = false;
    let e = refusal(&v, &net(&["em0"]));
    assert_eq!(e.exit_code(), 69);
    assert!(e.message.contains("own network stack"), "{e}");

    let mut v = view(EM0);
    v.jail.as_mut().unwrap().dying = true;
    assert!(refusal(&v, &net(&["em0"])).message.contains("dying"));

    let e = refusal(&view(EM0), &net(&["em7"]));
    assert_eq!(e.exit_code(), 69);
    assert!(e.message.contains("uplink em7 does not exist"), "{e}");

    let mut v = view(EM0);
    v.default_if = None;
    let e = refusal(&v, &net(&["auto"]));
    assert!(e.message.contains("no default route"), "{e}");
    assert!(e.to_string().contains("interface=em0"), "{e}");
}

#[test]
fn a_foreign_interface_with_the_nic_name_in_the_jail_is_refused() {
    let mut v = view(EM0);
    v.jail_ifaces.extend(parse_status("eth0: flags=8843<UP> metric 0 mtu 1500\n\tether 02:ff:f0:00:00:01\n"));
    let e = refusal(&v, &net(&["em0"]));
    assert_eq!(e.kind, Kind::Data);
    assert!(e.message.contains("eth0 that vimage did not create"), "{e}");
}

#[test]
fn fixed_mac_held_by_another_interface_is_refused() {
    let mut v = view(EM0);
    let mut n = net(&["em0"]);
    let m = Mac::parse("00:1b:21:aa:bb:cc").unwrap();
    v.taken_macs.insert(m, "interface em0".into());
    n.nics[0].mac = Some(m);
    let e = refusal(&v, &n);
    assert_eq!(e.exit_code(), 65);
    assert!(e.message.contains("already used by interface em0"), "{e}");
}

#[test]
fn taken_generated_mac_moves_to_the_next_candidate() {
    let mut v = view(EM0);
    v.taken_macs.insert(mac0(), "NIC 0 of jail other (vimage's records)".into());
    let plan = plan_bridge(&net(&["em0"]), &v).unwrap();
    let next = crate::mac::candidate(UUID, &jail(), 0, 1);
    assert!(plan.effects.contains(&Effect::Mac { nic: 0, mac: next }), "{:?}", plan.effects);
}

#[test]
fn duplicate_nic_names_are_refused() {
    let mut n = net(&["em0", "em0"]);
    n.nics[1].name = IfName::parse("eth0").unwrap();
    assert_eq!(refusal(&view(EM0), &n).exit_code(), 65);
}

fn live_attachment(v: &HostView, mac: Mac, jid: u32) -> Attachment {
    let mut a = Attachment::basic("web1", 0, "eth0", crate::model::ModeKind::Epair, "epair4a", jid, v.kernel.boottime);
    a.bridge = Some("bridge1".into());
    a.uplink = Some("em0".into());
    a.mac = Some(mac.to_string());
    a
}

const EPAIR4A: &str = "epair4a: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:web1:eth0
\tether 02:59:9b:e2:cb:0a
\tgroups: epair vimage
";

#[test]
fn an_already_bridged_jail_gets_an_empty_plan() {
    let mut v = view(&format!("{EM0}{CBSD_BRIDGE}{EPAIR4A}"));
    v.attachments.push(live_attachment(&v, mac0(), 3));
    v.stored_macs.insert(0, mac0());
    v.jail_ifaces.extend(parse_status(&format!("eth0: flags=8843<UP> metric 0 mtu 1500\n\tether {}\n", mac0())));
    let plan = plan_bridge(&net(&["em0"]), &v).unwrap();
    assert!(plan.is_empty() && plan.effects.is_empty(), "{plan:?}");
    assert!(plan.notes[0].contains("already bridged"), "{:?}", plan.notes);
}

#[test]
fn an_epair_left_from_an_earlier_start_is_replaced() {
    let mut v = view(&format!("{EM0}{CBSD_BRIDGE}{EPAIR4A}"));
    v.attachments.push(live_attachment(&v, mac0(), 2)); // jid 2: the jail has been restarted since
    v.stored_macs.insert(0, mac0());
    let plan = plan_bridge(&net(&["em0"]), &v).unwrap();
    assert_eq!(plan.steps[0].op, op::Op::Destroy { iface: op::IfRef::name("epair4a") });
    assert_eq!(plan.steps.len(), 5);
    assert!(plan.notes.iter().any(|n| n.contains("replacing epair4a")));
}

#[test]
fn a_recorded_host_end_that_lost_its_marker_is_never_destroyed() {
    let mut v = view(&format!("{EM0}{CBSD_BRIDGE}"));
    v.host_ifaces.extend(
        parse_status("epair4a: flags=8843<UP> metric 0 mtu 1500\n\tdescription: someone else\n")
            .into_iter()
            .map(|s| (s.name.clone(), s)),
    );
    v.attachments.push(live_attachment(&v, mac0(), 2));
    let plan = plan_bridge(&net(&["em0"]), &v).unwrap();
    assert!(!plan.steps.iter().any(|s| matches!(&s.op, op::Op::Destroy { .. })));
}

#[test]
fn freebsd_15_refuses_to_bridge_an_uplink_that_holds_an_address() {
    let mut v = view(EM0);
    v.kernel.osreldate = 1_500_000;
    v.kernel.bridge_member_ifaddrs = Some(false);
    let e = refusal(&v, &net(&["em0"]));
    assert_eq!(e.exit_code(), 69);
    assert!(e.to_string().contains("member_ifaddrs=1"), "{e}");
    v.kernel.bridge_member_ifaddrs = Some(true);
    assert!(plan_bridge(&net(&["em0"]), &v).is_ok());
}

#[test]
fn an_uplink_that_is_a_bridge_is_joined_directly() {
    let plan = plan_bridge(&net(&["bridge1"]), &view(&format!("{EM0}{CBSD_BRIDGE}"))).unwrap();
    assert_eq!(plan.steps[1].op.command(&Default::default()).script_line(), "ifconfig bridge1 addm $eth0_a");
    assert_eq!(plan.steps.len(), 4);
}

const VIMAGE_BRIDGE: &str = "bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tdescription: vimage:em0
\tether 58:9c:fc:3f:d1:76
\tmember: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 3 priority 128 path cost 2000
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 1 priority 128 path cost 20000
\tgroups: bridge vimage
";

#[test]
fn vimages_own_bridge_as_uplink_is_a_nic_on_its_uplink() {
    // interface=bridge0 where bridge0 is vimage's bridge for em0: the NIC joins bridge0 and is
    // recorded on em0; bridge0's record (uplink em0) is not rewritten, so the next jail on em0
    // still finds it, and no bridge is ever made a member of another one.
    let mut v = view(&format!("{EM0}{VIMAGE_BRIDGE}"));
    v.bridges.push(crate::state::BridgeRec::if_bridge("bridge0", "em0", true, v.kernel.boottime));
    let plan = plan_bridge(&net(&["bridge0"]), &v).unwrap();
    let lines: Vec<String> = plan.steps.iter().map(|s| s.op.command(&Default::default()).script_line()).collect();
    assert_eq!(lines[1], "ifconfig bridge0 addm $eth0_a", "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("bridge create") || l.contains("addm bridge")), "{lines:?}");
    assert!(!plan.effects.iter().any(|e| matches!(e, Effect::Bridge { .. })), "bridge0's record stays as it is");
    let fx = plan.effects.iter().find_map(|e| match e {
        Effect::Attach(f) => Some(f),
        _ => None,
    });
    assert_eq!(fx.and_then(|f| f.uplink.as_deref()), Some("em0"));
    // The same with the record only (no marker read back): still em0.
    let mut v2 = v.clone();
    v2.host_ifaces.get_mut("bridge0").unwrap().description = None;
    let plan = plan_bridge(&net(&["bridge0"]), &v2).unwrap();
    assert!(plan.notes.iter().any(|n| n.contains("vimage's own bridge for em0")), "{:?}", plan.notes);
}

#[test]
fn an_admins_bridge_as_uplink_is_joined_and_its_record_never_rewritten() {
    let mut v = view(&format!("{EM0}{CBSD_BRIDGE}"));
    let plan = plan_bridge(&net(&["bridge1"]), &v).unwrap();
    assert!(plan.effects.contains(&Effect::Bridge {
        name: IfRef::name("bridge1"),
        uplink: "bridge1".into(),
        owned: false
    }));
    // Recorded already (another jail reached it through em0): the record stays.
    v.bridges.push(crate::state::BridgeRec::if_bridge("bridge1", "em0", false, v.kernel.boottime));
    let plan = plan_bridge(&net(&["bridge1"]), &v).unwrap();
    assert!(!plan.effects.iter().any(|e| matches!(e, Effect::Bridge { .. })));
    assert!(plan.notes.iter().any(|n| n.contains("never change or remove it")), "{:?}", plan.notes);
}

#[test]
fn a_non_ethernet_uplink_is_refused_before_any_command() {
    let lo0 = "lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384
\tinet 127.0.0.1 netmask 0xff000000
\tgroups: lo
";
    let v = view(&format!("{EM0}{lo0}"));
    for mode in ["epair", "netgraph"] {
        let mut n = net(&["lo0"]);
        if mode == "netgraph" {
            n = JailNet::epairs(jail(), &[]);
            n.add_netgraph(&[Uplink::parse("lo0").unwrap()]);
        }
        let e = refusal(&v, &n);
        assert_eq!(e.exit_code(), 65, "{mode}: {e}");
        assert!(e.to_string().contains("lo0 is not an Ethernet interface"), "{mode}: {e}");
    }
}

#[test]
fn unbridge_destroys_marked_host_ends_then_the_emptied_vimage_bridge() {
    let br = "bridge0: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:em0
\tmember: epair4a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\tgroups: bridge vimage
";
    let mut v = view(&format!("{EM0}{EPAIR4A}{br}"));
    let mut a = live_attachment(&v, mac0(), 3);
    a.bridge = Some("bridge0".into());
    v.attachments.push(a);
    let plan = plan_unbridge(&jail(), &v);
    let cmds: Vec<String> = plan.steps.iter().map(|s| s.op.command(&Default::default()).script_line()).collect();
    assert_eq!(cmds, ["ifconfig epair4a destroy", "ifconfig bridge0 destroy"]);
    assert_eq!(plan.steps[0].effects, [Effect::Detach { nic: 0 }]);
    // Another jail still on the bridge keeps it.
    let mut v2 = v.clone();
    v2.host_ifaces.get_mut("bridge0").unwrap().members.push("epair5a".into());
    assert_eq!(plan_unbridge(&jail(), &v2).steps.len(), 1);
}

#[test]
fn unbridge_never_touches_bridges_vimage_did_not_create() {
    let mut v = view(&format!("{EM0}{EPAIR4A}{}", CBSD_BRIDGE.replace("epair9a", "epair4a")));
    v.attachments.push(live_attachment(&v, mac0(), 3));
    let plan = plan_unbridge(&jail(), &v);
    assert_eq!(plan.steps.len(), 1);
}

#[test]
fn unbridge_with_nothing_says_so() {
    let plan = plan_unbridge(&jail(), &view(EM0));
    assert!(plan.is_empty() && plan.effects.is_empty());
    assert!(plan.notes[0].contains("nothing to do"));
}

#[test]
fn nic_spec_uplinks_round_trip() {
    let n = NicSpec {
        index: 0,
        name: IfName::parse("eth0").unwrap(),
        name_given: false,
        mode: crate::model::NicMode::Epair { uplink: Uplink::Auto },
        mac: None,
        addrs: Default::default(),
        vlan: Default::default(),
        link: Default::default(),
    };
    assert_eq!(n.uplink().map(|u| u.to_string()).as_deref(), Some("auto"));
}

#[test]
fn runs_for_no_jail_are_never_named_by_their_journal_scope() {
    use super::{Verb, doctor::DOCTOR_SCOPE, gc::GC_SCOPE, run_label, shown_jail};
    assert_eq!(shown_jail("web1", Some(Verb::Unbridge)), Some("web1"));
    assert_eq!(run_label("web1", Some(Verb::Bridge)), "jail web1");
    assert_eq!(shown_jail(GC_SCOPE, Some(Verb::Unbridge)), None);
    assert_eq!(run_label(GC_SCOPE, Some(Verb::Unbridge)), "gc");
    assert_eq!(shown_jail(DOCTOR_SCOPE, Some(Verb::Doctor)), None);
    assert_eq!(run_label(DOCTOR_SCOPE, Some(Verb::Doctor)), "doctor fix=1");
    // A journal written by a newer vimage (an unknown verb) still hides the scope name.
    assert_eq!(run_label(DOCTOR_SCOPE, None), "doctor fix=1");
}

//! Golden plans for netgraph and passthrough NICs, alone and mixed with epair ones, from
//! hand-written host views; and their refusals, undo and teardown.

use super::render::dry_run;
use super::*;
use crate::error::Kind;
use crate::facts::{HostView, NgPeer, NgUplink};
use crate::model::{IfName, JailName, JailNet, Uplink, ng_ifname};
use crate::op::{Bindings, Op, Slot};
use crate::parse::ifconfig::parse_status;
use crate::state::{Attachment, BridgeRec};

const UUID: &str = "4c4c4544-0000-4000-8000-00000000cafe";
const BOOT: i64 = 1_763_880_000;

const HOST: &str = "em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:1b:21:aa:bb:cc
\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255
em1: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 9000
\tether 00:1b:21:aa:bb:cd
em2: flags=8802<BROADCAST,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tether 00:1b:21:aa:bb:ce
";

fn jail() -> JailName {
    JailName::parse("web1").unwrap()
}

fn em0_free() -> NgUplink {
    NgUplink { node: "em0".into(), exists: true, ..NgUplink::default() }
}

fn view() -> HostView {
    let mut v = super::tests::view(HOST);
    v.kernel.boottime = BOOT;
    if let Some(j) = v.jail.as_mut() {
        j.path = "/j/web1".into();
        j.devfs_ruleset = 0;
    }
    v.ng_uplinks.insert("em0".into(), em0_free());
    v
}

fn ng(uplinks: &[&str]) -> JailNet {
    let mut n = JailNet::epairs(jail(), &[]);
    n.add_netgraph(&uplinks.iter().map(|u| Uplink::parse(u).unwrap()).collect::<Vec<_>>());
    n
}

fn mac(i: u32) -> crate::model::Mac {
    crate::mac::candidate(UUID, &jail(), i, 0)
}

/// The view after another jail made vimage_em0 and took links 2-4 (link 3 freed since).
fn later_view() -> HostView {
    let mut v = view();
    v.ng_uplinks.clear();
    let mut b = BridgeRec::if_bridge("vimage_em0", "em0", true, BOOT);
    b.kind = crate::state::BridgeKind::Netgraph;
    b.ng_promisc = Some(false);
    b.ng_autosrc = Some(false);
    v.bridges.push(b);
    v.ng_free_links.insert("vimage_em0".into(), vec![3, 5]);
    v
}

#[test]
fn golden_first_netgraph_jail_on_an_uplink_makes_the_bridge_in_the_same_batch() {
    let plan = plan_bridge(&ng(&["em0"]), &view()).unwrap();
    let want = format!(
        "# creating netgraph bridge vimage_em0 on em0 (lower and upper hooks; promisc on, autosrc off, restored when it goes)
ngctl -f - <<'EOF'   # prints each new eiface's name: $ng0_web1
msg em0: setpromisc 1
msg em0: setautosrc 0
mkpeer em0: bridge lower link0
name em0:lower vimage_em0
connect em0: vimage_em0: upper link1
mkpeer vimage_em0: eiface link2 ether
name vimage_em0:link2 ng0_web1
msg ng0_web1: getifname
EOF
ifconfig $ng0_web1 mtu 1500 vnet 3
ifconfig -j 3 $ng0_web1 ether {} name ng0_web1 up
",
        mac(0)
    );
    assert_eq!(dry_run(&plan), want);
    assert_eq!(plan.steps.len(), 3, "one batch + 2 commands per NIC");
    assert!(plan.effects.contains(&Effect::NgBridge {
        name: "vimage_em0".into(),
        uplink: "em0".into(),
        promisc: false,
        autosrc: false
    }));
    // The whole undo (nothing left of the batch): newest first, flags last, as found.
    let mut b = Bindings::new();
    b.insert(Slot("ngctl".into()), "8".into());
    let undo = plan.steps[0].undo.as_ref().unwrap().command(&b);
    assert_eq!(
        undo.stdin.as_deref(),
        Some(
            "shutdown vimage_em0:link2\nrmhook em0: upper\nrmhook em0: lower\nmsg em0: setautosrc 0\nmsg em0: setpromisc 0\n"
        )
    );
    // Stopped at line 6 (the eiface): only the bridge part is reversed.
    b.insert(Slot("ngctl".into()), "5".into());
    let undo = plan.steps[0].undo.as_ref().unwrap().command(&b);
    assert!(undo.stdin.as_deref().unwrap().starts_with("rmhook em0: upper\n"), "{undo}");
}

#[test]
fn golden_later_jail_takes_the_lowest_free_links_from_the_records() {
    let plan = plan_bridge(&ng(&["em0", "em0"]), &later_view()).unwrap();
    let want = format!(
        "# using netgraph bridge vimage_em0 for uplink em0
ngctl -f - <<'EOF'   # prints each new eiface's name: $ng0_web1 $ng1_web1
mkpeer vimage_em0: eiface link3 ether
name vimage_em0:link3 ng0_web1
msg ng0_web1: getifname
mkpeer vimage_em0: eiface link5 ether
name vimage_em0:link5 ng1_web1
msg ng1_web1: getifname
EOF
ifconfig $ng0_web1 mtu 1500 vnet 3
ifconfig -j 3 $ng0_web1 ether {} name ng0_web1 up
ifconfig $ng1_web1 mtu 1500 vnet 3
ifconfig -j 3 $ng1_web1 ether {} name ng1_web1 up
",
        mac(0),
        mac(1)
    );
    assert_eq!(dry_run(&plan), want);
    let links: Vec<Option<u32>> =
        plan.effects.iter().filter_map(|e| if let Effect::Attach(f) = e { Some(f.ng_link) } else { None }).collect();
    assert_eq!(links, [Some(3), Some(5)]);
}

#[test]
fn bridges_em0_em0_gives_two_nics_on_one_new_bridge() {
    let plan = plan_bridge(&ng(&["em0", "em0"]), &view()).unwrap();
    let script = plan.steps[0].op.command(&Bindings::new()).stdin.unwrap();
    assert_eq!(script.matches("mkpeer em0: bridge").count(), 1);
    assert!(script.contains("eiface link2 ether") && script.contains("eiface link3 ether"), "{script}");
    assert_eq!(plan.steps.len(), 5);
}

#[test]
fn golden_mixed_jail_epair_netgraph_and_passthrough() {
    let mut n = JailNet::epairs(jail(), &[Uplink::Auto]);
    n.add_netgraph(&[Uplink::parse("em0").unwrap(), Uplink::parse("em1").unwrap()]);
    n.add_passthrough(&[IfName::parse("em2").unwrap()]);
    let mut v = view();
    v.ng_uplinks
        .insert("em1".into(), NgUplink { node: "em1".into(), exists: true, promisc: true, ..NgUplink::default() });
    let plan = plan_bridge(&n, &v).unwrap();
    let want = format!(
        "# creating a bridge for uplink em0
# creating netgraph bridge vimage_em0 on em0 (lower and upper hooks; promisc on, autosrc off, restored when it goes)
# creating netgraph bridge vimage_em1 on em1 (lower and upper hooks; promisc on, autosrc off, restored when it goes)
ifconfig bridge create description vimage:em0 group vimage addm em0 up   # prints the new bridge: $bridge_em0
ifconfig epair create description vimage:web1:eth0 group vimage mtu 1500 up   # prints the new host end: $eth0_a; its jail end is $eth0_b
ifconfig $bridge_em0 addm $eth0_a
ifconfig $eth0_b mtu 1500 vnet 3
ifconfig -j 3 $eth0_b ether {} name eth0 up
ngctl -f - <<'EOF'   # prints each new eiface's name: $ng0_web1 $ng1_web1
msg em0: setpromisc 1
msg em0: setautosrc 0
mkpeer em0: bridge lower link0
name em0:lower vimage_em0
connect em0: vimage_em0: upper link1
mkpeer vimage_em0: eiface link2 ether
name vimage_em0:link2 ng0_web1
msg ng0_web1: getifname
msg em1: setpromisc 1
msg em1: setautosrc 0
mkpeer em1: bridge lower link0
name em1:lower vimage_em1
connect em1: vimage_em1: upper link1
mkpeer vimage_em1: eiface link2 ether
name vimage_em1:link2 ng1_web1
msg ng1_web1: getifname
EOF
ifconfig $ng0_web1 mtu 1500 vnet 3
ifconfig -j 3 $ng0_web1 ether {} name ng0_web1 up
ifconfig $ng1_web1 mtu 9000 vnet 3
ifconfig -j 3 $ng1_web1 ether {} name ng1_web1 up
ifconfig em2 vnet 3
ifconfig -j 3 em2 up
",
        mac(0),
        mac(1),
        mac(2)
    );
    assert_eq!(dry_run(&plan), want);
    // em1's promisc was on before: its undo puts it back on.
    let undo = plan.steps[5].undo.as_ref().unwrap().command(&Bindings::new()).stdin.unwrap();
    assert!(undo.ends_with("msg em1: setpromisc 1\nshutdown vimage_em0:link2\nrmhook em0: upper\nrmhook em0: lower\nmsg em0: setautosrc 0\nmsg em0: setpromisc 0\n"), "{undo}");
    // The passthrough move's undo brings em2 back (it was down, so not up).
    assert_eq!(
        plan.steps[10].undo.as_ref().map(|u| u.command(&Bindings::new()).to_string()).as_deref(),
        Some("ifconfig em2 -vnet 3")
    );
}

#[test]
fn long_jail_names_are_shortened_and_a_collision_takes_the_next_candidate() {
    let j = JailName::parse("webfrontend-prod").unwrap();
    let mut n = ng(&["em0"]);
    n.jail = j.clone();
    n.nics[0].name = ng_ifname(&j, 0, 0);
    let mut v = view();
    v.jail.as_mut().unwrap().name = j.to_string();
    let plan = plan_bridge(&n, &v).unwrap();
    let first = ng_ifname(&j, 0, 0);
    assert!(first.as_str().starts_with("ng0_webfro_") && first.as_str().len() == 15);
    let Some(Effect::Attach(f)) = plan.effects.iter().find(|e| matches!(e, Effect::Attach(_))) else { panic!() };
    assert_eq!((f.nic_name.as_str(), f.wanted_name.as_deref()), (first.as_str(), Some("ng0_webfrontend-prod")));
    // Another jail's NIC has that node name: the next candidate, said in a note.
    v.ng_names_taken.insert(first.to_string(), "webfrontend-prox".into());
    let plan = plan_bridge(&n, &v).unwrap();
    let second = ng_ifname(&j, 0, 1);
    assert_ne!(first, second);
    assert!(dry_run(&plan).contains(&format!("name vimage_em0:link2 {second}")), "{}", dry_run(&plan));
    assert!(plan.notes.iter().any(|x| x.contains("belongs to jail webfrontend-prox")), "{:?}", plan.notes);
}

#[test]
fn refusals_for_netgraph_uplinks() {
    let mut v = view();
    v.ng_uplinks.insert("em0".into(), NgUplink { node: "em0".into(), exists: false, ..NgUplink::default() });
    let e = plan_bridge(&ng(&["em0"]), &v).unwrap_err();
    assert_eq!(e.exit_code(), 69);
    assert!(e.to_string().contains("doctor fix=1"), "{e}");

    let mut v = view();
    let mut st = em0_free();
    let peer = NgPeer { name: "em0bridge".into(), type_name: "bridge".into(), id: 5, peer_hook: "uplink1".into() };
    st.hooks.insert("lower".into(), peer);
    v.ng_uplinks.insert("em0".into(), st.clone());
    let e = plan_bridge(&ng(&["em0"]), &v).unwrap_err();
    assert_eq!(e.exit_code(), 69);
    assert!(e.to_string().contains("em0bridge") && e.to_string().contains("another tool"), "{e}");

    st.hooks.get_mut("lower").unwrap().name = "vimage_em0".into();
    v.ng_uplinks.insert("em0".into(), st);
    let e = plan_bridge(&ng(&["em0"]), &v).unwrap_err();
    assert!(e.to_string().contains("no record of it"), "{e}");

    let e = plan_bridge(&ng(&["em9"]), &view()).unwrap_err();
    assert!(e.message.contains("uplink em9 does not exist"), "{e}");
}

#[test]
fn netgraph_loads_ng_ether_first_when_it_is_not_loaded() {
    // Issue 12, item 17: the module is loaded as a step of its own, before the batch, and not
    // undone; the bridge's ng_ether flags are restored to a fresh node's (promisc 0, autosrc 0:
    // 14.x ng_ether_attach, M_ZERO).
    let mut v = view();
    v.ng_uplinks.insert("em0".into(), NgUplink { node: "em0".into(), exists: false, ..NgUplink::default() });
    v.ng_ether_loaded = Some(false);
    let plan = plan_bridge(&ng(&["em0", "em0"]), &v).unwrap();
    let loads: Vec<usize> =
        plan.steps.iter().enumerate().filter(|(_, s)| matches!(s.op, Op::KldLoad { .. })).map(|(i, _)| i).collect();
    assert_eq!(loads, [0], "one load, first: {}", dry_run(&plan));
    assert_eq!(plan.steps[0].op.command(&Bindings::new()).script_line(), "kldload -n ng_ether");
    assert_eq!(plan.steps[0].undo, None, "a module load is not undone");
    assert!(matches!(plan.steps[1].op, Op::NgScript { .. }));
    assert!(
        plan.notes.iter().any(|n| n.contains("loading ng_ether") && n.contains("stays loaded")),
        "{:?}",
        plan.notes
    );
    assert!(plan.effects.contains(&Effect::NgBridge {
        name: "vimage_em0".into(),
        uplink: "em0".into(),
        promisc: false,
        autosrc: false
    }));
    // Loaded already, but no node: that uplink is not Ethernet; nothing is loaded.
    v.ng_ether_loaded = Some(true);
    let e = plan_bridge(&ng(&["em0"]), &v).unwrap_err();
    assert_eq!(e.exit_code(), 69);
    assert!(e.to_string().contains("ng_ether is loaded"), "{e}");
}

#[test]
fn passthrough_refusals_and_force() {
    let pt = |iface: &str, force: bool| {
        let mut n = JailNet { jail: jail(), nics: Vec::new(), addressing: Default::default(), force, userland: None };
        n.add_passthrough(&[IfName::parse(iface).unwrap()]);
        n
    };
    let e = plan_bridge(&pt("em0", false), &view()).unwrap_err();
    assert_eq!((e.kind, e.exit_code()), (Kind::Data, 65));
    assert!(e.message.contains("default route"), "{e}");
    assert!(e.to_string().contains("force=1"), "{e}");
    assert!(plan_bridge(&pt("em0", true), &view()).is_ok());

    let mut v = view();
    v.host_ifaces.extend(
        parse_status(
            "bridge1: flags=8843<UP> metric 0 mtu 1500\n\tmember: em1 flags=143<LEARNING>\n\tgroups: bridge\n",
        )
        .into_iter()
        .map(|s| (s.name.clone(), s)),
    );
    assert!(plan_bridge(&pt("em1", false), &v).unwrap_err().message.contains("member of bridge bridge1"));
    let mut v = later_view();
    v.bridges[0].uplink = "em1".into();
    assert!(plan_bridge(&pt("em1", false), &v).unwrap_err().message.contains("uplink of vimage's bridge"));
    let mut n = pt("em1", false);
    n.nics.insert(0, JailNet::epairs(jail(), &[Uplink::parse("em1").unwrap()]).nics.remove(0));
    n.nics[1].index = 1;
    assert!(plan_bridge(&n, &view()).unwrap_err().message.contains("another NIC of this jail"));
    let e = plan_bridge(&pt("em7", false), &view()).unwrap_err();
    assert_eq!(e.exit_code(), 69);
}

fn ng_record(v: &HostView, jid: u32) -> Attachment {
    let mut a =
        Attachment::basic("web1", 0, "ng0_web1", crate::model::ModeKind::Netgraph, "ng0_web1", jid, v.kernel.boottime);
    a.bridge = Some("vimage_em0".into());
    a.uplink = Some("em0".into());
    a.mac = Some(mac(0).to_string());
    a.ng_node = Some(0x1a);
    a.ng_link = Some(2);
    a
}

#[test]
fn a_netgraph_nic_already_there_is_left_alone_and_a_stale_one_is_shut_down_first() {
    let mut v = later_view();
    v.attachments.push(ng_record(&v, 3));
    v.stored_macs.insert(0, mac(0));
    v.jail_ifaces.extend(parse_status(&format!("ng0_web1: flags=8843<UP> metric 0 mtu 1500\n\tether {}\n", mac(0))));
    let plan = plan_bridge(&ng(&["em0"]), &v).unwrap();
    assert!(plan.is_empty() && plan.effects.is_empty(), "{plan:?}");
    assert!(plan.notes.iter().any(|n| n.contains("already bridged")), "{:?}", plan.notes);
    // The jail was restarted (jid 2 in the record): the old node goes before the batch.
    let mut v = later_view();
    v.attachments.push(ng_record(&v, 2));
    let plan = plan_bridge(&ng(&["em0"]), &v).unwrap();
    assert_eq!(plan.steps[0].op, Op::NgShutdown { id: 0x1a, name: "ng0_web1".into() });
    assert_eq!(plan.steps[0].op.command(&Bindings::new()).to_string(), "ngctl shutdown '[1a]:'");
    assert!(matches!(plan.steps[1].op, Op::NgScript { .. }));
    assert!(plan.effects.contains(&Effect::Detach { nic: 0 }));
}

#[test]
fn unbridge_shuts_nodes_down_by_id_gives_interfaces_back_and_removes_the_last_bridge() {
    let mut v = later_view();
    v.attachments.push(ng_record(&v, 3));
    let mut pt = Attachment::basic("web1", 1, "em2", crate::model::ModeKind::Passthrough, "em2", 3, BOOT);
    pt.was_up = Some(true);
    v.attachments.push(pt);
    v.bridge_users.insert("vimage_em0".into(), 0);
    let plan = plan_unbridge(&jail(), &v);
    let cmds: Vec<String> = plan.steps.iter().map(|s| s.op.command(&Bindings::new()).to_string()).collect();
    assert_eq!(
        cmds,
        [
            "ngctl shutdown '[1a]:'",
            "ngctl -f - <<'EOF'\nshutdown vimage_em0:\nmsg em0: setautosrc 0\nmsg em0: setpromisc 0\nEOF",
            "ifconfig em2 -vnet 3 up",
        ]
    );
    assert_eq!(plan.steps[1].effects, [Effect::BridgeGone { name: "vimage_em0".into() }]);
    // Another jail still on the bridge keeps it; a jail that is gone got em2 back already.
    v.bridge_users.insert("vimage_em0".into(), 4);
    v.jail = None;
    let plan = plan_unbridge(&jail(), &v);
    assert_eq!(plan.steps.len(), 1);
    assert!(plan.effects.contains(&Effect::Detach { nic: 1 }));
}

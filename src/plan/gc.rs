//! Removing orphans: vimage-marked objects no running jail accounts for, and records that
//! describe nothing.
//!
//! What is an orphan and which records are dead is judged once, by [`super::inventory`],
//! which `status` reports from too; this module turns that judgement into gc's plans.

use super::inventory::{self, Seen};
pub use super::inventory::{NG_MARKER, Orphan};
use super::{Effect, Plan, Step, Verb};
use crate::facts::JailInfo;
use crate::model::JailName;
use crate::op::{IfRef, Op};
use crate::parse::ifconfig::IfStatus;
use crate::state::{Attachment, BridgeRec};
use serde::Serialize;
use std::collections::BTreeMap;

/// The name under which gc journals work that belongs to no jail (an empty vimage bridge,
/// vimage's devfs.rules section): its errors never show it ([`for_no_jail`]; `crate::ops`
/// takes it off them, as doctor's runs show no name). `%` may start a CBSD jail name but no
/// sane one looks like this.
pub const GC_SCOPE: &str = "%vimage-gc";

/// Whether `p` is one of gc's plans for no jail (journalled under [`GC_SCOPE`]): its messages
/// and errors name no jail.
pub fn for_no_jail(p: &Plan) -> bool {
    p.jail.as_str() == GC_SCOPE
}

/// What a full scan says is orphaned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Orphans {
    /// Marked interfaces no running jail accounts for.
    pub objects: Vec<Orphan>,
    /// Attachment records that describe no live object, as (jail, nic).
    pub dead_records: Vec<(String, u32)>,
    /// Bridge records whose bridge does not exist.
    pub dead_bridges: Vec<String>,
}

/// Classifies everything in group `vimage` (`scan`) against the running jails and the records
/// ([`inventory::judge`]). `ng_alive` holds the netgraph node IDs (of this boot's netgraph
/// records) that answered.
pub fn find(
    boottime: i64,
    jails: &[JailInfo],
    scan: &[IfStatus],
    atts: &[Attachment],
    bridges: &[BridgeRec],
    ng_alive: &BTreeMap<u32, String>,
) -> Orphans {
    let seen = Seen { boottime, jails, scan, atts, bridges, ng_alive };
    of(&seen, &inventory::judge(&seen))
}

/// gc's share of an inventory: the orphans, the dead NIC records, the dead bridge records.
pub fn of(seen: &Seen<'_>, inv: &inventory::Inventory) -> Orphans {
    let dead_records =
        seen.atts.iter().zip(&inv.nics).filter(|(_, v)| v.dead).map(|(a, _)| (a.jail.clone(), a.nic)).collect();
    let dead_bridges =
        seen.bridges.iter().zip(&inv.bridges).filter(|(_, v)| v.dead).map(|(b, _)| b.name.clone()).collect();
    Orphans { objects: inv.orphans.clone(), dead_records, dead_bridges }
}

/// The teardown plans that remove the removable orphans and dead records: one per jail (so
/// the journal and errors name it), plus one under [`GC_SCOPE`] for jail-less bridges.
pub fn plans(o: &Orphans) -> Vec<Plan> {
    let mut per_jail: BTreeMap<String, Plan> = BTreeMap::new();
    fn plan_for<'a>(m: &'a mut BTreeMap<String, Plan>, jail: &str) -> Option<&'a mut Plan> {
        let j = JailName::parse(jail).ok()?;
        Some(m.entry(jail.to_string()).or_insert_with(|| Plan::new(j, Verb::Unbridge)))
    }
    for x in o.objects.iter().filter(|x| x.removable && x.jail.is_some() && !x.is_netgraph_nic()) {
        let jail = x.jail.as_deref().unwrap_or_default();
        if let Some(p) = plan_for(&mut per_jail, jail) {
            let op = if x.is_cbsd_epair() {
                Op::Unadopt { iface: x.object.clone(), description: None }
            } else {
                Op::Destroy { iface: IfRef::name(&x.object) }
            };
            p.steps.push(Step::new(op));
            p.notes.push(format!("{}: {} [{}]", x.object, x.reason, x.marker));
        }
    }
    for (jail, nic) in &o.dead_records {
        if let Some(p) = plan_for(&mut per_jail, jail) {
            p.effects.push(Effect::Detach { nic: *nic });
        }
    }
    let mut out: Vec<Plan> = per_jail.into_values().collect();
    let bridges: Vec<&Orphan> = o.objects.iter().filter(|x| x.removable && x.jail.is_none()).collect();
    if (!bridges.is_empty() || !o.dead_bridges.is_empty())
        && let Ok(scope) = JailName::parse(GC_SCOPE)
    {
        let mut p = Plan::new(scope, Verb::Unbridge);
        for b in bridges {
            p.steps.push(
                Step::new(Op::Destroy { iface: IfRef::name(&b.object) })
                    .with_effect(Effect::BridgeGone { name: b.object.clone() }),
            );
            p.notes.push(format!("{}: {}", b.object, b.reason));
        }
        for b in &o.dead_bridges {
            p.effects.push(Effect::BridgeGone { name: b.clone() });
        }
        out.push(p);
    }
    out
}

/// The plan that flushes the pf anchors of NAT networks no bridge serves (`nets`, each
/// gathered without a bridge), and puts forwarding back when vimage set it: the same steps
/// as the last jail's stop ([`super::privnet::nat_down`]). `None` when nothing is loaded.
pub fn stale_nat_anchors(nets: &[crate::facts::privnet::NetFacts]) -> Option<Plan> {
    let mut p = Plan::new(JailName::parse(GC_SCOPE).ok()?, Verb::Unbridge);
    let going: Vec<String> = nets.iter().map(|f| f.def.name.to_string()).collect();
    for f in nets {
        super::privnet::nat_down(f, &going, &mut p);
    }
    (!p.steps.is_empty()).then_some(p)
}

/// The plan that takes vimage's section out of `/etc/devfs.rules` when nothing uses it any
/// more: no jail is recorded as using vimage's ruleset and the kernel has no ruleset of that
/// number loaded (so no running jail's /dev can be using it either). That is what a teardown
/// leaves when it could not edit the file (a damaged file, a kill between the kernel part and
/// the file step). `rules` is the file's text, `loaded` the kernel's ruleset numbers.
pub fn stale_devfs_section(rules: &str, users: usize, loaded: &std::collections::BTreeSet<u16>) -> Option<Plan> {
    let ours = crate::devfs::rules::RulesFile::parse(rules).ours()?;
    if users > 0 || ours.number.is_some_and(|n| loaded.contains(&n)) {
        return None;
    }
    let mut p = Plan::new(JailName::parse(GC_SCOPE).ok()?, Verb::Unbridge);
    p.files.push(super::FileEdit::DevfsRules { set: None });
    let n = ours.number.map_or_else(|| "…".to_string(), |n| n.to_string());
    p.notes.push(format!(
        "/etc/devfs.rules: vimage's section [{}={n}]: no jail uses it and the kernel has no ruleset {n}",
        crate::devfs::SECTION
    ));
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ifconfig::parse_status;

    fn jail(name: &str, jid: u32) -> JailInfo {
        JailInfo { jid, name: name.into(), vnet: true, dying: false, path: String::new(), devfs_ruleset: 0 }
    }

    fn att(jail: &str, host_if: &str, jid: u32) -> Attachment {
        Attachment {
            jail: jail.into(),
            nic: 0,
            nic_name: "eth0".into(),
            mode: crate::model::ModeKind::Epair,
            host_if: host_if.into(),
            bridge: Some("bridge0".into()),
            uplink: Some("em0".into()),
            mac: None,
            jid,
            boottime: 7,
            ng_node: None,
            ng_link: None,
            wanted_name: None,
            was_up: None,
            jail_if: None,
        }
    }

    const SCAN: &str = "epair0a: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:web1:eth0
\tgroups: epair vimage
epair1a: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:gone:eth0
\tgroups: epair vimage
epair2a: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:web2:eth0
\tgroups: epair vimage
epair3a: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:web3:eth0
\tgroups: epair vimage
bridge0: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:em0
\tmember: epair0a flags=143<LEARNING>
\tmember: em0 flags=143<LEARNING>
\tgroups: bridge vimage
bridge1: flags=8843<UP> metric 0 mtu 1500
\tdescription: vimage:em1
\tmember: em1 flags=143<LEARNING>
\tgroups: bridge vimage
";

    #[test]
    fn classifies_live_stale_gone_unrecorded_and_empty_bridges() {
        let jails = [jail("web1", 1), jail("web2", 5), jail("web3", 6)];
        let atts = [att("web1", "epair0a", 1), att("web2", "epair2a", 4), att("old", "epair9a", 2)];
        let bridges = [BridgeRec::if_bridge("bridge7", "em2", true, 7)];
        let o = find(7, &jails, &parse_status(SCAN), &atts, &bridges, &BTreeMap::new());
        let names: Vec<(&str, bool)> = o.objects.iter().map(|x| (x.object.as_str(), x.removable)).collect();
        assert_eq!(names, [("epair1a", true), ("epair2a", true), ("epair3a", false), ("bridge1", true)]);
        // bridge0 stays: its member epair0a is web1's live NIC.
        assert_eq!(o.dead_records, [("web2".to_string(), 0), ("old".to_string(), 0)]);
        assert_eq!(o.dead_bridges, ["bridge7"]);
        let p = plans(&o);
        let summary: Vec<(String, usize, usize)> =
            p.iter().map(|p| (p.jail.to_string(), p.steps.len(), p.effects.len())).collect();
        assert_eq!(
            summary,
            [("gone".into(), 1, 0), ("old".into(), 0, 1), ("web2".into(), 1, 1), (GC_SCOPE.into(), 1, 1)]
        );
    }

    #[test]
    fn vimages_devfs_section_is_stale_only_when_nothing_uses_its_ruleset() {
        let rules = "[mine=7]\nadd hide\n[vimage_vnet_bpf=50]\n# managed by vimage(8)\nadd path 'bpf*' unhide\n";
        let p = stale_devfs_section(rules, 0, &[1, 2, 3, 4, 5].into()).expect("stale");
        assert_eq!(p.files, [crate::plan::FileEdit::DevfsRules { set: None }]);
        assert!(p.steps.is_empty() && p.notes[0].contains("[vimage_vnet_bpf=50]"), "{p:?}");
        assert!(stale_devfs_section(rules, 1, &[5].into()).is_none(), "a jail is recorded as using it");
        assert!(stale_devfs_section(rules, 0, &[5, 50].into()).is_none(), "the kernel has it: records may be lost");
        assert!(stale_devfs_section("[mine=7]\n", 0, &[].into()).is_none(), "no section of vimage's");
    }

    #[test]
    fn nothing_to_collect_gives_no_plans() {
        let o =
            find(7, &[jail("web1", 1)], &parse_status(SCAN)[..1], &[att("web1", "epair0a", 1)], &[], &BTreeMap::new());
        assert!(o.objects.is_empty() && o.dead_records.is_empty(), "{o:?}");
        assert!(plans(&o).is_empty());
    }

    /// A netgraph NIC is never in the host's interface list (it lives in its jail, and
    /// comes back to the host as `ng0_web1`, not in group vimage): its record is dead only
    /// when its node no longer answers or the boot changed. Forgetting a live one would leave
    /// an eiface nobody removes (found by `tools/campaign`: a gc between bridge and unbridge).
    #[test]
    fn netgraph_and_passthrough_records_are_judged_by_node_and_jail_not_by_the_scan() {
        let ng = |nic: u32, node: u32, boottime: i64| Attachment {
            nic,
            nic_name: format!("ng{nic}_web1"),
            mode: crate::model::ModeKind::Netgraph,
            host_if: format!("ng{nic}_web1"),
            bridge: Some("vimage_em0".into()),
            ng_node: Some(node),
            boottime,
            ..att("web1", "", 1)
        };
        let pass = |jail: &str, jid: u32| Attachment {
            nic: 9,
            nic_name: "em2".into(),
            mode: crate::model::ModeKind::Passthrough,
            host_if: "em2".into(),
            bridge: None,
            ..att(jail, "em2", jid)
        };
        let atts = [ng(0, 0x21, 7), ng(1, 0x22, 7), ng(2, 0x23, 6), pass("web1", 1), pass("db", 3)];
        let mut ng_bridge = BridgeRec::if_bridge("vimage_em0", "em0", true, 7);
        ng_bridge.kind = crate::state::BridgeKind::Netgraph;
        let mut old_ng_bridge = BridgeRec::if_bridge("vimage_em1", "em1", true, 6);
        old_ng_bridge.kind = crate::state::BridgeKind::Netgraph;
        let alive = BTreeMap::from([(0x21, "ng0_web1".to_string()), (0x23, "ng2_web1".to_string())]);
        let o = find(7, &[jail("web1", 1)], &[], &atts, &[ng_bridge, old_ng_bridge], &alive);
        // ng0 answers: kept; ng1's node is gone: dead; ng2 answers but is from another boot
        // (another node has that ID now): dead. web1's passthrough is live; db is not running.
        assert_eq!(o.dead_records, [("web1".to_string(), 1), ("web1".to_string(), 2), ("db".to_string(), 9)]);
        assert_eq!(o.dead_bridges, ["vimage_em1"], "the ng_bridge record of this boot is kept");
        assert!(o.objects.is_empty());

        // A jail gone with its eiface still answering: an orphan, removed by the jail's
        // unbridge (ops::Session::gc), never by a `destroy` of its name.
        let gone = Attachment { jail: "old".into(), ..ng(0, 0x24, 7) };
        let alive = BTreeMap::from([(0x24, "ng0_old".to_string())]);
        let o = find(7, &[jail("web1", 1)], &[], &[gone], &[], &alive);
        assert_eq!(o.objects.len(), 1);
        let x = &o.objects[0];
        assert!(x.is_netgraph_nic() && x.removable && x.jail.as_deref() == Some("old"), "{x:?}");
        assert_eq!((x.object.as_str(), x.marker.as_str()), ("ng0_old", "netgraph node [24]"));
        assert!(o.dead_records.is_empty(), "its record stays for the unbridge");
        assert!(plans(&o).is_empty());
    }
}

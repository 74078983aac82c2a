//! Planning `vimage unbridge`: destroy each epair host end that carries this jail's marker
//! (which destroys the jail end too, wherever it is), give each epair taken over from CBSD
//! back (only vimage's group marker comes off: CBSD's jstop destroys CBSD's epair), shut
//! down each of its ng_eiface nodes (by ID: the interface goes wherever it is), give each
//! passed-through interface back (`ifconfig X -vnet J`), then remove each vimage bridge that
//! lost its last jail.

use super::{Effect, Plan, Step, Verb};
use crate::facts::HostView;
use crate::model::{JailName, ModeKind};
use crate::naming::{EpairMark, GROUP, bridge_marker, epair_mark, is_own_vlan};
use crate::naming::{ether_node, safe_node_name};
use crate::op::ngscript::NgLine;
use crate::op::{IfRef, Op, Slot};
use std::collections::BTreeSet;

/// Plans the removal of everything vimage made for `jail`. Never fails: what is already gone
/// is skipped, and an empty plan means there is nothing to do.
pub fn plan_unbridge(jail: &JailName, v: &HostView) -> Plan {
    let mut plan = Plan::new(jail.clone(), Verb::Unbridge);
    let mut destroyed = BTreeSet::new();
    for st in v.host_ifaces.values() {
        let Some(mark) = epair_mark(st).filter(|m| m.jail() == jail.as_str()) else {
            continue;
        };
        match mark {
            EpairMark::Created { nic, .. } => {
                let mut step = Step::new(Op::Destroy { iface: IfRef::name(&st.name) });
                if let Some(a) = v.attachments.iter().find(|a| a.nic_name == nic) {
                    step = step.with_effect(Effect::Detach { nic: a.nic });
                }
                plan.steps.push(step);
                plan.notes.push(format!("{nic}: destroying {} (and with it the jail end)", st.name));
                destroyed.insert(nic);
            }
            // CBSD's epair: vimage takes its group marker off and forgets it; CBSD's jstop,
            // which found it by its description before this ran, destroys it after `jail -r`.
            EpairMark::Adopted { index, .. } => {
                let mut step = Step::new(Op::Unadopt { iface: st.name.clone(), description: None });
                let rec = v.attachments.iter().find(|a| a.nic == index && a.mode == ModeKind::Epair);
                let nic = rec.map_or_else(|| format!("eth{index}"), |a| a.nic_name.clone());
                if let Some(a) = rec {
                    step = step.with_effect(Effect::Detach { nic: a.nic });
                }
                plan.steps.push(step);
                plan.notes.push(format!(
                    "{nic}: giving {} back to CBSD (CBSD's epair: `cbsd jstop` destroys it after jail -r)",
                    st.name
                ));
                destroyed.insert(nic);
            }
        }
    }
    for a in v.attachments.iter().filter(|a| a.mode == ModeKind::Epair && !destroyed.contains(&a.nic_name)) {
        plan.notes.push(format!("{}: recorded host end {} is already gone", a.nic_name, a.host_if));
        plan.effects.push(Effect::Detach { nic: a.nic });
    }
    netgraph(&mut plan, v);
    passthrough(&mut plan, v);
    let destroyed: BTreeSet<String> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.op {
            Op::Destroy { iface: IfRef::Name(n) } => Some(n.clone()),
            _ => None,
        })
        .collect();
    let recorded: BTreeSet<&str> =
        v.attachments.iter().filter(|a| a.mode == ModeKind::Epair).filter_map(|a| a.bridge.as_deref()).collect();
    let mut going: Vec<String> = Vec::new();
    for b in v.host_ifaces.values().filter(|b| b.is_bridge() && b.in_group(GROUP)) {
        let Some(uplink) = b.description.as_deref().and_then(|d| d.strip_prefix("vimage:")) else {
            continue;
        };
        if b.description.as_deref() != Some(bridge_marker(uplink).as_str()) {
            continue;
        }
        let used_by_jail = recorded.contains(b.name.as_str()) || b.members.iter().any(|m| destroyed.contains(m));
        let others = b.members.iter().filter(|m| *m != uplink && !destroyed.contains(*m)).count();
        if used_by_jail && others == 0 {
            let step = Step::new(Op::Destroy { iface: IfRef::name(&b.name) })
                .with_effect(Effect::BridgeGone { name: b.name.clone() });
            plan.steps.push(step);
            plan.notes.push(format!("{}: destroying vimage's bridge for {uplink}: its last jail left", b.name));
            // vimage set this vtnet uplink's promisc as it made the bridge (its record says
            // so); an admin's promisc has no such record and stays.
            let set_by_vimage =
                v.bridges.iter().any(|r| r.name == b.name && !r.is_netgraph() && r.ng_promisc == Some(false));
            if set_by_vimage && v.host_iface(uplink).is_some_and(|u| u.has_flag("PPROMISC")) {
                plan.steps.push(Step::new(Op::Promisc { iface: uplink.to_string(), on: false }));
                plan.notes.push(format!("{uplink}: promisc off again (vimage set it for {})", b.name));
            }
            if let Some(n) = uplink.strip_prefix(crate::model::privnet::NET_PREFIX) {
                going.push(n.to_string());
            }
        }
    }
    for (n, f) in &v.networks {
        if going.contains(n) {
            super::privnet::nat_down(f, &going, &mut plan);
        } else {
            super::privnet::nat_leave(f, jail.as_str(), &mut plan);
        }
    }
    vlans(&mut plan, v);
    super::devfs::plan_release(&mut plan, jail, v.jail.as_ref(), v);
    if plan.changes_nothing() {
        plan.notes.push("nothing to do: vimage has nothing set up for this jail".into());
    }
    plan
}

/// Each eiface node by its recorded ID (records of an earlier boot are gone with it), then each
/// vimage ng_bridge no other jail's records use: its uplink's ng_ether flags back as they were,
/// and the bridge shut down (which disconnects the uplink's lower and upper hooks).
fn netgraph(plan: &mut Plan, v: &HostView) {
    let mut bridges: BTreeSet<&str> = BTreeSet::new();
    for a in v.attachments.iter().filter(|a| a.mode == ModeKind::Netgraph) {
        match a.ng_node.filter(|_| a.boottime == v.kernel.boottime) {
            Some(id) => {
                let step = Step::new(Op::NgShutdown { id, name: a.host_if.clone() })
                    .with_effect(Effect::Detach { nic: a.nic });
                plan.steps.push(step);
                plan.notes.push(format!(
                    "{}: shutting down netgraph node {} [{id:x}] (and with it the interface)",
                    a.nic_name, a.host_if
                ));
            }
            None => {
                plan.notes
                    .push(format!("{}: recorded netgraph node {} is from an earlier boot", a.nic_name, a.host_if));
                plan.effects.push(Effect::Detach { nic: a.nic });
            }
        }
        bridges.extend(a.bridge.as_deref());
    }
    for b in bridges {
        let Some(rec) = v.bridges.iter().find(|r| r.name == b && r.is_netgraph()) else { continue };
        if v.bridge_users.get(b).copied().unwrap_or(0) > 0 {
            continue;
        }
        let node = ether_node(&rec.uplink);
        if !safe_node_name(b) || !safe_node_name(&node) {
            plan.notes.push(format!("{b:?}: not a node name vimage would write; leaving that bridge record alone"));
            continue;
        }
        let (p, a) = (u8::from(rec.ng_promisc == Some(true)), u8::from(rec.ng_autosrc == Some(true)));
        // Shutting the bridge down disconnects the ether node's last hooks, which resets it
        // (ng_ether.c ng_ether_disconnect → ng_ether_shutdown): promisc off on every release,
        // and autosrc back to 1 in the old copies of that file (12.x and later leave it). Both
        // flags are therefore written after the shutdown, so the recorded values win whatever
        // the kernel's reset did.
        let lines = vec![
            NgLine::new(format!("shutdown {b}:")),
            NgLine::new(format!("msg {node}: setautosrc {a}")),
            NgLine::new(format!("msg {node}: setpromisc {p}")),
        ];
        let step = Step::new(Op::NgScript { slot: Slot("ngctl".into()), lines })
            .with_effect(Effect::BridgeGone { name: b.to_string() });
        plan.steps.push(step);
        plan.notes.push(format!("{b}: removing vimage's netgraph bridge on {node} (its last jail left)"));
    }
}

/// Each vlan(4) uplink vimage created whose bridge this plan removes, unless another bridge
/// still has it as member or another jail's netgraph bridge hangs on it: destroyed after its
/// bridge (a vlan vimage did not create — no [`is_own_vlan`] marker — is never touched).
fn vlans(plan: &mut Plan, v: &HostView) {
    let gone: BTreeSet<String> = plan
        .steps
        .iter()
        .flat_map(|s| &s.effects)
        .filter_map(|e| match e {
            Effect::BridgeGone { name } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut uplinks = BTreeSet::new();
    for b in &gone {
        let up = match v.host_iface(b) {
            Some(st) if st.is_bridge() => st.description.as_deref().and_then(|d| d.strip_prefix("vimage:")),
            _ => v.bridges.iter().find(|r| &r.name == b).map(|r| r.uplink.as_str()),
        };
        uplinks.extend(up.map(str::to_string));
    }
    for up in uplinks {
        let Some(st) = v.host_iface(&up).filter(|s| is_own_vlan(s)) else { continue };
        let bridged =
            v.host_ifaces.values().any(|b| b.is_bridge() && !gone.contains(&b.name) && b.members.contains(&up));
        let ng = v.bridges.iter().any(|r| r.uplink == up && !gone.contains(&r.name) && r.is_netgraph());
        if bridged || ng {
            continue;
        }
        plan.steps.push(Step::new(Op::Destroy { iface: IfRef::name(&st.name) }));
        plan.notes.push(format!("{up}: destroying the vlan(4) vimage created for its jails: its last jail left"));
    }
}

/// Each passed-through interface back to the host while the jail that has it still runs (the
/// kernel gives it back when the jail dies, but not always promptly); brought up if it was up.
fn passthrough(plan: &mut Plan, v: &HostView) {
    for a in v.attachments.iter().filter(|a| a.mode == ModeKind::Passthrough) {
        let live = v.jail.as_ref().is_some_and(|j| j.jid == a.jid && !j.dying) && a.boottime == v.kernel.boottime;
        if live {
            let op = Op::Unvnet { iface: a.host_if.clone(), jid: a.jid, up: a.was_up == Some(true) };
            plan.steps.push(Step::new(op).with_effect(Effect::Detach { nic: a.nic }));
            plan.notes.push(format!("{}: giving it back to the host", a.host_if));
        } else {
            plan.notes.push(format!("{}: already back on the host (the jail it was given to is gone)", a.host_if));
            plan.effects.push(Effect::Detach { nic: a.nic });
        }
    }
}

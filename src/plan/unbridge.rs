//! Planning `vimage unbridge`: destroy each host end that carries this jail's marker (which
//! destroys the jail end too, wherever it is), then each vimage bridge that lost its last jail.

use super::op::{GROUP, IfRef, Op, bridge_marker, parse_epair_marker};
use super::{Effect, Plan, Step, Verb};
use crate::facts::HostView;
use crate::model::JailName;
use std::collections::BTreeSet;

/// Plans the removal of everything vimage made for `jail`. Never fails: what is already gone
/// is skipped, and an empty plan means there is nothing to do.
pub fn plan_unbridge(jail: &JailName, v: &HostView) -> Plan {
    let mut plan = Plan::new(jail.clone(), Verb::Unbridge);
    let mut destroyed = BTreeSet::new();
    for st in v.host_ifaces.values() {
        let Some((j, nic)) = st.description.as_deref().and_then(parse_epair_marker) else {
            continue;
        };
        if j != jail.as_str() || st.is_bridge() {
            continue;
        }
        let mut step = Step::new(Op::Destroy { iface: IfRef::name(&st.name) });
        if let Some(a) = v.attachments.iter().find(|a| a.nic_name == nic) {
            step = step.with_effect(Effect::Detach { nic: a.nic });
        }
        plan.steps.push(step);
        plan.notes.push(format!("{nic}: destroying {} (and with it the jail end)", st.name));
        destroyed.insert(nic);
    }
    for a in v.attachments.iter().filter(|a| !destroyed.contains(&a.nic_name)) {
        plan.notes.push(format!("{}: recorded host end {} is already gone", a.nic_name, a.host_if));
        plan.effects.push(Effect::Detach { nic: a.nic });
    }
    let destroyed: BTreeSet<String> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.op {
            Op::Destroy { iface: IfRef::Name(n) } => Some(n.clone()),
            _ => None,
        })
        .collect();
    let recorded: BTreeSet<&str> = v.attachments.iter().filter_map(|a| a.bridge.as_deref()).collect();
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
        }
    }
    super::devfs::plan_release(&mut plan, jail, v.jail.as_ref(), v);
    if plan.changes_nothing() {
        plan.notes.push("nothing to do: vimage has nothing set up for this jail".into());
    }
    plan
}

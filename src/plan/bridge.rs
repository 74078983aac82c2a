//! Planning `vimage bridge`: the checks every NIC shares (the jail, the NIC list, MACs, what
//! vimage already set up), then each mode's own steps: [`super::epair`], [`super::netgraph`],
//! [`super::passthrough`]. Steps come in NIC order by mode: epair NICs, the one netgraph batch
//! and its NICs' moves, then passed-through interfaces.

use super::planner::{NgPlan, Planner};
use super::{Effect, Plan, Verb};
use crate::error::{Error, Kind, Result};
use crate::facts::{HostView, JailInfo};
use crate::model::{IfName, JailName, JailNet, NicMode, NicSpec, Uplink};
use crate::op::IfRef;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Plans the changes that give `net.jail` the NICs in `net`, or refuses with the reason.
pub fn plan_bridge(net: &JailNet, v: &HostView) -> Result<Plan> {
    let mut pool = Plan::new(net.jail.clone(), Verb::Bridge);
    let with_pool;
    let net = if net.uses_networks() {
        with_pool = super::privnet::with_pool_addresses(net, v, &mut pool)?;
        &with_pool
    } else {
        net
    };
    let jail = &net.jail;
    let info = check_jail(jail, v)?;
    check_nics(jail, &net.nics)?;
    super::userland::check(net, v)?;
    let mut p = Planner {
        jail,
        info,
        v,
        plan: Plan::new(jail.clone(), Verb::Bridge),
        new_bridges: BTreeMap::new(),
        macs: HashSet::new(),
        ng: NgPlan::default(),
        stale: Vec::new(),
        vlans: Default::default(),
        force: net.force,
    };
    p.plan.notes.extend(v.userland.note(jail));
    p.plan.notes.append(&mut pool.notes);
    p.plan.effects.append(&mut pool.effects);
    if net.wants_devfs() {
        super::devfs::plan_use(&mut p.plan, jail, info, v, net.addressing.devfs_ruleset)?;
    }
    for nic in net.nics.iter().filter(|n| matches!(n.mode, NicMode::Epair { .. })) {
        p.epair_nic(nic)?;
    }
    let ng: Vec<&NicSpec> = net.nics.iter().filter(|n| matches!(n.mode, NicMode::Netgraph { .. })).collect();
    for (ordinal, nic) in ng.into_iter().enumerate() {
        p.netgraph_nic(nic, ordinal as u32)?;
    }
    p.finish_netgraph();
    for nic in net.nics.iter().filter(|n| matches!(n.mode, NicMode::Passthrough { .. })) {
        p.passthrough_nic(nic, net)?;
    }
    // What stale records left goes first, so no new interface meets an old one's name.
    let stale = std::mem::take(&mut p.stale);
    p.plan.steps.splice(0..0, stale);
    let (named, states) = nic_states(net, v, &p.plan);
    super::addr::plan_addresses(&mut p.plan, &named, info, v, &states)?;
    if net.uses_networks() {
        super::privnet::plan_resolver(&mut p.plan, v);
    }
    Ok(p.plan)
}

/// Refusals that concern the jail as a whole.
fn check_jail<'a>(jail: &JailName, v: &'a HostView) -> Result<&'a JailInfo> {
    if !v.kernel.vimage {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            "this kernel has no VIMAGE (sysctl kern.features.vimage is missing), so jails cannot have their own network stack",
        )
        .detail("GENERIC has had options VIMAGE since FreeBSD 12.0; boot a kernel built with it"));
    }
    let Some(info) = v.jail.as_ref() else {
        return Err(Error::jail(Kind::Unavailable, jail, "is not running: jls knows no jail of that name")
            .detail("vimage configures the network of a running vnet jail; start it first"));
    };
    if info.dying {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            format!("is dying (jid {}); wait until `jls -d` no longer lists it", info.jid),
        ));
    }
    if !info.vnet {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            format!("runs without its own network stack (jid {}, vnet=inherit)", info.jid),
        )
        .detail("restart it with the jail parameter vnet (CBSD: vnet=1) to give it one"));
    }
    Ok(info)
}

/// Refusals that concern the NIC list.
fn check_nics(jail: &JailName, nics: &[NicSpec]) -> Result<()> {
    if nics.is_empty() {
        return Err(Error::jail(Kind::Data, jail, "has no NICs to configure"));
    }
    let mut names = BTreeSet::new();
    let mut idx = BTreeSet::new();
    for n in nics {
        if !names.insert(n.name.as_str()) {
            return Err(Error::jail(Kind::Data, jail, format!("names two NICs {}", n.name)));
        }
        if !idx.insert(n.index) {
            return Err(Error::jail(Kind::Data, jail, format!("has two NICs with index {}", n.index)));
        }
    }
    Ok(())
}

/// Each NIC as the address planner needs it: whether this plan creates it (so it has no
/// address yet) and the if_bridge its host end is on (for `ci_gw4=auto`); and `net` with each
/// NIC under the name it really has in the jail (a netgraph name may have been shortened).
fn nic_states<'v>(
    net: &JailNet,
    v: &'v HostView,
    plan: &Plan,
) -> (JailNet, BTreeMap<String, super::addr::NicState<'v>>) {
    let mut named = net.clone();
    let mut states = BTreeMap::new();
    for nic in &mut named.nics {
        let fx = plan.effects.iter().find_map(|e| match e {
            Effect::Attach(f) if f.nic == nic.index => Some(f),
            _ => None,
        });
        let rec = v.attachments.iter().find(|a| a.nic == nic.index);
        let (created, bridge, name, iface) = match (fx, rec) {
            (Some(f), _) => {
                let bridge = match &f.bridge {
                    Some(IfRef::Name(n)) => Some(n.clone()),
                    _ => None,
                };
                let iface = f.jail_if.clone().unwrap_or_else(|| IfRef::name(&f.nic_name));
                (true, bridge, f.nic_name.clone(), iface)
            }
            (None, Some(r)) => (false, r.bridge.clone(), r.nic_name.clone(), IfRef::name(r.in_jail())),
            (None, None) => (false, None, nic.name.to_string(), IfRef::name(nic.name.as_str())),
        };
        if let Ok(n) = IfName::parse(&name) {
            nic.name = n;
        }
        let bridge = bridge.and_then(|b| v.host_iface(&b));
        let before = rec.filter(|_| created).map(|r| r.in_jail().to_string());
        states.insert(nic.name.to_string(), super::addr::NicState { created, bridge, iface, before });
    }
    (named, states)
}

/// The NIC list most callers mean: `eth0…` on the given uplinks.
pub fn default_nics(jail: &JailName, uplinks: &[Uplink], names: &[IfName]) -> JailNet {
    let mut net = JailNet::epairs(jail.clone(), uplinks);
    for (nic, name) in net.nics.iter_mut().zip(names) {
        nic.name = name.clone();
    }
    net
}

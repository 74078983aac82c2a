//! Planning a jail's addresses and default routers: the live changes inside the running jail
//! (after its NICs are in place and named) and the lines of its rc.conf that make them
//! survive a restart.
//!
//! Per NIC that `ip4_addr` mentions, vimage owns `ifconfig_<nic>`, `ifconfig_<nic>_ipv6` and
//! `ifconfig_<nic>_alias<N>` and sets them to exactly what `ip4_addr` says (a stale alias
//! goes); `defaultrouter` / `ipv6_defaultrouter` only when `ci_gw4` names a router. Live, an
//! address family `ip4_addr` does not mention is left as it is.

use super::{FileEdit, Plan, Step};
use crate::error::{Error, Kind, Result};
use crate::facts::{HostView, JailInfo};
use crate::model::addr::{Cidr4, Cidr6, Gateway, Gw6, V4, V6, is_link_local6};
use crate::model::{IfName, JailNet};
use crate::op::{IfRef, InJail, Op};
use crate::parse::ifconfig::IfStatus;
use crate::shvars::RcConf;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// One NIC as the address planner sees it.
pub struct NicState<'a> {
    /// Created by this plan: it has no address yet.
    pub created: bool,
    /// The bridge its host end joins, when known by name (for `ci_gw4=auto`).
    pub bridge: Option<&'a IfStatus>,
    /// The interface inside the jail: the NIC's name, or for a NIC that keeps the kernel's
    /// name (a Linux userland) that name, a slot until the kernel has chosen it.
    pub iface: IfRef,
    /// The in-jail name of the interface this plan replaces, whose routes go with it.
    pub before: Option<String>,
}

/// The interface inside a jail that address steps act on.
struct Where<'a> {
    jail: &'a crate::model::JailName,
    at: InJail,
    iface: &'a IfRef,
}

/// Steps that make one family's static addresses exactly `want`: stale ones go, missing
/// ones come; `have` and `want` hold (address, prefix) pairs (`want` with its CIDR text).
fn static_steps<A: PartialEq + std::fmt::Display>(
    plan: &mut Plan,
    at: &Where<'_>,
    have: &[(A, u8)],
    want: &[((A, u8), String)],
    v6: bool,
) {
    let step = |add: bool, cidr: String| {
        let (jail, iface) = (at.jail.clone(), at.iface.clone());
        Step::new(if add {
            Op::AddrAdd { jail, at: at.at, iface, cidr, v6 }
        } else {
            Op::AddrDel { jail, at: at.at, iface, cidr, v6 }
        })
    };
    for (a, p) in have {
        if !want.iter().any(|(w, _)| w.0 == *a && w.1 == *p) {
            plan.steps.push(step(false, format!("{a}/{p}")));
        }
    }
    for (w, cidr) in want {
        if !have.contains(w) {
            plan.steps.push(step(true, cidr.clone()));
        }
    }
}

/// Adds address, router and rc.conf changes for `net` to `plan`.
pub fn plan_addresses(
    plan: &mut Plan,
    net: &JailNet,
    info: &JailInfo,
    v: &HostView,
    nics: &BTreeMap<String, NicState<'_>>,
) -> Result<()> {
    if !net.manages_addresses() {
        return Ok(());
    }
    let jail = &net.jail;
    let via_jexec = !v.kernel.has_ifconfig_j();
    let jid = info.jid;
    let mut rc_set: Vec<(String, String)> = Vec::new();
    let mut rc_remove: Vec<String> = Vec::new();
    let rc = v.rcconf.as_ref().map(|r| RcConf::parse(r.text.as_deref().unwrap_or("")));
    for nic in net.nics.iter().filter(|n| !n.addrs.is_empty()) {
        let name = &nic.name;
        let state = nics.get(name.as_str());
        let iface = state.map_or_else(|| IfRef::from(name), |s| s.iface.clone());
        let live: Option<&IfStatus> = match (&iface, state.is_some_and(|s| s.created)) {
            (IfRef::Name(n), false) => v.jail_iface(n),
            _ => None,
        };
        let (have4, have6) = live.map_or((Vec::new(), Vec::new()), |i| {
            (i.inet_cidr.clone(), i.inet6_cidr.iter().filter(|(a, _)| !is_link_local6(a)).copied().collect())
        });
        // Live changes.
        match &nic.addrs.v4 {
            V4::None => {}
            V4::Dhcp => {
                if let Some((a, p)) = have4.first() {
                    plan.notes.push(format!("{name}: has {a}/{p} already (DHCP); dhclient is not run again"));
                } else {
                    plan.steps.push(Step::new(Op::Dhclient { jail: jail.clone(), jid, iface: name.clone() }));
                }
            }
            V4::Static(want) => {
                let want: Vec<_> = want.iter().map(|w| ((w.addr, w.prefix), w.to_string())).collect();
                static_steps(plan, &Where { jail, at: InJail { jid, via_jexec }, iface: &iface }, &have4, &want, false);
            }
        }
        match &nic.addrs.v6 {
            V6::None => {}
            V6::Slaac => {
                let on = live.is_some_and(|i| {
                    i.nd6.iter().any(|f| f == "ACCEPT_RTADV") && !i.nd6.iter().any(|f| f == "IFDISABLED")
                });
                if !on {
                    plan.steps.push(Step::new(Op::Slaac {
                        jail: jail.clone(),
                        at: InJail { jid, via_jexec },
                        iface: name.clone(),
                    }));
                    plan.notes
                        .push(format!("{name}: IPv6 by SLAAC: the address comes with the next router advertisement"));
                }
            }
            V6::Static(want) => {
                let want: Vec<_> = want.iter().map(|w| ((w.addr, w.prefix), w.to_string())).collect();
                static_steps(plan, &Where { jail, at: InJail { jid, via_jexec }, iface: &iface }, &have6, &want, true);
            }
        }
        // rc.conf lines.
        let (set, remove) = rc_lines(name, &nic.addrs.v4, &nic.addrs.v6, rc.as_ref());
        rc_set.extend(set);
        rc_remove.extend(remove);
    }
    // Default routers.
    let (gw4, gw6) = routers(net, v, nics)?;
    let created: BTreeSet<String> = nics
        .iter()
        .filter(|(_, s)| s.created)
        .flat_map(|(n, s)| {
            let now = match &s.iface {
                IfRef::Name(i) => i.clone(),
                _ => n.clone(),
            };
            [Some(n.clone()), Some(now), s.before.clone()].into_iter().flatten()
        })
        .collect();
    // A route through an interface this plan replaces is gone by the time the step runs.
    let current = |r: &Option<crate::facts::RouteFact>| {
        r.as_ref().filter(|r| !created.contains(&r.interface)).map(|r| r.gateway.clone())
    };
    let route_j = super::userland::route_j(v);
    let routes = [
        (gw4.map(|g| (g.to_string(), route_dev4(net, nics, g))), false, &v.jail_route4, "defaultrouter"),
        (gw6.map(|g| (g.to_string(), route_dev6(net, nics, &g))), true, &v.jail_route6, "ipv6_defaultrouter"),
    ];
    for (want, v6, have, key) in routes {
        let Some((gw, dev)) = want else { continue };
        let old = current(have);
        match route_j {
            _ if old.as_deref() == Some(gw.as_str()) => {}
            Some(route_j) => {
                let op = Op::RouteDefault { jail: jail.clone(), jid, v6, gw: gw.clone(), old, route_j };
                plan.steps.push(Step::new(op));
            }
            None => plan.notes.push(super::userland::route_by_the_jail(v6, &gw, &dev)),
        }
        rc_set.push((key.into(), gw));
    }
    if super::userland::is_linux(v) {
        plan.notes.push(super::userland::no_rcconf_note());
    }
    // Only what differs from the file goes into the edit.
    if let Some(r) = &v.rcconf {
        let cur = RcConf::parse(r.text.as_deref().unwrap_or(""));
        rc_set.retain(|(k, val)| cur.get(k).as_deref() != Some(val.as_str()));
        rc_remove.retain(|k| cur.get(k).is_some());
        if !rc_set.is_empty() || !rc_remove.is_empty() {
            plan.files.push(FileEdit::RcConf {
                path: r.path.clone(),
                shown: r.shown.clone(),
                set: rc_set,
                remove: rc_remove,
            });
        }
    }
    Ok(())
}

/// The interface in the jail an IPv4 router is reached through, for a note: the NIC whose
/// subnet holds it.
fn route_dev4(net: &JailNet, nics: &BTreeMap<String, NicState<'_>>, g: Ipv4Addr) -> String {
    let nic = net.nics.iter().find(|n| matches!(&n.addrs.v4, V4::Static(l) if l.iter().any(|c| c.contains(g))));
    nic.map_or_else(|| "?".into(), |n| dev_name(n.name.as_str(), nics))
}

/// The interface in the jail an IPv6 router is reached through, for a note.
fn route_dev6(net: &JailNet, nics: &BTreeMap<String, NicState<'_>>, g: &Gw6) -> String {
    if let Some(s) = &g.scope {
        return s.clone();
    }
    let nic = net.nics.iter().find(|n| matches!(&n.addrs.v6, V6::Static(l) if l.iter().any(|c| c.contains(g.addr))));
    nic.map_or_else(|| "?".into(), |n| dev_name(n.name.as_str(), nics))
}

/// A NIC's interface in the jail by name, or what to look for while the kernel has yet to
/// name it.
fn dev_name(nic: &str, nics: &BTreeMap<String, NicState<'_>>) -> String {
    match nics.get(nic).map(|s| &s.iface) {
        Some(IfRef::Name(n)) => n.clone(),
        Some(_) => format!("<the interface of NIC {nic}: vimage status shows its name>"),
        None => nic.to_string(),
    }
}

/// The rc.conf lines one NIC needs, and the ones of its keys that must go.
fn rc_lines(name: &IfName, v4: &V4, v6: &V6, rc: Option<&RcConf>) -> (Vec<(String, String)>, Vec<String>) {
    let mut set = Vec::new();
    let mut remove = Vec::new();
    let base = format!("ifconfig_{name}");
    let mut aliases: Vec<String> = Vec::new();
    match v4 {
        V4::None => remove.push(base.clone()),
        V4::Dhcp => set.push((base.clone(), "DHCP".to_string())),
        V4::Static(list) => {
            if let Some(first) = list.first() {
                set.push((base.clone(), format!("inet {first}")));
            }
            aliases.extend(list.iter().skip(1).map(|c: &Cidr4| format!("inet {c}")));
        }
    }
    let k6 = format!("{base}_ipv6");
    match v6 {
        V6::None => remove.push(k6),
        V6::Slaac => set.push((k6, "inet6 -ifdisabled accept_rtadv".to_string())),
        V6::Static(list) => {
            if let Some(first) = list.first() {
                set.push((k6, format!("inet6 {first}")));
            }
            aliases.extend(list.iter().skip(1).map(|c: &Cidr6| format!("inet6 {c}")));
        }
    }
    for (i, a) in aliases.iter().enumerate() {
        set.push((format!("{base}_alias{i}"), a.clone()));
    }
    if let Some(rc) = rc {
        let prefix = format!("{base}_alias");
        for k in rc.keys() {
            let stale =
                k.strip_prefix(&prefix).and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| n >= aliases.len());
            if stale {
                remove.push(k);
            }
        }
    }
    (set, remove)
}

/// The IPv4 and IPv6 routers `ci_gw4` asks for, checked against the jail's subnets.
fn routers(
    net: &JailNet,
    v: &HostView,
    nics: &BTreeMap<String, NicState<'_>>,
) -> Result<(Option<Ipv4Addr>, Option<Gw6>)> {
    let jail = &net.jail;
    let err = |m: String| Error::jail(Kind::Data, jail, m);
    let subnets4: Vec<Cidr4> = net
        .nics
        .iter()
        .flat_map(|n| match &n.addrs.v4 {
            V4::Static(l) => l.clone(),
            _ => Vec::new(),
        })
        .collect();
    let subnets6: Vec<Cidr6> = net
        .nics
        .iter()
        .flat_map(|n| match &n.addrs.v6 {
            V6::Static(l) => l.clone(),
            _ => Vec::new(),
        })
        .collect();
    let dhcp = net.wants_dhcp();
    match &net.addressing.gateway {
        Gateway::Unmanaged => Ok((None, None)),
        Gateway::Auto => {
            if dhcp || subnets4.is_empty() {
                return Ok((None, None));
            }
            let on_subnet = |a: Ipv4Addr| subnets4.iter().any(|s| s.contains(a) && s.addr != a);
            let from_bridge = nics
                .values()
                .filter_map(|s| s.bridge)
                .flat_map(|b| b.inet_cidr.iter().map(|(a, _)| *a))
                .find(|a| on_subnet(*a));
            let from_host =
                v.host_gateway.as_deref().and_then(|g| g.parse::<Ipv4Addr>().ok()).filter(|a| on_subnet(*a));
            match from_bridge.or(from_host) {
                Some(g) => Ok((Some(g), None)),
                None => Err(err(format!(
                    "ci_gw4=auto: neither the bridge nor the host's default router ({}) is on the jail's subnets ({})",
                    v.host_gateway.as_deref().unwrap_or("none"),
                    subnets4.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
                ))
                .detail("give the router explicitly: ci_gw4=<address>")),
            }
        }
        Gateway::Fixed { v4, v6 } => {
            if let Some(g) = v4 {
                if dhcp {
                    return Err(err(format!(
                        "ci_gw4={g} sets a static IPv4 router, but ip4_addr=REALDHCP gets one from the DHCP server"
                    ))
                    .detail("drop one of them (ci_gw4=0 lets DHCP decide)"));
                }
                if !subnets4.iter().any(|s| s.contains(*g)) {
                    return Err(err(format!(
                        "router {g} is not on any of the jail's IPv4 subnets ({})",
                        if subnets4.is_empty() {
                            "it has none".to_string()
                        } else {
                            subnets4.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
                        }
                    )));
                }
            }
            let g6 = match v6 {
                None => None,
                Some(g) if is_link_local6(&g.addr) => {
                    let scope = match &g.scope {
                        Some(s) => s.clone(),
                        None => net
                            .nics
                            .iter()
                            .find(|n| n.addrs.v6 != V6::None)
                            .or(net.nics.first())
                            .map(|n| n.name.to_string())
                            .unwrap_or_default(),
                    };
                    if !net.nics.iter().any(|n| n.name.as_str() == scope) {
                        return Err(err(format!("router {g}: the jail has no NIC {scope}")));
                    }
                    // A NIC that keeps the kernel's name (a Linux userland) is that name in
                    // the jail; a new one has none yet that a route could be scoped to.
                    let scope = match nics.get(&scope).map(|s| &s.iface) {
                        Some(IfRef::Name(n)) => n.clone(),
                        Some(_) => {
                            return Err(err(format!(
                                "router {g}: NIC {scope} keeps the name the kernel gives it, which is not known before it exists"
                            ))
                            .detail(format!("name the NIC (ifname=) or give a global IPv6 router; vimage bridge jname={jail} ifname=…")));
                        }
                        None => scope,
                    };
                    Some(Gw6 { addr: g.addr, scope: Some(scope) })
                }
                Some(g) => {
                    let slaac = net.nics.iter().any(|n| n.addrs.v6 == V6::Slaac);
                    if !slaac && !subnets6.iter().any(|s| s.contains(g.addr)) {
                        return Err(err(format!("router {g} is not on any of the jail's IPv6 subnets")));
                    }
                    Some(g.clone())
                }
            };
            Ok((*v4, g6))
        }
    }
}

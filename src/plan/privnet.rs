//! Planning NICs on private networks (`interface=net:jails`, see [`crate::model::privnet`]):
//! the network's bridge on first use, each jail's epair on it, the pool address and router,
//! and the jail's resolver.
//!
//! The network's start steps come from one function, [`network_up`]:
//! ```text
//! ifconfig bridge create description vimage:net:jails group vimage up
//! ifconfig $bridge_net_jails inet 10.77.0.1/24 alias
//! ifconfig $bridge_net_jails inet6 fd00:77::1/64 alias            (with cidr6)
//! pfctl -a vimage/jails -f -        (nat=auto|IF; stdin: nat on em0 inet from 10.77.0.0/24 to any -> (em0))
//! sysctl net.inet.ip.forwarding=1   (NAT, when it is off)
//! ```
//! and with the last jail, after the bridge's destruction, `pfctl -a vimage/jails -F all` and
//! forwarding back to what vimage found ([`nat_down`]).
//! then per NIC (the epair path of [`super::epair`], on that bridge):
//! ```text
//! ifconfig epair create description vimage:web1:eth0 group vimage mtu 1500 up
//! ifconfig $bridge addm $eth0_a
//! ifconfig $bridge private $eth0_a                                (private=1)
//! ifconfig $eth0_b mtu 1500 vnet <jid>
//! ifconfig -j <jid> $eth0_b ether 02:… name eth0 up
//! ```
//! The pool address and the gateway become the NIC's static address and the jail's router
//! before the address planner ([`super::addr`]) runs: the same path as `ip4_addr=`.

use super::pf::{AnchorSpec, Forward, IP_FORWARDING, Proto, forwarding_step, load_step};
use super::planner::{Planner, Prelude};
use super::userland::JailEnd;
use super::{Effect, FileEdit, NicFx, Plan, Step};
use crate::error::{Error, Kind, Result};
use crate::facts::HostView;
use crate::facts::privnet::NetFacts;
use crate::model::addr::{Cidr4, Gateway, V4};
use crate::model::link::{FlagWord, MemberFlag};
use crate::model::privnet::NetName;
use crate::model::{JailNet, NicSpec};
use crate::op::{IfRef, Op, Slot};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The MTU of a network's bridge and its members: nothing physical sets another.
pub const NET_MTU: u32 = 1500;

/// The steps that bring network `f` up on a new bridge, appended to `plan`; returns the
/// bridge. The one place a network's start is spelled: the bridge, its gateway addresses,
/// then for a NAT network its pf anchor and forwarding ([`nat_up`]).
pub fn network_up(f: &NetFacts, plan: &mut Plan) -> Result<IfRef> {
    let def = &f.def;
    nat_check(f)?;
    let uplink = def.name.uplink();
    let slot = Slot(format!("bridge_net_{}", def.name));
    plan.steps.push(Step::new(Op::CreateNetBridge { slot: slot.clone(), uplink }));
    let bridge = IfRef::Created(slot);
    plan.steps.push(Step::new(Op::BridgeAddr {
        bridge: bridge.clone(),
        cidr: def.gateway_cidr().to_string(),
        v6: false,
    }));
    if let Some(g6) = def.gateway6_cidr() {
        plan.steps.push(Step::new(Op::BridgeAddr { bridge: bridge.clone(), cidr: g6.to_string(), v6: true }));
    }
    nat_up(f, plan)?;
    Ok(bridge)
}

/// Refuses a NAT network's start, before any change, when pf cannot serve it: pf not loaded,
/// or the loaded main ruleset not referencing vimage's anchors (the doctor check,
/// [`crate::facts::pf::nat_refusal`]), or `nat=auto` on a host without a default route.
fn nat_check(f: &NetFacts) -> Result<()> {
    let Some(n) = &f.nat else { return Ok(()) };
    let d = &f.def;
    if let Some((why, lines)) = &n.refusal {
        return Err(crate::facts::pf::nat_refused(d.name.as_str(), &d.nat.to_string(), why, lines));
    }
    if n.nat_if.is_none() {
        return Err(Error::new(
            Kind::Unavailable,
            format!(
                "network {}: nat=auto NATs out of the default route's interface, but the host has no default route",
                d.name
            ),
        )
        .about(crate::error::Object::network(&d.name))
        .detail(format!(
            "name the interface: vimage net destroy name={0}, then vimage net create name={0} cidr={1} nat=IF",
            d.name, d.cidr
        ))
        .detail("nothing was changed"));
    }
    Ok(())
}

/// The pf side of network `f`'s start (nothing for `nat=0`): its anchor `vimage/NAME` loaded
/// with `nat on IF inet from CIDR to any -> (IF)` (`pfctl -a vimage/NAME -f -`; skipped when
/// the anchor holds that already), and `net.inet.ip.forwarding=1` when it is off, recorded
/// as vimage's doing ([`Effect::Forwarding`]) so the last NAT network's stop puts back the
/// value found. Each step's undo puts back what was found (rollback, crash recovery).
pub fn nat_up(f: &NetFacts, plan: &mut Plan) -> Result<()> {
    let jail = plan.jail.to_string();
    nat_load(f, plan, &|j| j == jail || f.nat.as_ref().is_some_and(|n| n.running.iter().any(|r| r == j)))
}

/// The network's anchor text: its `nat` rule and the forwards of the jails `with` says are
/// (or are becoming) on the network, each to its jail's address there (a forward whose jail
/// has no address on it is left out).
fn anchor_spec(f: &NetFacts, nat_if: &str, with: &dyn Fn(&str) -> bool) -> AnchorSpec {
    let d = &f.def;
    let mut forwards = Vec::new();
    for fw in f.nat.iter().flat_map(|n| n.forwards.iter()).filter(|fw| with(&fw.jail)) {
        let Some(l) = f.nat.iter().flat_map(|n| n.leases.iter()).find(|l| l.jail == fw.jail) else { continue };
        let proto = if fw.proto == "udp" { Proto::Udp } else { Proto::Tcp };
        forwards.push(Forward { proto, host_port: fw.host_port, jail_addr: l.addr, jail_port: fw.jail_port });
    }
    AnchorSpec {
        name: d.name.to_string(),
        cidr4: d.cidr.to_string(),
        cidr6: d.cidr6.map(|c| c.to_string()),
        nat_if: Some(nat_if.to_string()),
        forwards,
    }
}

/// The anchor reloaded for the jails `with` accepts, and forwarding on ([`nat_up`]'s body;
/// `vimage expose`/`unexpose` reload a running jail's network with it).
pub fn nat_load(f: &NetFacts, plan: &mut Plan, with: &dyn Fn(&str) -> bool) -> Result<()> {
    nat_check(f)?;
    let Some(n) = &f.nat else { return Ok(()) };
    let d = &f.def;
    let nat_if = n.nat_if.clone().unwrap_or_default();
    let spec = anchor_spec(f, &nat_if, with);
    let rules = spec.render().map_err(|e| Error::new(Kind::Data, e).about(crate::error::Object::network(&d.name)))?;
    let anchor = spec.anchor();
    let loading = plan.steps.iter().any(|s| matches!(&s.op, Op::PfLoadAnchor { anchor: a, .. } if *a == anchor));
    if !loading && let Some(step) = load_step(&anchor, &rules, &n.anchor) {
        plan.steps.push(step);
        plan.notes.push(format!("network {}: NAT out of {nat_if} (pf anchor {})", d.name, spec.anchor()));
    }
    let planned = plan.steps.iter().any(|s| matches!(&s.op, Op::SysctlSet { name, .. } if name == IP_FORWARDING));
    let found = if n.forwarding.is_empty() { "0" } else { n.forwarding.as_str() };
    if !planned && let Some(step) = forwarding_step(found) {
        plan.steps.push(step);
        plan.effects.push(Effect::Forwarding { set_from: Some(found.to_string()) });
        plan.notes.push(format!(
            "{IP_FORWARDING}=1 for NAT network {} (was {found}; put back when vimage's last NAT network goes). \
             A reboot loses it: gateway_enable=\"YES\" in /etc/rc.conf keeps it",
            d.name
        ));
    }
    Ok(())
}

/// A jail leaves network `f` while others stay: the anchor reloaded without its forwards
/// (nothing when it had none loaded).
pub fn nat_leave(f: &NetFacts, jail: &str, plan: &mut Plan) {
    let Some(n) = &f.nat else { return };
    let Some(nat_if) = &n.nat_if else { return };
    let spec = anchor_spec(f, nat_if, &|j| j != jail && n.running.iter().any(|r| r == j));
    let Ok(rules) = spec.render() else { return };
    if let Some(step) = load_step(&spec.anchor(), &rules, &n.anchor) {
        plan.steps.push(step);
        plan.notes.push(format!(
            "network {}: {jail}'s port forwards taken out of pf anchor {}",
            f.def.name,
            spec.anchor()
        ));
    }
}

/// The pf side of the last jail leaving network `f` (its bridge is destroyed): the anchor
/// flushed (`pfctl -a vimage/NAME -F all`, undone by loading what it held), and forwarding
/// put back to the value vimage found when no other NAT network keeps a bridge
/// (`going`: the networks this plan takes down).
pub fn nat_down(f: &NetFacts, going: &[String], plan: &mut Plan) {
    let Some(n) = &f.nat else { return };
    let anchor = crate::naming::pf_anchor(f.def.name.as_str());
    if let Some(step) = load_step(&anchor, "", &n.anchor) {
        plan.steps.push(step);
        plan.notes.push(format!("network {}: flushing pf anchor {anchor} (its last jail left)", f.def.name));
    }
    let planned = plan.steps.iter().any(|s| matches!(&s.op, Op::SysctlSet { name, .. } if name == IP_FORWARDING));
    let others = n.other_nat_bridges.iter().any(|o| !going.contains(o));
    if let Some(prev) = &n.forwarding_set_from
        && !planned
        && !others
    {
        if n.forwarding.trim() == "1" && prev != "1" {
            plan.steps.push(Step::new(Op::SysctlSet {
                name: IP_FORWARDING.into(),
                value: prev.clone(),
                prev: "1".into(),
            }));
            plan.notes.push(format!(
                "{IP_FORWARDING}={prev}: back to what vimage found; its last NAT network ({}) went",
                f.def.name
            ));
        }
        plan.effects.push(Effect::Forwarding { set_from: None });
    }
}

impl<'a> Planner<'a> {
    /// The bridge of network `name` for this NIC: vimage's existing one (its gateway address
    /// put back if someone removed it), the one this plan makes, or a new one.
    fn network_bridge(&mut self, name: &NetName) -> Result<IfRef> {
        let uplink = name.uplink();
        if let Some(r) = self.new_bridges.get(&uplink) {
            return Ok(r.clone());
        }
        let v = self.v;
        let f = v.networks.get(name.as_str()).ok_or_else(|| {
            self.err(Kind::Internal, format!("network {name} was not gathered"))
                .about(crate::error::Object::network(name))
        })?;
        let r = match &f.bridge {
            Some(b) => {
                let r = IfRef::name(&b.name);
                if !b.inet_cidr.iter().any(|(a, _)| *a == f.def.gateway) {
                    let cidr = f.def.gateway_cidr().to_string();
                    self.push(Op::BridgeAddr { bridge: r.clone(), cidr, v6: false });
                }
                self.plan.notes.push(format!("using {} for network {name}: vimage's bridge for it", b.name));
                nat_up(f, &mut self.plan).map_err(|e| e.in_jail(self.jail))?;
                r
            }
            None => {
                let r = network_up(f, &mut self.plan).map_err(|e| e.in_jail(self.jail))?;
                self.plan.effects.push(Effect::Bridge { name: r.clone(), uplink: uplink.clone(), owned: true });
                self.plan.notes.push(format!(
                    "creating the bridge of network {name} ({}, gateway {}), host-only",
                    f.def.cidr,
                    f.def.gateway_cidr()
                ));
                r
            }
        };
        self.new_bridges.insert(uplink, r.clone());
        Ok(r)
    }

    /// Plans one epair NIC on a private network.
    pub(super) fn network_nic(&mut self, nic: &NicSpec, name: &NetName) -> Result<()> {
        let uplink = name.uplink();
        let mac = self.decide_mac(nic)?;
        let in_jail = self.name_in_jail(nic);
        if let Prelude::InPlace = self.prelude(nic, in_jail.as_deref(), Some(&uplink), Some(mac))? {
            // The NIC is in place; its network's NAT is put back if someone flushed the anchor
            // or turned forwarding off (nothing when both are as they should be).
            let v = self.v;
            if let Some(f) = v.networks.get(name.as_str()) {
                nat_up(f, &mut self.plan).map_err(|e| e.in_jail(self.jail))?;
            }
            return Ok(());
        }
        let bridge = self.network_bridge(name)?;
        let private = self.v.networks.get(name.as_str()).is_some_and(|f| f.def.private);
        let slot = Slot(format!("{}_a", nic.name));
        let jid = self.info.jid;
        let mtu = NET_MTU;
        self.push(Op::CreateEpair { slot: slot.clone(), jail: self.jail.clone(), nic: nic.name.clone(), mtu });
        self.push(Op::AddMember { bridge: bridge.clone(), member: IfRef::Created(slot.clone()) });
        // The network's `private=1` and the NIC's own `flags=`, as one member-flag step.
        let mut flags = nic.link.flags.clone();
        let isolate = MemberFlag { word: FlagWord::Private, on: true };
        if private && !flags.contains(&isolate) {
            flags.insert(0, isolate);
        }
        if !flags.is_empty() {
            self.push(Op::MemberFlags { bridge: bridge.clone(), member: IfRef::Created(slot.clone()), flags });
        }
        self.push(Op::MoveToJail { iface: IfRef::Peer(slot.clone()), mtu, jail: self.jail.clone(), jid });
        let end = JailEnd { jail: self.jail, jid, iface: IfRef::Peer(slot.clone()), mac, name: &nic.name };
        let (end, jail_if) = end.op(self.v, nic);
        self.push(end);
        let mut fx = NicFx::epair(nic.index, nic.name.as_str(), IfRef::Created(slot), bridge, &uplink, mac, jid);
        fx.jail_if = jail_if;
        self.plan.effects.push(Effect::Attach(fx));
        self.store_mac(nic, mac);
        Ok(())
    }
}

/// `net` with each NIC on a private network given its pool address (unless `ip4_addr` names
/// one inside the network) and, unless `ci_gw4` names one, the network's gateway as the jail's
/// router: what the address planner then writes live and to rc.conf like any static address.
/// The lease is recorded by an effect of `plan`. The address is the NIC's lease if it has one
/// that is still free, else the lowest free one: never the network, broadcast or gateway
/// address, one on the host, or one another jail's NIC holds.
pub fn with_pool_addresses(net: &JailNet, v: &HostView, plan: &mut Plan) -> Result<JailNet> {
    let mut out = net.clone();
    let jail = &net.jail;
    let mut given: BTreeSet<Ipv4Addr> = BTreeSet::new();
    let mut router: Option<Ipv4Addr> = None;
    for nic in out.nics.iter_mut() {
        let Some(name) = nic.network().cloned() else { continue };
        let err = |msg: String| Error::jail(Kind::Data, jail, msg).about(crate::error::Object::network(&name));
        let f = v
            .networks
            .get(name.as_str())
            .ok_or_else(|| err(format!("{}: network {name} was not gathered", nic.name)))?;
        let d = &f.def;
        let mine = f.leases.iter().find(|l| l.jail == jail.as_str() && l.nic == nic.index);
        let mut used: BTreeSet<Ipv4Addr> = v.host_addrs.clone();
        used.extend(f.leases.iter().filter(|l| !(l.jail == jail.as_str() && l.nic == nic.index)).map(|l| l.addr));
        used.extend(given.iter().copied());
        let holder = |a: Ipv4Addr| -> Option<String> {
            if let Some(l) = f.leases.iter().find(|l| l.addr == a && !(l.jail == jail.as_str() && l.nic == nic.index)) {
                return Some(format!("NIC {} of jail {} (network {name}'s pool)", l.nic, l.jail));
            }
            if given.contains(&a) {
                return Some("another NIC of this jail".to_string());
            }
            v.host_addrs.contains(&a).then(|| "an interface on the host".to_string())
        };
        let addr = match &nic.addrs.v4 {
            V4::Static(list) => {
                let Some(c) = list.iter().find(|c| d.cidr.contains(c.addr)) else {
                    return Err(err(format!(
                        "{}: ip4_addr gives no address inside network {name} ({}); leave it out to get one from the pool",
                        nic.name, d.cidr
                    )));
                };
                if !d.assignable(c.addr) {
                    return Err(err(format!(
                        "{}: {} is the network, broadcast or gateway address of network {name} ({})",
                        nic.name, c.addr, d.cidr
                    )));
                }
                if let Some(h) = holder(c.addr) {
                    return Err(err(format!("{}: {} on network {name} is already held by {h}", nic.name, c.addr)));
                }
                c.addr
            }
            V4::Dhcp => {
                return Err(err(format!(
                    "{}: network {name} has no DHCP server; leave ip4_addr out to get an address from its pool",
                    nic.name
                )));
            }
            V4::None => {
                let keep = mine.map(|l| l.addr).filter(|a| d.assignable(*a) && !used.contains(a));
                let a = keep.or_else(|| d.lowest_free(&used)).ok_or_else(|| {
                    err(format!("{}: network {name}'s pool ({}) has no free address", nic.name, d.cidr)).detail(
                        format!("release one: vimage net release jname=<jail>, or give ip4_addr= inside {}", d.cidr),
                    )
                })?;
                nic.addrs.v4 = V4::Static(vec![Cidr4 { addr: a, prefix: d.cidr.prefix }]);
                plan.notes.push(format!("{}: address {a}/{} from network {name}'s pool", nic.name, d.cidr.prefix));
                a
            }
        };
        given.insert(addr);
        if mine.map(|l| l.addr) != Some(addr) {
            plan.effects.push(Effect::Lease { net: name.to_string(), nic: nic.index, addr });
        }
        router.get_or_insert(d.gateway);
    }
    if let Some(gw) = router
        && matches!(out.addressing.gateway, Gateway::Unmanaged | Gateway::Auto)
    {
        out.addressing.gateway = Gateway::Fixed { v4: Some(gw), v6: None };
    }
    Ok(out)
}

/// The jail's resolver on a private network: with no resolv.conf, or one without a
/// `nameserver` line, the host's `nameserver` lines are added (the rest of the file byte for
/// byte); a file with its own name server is the admin's and stays as it is.
pub fn plan_resolver(plan: &mut Plan, v: &HostView) {
    let Some(r) = &v.resolv else { return };
    if r.host_lines.is_empty() {
        return;
    }
    if r.text.as_deref().is_some_and(|t| !crate::facts::privnet::nameserver_lines(t).is_empty()) {
        return;
    }
    plan.notes.push(format!(
        "{}: no name server there; adding the host's ({}) so the jail can resolve names",
        r.shown,
        r.host_lines.iter().filter_map(|l| l.split_whitespace().nth(1)).collect::<Vec<_>>().join(", ")
    ));
    plan.files.push(FileEdit::Resolv { path: r.path.clone(), shown: r.shown.clone(), lines: r.host_lines.clone() });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::privnet::NetFacts;
    use crate::model::privnet::{NetDef, NetInput, NetSource};
    use crate::model::{JailName, Uplink};
    use crate::state::Lease;

    fn view(cidr: &str, leases: &[(&str, u32, [u8; 4])]) -> HostView {
        let def = NetDef::from_input(&NetInput { name: "jails", cidr, ..Default::default() }, NetSource::Db).unwrap();
        let leases = leases
            .iter()
            .map(|(j, n, a)| Lease { net: "jails".into(), jail: j.to_string(), nic: *n, addr: Ipv4Addr::from(*a) })
            .collect();
        let mut v = HostView::default();
        v.networks.insert("jails".into(), NetFacts { def, bridge: None, leases, nat: None });
        v
    }

    fn net(nics: usize) -> JailNet {
        JailNet::epairs(JailName::parse("web1").unwrap(), &vec![Uplink::parse("net:jails").unwrap(); nics])
    }

    fn v4(n: &JailNet, i: usize) -> String {
        match &n.nics[i].addrs.v4 {
            V4::Static(c) => c[0].to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn a_lease_is_kept_a_new_nic_gets_the_lowest_free_and_the_gateway_becomes_the_router() {
        let v = view("10.77.0.0/24", &[("web1", 0, [10, 77, 0, 9]), ("web2", 0, [10, 77, 0, 2])]);
        let mut plan = Plan::new(JailName::parse("web1").unwrap(), super::super::Verb::Bridge);
        let out = with_pool_addresses(&net(2), &v, &mut plan).unwrap();
        assert_eq!((v4(&out, 0), v4(&out, 1)), ("10.77.0.9/24".into(), "10.77.0.3/24".into()));
        assert_eq!(out.addressing.gateway, Gateway::Fixed { v4: Some(Ipv4Addr::new(10, 77, 0, 1)), v6: None });
        assert_eq!(plan.effects, [Effect::Lease { net: "jails".into(), nic: 1, addr: Ipv4Addr::new(10, 77, 0, 3) }]);
    }

    #[test]
    fn a_lease_now_held_on_the_host_moves_and_a_full_pool_is_refused() {
        let mut v = view("10.77.0.0/30", &[("web1", 0, [10, 77, 0, 2])]);
        v.host_addrs.insert(Ipv4Addr::new(10, 77, 0, 2));
        let mut plan = Plan::new(JailName::parse("web1").unwrap(), super::super::Verb::Bridge);
        let e = with_pool_addresses(&net(1), &v, &mut plan).unwrap_err();
        assert!(e.to_string().contains("network jails's pool (10.77.0.0/30) has no free address"), "{e}");
        let v = view("10.77.0.0/29", &[("web1", 0, [10, 77, 0, 2])]);
        let mut v2 = v.clone();
        v2.host_addrs.insert(Ipv4Addr::new(10, 77, 0, 2));
        let out = with_pool_addresses(&net(1), &v2, &mut plan).unwrap();
        assert_eq!(v4(&out, 0), "10.77.0.3/29", "the host took the leased address: the next free one");
    }

    #[test]
    fn network_up_is_the_bridge_its_gateway_and_ipv6() {
        let i = NetInput { name: "jails", cidr: "10.77.0.0/24", cidr6: "fd00:77::/64", ..Default::default() };
        let def = NetDef::from_input(&i, NetSource::Db).unwrap();
        let f = NetFacts { def, bridge: None, leases: Vec::new(), nat: None };
        let mut plan = Plan::new(JailName::parse("web1").unwrap(), super::super::Verb::Bridge);
        let b = network_up(&f, &mut plan).unwrap();
        let steps = &plan.steps;
        let lines: Vec<String> =
            steps.iter().map(|s| s.op.command(&Default::default()).script_line()).collect::<Vec<_>>();
        assert_eq!(
            lines,
            [
                "ifconfig bridge create description vimage:net:jails group vimage up",
                "ifconfig $bridge_net_jails inet 10.77.0.1/24 alias",
                "ifconfig $bridge_net_jails inet6 fd00:77::1/64 alias",
            ]
        );
        assert_eq!(steps[0].undo, Some(Op::Destroy { iface: b }), "the bridge's destroy undoes all three");
        assert!(steps[1].undo.is_none() && steps[2].undo.is_none());
    }
}

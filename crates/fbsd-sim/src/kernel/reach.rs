//! Reachability: a deliberate graph walk over the simulated data plane, not a packet
//! simulator. It answers "does an IPv4 datagram from this vnet reach that address, and does
//! the answer come back?", which is what `ping` (and vimage's end-to-end tests) need.
//!
//! A frame is followed through the places FreeBSD's code hands it between:
//!
//! * out of a stack (`ether_output`): into `bridge_output` when the interface is a bridge
//!   member, else to ng_ether's `upper` hook when one is connected (`ng_ether_output`), else
//!   onto the interface's own medium;
//! * onto a medium (`if_transmit`, the sender UP and RUNNING): an epair delivers to its peer,
//!   a physical NIC to the simulated LAN behind it (the DHCP server's router, see
//!   `super::dhcp`), an ng_eiface out of its node's `ether` hook, a vlan(4) to its parent with
//!   its tag pushed, a lagg(4) to its active port, an if_bridge floods its members;
//! * into an interface (`ether_input`, the receiver UP): a lagg port hands it to its lagg (the
//!   failover protocol only on the active port), ng_ether's `lower` hook takes everything when
//!   connected (`ng_ether_input`), a bridge member hands it to `bridge_input`, else the
//!   interface demultiplexes it — untagged to its own stack, tagged to the vlan(4) child with
//!   that tag and ethertype;
//! * `bridge_input` (the bridge UP): local copies to the bridge's and the member's stacks, and
//!   forwarding to every other member that is UP and RUNNING, except between two `private`
//!   members; with 15.x VLAN settings the ingress VLAN is the tag or the port's PVID, a
//!   `vlanfilter` bridge drops VLANs a port is not in, and egress is untagged on the port
//!   whose PVID it is, tagged otherwise (if_bridge.c `bridge_vfilter_in`/`_out`);
//! * netgraph: ng_bridge floods every other hook (not uplink to uplink), ng_ether `lower`
//!   transmits on the NIC and `upper` gives the frame to its stack, ng_eiface `ether` is
//!   received by its ifnet. A frame that goes out of an ng_ether `lower` hook while
//!   `autosrc` is on leaves with the NIC's MAC as source, so whoever answers it answers the
//!   host, not the sender (the reason jng and vimage turn autosrc off).
//!
//! A datagram is delivered when the next hop (the destination on a connected subnet, else
//! the gateway of the vnet's default route) is an address of an interface whose stack the
//! frame reached (FreeBSD answers ARP for addresses of the receiving interface). A gateway
//! that is a vnet with `net.inet.ip.forwarding=1` routes it on; the LAN's router answers
//! senders on its own subnet and forwards nowhere (what is behind it is not simulated).
//! Not modelled: MTU, pf/ipfw, STP (members forward), MAC learning and address tables,
//! promiscuous-mode filtering, ARP timing, IPv6.

use super::Kernel;
use super::bridge_cfg::{ifbif, ifbrf};
use super::ifnet::IfKind;
use super::netgraph::graph::NodeKind;
use super::types::{IfAddr, IfId, VnetId};
use super::vlan::{ETHERTYPE_QINQ, ETHERTYPE_VLAN};
use std::collections::{BTreeSet, HashSet};
use std::net::Ipv4Addr;

/// Where a datagram can start or end: a vnet's stack, or the LAN behind a physical NIC.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Host {
    /// A simulated network stack.
    Vnet(VnetId),
    /// The router of the LAN behind this host NIC (by name).
    Lan(String),
}

/// A stack the frame reached: the interface it arrived on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum End {
    Stack(IfId),
    Lan(String),
}

/// Where a frame is. It travels with its VLAN tag stack (outermost last) and the NIC whose
/// MAC ng_ether's `autosrc` put in as its source, if any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Loc {
    /// Handed down by the stack of this interface.
    StackTx(IfId),
    /// Given to this interface's transmit routine.
    DevTx(IfId),
    /// Received by this interface from its medium.
    DevRx(IfId),
    /// Arriving at a netgraph node's hook.
    NgIn(VnetId, u32, String),
    /// Handed to this bridge by member `from` (None: by the bridge's own stack).
    Bridge(IfId, Option<IfId>),
}

type Tags = Vec<(u16, u16)>;
type Rw = Option<IfId>;

/// Why a datagram did not get through (what `sendto` or the silence means).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreach {
    /// No route (`EHOSTUNREACH`, `sendto: No route to host`).
    NoRoute,
    /// The route's interface is down (`ENETDOWN`, `sendto: Network is down`).
    IfDown,
    /// Sent, but nobody answered.
    Lost,
}

impl Kernel {
    fn up(&self, id: IfId) -> bool {
        self.ifp(id).is_some_and(|i| i.up)
    }

    fn up_running(&self, id: IfId) -> bool {
        self.ifp(id).is_some_and(|i| i.up && i.running())
    }

    /// Every stack a frame sent by `start` reaches (an interface handing it down from its
    /// stack, or a NIC receiving it from its LAN).
    fn l2_reach(&self, start: Loc) -> Vec<(End, Rw)> {
        let mut seen: HashSet<(Loc, Tags, Rw)> = HashSet::new();
        let mut todo: Vec<(Loc, Tags, Rw)> = vec![(start, Vec::new(), None)];
        let mut out: BTreeSet<(End, Rw)> = BTreeSet::new();
        while let Some(st) = todo.pop() {
            if seen.len() > 4096 || !seen.insert(st.clone()) {
                continue;
            }
            let (loc, tags, rw) = st;
            let mut go = |l: Loc, t: Tags, r: Rw| todo.push((l, t, r));
            match loc {
                Loc::StackTx(x) => {
                    let Some(i) = self.ifp(x) else { continue };
                    if let Some((br, _)) = i.bridge
                        && self.up_running(br)
                    {
                        // ether_output → bridge_output: the member's own traffic is flooded.
                        if self.up_running(x) {
                            go(Loc::Bridge(br, None), tags, rw);
                        }
                        continue;
                    }
                    match self.ng_hook_peer(x, "upper") {
                        Some((v, n, h)) => go(Loc::NgIn(v, n, h), tags, rw),
                        None => go(Loc::DevTx(x), tags, rw),
                    }
                }
                Loc::DevTx(x) => {
                    if !self.up_running(x) {
                        continue;
                    }
                    let Some(i) = self.ifp(x) else { continue };
                    match &i.kind {
                        IfKind::Epair { peer } => go(Loc::DevRx(*peer), tags, rw),
                        IfKind::Ether => {
                            if tags.is_empty() && self.dhcp.contains_key(&i.name) {
                                out.insert((End::Lan(i.name.clone()), rw));
                            }
                        }
                        IfKind::Eiface { node, .. } => {
                            let home = i.home;
                            if let Some((v, n, h)) = self.ng_peer_of(home, *node, "ether") {
                                go(Loc::NgIn(v, n, h), tags, rw);
                            }
                        }
                        IfKind::Vlan(c) => {
                            if let Some(p) = c.parent {
                                let mut t = tags.clone();
                                t.push((c.proto, c.tag));
                                go(Loc::DevTx(p), t, rw);
                            }
                        }
                        IfKind::Lagg(_) => {
                            let ports = self.lagg_ports(x);
                            let active = ports.iter().find(|(_, f)| f & super::lagg::port::ACTIVE != 0);
                            if let Some((p, _)) = active {
                                go(Loc::DevTx(*p), tags, rw);
                            }
                        }
                        IfKind::Bridge(_) => go(Loc::Bridge(x, None), tags, rw),
                        IfKind::Loopback => {}
                    }
                }
                Loc::DevRx(x) => {
                    if !self.up(x) {
                        continue;
                    }
                    let Some(i) = self.ifp(x) else { continue };
                    if let Some(l) = i.lagg {
                        let ports = self.lagg_ports(l);
                        let mine = ports.iter().find(|(p, _)| *p == x).map_or(0, |(_, f)| *f);
                        if mine & super::lagg::port::ACTIVE != 0 {
                            go(Loc::DevRx(l), tags, rw);
                        }
                        continue;
                    }
                    if let Some((v, n, h)) = self.ng_hook_peer(x, "lower") {
                        // ng_ether_input: the lower hook takes every frame.
                        go(Loc::NgIn(v, n, h), tags, rw);
                        continue;
                    }
                    if let Some((br, _)) = i.bridge
                        && self.up_running(br)
                    {
                        go(Loc::Bridge(br, Some(x)), tags, rw);
                        continue;
                    }
                    self.demux(x, tags, rw, &mut out, &mut go);
                }
                Loc::Bridge(br, from) => self.bridge_step(br, from, tags, rw, &mut out, &mut go),
                Loc::NgIn(v, node, hook) => {
                    let Some(n) = self.graph(v).and_then(|g| g.node(node)) else { continue };
                    match &n.kind {
                        NodeKind::Ether { ifp, autosrc, .. } => match hook.as_str() {
                            "lower" | "divert" => go(Loc::DevTx(*ifp), tags, if *autosrc { Some(*ifp) } else { rw }),
                            "upper" if self.up(*ifp) => self.demux(*ifp, tags, rw, &mut out, &mut go),
                            _ => {}
                        },
                        NodeKind::Bridge(_) => {
                            let from_uplink = hook.starts_with("uplink");
                            for (h, hk) in &n.hooks {
                                if *h == hook || (from_uplink && h.starts_with("uplink")) {
                                    continue;
                                }
                                go(Loc::NgIn(v, hk.peer, hk.peer_hook.clone()), tags.clone(), rw);
                            }
                        }
                        NodeKind::Eiface { ifp, .. } => {
                            if hook == "ether" {
                                go(Loc::DevRx(*ifp), tags, rw);
                            }
                        }
                        NodeKind::Socket => {}
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    /// An interface's own input: untagged frames to its stack, tagged ones to the vlan(4)
    /// child with that tag and ethertype (`vlan_input`).
    fn demux(
        &self,
        x: IfId,
        mut tags: Tags,
        rw: Rw,
        out: &mut BTreeSet<(End, Rw)>,
        go: &mut impl FnMut(Loc, Tags, Rw),
    ) {
        let Some((proto, tag)) = tags.pop() else {
            out.insert((End::Stack(x), rw));
            return;
        };
        let Some(i) = self.ifp(x) else { return };
        for v in self.vlans_on(i.vnet, x) {
            if let Some(IfKind::Vlan(c)) = self.ifp(v).map(|vi| &vi.kind)
                && c.tag == tag
                && c.proto == proto
            {
                go(Loc::DevRx(v), tags.clone(), rw);
            }
        }
    }

    /// `bridge_input` (from a member) or `bridge_output` (from the bridge's or a member's own
    /// stack, `from` = None).
    fn bridge_step(
        &self,
        br: IfId,
        from: Option<IfId>,
        mut tags: Tags,
        rw: Rw,
        out: &mut BTreeSet<(End, Rw)>,
        go: &mut impl FnMut(Loc, Tags, Rw),
    ) {
        let Some(IfKind::Bridge(b)) = self.ifp(br).map(|i| &i.kind) else { return };
        let filter = b.flags & ifbrf::VLANFILTER != 0;
        let cfg_of = |m: IfId| self.member_cfg(br, m);
        // Ingress VLAN, and the ethertype it travels with: 802.1q, or 802.1ad on a port with
        // the QINQ flag (an 802.1ad frame on a port without it is dropped when filtering).
        let (vid, proto): (u16, u16) = match from {
            Some(m) => {
                let c = cfg_of(m);
                match tags.last().copied() {
                    Some((p @ (ETHERTYPE_VLAN | ETHERTYPE_QINQ), t))
                        if p == ETHERTYPE_VLAN || c.flags & ifbif::QINQ != 0 =>
                    {
                        if filter && !c.vlans.contains(&t) {
                            return;
                        }
                        tags.pop();
                        (t, p)
                    }
                    Some((ETHERTYPE_QINQ, _)) if filter => return,
                    _ => {
                        if filter && c.pvid == 0 {
                            return;
                        }
                        (c.pvid, ETHERTYPE_VLAN)
                    }
                }
            }
            None => match tags.last().copied() {
                Some((p @ (ETHERTYPE_VLAN | ETHERTYPE_QINQ), t)) => {
                    tags.pop();
                    (t, p)
                }
                _ => (0, ETHERTYPE_VLAN),
            },
        };
        if from.is_some() {
            // Local delivery: the bridge's own stack, and the members' (GRAB_OUR_PACKETS
            // looks at every member's MAC; in_arpinput answers for addresses of any member
            // of the receiving bridge).
            let mut local = tags.clone();
            if vid != 0 {
                local.push((proto, vid));
            }
            self.demux(br, local, rw, out, go);
            for m in self.bridge_members(br) {
                if !self.up(m) {
                    continue;
                }
                let mut mine = tags.clone();
                if vid != 0 && vid != cfg_of(m).pvid {
                    mine.push((proto, vid));
                }
                self.demux(m, mine, rw, out, go);
            }
        }
        let from_private = from.is_some_and(|m| cfg_of(m).flags & ifbif::PRIVATE != 0);
        for o in self.bridge_members(br) {
            if Some(o) == from || !self.up_running(o) {
                continue;
            }
            let c = cfg_of(o);
            if from_private && c.flags & ifbif::PRIVATE != 0 {
                continue;
            }
            let mut t = tags.clone();
            if vid == c.pvid {
                // untagged on the port whose PVID it is (0 = no VLAN at all)
            } else if (filter && c.vlans.contains(&vid)) || (!filter && c.pvid == 0) {
                if proto == ETHERTYPE_QINQ && c.flags & ifbif::QINQ == 0 {
                    continue;
                }
                if vid != 0 {
                    t.push((proto, vid));
                }
            } else {
                continue;
            }
            go(Loc::DevTx(o), t, rw);
        }
    }

    /// The node and hook at the far end of hook `hook` of interface `x`'s ng_ether node.
    fn ng_hook_peer(&self, x: IfId, hook: &str) -> Option<(VnetId, u32, String)> {
        let i = self.ifp(x)?;
        let node = i.ng_ether?;
        self.ng_peer_of(i.vnet, node, hook)
    }

    fn ng_peer_of(&self, v: VnetId, node: u32, hook: &str) -> Option<(VnetId, u32, String)> {
        let n = self.graph(v)?.node(node)?;
        let h = n.hooks.get(hook)?;
        Some((v, h.peer, h.peer_hook.clone()))
    }

    /// The IPv4 addresses of interface `x`.
    fn v4_addrs(&self, x: IfId) -> Vec<(Ipv4Addr, u8)> {
        self.ifp(x)
            .map(|i| {
                i.addrs
                    .iter()
                    .filter_map(|a| match a {
                        IfAddr::V4 { addr, prefix, .. } => Some((*addr, *prefix)),
                        IfAddr::V6 { .. } => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where a datagram from `from` to `dst` ends up, with the number of routers it went
    /// through; the error says why it did not.
    pub(crate) fn deliver(&self, from: &Host, dst: Ipv4Addr, ttl: u8) -> Result<(Host, u8), Unreach> {
        if ttl == 0 {
            return Err(Unreach::Lost);
        }
        match from {
            Host::Lan(nic) => {
                let srv = self.dhcp.get(nic).ok_or(Unreach::Lost)?;
                if dst == srv.router {
                    return Ok((from.clone(), 0));
                }
                let m = IfAddr::v4_mask(srv.prefix);
                if u32::from(dst) & m != u32::from(srv.router) & m {
                    return Err(Unreach::Lost);
                }
                let id = self.ifunit(VnetId::HOST, nic).ok_or(Unreach::Lost)?;
                self.next_hop(Loc::DevRx(id), dst).map(|h| (h, 0)).ok_or(Unreach::Lost)
            }
            Host::Vnet(v) => {
                // A local address (ip_output hands it to the loopback).
                if self.ifnets_in(*v).into_iter().any(|x| self.v4_addrs(x).iter().any(|(a, _)| *a == dst)) {
                    return Ok((from.clone(), 0));
                }
                let hit = self.route_lookup(*v, std::net::IpAddr::V4(dst)).ok_or(Unreach::NoRoute)?;
                if !self.up(hit.ifp) {
                    return Err(Unreach::IfDown);
                }
                let nh = match hit.gateway {
                    Some((std::net::IpAddr::V4(g), _)) => g,
                    _ => dst,
                };
                let holder = self.next_hop(Loc::StackTx(hit.ifp), nh).ok_or(Unreach::Lost)?;
                if nh == dst {
                    return Ok((holder, 0));
                }
                // A router: the LAN's answers only for itself; a vnet forwards if it may.
                match &holder {
                    Host::Vnet(g)
                        if self.vnet(*g).and_then(|vn| vn.sysctls.get("net.inet.ip.forwarding")) == Some(&1) =>
                    {
                        let (h, n) = self.deliver(&holder, dst, ttl - 1)?;
                        Ok((h, n + 1))
                    }
                    _ => Err(Unreach::Lost),
                }
            }
        }
    }

    /// Who answers ARP for `nh` among the stacks a frame from `start` reaches. An answer to
    /// a frame whose source MAC ng_ether rewrote goes to that NIC, so it counts only when the
    /// frame came from that NIC's own stack.
    fn next_hop(&self, start: Loc, nh: Ipv4Addr) -> Option<Host> {
        let origin = match &start {
            Loc::StackTx(x) => Some(*x),
            _ => None,
        };
        for (end, rewritten) in self.l2_reach(start) {
            if rewritten.is_some() && rewritten != origin {
                continue;
            }
            match end {
                End::Stack(x) => {
                    if self.v4_addrs(x).iter().any(|(a, _)| *a == nh) {
                        return self.ifp(x).map(|i| Host::Vnet(i.vnet));
                    }
                }
                End::Lan(nic) => {
                    if self.dhcp.get(&nic).is_some_and(|s| s.router == nh) {
                        return Some(Host::Lan(nic));
                    }
                }
            }
        }
        None
    }

    /// The LAN (by NIC name) a broadcast sent by interface `x`'s stack reaches, whose answer
    /// can come back (no ng_ether source rewrite on the way).
    pub(crate) fn lan_of(&self, x: IfId) -> Option<String> {
        self.l2_reach(Loc::StackTx(x)).into_iter().find_map(|(end, rw)| match end {
            End::Lan(nic) if rw.is_none() || rw == Some(x) => Some(nic),
            _ => None,
        })
    }

    /// `ping` in vnet `v` to `dst`: the source address, and the routers on the way there on
    /// success (an echo reply came back to that address).
    pub(crate) fn ping_path(&self, v: VnetId, dst: Ipv4Addr) -> Result<(Ipv4Addr, u8), Unreach> {
        let from = Host::Vnet(v);
        let hit = self.route_lookup(v, std::net::IpAddr::V4(dst));
        let src = match &hit {
            Some(h) => {
                let addrs = self.v4_addrs(h.ifp);
                let on_link = addrs.iter().find(|(a, p)| {
                    let m = IfAddr::v4_mask(*p);
                    u32::from(*a) & m == u32::from(dst) & m
                });
                on_link.or(addrs.first()).map(|(a, _)| *a)
            }
            None => None,
        };
        let (target, hops) = self.deliver(&from, dst, 64)?;
        if target == from {
            return Ok((dst, 0));
        }
        let src = src.ok_or(Unreach::Lost)?;
        // The answer: from the target back to the source address.
        if let Host::Lan(nic) = &target
            && let Some(s) = self.dhcp.get(nic)
        {
            let m = IfAddr::v4_mask(s.prefix);
            if u32::from(src) & m != u32::from(s.router) & m {
                return Err(Unreach::Lost);
            }
        }
        match self.deliver(&target, src, 64) {
            Ok((back, _)) if back == from => Ok((src, hops)),
            _ => Err(Unreach::Lost),
        }
    }
}

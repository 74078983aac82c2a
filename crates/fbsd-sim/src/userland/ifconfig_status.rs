//! `ifconfig` status blocks (sbin/ifconfig/ifconfig.c `status()`, af_link.c, af_inet.c,
//! af_inet6.c, ifbridge.c `bridge_status`, ifgroup.c, ifmedia.c, af_nd6.c), FreeBSD 14
//! layout.

use crate::kernel::ifnet::{IfKind, Ifnet};
use crate::kernel::{Ctx, IfAddr, IfId, Kernel};
use std::fmt::Write;

/// An address family keyword (`ifconfig IF inet`, `ifconfig -a ether`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Af {
    Inet,
    Inet6,
    /// `link`, `ether` and `lladdr` (AF_LINK).
    Link,
}

/// `af_getbyname`.
pub(crate) fn af_by_name(s: &str) -> Option<Af> {
    match s {
        "inet" => Some(Af::Inet),
        "inet6" => Some(Af::Inet6),
        "link" | "ether" | "lladdr" => Some(Af::Link),
        _ => None,
    }
}

const IFFBITS: &[(u32, &str)] = &[
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x4, "DEBUG"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x40, "RUNNING"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x200, "ALLMULTI"),
    (0x400, "OACTIVE"),
    (0x800, "SIMPLEX"),
    (0x1000, "LINK0"),
    (0x2000, "LINK1"),
    (0x4000, "LINK2"),
    (0x8000, "MULTICAST"),
    (0x20000, "PPROMISC"),
    (0x40000, "MONITOR"),
    (0x80000, "STATICARP"),
    (0x100_0000, "LOWER_UP"),
];

/// IFCAPBITS of FreeBSD 14 (sbin/ifconfig/ifconfig.c).
pub(crate) const IFCAPBITS: &[(u32, &str)] = &[
    (0x1, "RXCSUM"),
    (0x2, "TXCSUM"),
    (0x4, "NETCONS"),
    (0x8, "VLAN_MTU"),
    (0x10, "VLAN_HWTAGGING"),
    (0x20, "JUMBO_MTU"),
    (0x40, "POLLING"),
    (0x80, "VLAN_HWCSUM"),
    (0x100, "TSO4"),
    (0x200, "TSO6"),
    (0x400, "LRO"),
    (0x800, "WOL_UCAST"),
    (0x1000, "WOL_MCAST"),
    (0x2000, "WOL_MAGIC"),
    (0x4000, "TOE4"),
    (0x8000, "TOE6"),
    (0x10000, "VLAN_HWFILTER"),
    (0x40000, "VLAN_HWTSO"),
    (0x80000, "LINKSTATE"),
    (0x100000, "NETMAP"),
    (0x200000, "RXCSUM_IPV6"),
    (0x400000, "TXCSUM_IPV6"),
    (0x800000, "HWSTATS"),
    (0x1000000, "TXRTLMT"),
    (0x2000000, "HWRXTSTMP"),
    (0x4000000, "NOMAP"),
    (0x8000000, "TXTLS4"),
    (0x10000000, "TXTLS6"),
    (0x20000000, "VXLAN_HWCSUM"),
    (0x40000000, "VXLAN_HWTSO"),
    (0x80000000, "TXTLS_RTLMT"),
];

const ND6BITS: &[(u32, &str)] = &[
    (0x1, "PERFORMNUD"),
    (0x2, "ACCEPT_RTADV"),
    (0x4, "PREFER_SOURCE"),
    (0x8, "IFDISABLED"),
    (0x10, "DONT_SET_IFROUTE"),
    (0x20, "AUTO_LINKLOCAL"),
    (0x40, "NO_RADR"),
    (0x80, "NO_PREFER_IFACE"),
    (0x100, "NO_DAD"),
];

/// printb(): `name=hex<BIT,BIT>`.
pub(crate) fn printb(name: &str, v: u32, bits: &[(u32, &str)]) -> String {
    let names: Vec<&str> = bits.iter().filter(|(b, _)| v & b != 0).map(|(_, n)| *n).collect();
    format!("{name}={v:x}<{}>", names.join(","))
}

/// The interface's `flags=` word as ifconfig sees it.
pub(crate) fn if_flags(k: &Kernel, id: IfId, i: &Ifnet) -> u32 {
    i.flags(k.agg_link(id))
}

/// Appends the status block of interface `id` to `out`. `af` limits the addresses shown;
/// inside a jail without its own vnet no addresses are visible.
pub(crate) fn status(k: &Kernel, ctx: Ctx, id: IfId, af: Option<Af>, out: &mut String) {
    let Some(i) = k.ifp(id) else { return };
    let all = af.is_none();
    let _ =
        writeln!(out, "{}: {} metric {} mtu {}", i.name, printb("flags", if_flags(k, id, i), IFFBITS), i.metric, i.mtu);
    if let Some(d) = &i.descr {
        let _ = writeln!(out, "\tdescription: {d}");
    }
    if i.caps != 0 {
        let _ = writeln!(out, "\t{}", printb("options", i.caps, IFCAPBITS));
    } else if matches!(i.kind, IfKind::Bridge(_)) {
        // FreeBSD 14 prints a bridge's empty capability set this way (freebsd.md §3 sample).
        out.push_str("\toptions=0\n");
    }
    if (all || af == Some(Af::Link))
        && let Some(mac) = i.mac
    {
        let _ = writeln!(out, "\tether {mac}");
        if let Some(hw) = i.hwaddr.filter(|hw| *hw != mac) {
            let _ = writeln!(out, "\thwaddr {hw}");
        }
    }
    let shows_addrs = !(ctx.jailed() && ctx.vnet == crate::kernel::VnetId::HOST);
    if shows_addrs {
        for a in ordered_addrs(&i.addrs) {
            match a {
                IfAddr::V4 { addr, prefix, broadcast } if all || af == Some(Af::Inet) => {
                    let _ = write!(out, "\tinet {addr} netmask 0x{:08x}", IfAddr::v4_mask(*prefix));
                    if let Some(b) = broadcast.filter(|_| !matches!(i.kind, IfKind::Loopback)) {
                        let _ = write!(out, " broadcast {b}");
                    }
                    out.push('\n');
                }
                IfAddr::V6 { addr, prefix } if all || af == Some(Af::Inet6) => {
                    if addr.segments()[0] & 0xffc0 == 0xfe80 {
                        let _ = writeln!(out, "\tinet6 {addr}%{} prefixlen {prefix} scopeid 0x{:x}", i.name, i.index);
                    } else {
                        let _ = writeln!(out, "\tinet6 {addr} prefixlen {prefix}");
                    }
                }
                _ => {}
            }
        }
    }
    if all {
        if i.bridge_state().is_some() {
            bridge_status(k, id, i, out);
        }
        if let IfKind::Vlan(c) = &i.kind {
            // ifvlan.c vlan_status.
            let parent = c.parent.and_then(|p| k.ifp(p)).map_or("<none>".to_string(), |p| p.name.clone());
            let _ = writeln!(
                out,
                "\tvlan: {} vlanproto: {} vlanpcp: {} parent interface: {parent}",
                c.tag,
                crate::kernel::vlan::proto_name(c.proto),
                c.pcp
            );
        }
        if let IfKind::Lagg(c) = &i.kind {
            lagg_status(k, id, c, out);
        }
        if let Some(p) = i.pcp {
            let _ = writeln!(out, "\tpcp: {p}");
        }
        if !i.groups.is_empty() {
            let _ = writeln!(out, "\tgroups: {}", i.groups.join(" "));
        }
        media(k, i, out);
    }
    if all || af == Some(Af::Inet6) {
        let _ = writeln!(out, "\t{}", printb("nd6 options", i.nd6, ND6BITS));
    }
}

/// The `media:`/`status:` lines (ifmedia.c): a vlan shows its parent's (if_vlan.c passes
/// SIOCGIFMEDIA to the trunk), a lagg `autoselect` and whether any port is active.
fn media(k: &Kernel, i: &Ifnet, out: &mut String) {
    {
        match i.kind {
            IfKind::Epair { .. } => {
                out.push_str("\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\tstatus: active\n");
            }
            IfKind::Ether => {
                out.push_str("\tmedia: Ethernet autoselect (1000baseT <full-duplex>)\n\tstatus: active\n");
            }
            // ng_eiface_mediastatus: autoselect, active (1000baseT full-duplex) while the node's
            // ether hook is connected.
            IfKind::Eiface { link: true, .. } => {
                out.push_str("\tmedia: Ethernet autoselect (1000baseT <full-duplex>)\n\tstatus: active\n");
            }
            IfKind::Eiface { link: false, .. } => {
                out.push_str("\tmedia: Ethernet autoselect\n\tstatus: no carrier\n");
            }
            IfKind::Vlan(ref c) => {
                if let Some(p) = c.parent.and_then(|p| k.ifp(p)) {
                    media(k, p, out);
                }
            }
            IfKind::Lagg(ref c) => {
                let active = c.ports.iter().any(|p| k.agg_link(p.ifp));
                out.push_str("\tmedia: Ethernet autoselect\n");
                out.push_str(if active { "\tstatus: active\n" } else { "\tstatus: no carrier\n" });
            }
            _ => {}
        }
    }
}

/// iflagg.c `lagg_status`: `laggproto P lagghash l2,l3,l4` and one `laggport:` line per port.
fn lagg_status(k: &Kernel, id: IfId, c: &crate::kernel::lagg::LaggCfg, out: &mut String) {
    let proto = crate::kernel::lagg::PROTOS.iter().find(|(_, n)| *n == c.proto).map_or("<unknown>", |(s, _)| s);
    let _ = write!(out, "\tlaggproto {proto}");
    if c.hash != 0 {
        let names: Vec<&str> =
            [(1u8, "l2"), (2, "l3"), (4, "l4")].iter().filter(|(b, _)| c.hash & b != 0).map(|(_, n)| *n).collect();
        let _ = write!(out, " lagghash {}", names.join(","));
    }
    out.push('\n');
    const LAGG_PORT_BITS: &[(u32, &str)] = &[
        (0x1, "MASTER"),
        (0x2, "STACK"),
        (0x4, "ACTIVE"),
        (0x8, "COLLECTING"),
        (0x10, "DISTRIBUTING"),
        (0x20, "DISABLED"),
    ];
    for (p, f) in k.lagg_ports(id) {
        let name = k.ifp(p).map(|i| i.name.clone()).unwrap_or_default();
        let _ = writeln!(out, "\tlaggport: {name} {}", printb("flags", f, LAGG_PORT_BITS));
    }
}

/// Addresses grouped by family in the order each family first appears (ifconfig.c
/// `calcorders`/`sortifaddrs`).
fn ordered_addrs(addrs: &[IfAddr]) -> Vec<&IfAddr> {
    let v4_first = addrs.first().is_none_or(IfAddr::is_v4);
    let (a, b): (Vec<&IfAddr>, Vec<&IfAddr>) = addrs.iter().partition(|x| x.is_v4() == v4_first);
    a.into_iter().chain(b).collect()
}

/// `IFBIFBITS` (net/if_bridgevar.h), in printing order (PRIVATE comes after STICKY).
const IFBIFBITS: &[(u32, &str)] = &[
    (0x1, "LEARNING"),
    (0x2, "DISCOVER"),
    (0x4, "STP"),
    (0x8, "SPAN"),
    (0x10, "STICKY"),
    (0x800, "PRIVATE"),
    (0x20, "EDGE"),
    (0x40, "AUTOEDGE"),
    (0x80, "PTP"),
    (0x100, "AUTOPTP"),
    (0x1000, "QINQ"),
];

/// ifbridge.c `bridge_status`: STP parameters, then one `member:` pair of lines per member
/// (newest first) and per span port. The bridge ID is all zeros until a member runs STP
/// (bridgestp.c `bstp_reinit`: an empty port list disables STP); the root is the bridge
/// itself (no BPDUs are modelled). 15.x adds the `bridge flags` line, leaves `ifmaxaddr 0`
/// out and shows each member's untagged and tagged VLANs.
fn bridge_status(k: &Kernel, id: IfId, b: &Ifnet, out: &mut String) {
    let bid = k.bridge_stp_id(id).map_or_else(|| "00:00:00:00:00:00".to_string(), |m| m.to_string());
    let _ = writeln!(out, "\tid {bid} priority 32768 hellotime 2 fwddelay 15");
    out.push_str("\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n");
    let _ = writeln!(out, "\troot id {bid} priority 32768 ifcost 0 port 0");
    let b15 = k.bridge_15();
    let state = b.bridge_state();
    if b15 {
        const IFBRFBITS: &[(u32, &str)] = &[(0x1, "VLANFILTER"), (0x2, "DEFQINQ")];
        let flags = state.map_or(0, |s| s.flags);
        let _ = write!(out, "\t{}", printb("bridge flags", flags, IFBRFBITS));
        if let Some(p) = state.map(|s| s.defpvid).filter(|p| *p != 0) {
            let _ = write!(out, " defuntagged={p}");
        }
        out.push('\n');
    }
    let pad = "\t        ";
    for m in k.bridge_members(id) {
        let Some(mi) = k.ifp(m) else { continue };
        let cfg = k.member_cfg(id, m);
        let cost = match mi.speed_mbps() {
            Some(s) if s > 0 => (20_000_000 / s).max(1),
            _ => 20_000,
        };
        let _ = writeln!(out, "\tmember: {} {}", mi.name, printb("flags", cfg.flags, IFBIFBITS));
        out.push_str(pad);
        if !b15 {
            out.push_str("ifmaxaddr 0 ");
        }
        let _ = write!(out, "port {} priority 128 path cost {cost}", mi.index & 0xfff);
        if cfg.flags & crate::kernel::bridge_cfg::ifbif::STP != 0 {
            // Roles and states after convergence; the STP timers are not modelled.
            let (role, st) =
                if b.up && mi.up && k.agg_link(m) { ("designated", "forwarding") } else { ("disabled", "discarding") };
            let _ = write!(out, " proto rstp\n{pad}role {role} state {st}");
        }
        if b15 {
            if cfg.pvid != 0 {
                let _ = write!(out, " untagged {}", cfg.pvid);
            }
            out.push_str(&tagged_list(&cfg.vlans));
        }
        out.push('\n');
    }
    for sp in state.map(|s| s.span.clone()).unwrap_or_default() {
        let Some(si) = k.ifp(sp) else { continue };
        let _ = writeln!(out, "\tmember: {} {}", si.name, printb("flags", 0x8, IFBIFBITS));
        let _ = writeln!(
            out,
            "{pad}{}port {} priority 0 path cost 0",
            if b15 { "" } else { "ifmaxaddr 0 " },
            si.index & 0xfff
        );
    }
}

/// ifbridge.c `print_vlans`: ` tagged 100-103,106-149`.
fn tagged_list(v: &std::collections::BTreeSet<u16>) -> String {
    let mut parts = Vec::new();
    let mut it = v.iter().copied().peekable();
    while let Some(first) = it.next() {
        let mut last = first;
        while it.peek() == Some(&(last + 1)) {
            last = it.next().unwrap_or(last);
        }
        parts.push(if first == last { first.to_string() } else { format!("{first}-{last}") });
    }
    if parts.is_empty() { String::new() } else { format!(" tagged {}", parts.join(",")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printb_matches_ifconfig_for_an_epair() {
        assert_eq!(printb("flags", 0x1008842, IFFBITS), "flags=1008842<BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP>");
        assert_eq!(printb("options", 0, IFCAPBITS), "options=0<>");
    }
}

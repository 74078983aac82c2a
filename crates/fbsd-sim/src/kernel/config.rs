//! Per-interface settings (sys/net/if.c `ifhwioctl`, netinet/in.c, netinet6/in6.c): name,
//! flags, MTU, link-level address, description, groups, metric, capabilities, addresses.

use super::Kernel;
use super::cred::Ctx;
use super::ifnet::{IFNAMSIZ, IfKind};
use super::table::same_addr;
use super::types::{IfAddr, IfId, Mac};
use crate::Errno;

/// `IF_MINMTU` / `IF_MAXMTU` (net/if.h).
const IF_MINMTU: i64 = 72;
const IF_MAXMTU: i64 = 65535;
/// Largest MTU a simulated physical NIC accepts (jumbo frames).
const ETHER_MAXMTU: i64 = 9216;
/// `ETHER_MAX_LEN_JUMBO` (net/ethernet.h), ng_eiface's largest MTU.
const EIFACE_MAXMTU: i64 = 9018;
/// `net.link.ifdescr_maxlen` default.
const IFDESCR_MAXLEN: usize = 1024;

/// Which address an address deletion removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelAddr {
    /// `SIOCDIFADDR` with a zero address: the first IPv4 address.
    FirstV4,
    /// That exact address.
    Exact(IfAddr),
}

impl Kernel {
    /// `SIOCSIFNAME` (if.c `if_rename`): empty → EINVAL, longer than 15 bytes →
    /// ENAMETOOLONG, same name → success, a name taken in this vnet → EEXIST.
    pub(crate) fn if_rename(&mut self, ctx: Ctx, id: IfId, new: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let ifp = self.ifp_or_nxio(id)?;
        if new.len() >= IFNAMSIZ {
            return Err(Errno::ENAMETOOLONG);
        }
        if new.is_empty() {
            return Err(Errno::EINVAL);
        }
        if ifp.name == new {
            return Ok(());
        }
        if self.ifunit(ifp.vnet, new).is_some() {
            return Err(Errno::EEXIST);
        }
        self.set_name_indexed(id, new);
        Ok(())
    }

    /// `SIOCSIFFLAGS` for IFF_UP.
    pub(crate) fn if_set_up(&mut self, ctx: Ctx, id: IfId, up: bool) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        self.ifp_mut(id).ok_or(Errno::ENXIO)?.up = up;
        Ok(())
    }

    /// `SIOCSIFFLAGS` for the other user-settable bits.
    pub(crate) fn if_set_xflags(&mut self, ctx: Ctx, id: IfId, bits: u32, on: bool) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let i = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        let bits = bits & super::ifnet::iff::USER_SETTABLE;
        if on {
            i.xflags |= bits
        } else {
            i.xflags &= !bits
        }
        Ok(())
    }

    /// `SIOCSIFMTU`: 72..65535 (if.c), then the driver: epair takes anything, a physical NIC
    /// up to 9216, a bridge only what all its members have (≤14.x) or it sets them all
    /// (15.x); a bridge member's MTU cannot be changed on 15.x (EOPNOTSUPP).
    pub(crate) fn if_set_mtu(&mut self, ctx: Ctx, id: IfId, mtu: i64) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let ifp = self.ifp_or_nxio(id)?;
        if !(IF_MINMTU..=IF_MAXMTU).contains(&mtu) {
            return Err(Errno::EINVAL);
        }
        let mtu = mtu as u32;
        if self.bridge_15() && ifp.bridge.is_some() {
            return Err(Errno::EOPNOTSUPP);
        }
        match &ifp.kind {
            IfKind::Ether if i64::from(mtu) > ETHER_MAXMTU => return Err(Errno::EINVAL),
            // ng_eiface_ioctl: NG_EIFACE_MTU_MIN (72) .. NG_EIFACE_MTU_MAX (ETHER_MAX_LEN_JUMBO).
            IfKind::Eiface { .. } if i64::from(mtu) > EIFACE_MAXMTU => return Err(Errno::EINVAL),
            IfKind::Bridge(s) => {
                let members: Vec<IfId> = s.members.values().copied().collect();
                if self.bridge_15() {
                    for m in members {
                        if let Some(mi) = self.ifp_mut(m) {
                            mi.mtu = mtu;
                        }
                    }
                } else if members.iter().any(|&m| self.ifp(m).is_some_and(|mi| mi.mtu != mtu)) {
                    return Err(Errno::EINVAL);
                }
            }
            _ => {}
        }
        self.ifp_mut(id).ok_or(Errno::ENXIO)?.mtu = mtu;
        Ok(())
    }

    /// `SIOCSIFLLADDR` (if.c `if_setlladdr`): the length must match the interface's address
    /// length (6 for Ethernet, bridges and epairs; lo has none) → else EINVAL. Multicast
    /// addresses are not refused by the kernel.
    pub(crate) fn if_set_lladdr(&mut self, ctx: Ctx, id: IfId, bytes: &[u8]) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let ifp = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        if !ifp.has_lladdr() || bytes.len() != 6 {
            return Err(Errno::EINVAL);
        }
        let mut m = [0u8; 6];
        m.copy_from_slice(bytes);
        ifp.mac = Some(Mac(m));
        // iflladdr_event listeners: a lagg's ports take its new address (lagg_port_lladdr),
        // a trunk's vlans theirs (vlan_iflladdr).
        self.lagg_push_mac(id);
        if let Some(v) = self.ifp(id).map(|i| i.vnet) {
            for vl in self.vlans_on(v, id) {
                if let Some(x) = self.ifp_mut(vl) {
                    x.mac = Some(Mac(m));
                }
            }
        }
        Ok(())
    }

    /// `SIOCSLANPCP` (`ifconfig pcp N`, `-pcp`): any interface may carry a priority.
    pub(crate) fn if_set_pcp(&mut self, ctx: Ctx, id: IfId, pcp: Option<u8>) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        self.ifp_mut(id).ok_or(Errno::ENXIO)?.pcp = pcp;
        Ok(())
    }

    /// `SIOCSIFDESCR`: `None` or empty clears; longer than `ifdescr_maxlen` → ENAMETOOLONG.
    pub(crate) fn if_set_descr(&mut self, ctx: Ctx, id: IfId, descr: Option<&str>) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let ifp = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        match descr {
            Some(d) if d.len() + 1 > IFDESCR_MAXLEN => return Err(Errno::ENAMETOOLONG),
            Some(d) if !d.is_empty() => ifp.descr = Some(d.to_string()),
            _ => ifp.descr = None,
        }
        Ok(())
    }

    /// `SIOCAIFGROUP` (if.c `if_addgroup`): EEXIST when already a member, EINVAL for a name
    /// ending in a digit.
    pub(crate) fn if_add_group(&mut self, ctx: Ctx, id: IfId, group: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let ifp = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        if group.is_empty() || group.ends_with(|c: char| c.is_ascii_digit()) || group.len() >= IFNAMSIZ {
            return Err(Errno::EINVAL);
        }
        if group == "all" || ifp.groups.iter().any(|g| g == group) {
            return Err(Errno::EEXIST);
        }
        ifp.groups.push(group.to_string());
        Ok(())
    }

    /// `SIOCDIFGROUP`: ENOENT when not a member.
    pub(crate) fn if_del_group(&mut self, ctx: Ctx, id: IfId, group: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let ifp = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        let before = ifp.groups.len();
        ifp.groups.retain(|g| g != group);
        if ifp.groups.len() == before {
            return Err(Errno::ENOENT);
        }
        Ok(())
    }

    /// `SIOCSIFMETRIC`.
    pub(crate) fn if_set_metric(&mut self, ctx: Ctx, id: IfId, metric: i32) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        self.ifp_mut(id).ok_or(Errno::ENXIO)?.metric = metric;
        Ok(())
    }

    /// `SIOCSIFCAP`: only capabilities the driver supports change.
    pub(crate) fn if_set_caps(&mut self, ctx: Ctx, id: IfId, bits: u32, on: bool) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let i = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        let bits = bits & i.caps_supported;
        if on {
            i.caps |= bits
        } else {
            i.caps &= !bits
        }
        Ok(())
    }

    /// `SIOCSIFINFO_IN6`: nd6 per-interface flags.
    pub(crate) fn if_set_nd6(&mut self, ctx: Ctx, id: IfId, bits: u32, on: bool) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let i = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        if on {
            i.nd6 |= bits
        } else {
            i.nd6 &= !bits
        }
        Ok(())
    }

    /// `SIOCAIFADDR` / `SIOCAIFADDR_IN6`: adds (or updates) an address; the driver's
    /// `SIOCSIFADDR` brings the interface UP. On 15.x a bridge member may not get an address
    /// unless `net.link.bridge.member_ifaddrs=1` (EINVAL).
    pub(crate) fn if_add_addr(&mut self, ctx: Ctx, id: IfId, addr: IfAddr) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let ifp = self.ifp_or_nxio(id)?;
        if self.bridge_15() && ifp.bridge.is_some() {
            let allowed = self
                .vnet(ifp.vnet)
                .and_then(|v| v.sysctls.get("net.link.bridge.member_ifaddrs"))
                .is_some_and(|&v| v != 0);
            if !allowed {
                return Err(Errno::EINVAL);
            }
        }
        let broadcast_capable = !matches!(ifp.kind, IfKind::Loopback);
        let addr = match addr {
            IfAddr::V4 { addr, prefix, broadcast } if broadcast_capable => {
                IfAddr::V4 { addr, prefix, broadcast: broadcast.or_else(|| IfAddr::v4_broadcast(addr, prefix)) }
            }
            IfAddr::V4 { addr, prefix, .. } => IfAddr::V4 { addr, prefix, broadcast: None },
            v6 => v6,
        };
        let key = super::route::prefix_key(&addr);
        let i = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        match i.addrs.iter_mut().find(|a| same_addr(a, &addr)) {
            Some(slot) => *slot = addr,
            None => i.addrs.push(addr),
        }
        i.up = true;
        let vnet = i.vnet;
        let owner = self.vnet(vnet).and_then(|vn| vn.prefix_owner.get(&key).copied());
        if owner.is_none_or(|o| o == id || !self.holds_prefix(vnet, o, &key))
            && let Some(vn) = self.vnet_mut(vnet)
        {
            vn.prefix_owner.insert(key, id);
        }
        Ok(())
    }

    /// `SIOCDIFADDR` / `SIOCDIFADDR_IN6`: EADDRNOTAVAIL when there is no such address.
    pub(crate) fn if_del_addr(&mut self, ctx: Ctx, id: IfId, which: DelAddr) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let i = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        let pos = match which {
            DelAddr::FirstV4 => i.addrs.iter().position(IfAddr::is_v4),
            DelAddr::Exact(a) => i.addrs.iter().position(|x| same_addr(x, &a)),
        }
        .ok_or(Errno::EADDRNOTAVAIL)?;
        i.addrs.remove(pos);
        let (vnet, has_v4) = (i.vnet, i.addrs.iter().any(IfAddr::is_v4));
        if !has_v4
            && let Some(vn) = self.vnet_mut(vnet)
            && vn.default_route.as_ref().is_some_and(|r| r.ifp == id)
        {
            vn.default_route = None;
        }
        Ok(())
    }
}

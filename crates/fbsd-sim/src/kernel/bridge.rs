//! if_bridge(4) membership (sys/net/if_bridge.c `bridge_ioctl_add`/`bridge_ioctl_del`,
//! `bridge_ifdetach`): `addm`, `deletem`, and members leaving on destroy or vnet move.

use super::Kernel;
use super::cred::Ctx;
use super::ifnet::IfKind;
use super::types::IfId;
use crate::Errno;

impl Kernel {
    /// `BRDGADD`: adds the interface named `member` (in the bridge's vnet) to bridge `br`.
    ///
    /// In the order of sys/net/if_bridge.c `bridge_ioctl_add` (stable/14, opnsense/src):
    /// ENOENT no such interface; EEXIST already in this bridge; EBUSY in another bridge;
    /// EINVAL for an `if_type` other than IFT_ETHER / IFT_L2VLAN (/ IFT_GIF, which the model
    /// has no interfaces of) — so lo0, any if_bridge (IFT_BRIDGE) and a lagg(4) port
    /// (IFT_IEEE8023ADLAG) are never members —, for
    /// a bridge's SVI (a vlan on a bridge, 15.x), or,
    /// up to 14.x, an MTU different from the bridge's (the first member defines it). From 15.x the member is set to the bridge's
    /// MTU instead, and a member holding an IP address is EINVAL unless
    /// `net.link.bridge.member_ifaddrs=1`.
    pub(crate) fn bridge_add(&mut self, ctx: Ctx, br: IfId, member: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let b = self.ifp_or_nxio(br)?;
        let Some(state) = b.bridge_state() else {
            return Err(Errno::EINVAL);
        };
        let (bvnet, bmtu, empty) = (b.vnet, b.mtu, state.members.is_empty());
        let m = self.ifunit(bvnet, member).ok_or(Errno::ENOENT)?;
        let mi = self.ifp_or_nxio(m)?;
        if let Some((owner, _)) = mi.bridge {
            return Err(if owner == br { Errno::EEXIST } else { Errno::EBUSY });
        }
        if !mi.is_ethernet() {
            return Err(Errno::EINVAL);
        }
        // A lagg(4) port is no longer IFT_ETHER: if_lagg.c `lagg_port_create` ("Change the
        // interface type") sets its `if_type` to IFT_IEEE8023ADLAG, which the `if_type` switch
        // of `bridge_ioctl_add` refuses with EINVAL (`BRDGADD em0: Invalid argument`). The lagg
        // itself is IFT_ETHER and joins bridges as usual.
        if mi.lagg.is_some() {
            return Err(Errno::EINVAL);
        }
        // A bridge's SVI (a vlan whose trunk is a bridge, which only 15.x's vlan_config
        // allows) is no member: EINVAL, "Bridge SVI cannot be added to a bridge" in 15.x's
        // extended error (ATF if_bridge_test.sh bridge_svi_in_bridge).
        if let IfKind::Vlan(c) = &mi.kind
            && c.parent.and_then(|t| self.ifp(t)).is_some_and(|t| matches!(t.kind, IfKind::Bridge(_)))
        {
            return Err(Errno::EINVAL);
        }
        let new_mtu = if self.bridge_15() {
            let allowed =
                self.vnet(bvnet).and_then(|v| v.sysctls.get("net.link.bridge.member_ifaddrs")).is_some_and(|&v| v != 0);
            if !allowed && !mi.addrs.is_empty() {
                return Err(Errno::EINVAL);
            }
            if empty { mi.mtu } else { bmtu }
        } else {
            if !empty && mi.mtu != bmtu {
                return Err(Errno::EINVAL);
            }
            mi.mtu
        };
        if let Some(bi) = self.ifp_mut(br) {
            bi.mtu = new_mtu;
        }
        let seq = match self.ifp_mut(br).map(|b| &mut b.kind) {
            Some(IfKind::Bridge(s)) => {
                let seq = s.next_seq;
                s.next_seq += 1;
                s.members.insert(seq, m);
                seq
            }
            _ => return Err(Errno::EINVAL),
        };
        if let Some(mi) = self.ifp_mut(m) {
            mi.mtu = new_mtu;
            mi.bridge = Some((br, seq));
        }
        Ok(())
    }

    /// `BRDGDEL`: removes member `member` (by name) from bridge `br`; ENOENT when it is not a
    /// member.
    pub(crate) fn bridge_del(&mut self, ctx: Ctx, br: IfId, member: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let b = self.ifp_or_nxio(br)?;
        if b.bridge_state().is_none() {
            return Err(Errno::EINVAL);
        }
        let m = self
            .ifunit(b.vnet, member)
            .filter(|&m| self.ifp(m).is_some_and(|i| i.bridge.is_some_and(|(o, _)| o == br)))
            .ok_or(Errno::ENOENT)?;
        self.leave_bridge(m);
        Ok(())
    }

    /// Drops `id` from the bridge it is in, if any (`bridge_ifdetach` on departure).
    pub(crate) fn leave_bridge(&mut self, id: IfId) {
        let Some((br, seq)) = self.ifp_mut(id).and_then(|i| i.bridge.take()) else {
            return;
        };
        if let Some(IfKind::Bridge(s)) = self.ifp_mut(br).map(|b| &mut b.kind) {
            s.members.remove(&seq);
        }
        self.bridge_member_gone(br, seq, id);
    }

    /// Releases every member of bridge `id` (bridge destroyed or moved away).
    pub(crate) fn release_members(&mut self, id: IfId) {
        let members: Vec<IfId> = match self.ifp_mut(id).map(|b| &mut b.kind) {
            Some(IfKind::Bridge(s)) => std::mem::take(&mut s.members).into_values().collect(),
            _ => return,
        };
        for m in members {
            if let Some(mi) = self.ifp_mut(m) {
                mi.bridge = None;
            }
        }
    }

    /// Members of a bridge, newest first (the order `ifconfig bridge0` prints).
    pub(crate) fn bridge_members(&self, id: IfId) -> Vec<IfId> {
        self.ifp(id)
            .and_then(|b| b.bridge_state())
            .map(|s| s.members.values().rev().copied().collect())
            .unwrap_or_default()
    }

    /// True when a bridge has at least one member with link (its LOWER_UP).
    pub(crate) fn bridge_has_link(&self, id: IfId) -> bool {
        self.ifp(id).and_then(|b| b.bridge_state()).is_some_and(|s| s.members.values().any(|&m| self.agg_link(m)))
    }

    /// Link state (LOWER_UP) of any interface: its driver's, or for a bridge any member's
    /// (`bridge_linkcheck`), for a vlan its parent's (`vlan_link_state`), for a lagg any
    /// port's.
    pub(crate) fn agg_link(&self, id: IfId) -> bool {
        let Some(i) = self.ifp(id) else { return false };
        match &i.kind {
            IfKind::Bridge(_) => self.bridge_has_link(id),
            IfKind::Vlan(c) => c.parent.is_some_and(|p| self.agg_link(p)),
            IfKind::Lagg(c) => c.ports.iter().any(|p| self.agg_link(p.ifp)),
            _ => i.has_link(),
        }
    }
}

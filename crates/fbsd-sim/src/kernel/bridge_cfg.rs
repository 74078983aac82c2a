//! if_bridge(4) settings beyond membership (sys/net/if_bridge.c `bridge_ioctl_sifflags`,
//! `_addspan`/`_delspan`, `_saddr`/`_daddr`/`_flush`, and the 15.x VLAN filtering ioctls
//! `BRDGSIFPVID`, `BRDGSIFVLANSET`, `BRDGSFLAGS`, `BRDGSDEFPVID`), and the spanning-tree bridge
//! ID (sys/net/bridgestp.c `bstp_reinit`). Membership itself is in `bridge.rs`.

use super::Kernel;
use super::cred::Ctx;
use super::ifnet::{Bridge, IfKind};
use super::types::{IfId, Mac};
use crate::Errno;

pub use super::ifcfg::{MemberCfg, RtEntry, ifbif};
use std::collections::BTreeSet;

/// `IFBRF_*` bridge flags (15.x).
pub mod ifbrf {
    /// `vlanfilter`: members only pass frames of the VLANs they are configured for.
    pub const VLANFILTER: u32 = 0x1;
    /// `defqinq`: new members get the QINQ flag.
    pub const DEFQINQ: u32 = 0x2;
}

/// How a VLAN set changes (`BRDG_VLAN_OP_SET`/`ADD`/`DEL`: `iftagged`, `+iftagged`,
/// `-iftagged`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VlanOp {
    /// Replace the set.
    Set,
    /// Add to it.
    Add,
    /// Remove from it.
    Del,
}

impl Kernel {
    fn bridge_mut(&mut self, br: IfId) -> Result<&mut Bridge, Errno> {
        match self.ifp_mut(br).map(|b| &mut b.kind) {
            Some(IfKind::Bridge(s)) => Ok(s),
            Some(_) => Err(Errno::EINVAL),
            None => Err(Errno::ENXIO),
        }
    }

    /// The join seq of member `name` of bridge `br` (`bridge_lookup_member`), else ENOENT.
    fn member_seq(&self, br: IfId, name: &str) -> Result<u64, Errno> {
        let b = self.ifp_or_nxio(br)?;
        let state = b.bridge_state().ok_or(Errno::EINVAL)?;
        state
            .members
            .iter()
            .find(|(_, id)| self.ifp(**id).is_some_and(|i| i.name == name))
            .map(|(seq, _)| *seq)
            .ok_or(Errno::ENOENT)
    }

    /// A member's settings (the defaults when it has no entry).
    pub(crate) fn member_cfg(&self, br: IfId, member: IfId) -> MemberCfg {
        let Some((_, seq)) = self.ifp(member).and_then(|i| i.bridge).filter(|(b, _)| *b == br) else {
            return MemberCfg::default();
        };
        self.ifp(br).and_then(|b| b.bridge_state()).and_then(|s| s.cfg.get(&seq)).cloned().unwrap_or_default()
    }

    fn member_cfg_mut(&mut self, br: IfId, name: &str) -> Result<&mut MemberCfg, Errno> {
        let seq = self.member_seq(br, name)?;
        Ok(self.bridge_mut(br)?.cfg.entry(seq).or_default())
    }

    /// What `bridge_ioctl_add` sets on 15.x besides membership: the bridge's default PVID
    /// (`sc_defpvid`) and, with `defqinq`, the QINQ flag. Called right after a successful
    /// `BRDGADD`.
    pub(crate) fn bridge_member_added(&mut self, br: IfId, member: &str) {
        let (defpvid, flags, first) = match self.ifp(br).and_then(|b| b.bridge_state()) {
            Some(s) => (s.defpvid, s.flags, s.members.len() == 1),
            None => return,
        };
        // net.link.bridge.inherit_mac: the first member's address becomes the bridge's while
        // the bridge still has its generated one.
        let inherit = self
            .ifp(br)
            .and_then(|b| self.vnet(b.vnet))
            .and_then(|v| v.sysctls.get("net.link.bridge.inherit_mac"))
            .is_some_and(|v| *v != 0);
        if inherit && first {
            let v = self.ifp(br).map(|b| b.vnet);
            let mac = v.and_then(|v| self.ifunit(v, member)).and_then(|m| self.ifp(m)).and_then(|i| i.mac);
            if let Some(b) = self.ifp_mut(br)
                && b.mac == b.hwaddr
            {
                b.mac = mac;
            }
        }
        if let Ok(c) = self.member_cfg_mut(br, member) {
            c.pvid = defpvid;
            if flags & ifbrf::DEFQINQ != 0 {
                c.flags |= ifbif::QINQ;
            }
        }
    }

    /// Forgets the settings of a member that left (called from `leave_bridge`).
    pub(crate) fn bridge_member_gone(&mut self, br: IfId, seq: u64, member: IfId) {
        if let Ok(b) = self.bridge_mut(br) {
            b.cfg.remove(&seq);
            b.rt.retain(|r| r.ifp != member);
        }
    }

    /// `BRDGSIFFLGS` for one flag (ifbridge.c `do_bridgeflag`: read, change, write). SPAN is
    /// read-only (EINVAL); turning STP on needs an Ethernet or VLAN port (`bstp_enable`).
    pub(crate) fn bridge_member_flag(
        &mut self,
        ctx: Ctx,
        br: IfId,
        member: &str,
        flag: u32,
        on: bool,
    ) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        if flag & ifbif::SPAN != 0 {
            return Err(Errno::EINVAL);
        }
        let seq = self.member_seq(br, member)?;
        if flag & ifbif::STP != 0 && on {
            let id = self.bridge_members(br).into_iter().find(|m| self.ifp(*m).is_some_and(|i| i.name == member));
            let ok = id.and_then(|m| self.ifp(m)).is_some_and(|i| {
                matches!(i.kind, IfKind::Ether | IfKind::Epair { .. } | IfKind::Eiface { .. } | IfKind::Vlan(_))
            });
            if !ok {
                return Err(Errno::EINVAL);
            }
        }
        let c = self.bridge_mut(br)?.cfg.entry(seq).or_default();
        if on {
            c.flags |= flag;
        } else {
            c.flags &= !flag;
        }
        Ok(())
    }

    /// `BRDGADDS`: ENOENT no such interface; EBUSY already a span port or a member of any
    /// bridge; EINVAL not Ethernet, VLAN or gif.
    pub(crate) fn bridge_add_span(&mut self, ctx: Ctx, br: IfId, name: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let v = self.ifp_or_nxio(br)?.vnet;
        let m = self.ifunit(v, name).ok_or(Errno::ENOENT)?;
        let mi = self.ifp_or_nxio(m)?;
        let in_span = self.ifp(br).and_then(|b| b.bridge_state()).is_some_and(|s| s.span.contains(&m));
        if in_span || mi.bridge.is_some() {
            return Err(Errno::EBUSY);
        }
        if !matches!(mi.kind, IfKind::Ether | IfKind::Epair { .. } | IfKind::Eiface { .. } | IfKind::Vlan(_)) {
            return Err(Errno::EINVAL);
        }
        self.bridge_mut(br)?.span.insert(0, m);
        Ok(())
    }

    /// `BRDGDELS`: ENOENT when it is not a span port of this bridge.
    pub(crate) fn bridge_del_span(&mut self, ctx: Ctx, br: IfId, name: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let v = self.ifp_or_nxio(br)?.vnet;
        let m = self.ifunit(v, name).ok_or(Errno::ENOENT)?;
        let b = self.bridge_mut(br)?;
        let before = b.span.len();
        b.span.retain(|x| *x != m);
        if b.span.len() == before {
            return Err(Errno::ENOENT);
        }
        Ok(())
    }

    /// Drops `id` from every span list (`bridge_ifdetach` for a span port).
    pub(crate) fn leave_spans(&mut self, id: IfId) {
        for slot in self.ifnets.iter_mut().flatten() {
            if let IfKind::Bridge(b) = &mut slot.kind {
                b.span.retain(|x| *x != id);
            }
        }
    }

    /// `BRDGSADDR` (`static IF MAC`): the member must exist (ENOENT); an entry for the same
    /// address and VLAN is replaced (`bridge_rtupdate`).
    pub(crate) fn bridge_static(&mut self, ctx: Ctx, br: IfId, member: &str, mac: Mac, vlan: u16) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        self.member_seq(br, member)?;
        let v = self.ifp_or_nxio(br)?.vnet;
        let m = self.ifunit(v, member).ok_or(Errno::ENOENT)?;
        let b = self.bridge_mut(br)?;
        b.rt.retain(|r| !(r.mac == mac && r.vlan == vlan));
        b.rt.insert(0, RtEntry { mac, vlan, ifp: m });
        Ok(())
    }

    /// `BRDGDADDR` (`deladdr MAC`): ENOENT when there is no such entry (`bridge_rtdaddr`).
    pub(crate) fn bridge_deladdr(&mut self, ctx: Ctx, br: IfId, mac: Mac, vlan: u16) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let b = self.bridge_mut(br)?;
        let before = b.rt.len();
        b.rt.retain(|r| !(r.mac == mac && r.vlan == vlan));
        if b.rt.len() == before { Err(Errno::ENOENT) } else { Ok(()) }
    }

    /// `BRDGFLUSH`: `flush` drops learned entries (none are modelled), `flushall` the static
    /// ones too.
    pub(crate) fn bridge_flush(&mut self, ctx: Ctx, br: IfId, all: bool) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let b = self.bridge_mut(br)?;
        if all {
            b.rt.clear();
        }
        Ok(())
    }

    /// 15.x `BRDGSIFPVID` (`ifuntagged IF N`, `-ifuntagged IF`, `addm IF untagged N`).
    pub(crate) fn bridge_set_pvid(&mut self, ctx: Ctx, br: IfId, member: &str, pvid: u16) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        self.member_cfg_mut(br, member)?.pvid = pvid;
        Ok(())
    }

    /// 15.x `BRDGSIFVLANSET` (`iftagged`, `+iftagged`, `-iftagged`, `addm IF tagged SET`).
    pub(crate) fn bridge_vlan_set(
        &mut self,
        ctx: Ctx,
        br: IfId,
        member: &str,
        op: VlanOp,
        set: &BTreeSet<u16>,
    ) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let c = self.member_cfg_mut(br, member)?;
        match op {
            VlanOp::Set => c.vlans = set.clone(),
            VlanOp::Add => c.vlans.extend(set.iter().copied()),
            VlanOp::Del => c.vlans.retain(|v| !set.contains(v)),
        }
        Ok(())
    }

    /// 15.x `BRDGSFLAGS` (`vlanfilter`, `defqinq` and their `-` forms).
    pub(crate) fn bridge_set_flags(&mut self, ctx: Ctx, br: IfId, flags: u32, on: bool) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let b = self.bridge_mut(br)?;
        if on {
            b.flags |= flags;
        } else {
            b.flags &= !flags;
        }
        Ok(())
    }

    /// 15.x `BRDGSDEFPVID` (`defuntagged N`, `-defuntagged`).
    pub(crate) fn bridge_set_defpvid(&mut self, ctx: Ctx, br: IfId, pvid: u16) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        self.bridge_mut(br)?.defpvid = pvid;
        Ok(())
    }

    /// The spanning-tree bridge ID's address (bridgestp.c `bstp_reinit`): with no member
    /// running STP the port list is empty and the ID is all zeros (`None`); otherwise the
    /// lowest nonzero MAC among the bridge's Ethernet members.
    pub(crate) fn bridge_stp_id(&self, br: IfId) -> Option<Mac> {
        let members = self.bridge_members(br);
        if !members.iter().any(|m| self.member_cfg(br, *m).flags & ifbif::STP != 0) {
            return None;
        }
        members
            .iter()
            .filter_map(|m| self.ifp(*m))
            .filter(|i| matches!(i.kind, IfKind::Ether | IfKind::Epair { .. } | IfKind::Eiface { .. }))
            .filter_map(|i| i.mac)
            .filter(|m| m.0 != [0; 6])
            .min_by_key(|m| m.0)
    }
}

//! vlan(4) (sys/net/if_vlan.c): the `vlan` cloner (`vlan`, `vlanN`, and `PARENT.TAG` names,
//! `vlan_clone_match_ethervid`), `SIOCSETVLAN` (`vlan_config` / `vlan_unconfig`), the parent's
//! departure (`vlan_ifdetach`), and what a configured vlan inherits from its parent: MAC,
//! MTU (less the 4-byte tag unless the parent has VLAN_MTU), link state.

use super::Kernel;
use super::cred::Ctx;
use super::ifnet::{IFNAMSIZ, IfKind};
use super::types::{IfId, Mac, VnetId};
use crate::Errno;

pub use super::ifcfg::{ETHERTYPE_QINQ, ETHERTYPE_VLAN, VlanCfg};

/// `IFCAP_VLAN_MTU`: the parent can carry full-size tagged frames.
const IFCAP_VLAN_MTU: u32 = 0x8;
/// `ETHER_VLAN_ENCAP_LEN`.
const ENCAP_LEN: u32 = 4;

/// `vlanproto` as ifvlan.c `vlan_status` prints it.
pub fn proto_name(proto: u16) -> String {
    match proto {
        ETHERTYPE_VLAN => "802.1q".to_string(),
        ETHERTYPE_QINQ => "802.1ad".to_string(),
        p => format!("0x{p:04x}"),
    }
}

/// What `SIOCIFCREATE2` with a `struct vlanreq` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VlanReq {
    /// `vlr_parent`.
    pub parent: String,
    /// `vlr_tag`.
    pub tag: u16,
    /// `vlr_proto` (0 = 802.1Q).
    pub proto: u16,
}

impl Kernel {
    /// `vlan_clone_create`: `vlan[N]` (with an optional request), or `PARENT.TAG` (the
    /// parent must exist in the caller's vnet, `vlan_clone_match_ethervid`, else there is no
    /// cloner for the name: EINVAL). Returns the new interface.
    pub(crate) fn vlan_clone_create(
        &mut self,
        ctx: Ctx,
        name: &str,
        unit: Option<u32>,
        req: Option<&VlanReq>,
    ) -> Result<IfId, Errno> {
        let v = ctx.vnet;
        // The parent is what comes before the LAST `.` (ifvlan.c vlan_parse_ethervid, strrchr;
        // FreeBSD's own tests/sys/net/if_bridge_test.sh vlan_qinq creates `epair0b.5.10` on
        // `epair0b.5`), and the VID after it must be all digits, else no cloner (EINVAL).
        let (ifname, req) = if let Some((parent, tag)) = name.rsplit_once('.') {
            if self.ifunit(v, parent).is_none() || tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Errno::EINVAL);
            }
            let tag: u16 = tag.parse().map_err(|_| Errno::EINVAL)?;
            let proto = req.map_or(0, |r| r.proto);
            (name.to_string(), Some(VlanReq { parent: parent.to_string(), tag, proto }))
        } else {
            let u = self.alloc_unit_pub(v, "vlan", unit)?;
            (format!("vlan{u}"), req.cloned())
        };
        if ifname.len() >= IFNAMSIZ {
            return Err(Errno::ENAMETOOLONG);
        }
        if self.ifunit(v, &ifname).is_some() {
            return Err(Errno::EEXIST);
        }
        let mut i = Kernel::blank_ifnet(&ifname, "vlan", IfKind::Vlan(VlanCfg::default()), v);
        i.unit = ifname.strip_prefix("vlan").and_then(|u| u.parse().ok());
        i.mac = Some(Mac([0; 6]));
        i.hwaddr = Some(Mac([0; 6]));
        i.groups.push("vlan".to_string());
        // VLAN_MTU, VLAN_HWTAGGING … as the parent allows; shown as the parent's subset.
        let id = self.insert_ifnet(i, v)?;
        if let Some(r) = req
            && let Err(e) = self.vlan_config(id, &r)
        {
            self.vlan_free(id);
            return Err(e);
        }
        Ok(id)
    }

    fn vlan_free(&mut self, id: IfId) {
        let (v, unit, dotted) = match self.ifp(id) {
            Some(i) => (i.home, i.unit, i.name.contains('.')),
            None => return,
        };
        self.vlan_unconfig(id);
        self.free_ifnet(id);
        if let (Some(u), false) = (unit, dotted) {
            self.release_unit_pub(v, "vlan", u);
        }
    }

    /// `SIOCSETVLAN`: an empty parent unconfigures; else `vlan_config`.
    pub(crate) fn vlan_set(&mut self, ctx: Ctx, id: IfId, req: &VlanReq) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        if !matches!(self.ifp_or_nxio(id)?.kind, IfKind::Vlan(_)) {
            return Err(Errno::EINVAL);
        }
        if req.parent.is_empty() {
            self.vlan_unconfig(id);
            return Ok(());
        }
        self.vlan_config(id, req)
    }

    /// `SIOCSVLANPCP` (`vlanpcp N`).
    pub(crate) fn vlan_set_pcp(&mut self, ctx: Ctx, id: IfId, pcp: u8) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        match self.ifp_mut(id).map(|i| &mut i.kind) {
            Some(IfKind::Vlan(c)) => {
                c.pcp = pcp;
                Ok(())
            }
            Some(_) => Err(Errno::EINVAL),
            None => Err(Errno::ENXIO),
        }
    }

    /// `vlan_config`: the parent must exist in the vlan's vnet (ENOENT) and be Ethernet, a
    /// vlan (Q-in-Q) or, on 15.x, a bridge (an SVI) — else EPROTONOSUPPORT; a vlan already on
    /// another parent is EBUSY; the same tag twice on one parent is EEXIST; a tag above 4095
    /// is EINVAL. A configured vlan takes the parent's MAC and MTU (less 4 without VLAN_MTU),
    /// and is RUNNING.
    fn vlan_config(&mut self, id: IfId, req: &VlanReq) -> Result<(), Errno> {
        if req.tag > 0xfff {
            return Err(Errno::EINVAL);
        }
        let v = self.ifp_or_nxio(id)?.vnet;
        let p = self.ifunit(v, &req.parent).ok_or(Errno::ENOENT)?;
        let pi = self.ifp_or_nxio(p)?;
        let ok = pi.is_ift_ether()
            || matches!(pi.kind, IfKind::Vlan(_))
            || (matches!(pi.kind, IfKind::Bridge(_)) && self.bridge_15());
        if !ok || p == id {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let proto = if req.proto == 0 { ETHERTYPE_VLAN } else { req.proto };
        let (pmac, pmtu, pcaps) = (pi.mac, pi.mtu, pi.caps);
        if let IfKind::Vlan(c) = &self.ifp_or_nxio(id)?.kind
            && let Some(cur) = c.parent
            && cur != p
        {
            return Err(Errno::EBUSY);
        }
        let clash = self.ifnets_in(v).into_iter().filter(|o| *o != id).any(|o| {
            matches!(self.ifp(o).map(|i| &i.kind), Some(IfKind::Vlan(c)) if c.parent == Some(p) && c.tag == req.tag && c.proto == proto)
        });
        if clash {
            return Err(Errno::EEXIST);
        }
        let mtu = if pcaps & IFCAP_VLAN_MTU != 0 { pmtu } else { pmtu.saturating_sub(ENCAP_LEN) };
        let i = self.ifp_mut(id).ok_or(Errno::ENXIO)?;
        if let IfKind::Vlan(c) = &mut i.kind {
            c.parent = Some(p);
            c.tag = req.tag;
            c.proto = proto;
        }
        i.mac = pmac;
        i.mtu = mtu;
        Ok(())
    }

    /// `vlan_unconfig`: no parent, not RUNNING, tag 0 (ifconfig `-vlandev` writes tag 0).
    pub(crate) fn vlan_unconfig(&mut self, id: IfId) {
        if let Some(IfKind::Vlan(c)) = self.ifp_mut(id).map(|i| &mut i.kind) {
            c.parent = None;
            c.tag = 0;
        }
    }

    /// `vlan_ifdetach`: an interface leaving its vnet (destroyed or moved) takes its vlans'
    /// configuration with it.
    pub(crate) fn vlans_lose_parent(&mut self, parent: IfId) {
        let Some(v) = self.ifp(parent).map(|i| i.vnet) else { return };
        for o in self.ifnets_in(v) {
            if matches!(self.ifp(o).map(|i| &i.kind), Some(IfKind::Vlan(c)) if c.parent == Some(parent)) {
                self.vlan_unconfig(o);
            }
        }
    }

    /// The vlans configured on `parent`.
    pub(crate) fn vlans_on(&self, v: VnetId, parent: IfId) -> Vec<IfId> {
        self.ifnets_in(v)
            .into_iter()
            .filter(|o| matches!(self.ifp(*o).map(|i| &i.kind), Some(IfKind::Vlan(c)) if c.parent == Some(parent)))
            .collect()
    }

    /// `vlan_clone_destroy`.
    pub(crate) fn vlan_destroy(&mut self, id: IfId) {
        self.leave_bridge(id);
        self.leave_spans(id);
        self.vlans_lose_parent(id);
        self.vlan_free(id);
    }
}

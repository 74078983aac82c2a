//! Interface cloners (sys/net/if_clone.c): `ifconfig epair create`, `bridge create`,
//! `lo create` and `destroy`.

use super::Kernel;
use super::cred::Ctx;
use super::ifnet::{IF_MAXUNIT, IFNAMSIZ, IfKind, nd6};
use super::types::{IfId, Mac, VnetId};
use crate::Errno;

/// The cloners the simulator knows, with the module that provides each (`vlan` and `lagg` are
/// compiled into GENERIC: `device vlan`, `device lagg`).
const CLONERS: &[(&str, Option<&str>)] =
    &[("epair", Some("if_epair")), ("bridge", Some("if_bridge")), ("lo", None), ("vlan", None), ("lagg", None)];

/// Splits a create request into cloner and requested unit (`ifc_simple_match` /
/// `epair_clone_match` + `ifc_name2unit`): `epair`, `epair7`, `bridge`, `bridge3`.
fn match_cloner(req: &str) -> Option<(&'static str, Result<Option<u32>, Errno>)> {
    // if_vlan.c vlan_clone_match_ethervid: `PARENT.TAG`.
    if req.contains('.') {
        return Some(("vlan", Ok(None)));
    }
    for (c, _) in CLONERS {
        if let Some(rest) = req.strip_prefix(c)
            && rest.bytes().all(|b| b.is_ascii_digit())
        {
            if rest.is_empty() {
                return Some((c, Ok(None)));
            }
            if rest.len() > 1 && rest.starts_with('0') {
                return Some((c, Err(Errno::EINVAL)));
            }
            return Some((c, rest.parse::<u32>().map(Some).map_err(|_| Errno::EINVAL)));
        }
    }
    None
}

impl Kernel {
    /// True when cloner `c` is attached (its module is loaded).
    fn cloner_present(&self, c: &str) -> bool {
        CLONERS.iter().find(|(n, _)| *n == c).is_some_and(|(_, m)| m.is_none_or(|m| self.modules.is_loaded(m)))
    }

    /// Names of the attached cloners (`ifconfig -C`).
    pub(crate) fn cloner_names(&self) -> Vec<&'static str> {
        CLONERS.iter().map(|(n, _)| *n).filter(|n| self.cloner_present(n)).collect()
    }

    /// `SIOCIFCREATE2`: creates `epair[N]`, `bridge[N]` or `lo[N]` in the caller's vnet and
    /// returns the new interface (the `a` end of an epair).
    #[cfg(test)]
    pub(crate) fn if_clone_create(&mut self, ctx: Ctx, req: &str) -> Result<IfId, Errno> {
        self.if_clone_create_with(ctx, req, None)
    }

    /// [`Kernel::if_clone_create`] with a vlan request (`ifconfig vlan create vlandev X vlan
    /// N`, or the parent and tag of a `PARENT.TAG` name).
    pub(crate) fn if_clone_create_with(
        &mut self,
        ctx: Ctx,
        req: &str,
        vlan: Option<&super::vlan::VlanReq>,
    ) -> Result<IfId, Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let (cloner, unit) = match_cloner(req).ok_or(Errno::EINVAL)?;
        if !self.cloner_present(cloner) {
            return Err(Errno::EINVAL);
        }
        let unit = unit?;
        if unit.is_some_and(|u| u > IF_MAXUNIT) {
            return Err(Errno::ENOSPC);
        }
        match cloner {
            "epair" => self.epair_create(ctx.vnet, unit),
            "bridge" => self.simple_create(ctx.vnet, "bridge", unit),
            "vlan" => self.vlan_clone_create(ctx, req, unit, vlan),
            "lagg" => self.simple_create(ctx.vnet, "lagg", unit),
            _ => self.simple_create(ctx.vnet, "lo", unit),
        }
    }

    /// `ifc_alloc_unit`: the requested unit, or the lowest free one whose `<cloner><unit>`
    /// name is not taken (a taken name leaks that unit, as if_clone.c does).
    pub(crate) fn alloc_unit_pub(&mut self, vnet: VnetId, cloner: &str, unit: Option<u32>) -> Result<u32, Errno> {
        self.alloc_unit(vnet, cloner, unit)
    }

    pub(crate) fn release_unit_pub(&mut self, vnet: VnetId, cloner: &str, unit: u32) {
        self.release_unit(vnet, cloner, unit)
    }

    fn alloc_unit(&mut self, vnet: VnetId, cloner: &str, unit: Option<u32>) -> Result<u32, Errno> {
        let name_taken = |k: &Kernel, u: u32| k.ifunit(vnet, &format!("{cloner}{u}")).is_some();
        match unit {
            Some(u) => {
                let free = self
                    .vnet_mut(vnet)
                    .ok_or(Errno::ENXIO)?
                    .units
                    .entry(cloner.to_string())
                    .or_default()
                    .take_specific(u);
                if !free {
                    return Err(Errno::EEXIST);
                }
                if name_taken(self, u) {
                    self.release_unit(vnet, cloner, u);
                    return Err(Errno::EEXIST);
                }
                Ok(u)
            }
            None => loop {
                let u = self
                    .vnet_mut(vnet)
                    .ok_or(Errno::ENXIO)?
                    .units
                    .entry(cloner.to_string())
                    .or_default()
                    .alloc_lowest(IF_MAXUNIT, |_| false)
                    .ok_or(Errno::ENOSPC)?;
                if !name_taken(self, u) {
                    break Ok(u);
                }
                // if_clone.c: "XXXGL: yes, leaking unit" — try the next one.
            },
        }
    }

    fn release_unit(&mut self, vnet: VnetId, cloner: &str, unit: u32) {
        if let Some(a) = self.vnet_mut(vnet).and_then(|v| v.units.get_mut(cloner)) {
            a.release(unit);
        }
    }

    /// if_epair.c `epair_clone_create`: both ends, linked, not UP, RUNNING, MTU 1500,
    /// MACs 02:xx:xx:xx:xx:0a / …:0b, group `epair`. EEXIST (unit freed) when `epairNa` or
    /// `epairNb` already exists in this vnet.
    fn epair_create(&mut self, vnet: VnetId, unit: Option<u32>) -> Result<IfId, Errno> {
        let u = self.alloc_unit(vnet, "epair", unit)?;
        let (a_name, b_name) = (format!("epair{u}a"), format!("epair{u}b"));
        if a_name.len() >= IFNAMSIZ {
            self.release_unit(vnet, "epair", u);
            return Err(Errno::ENOSPC);
        }
        if self.ifunit(vnet, &b_name).is_some() || self.ifunit(vnet, &a_name).is_some() {
            self.release_unit(vnet, "epair", u);
            return Err(Errno::EEXIST);
        }
        let seed = self.next_mac_seed("epair");
        let mac_a = [0x02, seed[0], seed[1], seed[2], seed[3], 0x0a];
        let mut mac_b = mac_a;
        mac_b[5] = 0x0b;
        let mk = |name: &str, mac: [u8; 6]| {
            let mut e = Kernel::blank_ifnet(name, "epair", IfKind::Epair { peer: IfId(u32::MAX) }, vnet);
            e.unit = Some(u);
            e.mac = Some(Mac(mac));
            e.hwaddr = Some(Mac(mac));
            e.groups.push("epair".to_string());
            e.caps = 0x8;
            e.caps_supported = 0x8;
            e
        };
        let a = match self.insert_ifnet(mk(&a_name, mac_a), vnet) {
            Ok(a) => a,
            Err(e) => {
                self.release_unit(vnet, "epair", u);
                return Err(e);
            }
        };
        let b = match self.insert_ifnet(mk(&b_name, mac_b), vnet) {
            Ok(b) => b,
            Err(e) => {
                self.free_ifnet(a);
                self.release_unit(vnet, "epair", u);
                return Err(e);
            }
        };
        if let Some(i) = self.ifp_mut(a) {
            i.kind = IfKind::Epair { peer: b };
        }
        if let Some(i) = self.ifp_mut(b) {
            i.kind = IfKind::Epair { peer: a };
        }
        Ok(a)
    }

    /// Bridge or extra loopback: one ifnet named `<cloner><unit>`.
    fn simple_create(&mut self, vnet: VnetId, cloner: &str, unit: Option<u32>) -> Result<IfId, Errno> {
        let u = self.alloc_unit(vnet, cloner, unit)?;
        let name = format!("{cloner}{u}");
        let mut i = if cloner == "bridge" {
            let mut b = Kernel::blank_ifnet(&name, "bridge", IfKind::Bridge(Default::default()), vnet);
            b.mac = Some(self.bridge_mac(vnet, &name));
            b.hwaddr = b.mac;
            b.nd6 = nd6::PERFORMNUD | nd6::IFDISABLED;
            b
        } else if cloner == "lagg" {
            // lagg_clone_create: a generated address until the first port gives its own
            // (ether_gen_addr, like a bridge's; the exact bytes are not checked).
            let mut l = Kernel::blank_ifnet(&name, "lagg", IfKind::Lagg(Default::default()), vnet);
            l.mac = Some(self.bridge_mac(vnet, &name));
            l.hwaddr = l.mac;
            l
        } else {
            let mut l = Kernel::blank_ifnet(&name, "lo", IfKind::Loopback, vnet);
            l.mtu = 16384;
            l.caps = 0x68_0003;
            l.caps_supported = 0x68_0003;
            l.nd6 = nd6::PERFORMNUD | nd6::AUTO_LINKLOCAL;
            l
        };
        i.unit = Some(u);
        i.groups.push(cloner.to_string());
        self.insert_ifnet(i, vnet).inspect_err(|_| self.release_unit(vnet, cloner, u))
    }

    /// `ether_gen_addr`: FreeBSD's OUI 58:9c:fc and three bytes hashed from the host UUID,
    /// the owning jail and the interface name — the same bridge name gets the same MAC.
    fn bridge_mac(&self, vnet: VnetId, name: &str) -> Mac {
        use sha2::{Digest, Sha256};
        let owner = self
            .vnet(vnet)
            .and_then(|v| v.owner)
            .and_then(|j| self.jails.get(&j))
            .map(|j| j.name.clone())
            .unwrap_or_default();
        let mut h = Sha256::new();
        h.update(self.hostuuid.as_bytes());
        h.update(owner.as_bytes());
        h.update(name.as_bytes());
        let d: [u8; 32] = h.finalize().into();
        Mac([0x58, 0x9c, 0xfc, d[0], d[1], d[2]])
    }

    /// `SIOCIFDESTROY` (if_clone_destroy): finds the cloner by driver name in the interface's
    /// home vnet, so renamed interfaces and epair ends in other vnets are destroyable.
    /// An epair goes with both ends, wherever the other end is.
    pub(crate) fn if_clone_destroy(&mut self, ctx: Ctx, id: IfId) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let ifp = self.ifp_or_nxio(id)?;
        let (dname, home, unit) = (ifp.dname.clone(), ifp.home, ifp.unit);
        let cloned = matches!(
            ifp.kind,
            IfKind::Epair { .. } | IfKind::Bridge(_) | IfKind::Loopback | IfKind::Vlan(_) | IfKind::Lagg(_)
        );
        if !cloned || !self.cloner_present(&dname) {
            return Err(Errno::EINVAL);
        }
        if matches!(ifp.kind, IfKind::Loopback) && unit == Some(0) {
            return Err(Errno::EINVAL);
        }
        if matches!(ifp.kind, IfKind::Vlan(_)) {
            self.vlan_destroy(id);
            return Ok(());
        }
        self.destroy_now(id);
        if let Some(u) = unit {
            self.release_unit(home, &dname, u);
        }
        Ok(())
    }

    /// `ifnet_departure_event` listeners for an interface leaving its vnet (destroyed or
    /// moved): if_bridge (membership, span ports, a bridge's own members), vlan(4)
    /// (`vlan_ifdetach`), lagg(4) (`lagg_port_ifdetach`, and a lagg's own ports).
    pub(crate) fn departure(&mut self, id: IfId) {
        self.leave_bridge(id);
        self.release_members(id);
        self.leave_spans(id);
        self.vlans_lose_parent(id);
        self.lagg_port_gone(id);
        self.lagg_release_ports(id);
    }

    /// Detaches and frees a cloned interface (and an epair's peer) without any checks; used
    /// by destroy and by the death of the vnet the interface was created in.
    pub(crate) fn destroy_now(&mut self, id: IfId) {
        let Some(ifp) = self.ifp(id) else { return };
        let peer = ifp.peer();
        for x in std::iter::once(id).chain(peer) {
            self.departure(x);
            self.free_ifnet(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloner_match_follows_if_clone_c() {
        assert_eq!(match_cloner("epair").map(|x| x.0), Some("epair"));
        assert!(matches!(match_cloner("epair7"), Some(("epair", Ok(Some(7))))));
        assert!(match_cloner("epair0a").is_none(), "epair_clone_match rejects an a/b suffix");
        assert!(matches!(match_cloner("bridge01"), Some(("bridge", Err(Errno::EINVAL)))));
        assert!(match_cloner("em0").is_none());
    }
}

//! lagg(4) (sys/net/if_lagg.c): the `lagg` cloner, ports (`SIOCSLAGGPORT` /
//! `SIOCSLAGGDELPORT`: `lagg_port_create` / `lagg_port_destroy`), the protocol
//! (`SIOCSLAGG`) and the MAC every port takes from the lagg (`lagg_port_lladdr`).
//!
//! Modelled for configuration: which ports, their flags (failover: the first port is
//! MASTER and the active one), the shared MAC, a port's departure. LACP negotiation, hashing
//! and link failover timing are not.

use super::Kernel;
use super::cred::Ctx;
use super::ifnet::IfKind;
use super::types::{IfAddr, IfId};
use crate::Errno;

pub use super::ifcfg::{LaggCfg, LaggPort};

/// `LAGG_MAX_PORTS` (net/if_lagg.h).
const LAGG_MAX_PORTS: usize = 32;

/// `LAGG_PROTOS` (net/if_lagg.h): name → `lagg_proto`.
pub const PROTOS: &[(&str, u8)] =
    &[("failover", 1), ("lb", 4), ("lacp", 3), ("roundrobin", 2), ("broadcast", 5), ("none", 0)];

/// `LAGG_PORT_*` flags (net/if_lagg.h), as `laggport: X flags=…` prints them.
pub mod port {
    /// The primary port, whose MAC the lagg took.
    pub const MASTER: u32 = 0x1;
    /// The port carries traffic.
    pub const ACTIVE: u32 = 0x4;
}

impl Kernel {
    fn lagg_cfg_mut(&mut self, lagg: IfId) -> Result<&mut LaggCfg, Errno> {
        match self.ifp_mut(lagg).map(|i| &mut i.kind) {
            Some(IfKind::Lagg(c)) => Ok(c),
            Some(_) => Err(Errno::EINVAL),
            None => Err(Errno::ENXIO),
        }
    }

    /// `SIOCSLAGGPORT` (`laggport IF`): ENOENT no such interface; EEXIST already a port here
    /// (ifconfig ignores it); EBUSY a port of another lagg; EPROTONOSUPPORT not Ethernet or a
    /// lagg itself; ENOSPC over `LAGG_MAX_PORTS`. The first port gives the lagg its MAC and
    /// MTU; every port takes the lagg's MAC and loses its IPv6 addresses (`in6_ifdetach`, so
    /// no link-local scope is shared).
    pub(crate) fn lagg_add_port(&mut self, ctx: Ctx, lagg: IfId, name: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let v = self.ifp_or_nxio(lagg)?.vnet;
        let p = self.ifunit(v, name).ok_or(Errno::ENOENT)?;
        let pi = self.ifp_or_nxio(p)?;
        if let Some(owner) = pi.lagg {
            return Err(if owner == lagg { Errno::EEXIST } else { Errno::EBUSY });
        }
        if !pi.is_ift_ether() || matches!(pi.kind, IfKind::Lagg(_)) || pi.bridge.is_some() {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let (pmac, pmtu) = (pi.mac, pi.mtu);
        let first = {
            let c = self.lagg_cfg_mut(lagg)?;
            if c.ports.len() >= LAGG_MAX_PORTS {
                return Err(Errno::ENOSPC);
            }
            c.ports.push(LaggPort { ifp: p, saved_mac: pmac });
            c.ports.len() == 1
        };
        if first && let Some(l) = self.ifp_mut(lagg) {
            l.mac = pmac;
            l.mtu = pmtu;
        }
        let lmac = self.ifp(lagg).and_then(|l| l.mac);
        if let Some(pi) = self.ifp_mut(p) {
            pi.lagg = Some(lagg);
            pi.mac = lmac;
            pi.addrs.retain(IfAddr::is_v4);
        }
        Ok(())
    }

    /// `SIOCSLAGGDELPORT` (`-laggport IF`): ENOENT when it is not a port of this lagg.
    pub(crate) fn lagg_del_port(&mut self, ctx: Ctx, lagg: IfId, name: &str) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let v = self.ifp_or_nxio(lagg)?.vnet;
        let p = self.ifunit(v, name).ok_or(Errno::ENOENT)?;
        if self.ifp(p).and_then(|i| i.lagg) != Some(lagg) {
            return Err(Errno::ENOENT);
        }
        self.lagg_port_gone(p);
        Ok(())
    }

    /// `lagg_port_destroy`: the port leaves (deleted, destroyed or moved away) and gets its
    /// own MAC back.
    pub(crate) fn lagg_port_gone(&mut self, p: IfId) {
        let Some(lagg) = self.ifp_mut(p).and_then(|i| i.lagg.take()) else { return };
        let saved = match self.ifp_mut(lagg).map(|l| &mut l.kind) {
            Some(IfKind::Lagg(c)) => {
                let pos = c.ports.iter().position(|x| x.ifp == p);
                pos.map(|i| c.ports.remove(i).saved_mac)
            }
            _ => None,
        };
        if let (Some(m), Some(pi)) = (saved, self.ifp_mut(p)) {
            pi.mac = m;
        }
    }

    /// Releases every port of a lagg that goes away.
    pub(crate) fn lagg_release_ports(&mut self, lagg: IfId) {
        let ports: Vec<IfId> = match self.ifp(lagg).map(|l| &l.kind) {
            Some(IfKind::Lagg(c)) => c.ports.iter().map(|p| p.ifp).collect(),
            _ => return,
        };
        for p in ports {
            self.lagg_port_gone(p);
        }
    }

    /// `SIOCSLAGG` (`laggproto NAME`).
    pub(crate) fn lagg_set_proto(&mut self, ctx: Ctx, lagg: IfId, proto: u8) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        self.lagg_cfg_mut(lagg)?.proto = proto;
        Ok(())
    }

    /// `SIOCSLAGGHASH` (`lagghash l2,l3,l4`).
    pub(crate) fn lagg_set_hash(&mut self, ctx: Ctx, lagg: IfId, hash: u8) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        self.lagg_cfg_mut(lagg)?.hash = hash;
        Ok(())
    }

    /// A new lagg MAC reaches every port (`lagg_port_lladdr` from the lladdr event).
    pub(crate) fn lagg_push_mac(&mut self, lagg: IfId) {
        let (mac, ports) = match self.ifp(lagg) {
            Some(l) => match &l.kind {
                IfKind::Lagg(c) => (l.mac, c.ports.iter().map(|p| p.ifp).collect::<Vec<_>>()),
                _ => return,
            },
            None => return,
        };
        for p in ports {
            if let Some(pi) = self.ifp_mut(p) {
                pi.mac = mac;
            }
        }
    }

    /// Ports with their `LAGG_PORT_*` flags, in join order. failover: the first port is
    /// MASTER and, while it has link and is UP, ACTIVE; the others ACTIVE only once the first
    /// is not (not modelled beyond that). Other protocols: every port with link is ACTIVE
    /// (lacp: COLLECTING|DISTRIBUTING once negotiated, not modelled).
    pub(crate) fn lagg_ports(&self, lagg: IfId) -> Vec<(IfId, u32)> {
        let Some(IfKind::Lagg(c)) = self.ifp(lagg).map(|l| &l.kind) else { return Vec::new() };
        let usable = |id: IfId| self.ifp(id).is_some_and(|i| i.up && i.has_link());
        let mut out = Vec::new();
        let mut active_given = false;
        for (n, p) in c.ports.iter().enumerate() {
            let mut f = if n == 0 { port::MASTER } else { 0 };
            let ok = usable(p.ifp);
            match c.proto {
                1 => {
                    if ok && !active_given {
                        f |= port::ACTIVE;
                        active_given = true;
                    }
                }
                0 => {}
                _ => {
                    if ok {
                        f |= port::ACTIVE;
                    }
                }
            }
            out.push((p.ifp, f));
        }
        out
    }
}

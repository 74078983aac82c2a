//! Default routes of a vnet (`route add|change|delete default GW`, IPv4 and IPv6): the
//! gateway must be on a subnet of an UP interface of that vnet (else ENETUNREACH, as
//! `rtrequest` finds no interface for it), one default per family (EEXIST), ESRCH when there
//! is none to change or delete.

use super::Kernel;
use super::cred::Ctx;
use super::types::{IfAddr, IfId};
use super::vnet::{DefaultRoute, DefaultRoute6};
use crate::sim::Errno;
use std::net::{IpAddr, Ipv6Addr};

/// A default router as `route` was given it (an IPv6 link-local one may name its interface).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gw {
    pub addr: IpAddr,
    pub scope: Option<String>,
}

impl Kernel {
    /// The interface a gateway is reached through in `ctx`'s vnet.
    fn gw_ifp(&self, ctx: Ctx, gw: &Gw) -> Result<IfId, Errno> {
        let up = |id: &IfId| self.ifp(*id).is_some_and(|i| i.up);
        if let Some(sc) = &gw.scope {
            return self.ifunit(ctx.vnet, sc).filter(up).ok_or(Errno::ENETUNREACH);
        }
        self.ifnets_in(ctx.vnet)
            .into_iter()
            .filter(up)
            .find(|id| {
                self.ifp(*id).is_some_and(|i| {
                    i.addrs.iter().any(|a| match (a, gw.addr) {
                        (IfAddr::V4 { addr, prefix, .. }, IpAddr::V4(g)) => {
                            let m = IfAddr::v4_mask(*prefix);
                            u32::from(*addr) & m == u32::from(g) & m
                        }
                        (IfAddr::V6 { addr, prefix }, IpAddr::V6(g)) => {
                            let m = if *prefix == 0 { 0 } else { u128::MAX << (128 - u32::from((*prefix).min(128))) };
                            u128::from(*addr) & m == u128::from(g) & m
                        }
                        _ => false,
                    })
                })
            })
            .ok_or(Errno::ENETUNREACH)
    }

    /// `RTM_ADD` of the default route (`change` = `RTM_CHANGE`, which needs one to exist).
    pub(crate) fn route_set_default(&mut self, ctx: Ctx, gw: &Gw, change: bool) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let exists = self.vnet(ctx.vnet).is_some_and(|v| match gw.addr {
            IpAddr::V4(_) => v.default_route.is_some(),
            IpAddr::V6(_) => v.default_route6.is_some(),
        });
        if exists && !change {
            return Err(Errno::EEXIST);
        }
        if !exists && change {
            return Err(Errno::ESRCH);
        }
        let ifp = self.gw_ifp(ctx, gw)?;
        let v = self.vnet_mut(ctx.vnet).ok_or(Errno::ENXIO)?;
        match gw.addr {
            IpAddr::V4(g) => v.default_route = Some(DefaultRoute { gateway: g, ifp }),
            IpAddr::V6(g) => v.default_route6 = Some(DefaultRoute6 { gateway: g, scope: gw.scope.clone(), ifp }),
        }
        Ok(())
    }

    /// `RTM_DELETE` of the default route of one family.
    pub(crate) fn route_delete_default(&mut self, ctx: Ctx, v6: bool) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let v = self.vnet_mut(ctx.vnet).ok_or(Errno::ENXIO)?;
        let gone = if v6 { v.default_route6.take().is_some() } else { v.default_route.take().is_some() };
        if gone { Ok(()) } else { Err(Errno::ESRCH) }
    }

    /// The IPv6 default route of `ctx`'s vnet: gateway (with `%scope`) and interface name.
    pub(crate) fn default_route6_of(&self, ctx: Ctx) -> Option<(Ipv6Addr, Option<String>, String)> {
        let r = self.vnet(ctx.vnet)?.default_route6.clone()?;
        let name = self.ifp(r.ifp).map(|i| i.name.clone()).unwrap_or_default();
        Some((r.gateway, r.scope, name))
    }
}

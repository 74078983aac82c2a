//! Default routes of a vnet (`route add|change|delete default GW`, IPv4 and IPv6): the
//! gateway must be on a subnet of an UP interface of that vnet (else ENETUNREACH, as
//! `rtrequest` finds no interface for it), one default per family (EEXIST), ESRCH when there
//! is none to change or delete.

use super::Kernel;
use super::cred::Ctx;
use super::types::{IfAddr, IfId, VnetId};
use super::vnet::{DefaultRoute, DefaultRoute6};
use crate::Errno;
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
}

/// How a route came to be, which decides its flags in `route get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteKind {
    /// `route add default GW`: RTF_GATEWAY|RTF_STATIC.
    Default,
    /// The prefix route an address brings (`ifa` route): RTF_PINNED.
    Connected,
    /// The host route to one of the vnet's own addresses, through lo0.
    Local,
}

/// One route as `route get` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteHit {
    /// `destination:` (the network, or the host for a local route).
    pub dst: IpAddr,
    /// The prefix length (`mask:` unless it is a host route).
    pub plen: u8,
    /// `gateway:` of a default route, with the `%scope` of an IPv6 link-local one.
    pub gateway: Option<(IpAddr, Option<String>)>,
    /// The interface the route leaves through.
    pub ifp: IfId,
    /// Default, connected or local.
    pub kind: RouteKind,
}

/// `net/len` of an address's connected prefix: the key of [`super::vnet::Vnet::prefix_owner`].
pub(crate) fn prefix_key(a: &IfAddr) -> String {
    match a {
        IfAddr::V4 { addr, prefix, .. } => {
            format!("{}/{prefix}", std::net::Ipv4Addr::from(u32::from(*addr) & IfAddr::v4_mask(*prefix)))
        }
        IfAddr::V6 { addr, prefix } => format!("{}/{prefix}", Ipv6Addr::from(u128::from(*addr) & v6_mask(*prefix))),
    }
}

fn v6_mask(prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix.min(128))) }
}

impl Kernel {
    /// True when interface `id`, in vnet `v`, still has an address in prefix `key`.
    pub(crate) fn holds_prefix(&self, v: VnetId, id: IfId, key: &str) -> bool {
        self.ifp(id).is_some_and(|i| i.vnet == v && i.addrs.iter().any(|a| prefix_key(a) == key))
    }

    /// The default route of one family in vnet `v` (`route get default`: an exact /0 match,
    /// route_netlink.c sets RTM_F_PREFIX when a mask is given).
    pub(crate) fn route_default(&self, v: VnetId, v6: bool) -> Option<RouteHit> {
        let vn = self.vnet(v)?;
        if v6 {
            let r = vn.default_route6.as_ref()?;
            Some(RouteHit {
                dst: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                plen: 0,
                gateway: Some((IpAddr::V6(r.gateway), r.scope.clone())),
                ifp: r.ifp,
                kind: RouteKind::Default,
            })
        } else {
            let r = vn.default_route.as_ref()?;
            Some(RouteHit {
                dst: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                plen: 0,
                gateway: Some((IpAddr::V4(r.gateway), None)),
                ifp: r.ifp,
                kind: RouteKind::Default,
            })
        }
    }

    /// Longest-prefix match for `addr` in vnet `v`: a local host route for one of its own
    /// addresses (through lo0), else the most specific prefix route of an UP interface's
    /// address, else the default route. The table is derived from interface addresses and the
    /// default route; other routes are not modelled.
    pub(crate) fn route_lookup(&self, v: VnetId, addr: IpAddr) -> Option<RouteHit> {
        let lo0 = self.ifunit(v, "lo0");
        let mut best: Option<RouteHit> = None;
        for id in self.ifnets_in(v) {
            let Some(i) = self.ifp(id) else { continue };
            for a in &i.addrs {
                let (mine, net, plen, len) = match (a, addr) {
                    (IfAddr::V4 { addr: x, prefix, .. }, IpAddr::V4(d)) => {
                        let m = IfAddr::v4_mask(*prefix);
                        let net = std::net::Ipv4Addr::from(u32::from(*x) & m);
                        (*x == d, (u32::from(*x) & m == u32::from(d) & m).then_some(IpAddr::V4(net)), *prefix, 32)
                    }
                    (IfAddr::V6 { addr: x, prefix }, IpAddr::V6(d)) => {
                        let m = v6_mask(*prefix);
                        let net = Ipv6Addr::from(u128::from(*x) & m);
                        (*x == d, (u128::from(*x) & m == u128::from(d) & m).then_some(IpAddr::V6(net)), *prefix, 128)
                    }
                    _ => continue,
                };
                if mine {
                    return Some(RouteHit {
                        dst: addr,
                        plen: len,
                        gateway: None,
                        ifp: lo0.unwrap_or(id),
                        kind: RouteKind::Local,
                    });
                }
                let loopback = matches!(i.kind, super::ifnet::IfKind::Loopback);
                // Of two interfaces with the same prefix, the prefix route is the first one's.
                let owner = self.vnet(v).and_then(|vn| vn.prefix_owner.get(&prefix_key(a)).copied());
                let better = |b: &RouteHit| b.plen < plen || (b.plen == plen && owner == Some(id) && b.ifp != id);
                if let Some(net) = net.filter(|_| i.up && !loopback)
                    && best.as_ref().is_none_or(better)
                {
                    best = Some(RouteHit { dst: net, plen, gateway: None, ifp: id, kind: RouteKind::Connected });
                }
            }
        }
        best.or_else(|| self.route_default(v, addr.is_ipv6()))
    }
}

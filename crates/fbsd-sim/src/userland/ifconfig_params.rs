//! The parameter loop of ifconfig (sbin/ifconfig/ifconfig.c `ifconfig()`, ifclone.c,
//! ifbridge.c, ifgroup.c, af_*.c): parameters are applied in order, the first failing one
//! ends the command with exit 1, addresses are set last, and a created or renamed interface's
//! name is printed at exit whatever happened (`printifnamemaybe`).

use super::ifconfig_addr::{in_getaddr, in_getaddr_plain, in6_getaddr, in6_getprefix, link_addr, mask_to_prefix};
use super::ifconfig_status::{Af, af_by_name};
use super::ifconfig_words::{Act, Arity, lookup};
use super::{Exit, Proc, atoi};
use crate::Errno;
use crate::kernel::DelAddr;
use crate::kernel::vlan::ETHERTYPE_VLAN;
use crate::kernel::{Ctx, IfAddr, IfId, Kernel};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Per-family pending address requests (af_inet.c `in_addreq`/`in_ridreq`, af_inet6.c,
/// af_link.c `link_ridreq`).
#[derive(Debug, Default)]
struct Req {
    in_addr: Option<Ipv4Addr>,
    in_mask: Option<u8>,
    in_brd: Option<Ipv4Addr>,
    in_rid: Option<Ipv4Addr>,
    in6_addr: Option<Ipv6Addr>,
    in6_prefix: Option<u8>,
    in6_rid: Option<Ipv6Addr>,
    explicit_prefix: bool,
    link: Option<Vec<u8>>,
}

/// One run of the parameter loop on one interface.
pub(crate) struct Apply<'a> {
    pub k: &'a mut Kernel,
    pub ctx: Ctx,
    pub p: &'a mut Proc,
    /// The interface's current name (ifconfig's global `name`).
    pub name: String,
    /// `printifname`: print `name` at exit.
    pub print_name: bool,
    afp: Af,
    setaddr: bool,
    setmask: bool,
    doalias: i32,
    clearaddr: bool,
    newaddr: bool,
    req: Req,
    /// ifvlan.c's `params` (`struct vlanreq`): tag (`NOTAG` = `None`), parent, proto.
    pub(super) vlan: VlanParams,
    /// ifconfig.c's global `exit_code`: set by parameters that warn and go on (`laggport`).
    pub exit_code: i32,
}

impl<'a> Apply<'a> {
    /// Prepares the loop for interface `name` with address family `af` (inet by default).
    pub fn new(k: &'a mut Kernel, ctx: Ctx, p: &'a mut Proc, name: &str, af: Option<Af>) -> Apply<'a> {
        Apply {
            k,
            ctx,
            p,
            name: name.to_string(),
            print_name: false,
            afp: af.unwrap_or(Af::Inet),
            setaddr: false,
            setmask: false,
            doalias: 0,
            clearaddr: false,
            newaddr: true,
            req: Req::default(),
            vlan: Default::default(),
            exit_code: 0,
        }
    }

    pub(super) fn ifid(&self) -> Result<IfId, Errno> {
        self.k.ifunit(self.ctx.vnet, &self.name).ok_or(Errno::ENXIO)
    }

    /// Perror(): ENXIO and EPERM get their own wording.
    fn perror(&mut self, cmd: &str, e: Errno) -> Exit {
        match e {
            Errno::ENXIO => self.p.errx(1, &format!("{cmd}: no such interface")),
            Errno::EPERM => self.p.errx(1, &format!("{cmd}: permission denied")),
            _ => self.p.err(1, cmd, e),
        }
    }

    /// Runs the parameters `argv` (after the interface name and address family).
    pub fn run(&mut self, argv: &[String], mut iscreate: bool) -> Result<(), Exit> {
        let mut create_pending = false;
        let b15 = self.k.bridge_15();
        let mut i = 0;
        while i < argv.len() {
            let word = argv[i].as_str();
            let act = lookup(word, iscreate, b15);
            if iscreate && act.is_none() {
                if create_pending {
                    create_pending = false;
                    self.clone_create()?;
                } else {
                    return Err(self.p.errx(1, "internal error, no callback"));
                }
                iscreate = false;
                if let Some(af) = af_by_name(word) {
                    self.afp = af;
                    i += 1;
                }
                continue;
            }
            let Some(act) = act else {
                if self.setaddr {
                    self.getaddr_dst(word)?;
                } else {
                    self.setifaddr(word)?;
                }
                i += 1;
                continue;
            };
            if matches!(act, Act::Create) {
                create_pending = true;
                i += 1;
                continue;
            }
            let rest = &argv[i + 1..];
            let taken = match act.arity(b15) {
                Arity::None => {
                    self.apply(act, word, "")?;
                    0
                }
                Arity::One => {
                    let Some(a) = rest.first() else {
                        return Err(self.p.errx(1, &format!("'{word}' requires argument")));
                    };
                    self.apply(act, word, a)?;
                    1
                }
                Arity::Two => {
                    if rest.len() < 2 {
                        return Err(self.p.errx(1, &format!("'{word}' requires 2 arguments")));
                    }
                    self.apply2(act, &rest[0], &rest[1])?;
                    2
                }
                Arity::Optional => {
                    self.apply(act, word, rest.first().map_or("", String::as_str))?;
                    usize::from(!rest.is_empty())
                }
                Arity::Var => self.apply_varg(act, rest)?,
            };
            i += 1 + taken;
        }
        self.postproc();
        if create_pending {
            self.clone_create()?;
        }
        self.vlan_callback()?;
        self.deferred()
    }

    fn clone_create(&mut self) -> Result<(), Exit> {
        let req = self.name.clone();
        let vlan = self.vlan_create_params()?;
        match self.k.if_clone_create_with(self.ctx, &req, vlan.as_ref()) {
            Ok(id) => {
                let new = self.k.ifp(id).map(|i| i.name.clone()).unwrap_or_default();
                if new != self.name {
                    self.name = new;
                    self.print_name = true;
                }
                Ok(())
            }
            Err(Errno::EEXIST) => Err(self.p.errx(1, &format!("interface {req} already exists"))),
            Err(e) => Err(self.p.err(1, "SIOCIFCREATE2", e)),
        }
    }

    fn apply(&mut self, act: Act, word: &str, arg: &str) -> Result<(), Exit> {
        let ctx = self.ctx;
        match act {
            Act::Pcp(_)
            | Act::VlanTag
            | Act::VlanDev
            | Act::VlanProto
            | Act::VlanPcp
            | Act::UnVlanDev
            | Act::LaggPort
            | Act::UnLaggPort
            | Act::LaggProto
            | Act::LaggHash
            | Act::BrFlag(..)
            | Act::Span(_)
            | Act::BrAddr
            | Act::Flush(_)
            | Act::UnIfUntagged
            | Act::BrFlags(..)
            | Act::DefUntagged
            | Act::UnDefUntagged
            | Act::IfUntagged
            | Act::IfTagged(_)
            | Act::Static
            | Act::Deladdr => self.apply_l2(act, word, arg),
            Act::Create => Ok(()),
            Act::Up(on) => {
                let id = self.ifid().map_err(|e| self.perror("ioctl (SIOCGIFFLAGS)", e))?;
                self.k.if_set_up(ctx, id, on).map_err(|e| self.perror(word, e))
            }
            Act::Flag(bits, on) => {
                let id = self.ifid().map_err(|e| self.perror("ioctl (SIOCGIFFLAGS)", e))?;
                self.k.if_set_xflags(ctx, id, bits, on).map_err(|e| self.perror(word, e))
            }
            Act::Cap(bits, on) => {
                let id = self.ifid().map_err(|e| self.perror("ioctl (SIOCGIFCAP)", e))?;
                self.k.if_set_caps(ctx, id, bits, on).map_err(|e| self.perror(word, e))
            }
            Act::Nd6(bits, on) => {
                let r = self.ifid().and_then(|id| self.k.if_set_nd6(ctx, id, bits, on));
                if let Err(e) = r {
                    // af_inet6.c setnd6flags only warns.
                    self.p.warn("ioctl(SIOCSIFINFO_IN6)", e);
                }
                Ok(())
            }
            Act::Descr | Act::Undescr => {
                let d = if matches!(act, Act::Descr) && !arg.is_empty() { Some(arg) } else { None };
                let r = self.ifid().and_then(|id| self.k.if_set_descr(ctx, id, d));
                r.map_err(|e| self.p.err(1, "ioctl SIOCSIFDESCR (set descr)", e))
            }
            Act::Mtu => {
                let r = self.ifid().and_then(|id| {
                    self.k.if_set_mtu(ctx, id, atoi(arg).clamp(i64::from(i32::MIN), i64::from(i32::MAX)))
                });
                r.map_err(|e| self.p.err(1, "ioctl SIOCSIFMTU (set mtu)", e))
            }
            Act::Metric => {
                let m = atoi(arg).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
                let r = self.ifid().and_then(|id| self.k.if_set_metric(ctx, id, m));
                r.map_err(|e| self.p.err(1, "ioctl SIOCSIFMETRIC (set metric)", e))
            }
            Act::Name => {
                let r = self.ifid().and_then(|id| self.k.if_rename(ctx, id, arg));
                r.map_err(|e| self.p.err(1, "ioctl SIOCSIFNAME (set name)", e))?;
                self.print_name = true;
                self.name = arg.to_string();
                Ok(())
            }
            Act::Group | Act::Ungroup => self.group(matches!(act, Act::Group), arg),
            Act::Vnet => {
                let jid = self.k.jail_getid(ctx, arg).map_err(|m| self.p.errx(1, &m))?;
                let r = self.ifid().and_then(|id| self.k.if_vmove_loan(ctx, id, jid));
                r.map_err(|e| self.p.err(1, "SIOCSIFVNET", e))
            }
            Act::Unvnet => {
                let jid = self.k.jail_getid(ctx, arg).map_err(|m| self.p.errx(1, &m))?;
                let name = self.name.clone();
                self.k
                    .if_vmove_reclaim(ctx, &name, jid)
                    .map_err(|e| self.p.err(1, &format!("SIOCSIFRVNET({jid}, {name})"), e))
            }
            Act::Addm => {
                let r = self.ifid().and_then(|id| self.k.bridge_add(ctx, id, arg));
                r.map_err(|e| self.p.err(1, &format!("BRDGADD {arg}"), e))?;
                if let Ok(id) = self.ifid() {
                    self.k.bridge_member_added(id, arg);
                }
                Ok(())
            }
            Act::Deletem => {
                let r = self.ifid().and_then(|id| self.k.bridge_del(ctx, id, arg));
                r.map_err(|e| self.p.err(1, &format!("BRDGDEL {arg}"), e))
            }
            Act::Destroy => {
                let r = self.ifid().and_then(|id| self.k.if_clone_destroy(ctx, id));
                r.map_err(|e| self.p.err(1, "SIOCIFDESTROY", e))
            }
            Act::Alias(param) => {
                self.notealias(param);
                Ok(())
            }
            Act::Netmask => {
                self.setmask = true;
                match self.afp {
                    Af::Inet => {
                        let m = in_getaddr_plain(arg).map_err(|m| self.p.errx(1, &m))?;
                        self.req.in_mask = Some(mask_to_prefix(m));
                    }
                    Af::Inet6 => {
                        let m: Ipv6Addr = arg.parse().map_err(|_| self.p.errx(1, &format!("{arg}: bad value")))?;
                        self.req.in6_prefix = Some(u128::from(m).leading_ones() as u8);
                        self.req.explicit_prefix = true;
                    }
                    Af::Link => {
                        return Err(self.p.errx(1, "can't set link-level netmask or broadcast"));
                    }
                }
                Ok(())
            }
            Act::Broadcast => self.getaddr_dst(arg),
            Act::Prefixlen => {
                if self.afp == Af::Inet6 {
                    let p = in6_getprefix(arg).map_err(|m| self.p.errx(1, &m))?;
                    self.req.in6_prefix = Some(p);
                    self.setmask = true;
                }
                self.req.explicit_prefix = true;
                Ok(())
            }
        }
    }

    fn group(&mut self, add: bool, g: &str) -> Result<(), Exit> {
        let who = if add { "setifgroup" } else { "unsetifgroup" };
        if g.ends_with(|c: char| c.is_ascii_digit()) {
            return Err(self.p.errx(1, &format!("{who}: group names may not end in a digit")));
        }
        if g.len() >= crate::kernel::ifnet::IFNAMSIZ {
            return Err(self.p.errx(1, &format!("{who}: group name too long")));
        }
        let ctx = self.ctx;
        let r = self
            .ifid()
            .and_then(|id| if add { self.k.if_add_group(ctx, id, g) } else { self.k.if_del_group(ctx, id, g) });
        match r {
            Ok(()) | Err(Errno::EEXIST) if add => Ok(()),
            Ok(()) | Err(Errno::ENOENT) if !add => Ok(()),
            // ifgroup.c really has a leading space in " SIOCAIFGROUP".
            Err(e) if add => Err(self.p.err(1, " SIOCAIFGROUP", e)),
            Err(e) => Err(self.p.err(1, "SIOCDIFGROUP", e)),
            Ok(()) => Ok(()),
        }
    }

    /// `setifaddr`: the address is only recorded; it is set after all flags.
    fn setifaddr(&mut self, s: &str) -> Result<(), Exit> {
        self.setaddr = true;
        if self.doalias == 0 && self.afp != Af::Link {
            self.clearaddr = true;
        }
        let rid = self.doalias < 0;
        match self.afp {
            Af::Inet => {
                let (a, len) = in_getaddr(s).map_err(|m| self.p.errx(1, &m))?;
                if rid {
                    self.req.in_rid = Some(a);
                } else {
                    self.req.in_addr = Some(a);
                }
                if let Some(l) = len {
                    self.req.in_mask = Some(l);
                    self.setmask = true;
                }
            }
            Af::Inet6 => {
                let (a, len) = in6_getaddr(s).map_err(|m| self.p.errx(1, &m))?;
                if rid {
                    self.req.in6_rid = Some(a);
                } else {
                    self.req.in6_addr = Some(a);
                }
                if let Some(l) = len {
                    self.req.in6_prefix = Some(l);
                    self.req.explicit_prefix = true;
                }
            }
            Af::Link => {
                let bytes = if s == "random" {
                    let mut b = self.k.random_mac().0.to_vec();
                    b[0] = (b[0] & 0xfc) | 0x02;
                    b
                } else {
                    link_addr(s)
                };
                if bytes.len() > 14 {
                    return Err(self.p.errx(1, "malformed link-level address"));
                }
                self.req.link = Some(bytes);
            }
        }
        Ok(())
    }

    /// `setifdstaddr` / `broadcast`: the second address.
    fn getaddr_dst(&mut self, s: &str) -> Result<(), Exit> {
        match self.afp {
            Af::Inet => {
                let a = in_getaddr_plain(s).map_err(|m| self.p.errx(1, &m))?;
                self.req.in_brd = Some(a);
                Ok(())
            }
            Af::Inet6 => {
                in6_getaddr(s).map_err(|m| self.p.errx(1, &m))?;
                Ok(())
            }
            Af::Link => Err(self.p.errx(1, "can't set link-level netmask or broadcast")),
        }
    }

    /// `notealias`: `alias` keeps existing addresses, `-alias` deletes the given one.
    fn notealias(&mut self, param: i32) {
        if self.setaddr && self.doalias == 0 && param < 0 {
            self.req.in_rid = self.req.in_addr;
            self.req.in6_rid = self.req.in6_addr;
        }
        self.doalias = param;
        if param < 0 {
            self.clearaddr = true;
            self.newaddr = false;
        } else {
            self.clearaddr = false;
        }
    }

    /// `af_postproc`.
    fn postproc(&mut self) {
        match self.afp {
            Af::Inet => {
                let p2p_or_lo = self
                    .ifid()
                    .ok()
                    .and_then(|id| self.k.ifp(id))
                    .is_some_and(|i| matches!(i.kind, crate::kernel::ifnet::IfKind::Loopback));
                if self.req.in_addr.is_some() && self.req.in_mask.is_none() && self.newaddr && !p2p_or_lo {
                    self.p.warnx("WARNING: setting interface address without mask is deprecated,\ndefault mask may not be correct.");
                }
            }
            Af::Inet6 => {
                if self.setaddr && !self.req.explicit_prefix {
                    self.req.in6_prefix = Some(64);
                }
            }
            Af::Link => {}
        }
    }

    /// The deferred `SIOCDIFADDR` and `SIOCAIFADDR` at the end of the loop.
    fn deferred(&mut self) -> Result<(), Exit> {
        let ctx = self.ctx;
        if self.clearaddr && self.afp != Af::Link {
            let which = match self.afp {
                Af::Inet => self
                    .req
                    .in_rid
                    .map_or(DelAddr::FirstV4, |a| DelAddr::Exact(IfAddr::V4 { addr: a, prefix: 32, broadcast: None })),
                _ => match self.req.in6_rid {
                    Some(a) => DelAddr::Exact(IfAddr::V6 { addr: a, prefix: 128 }),
                    None => DelAddr::Exact(IfAddr::V6 { addr: Ipv6Addr::UNSPECIFIED, prefix: 128 }),
                },
            };
            let r = self.ifid().and_then(|id| self.k.if_del_addr(ctx, id, which));
            match r {
                Err(Errno::EADDRNOTAVAIL) if self.doalias >= 0 => {}
                Err(e) => return Err(self.perror("ioctl (SIOCDIFADDR)", e)),
                Ok(()) => {}
            }
        }
        if !(self.newaddr && (self.setaddr || self.setmask)) {
            return Ok(());
        }
        let r = match self.afp {
            Af::Link => match self.req.link.clone() {
                Some(bytes) => self.ifid().and_then(|id| self.k.if_set_lladdr(ctx, id, &bytes)),
                None => Ok(()),
            },
            Af::Inet => match self.req.in_addr {
                Some(addr) => {
                    let prefix = self.req.in_mask.unwrap_or(24);
                    let a = IfAddr::V4 { addr, prefix, broadcast: self.req.in_brd };
                    self.ifid().and_then(|id| self.k.if_add_addr(ctx, id, a))
                }
                None => Err(Errno::EINVAL),
            },
            Af::Inet6 => match self.req.in6_addr {
                Some(addr) => {
                    let a = IfAddr::V6 { addr, prefix: self.req.in6_prefix.unwrap_or(64) };
                    self.ifid().and_then(|id| self.k.if_add_addr(ctx, id, a))
                }
                None => Err(Errno::EINVAL),
            },
        };
        r.map_err(|e| self.perror("ioctl (SIOCAIFADDR)", e))
    }
}

/// ifvlan.c's static `params`: what `vlan`, `vlandev` and `vlanproto` collected. Kept with
/// the other collected parameters, which `ifconfig_l2` fills.
#[derive(Debug, Clone)]
pub(crate) struct VlanParams {
    /// `vlr_tag`; `None` is NOTAG.
    pub tag: Option<u16>,
    /// `vlr_parent`.
    pub parent: String,
    /// `vlr_proto` (ETHERTYPE_VLAN unless `vlanproto` said otherwise).
    pub proto: u16,
}

impl Default for VlanParams {
    fn default() -> VlanParams {
        VlanParams { tag: None, parent: String::new(), proto: ETHERTYPE_VLAN }
    }
}

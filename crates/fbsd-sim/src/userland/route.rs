//! `route` (sbin/route/route.c, and route_netlink.c on 14.x and later): `route [-46nqv]
//! get|show DEST [-inet|-inet6|-4|-6]` for any destination, and `add|change|delete default
//! [GW]` — the default route of the caller's vnet, IPv4 and IPv6.
//!
//! Two builds, by release. 13.x talks to the routing socket (`rtmsg_rtsock`): a failed write
//! warns `route: writing to routing socket: <strerror>` (EPERM is fatal at once:
//! `err(1, "writing to routing socket")`) and a lookup that finds nothing says `route: route
//! has not been found` (warnx) and exits 1. 14.x and later use netlink (`rtmsg_nl`): no
//! routing-socket warning, and a failed lookup is `warn("route has not been found")`, which
//! appends `strerror(errno)` of an errno `rtmsg()` had set to 0 (FreeBSD's `No error: 0`;
//! derived from the source, not seen on a host), and exits 0.
//!
//! `newroute` (both builds): success (without `-q`) prints `add net default: gateway GW`, with
//! ` fib N` only when `net.fibs` > 1; a failure prints `add net default: gateway GW fib 0:
//! <msg>` with route.c's texts for ESRCH (`not in table`) and EEXIST (`route already in
//! table`), exit 1. `get` prints `print_getmsg`'s block: `route to:`, `destination:`, `mask:`
//! (not for a host route), `gateway:`, `fib:`, `interface:`, `flags:` and the
//! recvpipe…expire table; `-n` prints `0.0.0.0` where route.c's `routename` would say
//! `default`.
//!
//! `-j jail` (route.8: "Run inside a jail", FreeBSD commit ab4d1b73 "route(8): teach route to
//! attach to jails", D40377; route.8 of main dated 2024-11-12) runs it in the jail's vnet; the
//! simulator has it from 15.0 on. Older releases' getopt refuses it (`illegal option -- j`,
//! usage, 64); the stable/14 route.8 copy read (opnsense/src) has no `-j`, and whether the
//! MFC (07cbc2f9) reached 14.3 is not confirmed. Its error for an unknown jail is modelled on
//! ngctl's `-j` (`jail_errmsg`, exit 1), not confirmed from route.c.

use super::Proc;
use super::ifconfig_addr::inet_aton;
use crate::Errno;
use crate::kernel::route::{Gw, RouteHit, RouteKind};
use crate::kernel::{Ctx, Kernel};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vimage_base::Output;

const USAGE: &str = "usage: route [-46dnqtv] command [[modifiers] args]\n";
/// EX_NOHOST (sysexits.h): `getaddr`'s `errx(EX_NOHOST, "bad address: %s")`.
const EX_NOHOST: i32 = 68;

/// Runs `route args`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("route");
    let (ctx, args) = match in_jail(k, ctx, args, &mut p) {
        Ok(x) => x,
        Err(code) => return p.finish(code),
    };
    let args = args.as_slice();
    let mut words: Vec<&str> = Vec::new();
    let (mut quiet, mut v6, mut numeric) = (false, false, false);
    for a in args {
        match a.as_str() {
            "-n" => numeric = true,
            "-v" | "-4" | "-inet" => {}
            "-q" => quiet = true,
            "-6" | "-inet6" => v6 = true,
            w => words.push(w),
        }
    }
    let netlink = k.osreldate() >= 1_400_000;
    match words.as_slice() {
        ["get" | "show", dest] => {
            let Some(target) = parse_dest(dest, v6) else {
                let _ = p.errx(EX_NOHOST, &format!("bad address: {dest}"));
                return p.finish(EX_NOHOST);
            };
            get(k, ctx, &target, numeric, netlink, p)
        }
        [cmd @ ("add" | "change"), "default", gw] => {
            let Some(gw) = parse_gw(gw) else {
                let _ = p.errx(EX_NOHOST, &format!("bad address: {gw}"));
                return p.finish(EX_NOHOST);
            };
            if matches!(gw.addr, IpAddr::V6(_)) != v6 {
                let _ = p.errx(EX_NOHOST, &format!("bad address: {}", words[2]));
                return p.finish(EX_NOHOST);
            }
            let r = k.route_set_default(ctx, &gw, *cmd == "change");
            finish(k, p, cmd, Some(words[2]), r, quiet, netlink)
        }
        ["delete", "default"] | ["delete", "default", _] => {
            let r = k.route_delete_default(ctx, v6);
            finish(k, p, "delete", words.get(2).copied(), r, quiet, netlink)
        }
        ["add", host, "-iface", ifname] => add_iface(k, ctx, host, ifname, quiet, netlink, p),
        ["flush"] => flush(k, ctx, v6, netlink, p),
        ["get", ..]
        | ["show", ..]
        | ["add", ..]
        | ["delete", ..]
        | ["change", ..]
        | ["flush", ..]
        | ["monitor", ..] => {
            let _ = p.errx(1, "only the default route is simulated");
            p.finish(1)
        }
        _ => {
            p.stderr(USAGE);
            p.finish(64)
        }
    }
}

/// `route add HOST -iface IF`, which rc.d/routing runs for the loopback
/// (`route add -inet 127.0.0.1 -iface lo0`). Only the case where the route is already there
/// (the host's own address, through lo0) is simulated: `route already in table`.
fn add_iface(k: &Kernel, ctx: Ctx, host: &str, ifname: &str, quiet: bool, netlink: bool, mut p: Proc) -> Output {
    let Ok(addr) = host.parse::<IpAddr>() else {
        let _ = p.errx(EX_NOHOST, &format!("bad address: {host}"));
        return p.finish(EX_NOHOST);
    };
    let exists = k.route_lookup(ctx.vnet, addr).is_some_and(|h| h.kind == RouteKind::Local);
    if !exists {
        let _ = p.errx(1, "only the default route and existing local routes are simulated");
        return p.finish(1);
    }
    if !netlink {
        p.warn("writing to routing socket", Errno::EEXIST);
    }
    if !quiet {
        p.out.push_str(&format!("add host {host}: gateway {ifname} fib 0: route already in table\n"));
    }
    p.finish(1)
}

/// `route flush [-inet|-inet6]`: every gateway route of the family deleted, one line each
/// (route_netlink.c `print_flushed_route`: `%-20.20s %-20.20s -fib %-3d done`; route.c
/// `flushroutes_fib` prints `-fib N` only with several FIBs). Only the default route is a
/// gateway route here; `netname` names it `default`.
fn flush(k: &mut Kernel, ctx: Ctx, v6: bool, netlink: bool, mut p: Proc) -> Output {
    let Some(hit) = k.route_default(ctx.vnet, v6) else { return p.finish(0) };
    let gw = match &hit.gateway {
        Some((g, Some(scope))) => format!("{g}%{scope}"),
        Some((g, None)) => g.to_string(),
        None => String::new(),
    };
    match k.route_delete_default(ctx, v6) {
        Ok(()) => {
            let fib = if netlink || k.fibs() > 1 { "-fib 0   " } else { "" };
            p.out.push_str(&format!("{:<20.20} {:<20.20} {fib}done\n", "default", gw));
            p.finish(0)
        }
        Err(e) if netlink && e == Errno::EPERM => {
            let _ = p.err(1, "RTM_DELROUTE failed:", e);
            p.finish(1)
        }
        // flushroutes_fib_nl: `warnc(error, "RTM_DELROUTE failed:")` and on to the next.
        Err(e) if netlink => {
            p.warn("RTM_DELROUTE failed:", e);
            p.finish(0)
        }
        Err(e) => {
            let _ = p.err(1, "writing to routing socket", e);
            p.finish(1)
        }
    }
}

/// What `route get` looks up: the default route (an exact /0, RTM_F_PREFIX) or the best
/// route to one address.
enum Target {
    Default { v6: bool },
    Addr(IpAddr),
}

/// route.c `getaddr` for RTAX_DST: `default`, `0.0.0.0/0`, `::/0`, or an address (inet_aton,
/// inet_pton for IPv6). Host names are not resolved here (`bad address`).
fn parse_dest(s: &str, v6: bool) -> Option<Target> {
    match s {
        "default" => return Some(Target::Default { v6 }),
        "0.0.0.0/0" if !v6 => return Some(Target::Default { v6: false }),
        "::/0" => return Some(Target::Default { v6: true }),
        _ => {}
    }
    let a = s.split('%').next().unwrap_or(s);
    if let Ok(x) = a.parse::<Ipv6Addr>() {
        return Some(Target::Addr(IpAddr::V6(x)));
    }
    if v6 {
        return None;
    }
    inet_aton(s).map(|x| Target::Addr(IpAddr::V4(x)))
}

/// A leading `-j jail` (before the command word, where getopt reads options): the context of
/// that jail and the other arguments, or the exit status of a refusal.
fn in_jail(k: &Kernel, ctx: Ctx, args: &[String], p: &mut Proc) -> Result<(Ctx, Vec<String>), i32> {
    let mut rest = Vec::with_capacity(args.len());
    let mut jail: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if !a.starts_with('-') || a == "-" || a == "--" {
            break;
        }
        if let Some(j) = a.strip_prefix("-j") {
            if k.osreldate() < 1_500_000 {
                p.warnx("illegal option -- j");
                let _ = p.errx(64, USAGE.trim_end());
                return Err(64);
            }
            if j.is_empty() {
                i += 1;
                jail = Some(args.get(i).cloned().ok_or_else(|| {
                    p.warnx("option requires an argument -- j");
                    p.errx(64, USAGE.trim_end()).0
                })?);
            } else {
                jail = Some(j.to_string());
            }
        } else {
            rest.push(a.clone());
        }
        i += 1;
    }
    rest.extend(args[i.min(args.len())..].iter().cloned());
    let Some(j) = jail else { return Ok((ctx, rest)) };
    let jid = k.jail_getid(ctx, &j).map_err(|m| p.errx(1, &m).0)?;
    let jctx = k.ctx_in_jail(jid).ok_or_else(|| p.err(1, &format!("jail_attach({jid})"), Errno::EINVAL).0)?;
    Ok((jctx, rest))
}

fn parse_gw(s: &str) -> Option<Gw> {
    let (a, scope) = match s.split_once('%') {
        Some((a, sc)) => (a, Some(sc.to_string())),
        None => (s, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    if scope.is_some() && addr.is_ipv4() {
        return None;
    }
    Some(Gw { addr, scope })
}

fn finish(
    k: &Kernel,
    mut p: Proc,
    cmd: &str,
    gw: Option<&str>,
    r: Result<(), Errno>,
    quiet: bool,
    netlink: bool,
) -> Output {
    let head = match gw {
        Some(g) => format!("{cmd} net default: gateway {g}"),
        None => format!("{cmd} net default"),
    };
    match r {
        Ok(()) => {
            if !quiet {
                // newroute: " fib N" only `if (numfibs > 1)`.
                let fib = if k.fibs() > 1 { " fib 0" } else { "" };
                p.out.push_str(&format!("{head}{fib}\n"));
            }
            p.finish(0)
        }
        Err(Errno::EPERM) if !netlink => {
            let _ = p.err(1, "writing to routing socket", Errno::EPERM);
            p.finish(1)
        }
        Err(e) => {
            if !netlink {
                p.warn("writing to routing socket", e);
            }
            if !quiet {
                let msg = match e {
                    Errno::ESRCH => "not in table",
                    Errno::EBUSY => "entry in use",
                    Errno::ENOBUFS => "not enough memory",
                    Errno::EADDRINUSE => "gateway uses the same route",
                    Errno::EEXIST => "route already in table",
                    e => e.strerror(),
                };
                p.out.push_str(&format!("{head} fib 0: {msg}\n"));
            }
            p.finish(1)
        }
    }
}

/// route.c `routename`: `default` for the unspecified address unless `-n`.
fn routename(a: IpAddr, numeric: bool) -> String {
    if !numeric && a.is_unspecified() {
        return "default".to_string();
    }
    a.to_string()
}

/// The netmask of a prefix as `routename` prints it.
fn mask_of(dst: IpAddr, plen: u8, numeric: bool) -> String {
    match dst {
        IpAddr::V4(_) => {
            let m = crate::kernel::IfAddr::v4_mask(plen);
            routename(IpAddr::V4(Ipv4Addr::from(m)), numeric)
        }
        IpAddr::V6(_) => {
            let m = if plen == 0 { 0 } else { u128::MAX << (128 - u32::from(plen.min(128))) };
            routename(IpAddr::V6(Ipv6Addr::from(m)), numeric)
        }
    }
}

/// The `flags:` word (route.c `routeflags` through `printb`): RTF_UP|RTF_DONE always; a
/// default route is RTF_GATEWAY|RTF_STATIC, an interface prefix route RTF_PINNED, a local
/// host route RTF_HOST|RTF_STATIC|RTF_PINNED (the last two from memory, not checked on a host).
fn flags(kind: RouteKind) -> &'static str {
    match kind {
        RouteKind::Default => "<UP,GATEWAY,DONE,STATIC>",
        RouteKind::Connected => "<UP,DONE,PINNED>",
        RouteKind::Local => "<UP,HOST,DONE,STATIC,PINNED>",
    }
}

fn get(k: &Kernel, ctx: Ctx, target: &Target, numeric: bool, netlink: bool, mut p: Proc) -> Output {
    let (to, hit): (IpAddr, Option<RouteHit>) = match target {
        Target::Default { v6 } => {
            let to = if *v6 { IpAddr::V6(Ipv6Addr::UNSPECIFIED) } else { IpAddr::V4(Ipv4Addr::UNSPECIFIED) };
            (to, k.route_default(ctx.vnet, *v6))
        }
        Target::Addr(a) => (*a, k.route_lookup(ctx.vnet, *a)),
    };
    let Some(hit) = hit else {
        if netlink {
            // route_netlink.c rtmsg_nl_int: warn() after rtmsg() set errno = 0; exit 0.
            p.warnx("route has not been found: No error: 0");
            return p.finish(0);
        }
        let _ = p.errx(1, "route has not been found");
        return p.finish(1);
    };
    let (ifname, mtu) = k.ifp(hit.ifp).map(|i| (i.name.clone(), i.mtu)).unwrap_or_default();
    let host_len = if hit.dst.is_ipv4() { 32 } else { 128 };
    let o = &mut p.out;
    o.push_str(&format!("   route to: {}\n", routename(to, numeric)));
    o.push_str(&format!("destination: {}\n", routename(hit.dst, numeric)));
    if hit.plen != host_len {
        o.push_str(&format!("       mask: {}\n", mask_of(hit.dst, hit.plen, numeric)));
    }
    if let Some((g, scope)) = &hit.gateway {
        match scope {
            Some(s) => o.push_str(&format!("    gateway: {g}%{s}\n")),
            None => o.push_str(&format!("    gateway: {g}\n")),
        }
    }
    o.push_str("        fib: 0\n");
    o.push_str(&format!("  interface: {ifname}\n"));
    o.push_str(&format!("      flags: {}\n", flags(hit.kind)));
    o.push_str(" recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n");
    for v in [0, 0, 0, 0, u64::from(mtu), 1] {
        o.push_str(&format!("{v:>8}  "));
    }
    o.push_str(&format!("{:>8} \n", 0));
    p.finish(0)
}

#[cfg(test)]
mod tests;

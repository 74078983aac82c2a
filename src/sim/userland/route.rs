//! `route` (sbin/route/route.c): `route [-n] [-q] get|add|change|delete [-inet|-inet6|-4|-6]
//! default [GW]` — the default route of the caller's vnet, IPv4 and IPv6.
//!
//! `newroute`: on success (without `-q`) prints `add net default: gateway GW`; a failed
//! routing-socket write prints `route: writing to routing socket: <strerror>` (warn) and
//! `add net default: gateway GW fib 0: <msg>` with route.c's special texts for ESRCH
//! (`not in table`) and EEXIST (`route already in table`), exit 1; EPERM is fatal at once
//! (`err(1, "writing to routing socket")`). `get` prints `print_getmsg`'s block or
//! `route: route has not been found`.
//!
//! `-j jail` (route.8: "Run inside a jail", FreeBSD commit ab4d1b73 "route(8): teach route to
//! attach to jails", D40377; route.8 of main dated 2024-11-12) runs it in the jail's vnet; the
//! simulator has it from 15.0 on. Older releases' getopt refuses it (`illegal option -- j`,
//! usage, 64); the stable/14 route.8 copy read (opnsense/src) has no `-j`, and whether the
//! MFC (07cbc2f9) reached 14.3 is not confirmed. Its error for an unknown jail is modelled on
//! ngctl's `-j` (`jail_errmsg`, exit 1), not confirmed from route.c.

use super::Proc;
use crate::host::Output;
use crate::sim::Errno;
use crate::sim::kernel::route::Gw;
use crate::sim::kernel::{Ctx, Kernel};
use std::net::IpAddr;

const USAGE: &str = "usage: route [-46dnqtv] command [[modifiers] args]\n";

/// Runs `route args`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("route");
    let (ctx, args) = match in_jail(k, ctx, args, &mut p) {
        Ok(x) => x,
        Err(code) => return p.finish(code),
    };
    let args = args.as_slice();
    let mut words: Vec<&str> = Vec::new();
    let mut quiet = false;
    let mut v6 = false;
    for a in args {
        match a.as_str() {
            "-n" | "-v" | "-4" | "-inet" => {}
            "-q" => quiet = true,
            "-6" | "-inet6" => v6 = true,
            w => words.push(w),
        }
    }
    match words.as_slice() {
        ["get", "default"] | ["get", "0.0.0.0"] | ["get", "0.0.0.0/0"] | ["get", "::/0"] => get(k, ctx, v6, p),
        [cmd @ ("add" | "change"), "default", gw] => {
            let Some(gw) = parse_gw(gw) else {
                let _ = p.errx(68, &format!("bad address: {gw}"));
                return p.finish(68);
            };
            if matches!(gw.addr, IpAddr::V6(_)) != v6 {
                let _ = p.errx(68, &format!("bad address: {}", words[2]));
                return p.finish(68);
            }
            let r = k.route_set_default(ctx, &gw, *cmd == "change");
            finish(p, cmd, Some(words[2]), r, quiet)
        }
        ["delete", "default"] | ["delete", "default", _] => {
            let r = k.route_delete_default(ctx, v6);
            finish(p, "delete", words.get(2).copied(), r, quiet)
        }
        ["get", ..]
        | ["add", ..]
        | ["delete", ..]
        | ["change", ..]
        | ["flush", ..]
        | ["monitor", ..]
        | ["show", ..] => {
            let _ = p.errx(1, "only the default route is simulated");
            p.finish(1)
        }
        _ => {
            p.stderr(USAGE);
            p.finish(64)
        }
    }
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

fn finish(mut p: Proc, cmd: &str, gw: Option<&str>, r: Result<(), Errno>, quiet: bool) -> Output {
    let head = match gw {
        Some(g) => format!("{cmd} net default: gateway {g}"),
        None => format!("{cmd} net default"),
    };
    match r {
        Ok(()) => {
            if !quiet {
                p.out.push_str(&format!("{head}\n"));
            }
            p.finish(0)
        }
        Err(Errno::EPERM) => {
            let _ = p.err(1, "writing to routing socket", Errno::EPERM);
            p.finish(1)
        }
        Err(e) => {
            p.warn("writing to routing socket", e);
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

fn get(k: &Kernel, ctx: Ctx, v6: bool, mut p: Proc) -> Output {
    let found = if v6 {
        k.default_route6_of(ctx).map(|(g, sc, ifname)| {
            let g = match sc {
                Some(s) => format!("{g}%{s}"),
                None => g.to_string(),
            };
            let mtu = k.ifunit(ctx.vnet, &ifname).and_then(|id| k.ifp(id)).map_or(0, |i| i.mtu);
            (g, ifname, mtu)
        })
    } else {
        k.vnet(ctx.vnet).and_then(|v| v.default_route.clone()).map(|r| {
            let (ifname, mtu) = k.ifp(r.ifp).map(|i| (i.name.clone(), i.mtu)).unwrap_or_default();
            (r.gateway.to_string(), ifname, mtu)
        })
    };
    let Some((gateway, ifname, mtu)) = found else {
        let _ = p.errx(1, "route has not been found");
        return p.finish(1);
    };
    let o = &mut p.out;
    o.push_str("   route to: default\n");
    o.push_str("destination: default\n");
    o.push_str("       mask: default\n");
    o.push_str(&format!("    gateway: {gateway}\n"));
    o.push_str("        fib: 0\n");
    o.push_str(&format!("  interface: {ifname}\n"));
    o.push_str("      flags: <UP,GATEWAY,DONE,STATIC>\n");
    o.push_str(" recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n");
    for v in [0, 0, 0, 0, u64::from(mtu), 1] {
        o.push_str(&format!("{v:>8}  "));
    }
    o.push_str(&format!("{:>8} \n", 0));
    p.finish(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(k: &mut Kernel, ctx: Ctx, line: &str) -> Output {
        let a: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        main(k, ctx, &a)
    }

    #[test]
    fn j_runs_in_the_jail_from_15_and_is_an_illegal_option_before() {
        let mut k = Kernel::demo();
        let o = route(&mut k, Ctx::HOST, "-j 1 -n get default");
        assert_eq!(o.code, 64);
        assert!(o.stderr.starts_with("route: illegal option -- j\nroute: usage: route [-46dnqtv]"), "{}", o.stderr);
        k.set_osreldate(1_500_000);
        let jctx = k.ctx_in_jail(1).unwrap();
        let o = route(&mut k, Ctx::HOST, "-j web1 -n get default");
        assert_eq!((o.code, o.stderr.as_str()), (1, "route: route has not been found\n"), "the jail's table");
        let o = route(&mut k, Ctx::HOST, "-j nosuch get default");
        assert_eq!((o.code, o.stderr.as_str()), (1, "route: jail \"nosuch\" not found\n"));
        let o = route(&mut k, Ctx::HOST, "-n -j1 get default");
        assert_eq!(o.code, 1, "the jail's table again: {o:?}");
        assert!(k.vnet(jctx.vnet).is_some_and(|v| v.default_route.is_none()));
    }

    #[test]
    fn get_default_prints_print_getmsg_block_route_c() {
        let mut k = Kernel::demo();
        let o = route(&mut k, Ctx::HOST, "-n get default");
        assert_eq!(o.code, 0);
        assert_eq!(
            o.stdout,
            "   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.1.1\n        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n       0         0         0         0      1500         1         0 \n"
        );
        let ctx = k.ctx_in_jail(1).unwrap();
        let o = route(&mut k, ctx, "-n get default");
        assert_eq!((o.code, o.stderr.as_str()), (1, "route: route has not been found\n"));
    }

    #[test]
    fn add_change_delete_default_in_a_vnet_jail() {
        let mut k = Kernel::demo();
        let ctx = k.ctx_in_jail(1).unwrap();
        let o = route(&mut k, ctx, "add default 10.0.0.1");
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (1, "add net default: gateway 10.0.0.1 fib 0: Network is unreachable\n")
        );
        assert_eq!(o.stderr, "route: writing to routing socket: Network is unreachable\n");
        // Give lo0 a 10/8 address the gateway is on (any UP interface will do).
        let ifc: Vec<String> = ["lo0", "inet", "10.0.0.5/8", "alias"].iter().map(|s| s.to_string()).collect();
        assert_eq!(super::super::ifconfig::main(&mut k, ctx, &ifc).code, 0);
        let o = route(&mut k, ctx, "add default 10.0.0.1");
        assert_eq!((o.code, o.stdout.as_str()), (0, "add net default: gateway 10.0.0.1\n"));
        let o = route(&mut k, ctx, "add default 10.0.0.2");
        assert_eq!(o.stdout, "add net default: gateway 10.0.0.2 fib 0: route already in table\n");
        assert_eq!(o.stderr, "route: writing to routing socket: File exists\n");
        let o = route(&mut k, ctx, "-n get default");
        assert!(o.stdout.contains("gateway: 10.0.0.1") && o.stdout.contains("interface: lo0"), "{}", o.stdout);
        assert_eq!(route(&mut k, ctx, "change default 10.0.0.2").stdout, "change net default: gateway 10.0.0.2\n");
        assert_eq!(route(&mut k, ctx, "delete default").stdout, "delete net default\n");
        let o = route(&mut k, ctx, "delete default");
        assert_eq!((o.code, o.stdout.as_str()), (1, "delete net default fib 0: not in table\n"));
        assert_eq!(route(&mut k, Ctx::HOST, "-n get default").code, 0, "the host's route is another vnet's");
    }

    #[test]
    fn inet6_default_routes() {
        let mut k = Kernel::demo();
        let ctx = k.ctx_in_jail(1).unwrap();
        let ifc: Vec<String> = ["lo0", "inet6", "2001:db8::5/64"].iter().map(|s| s.to_string()).collect();
        assert_eq!(super::super::ifconfig::main(&mut k, ctx, &ifc).code, 0);
        assert_eq!(
            route(&mut k, ctx, "add -inet6 default 2001:db8::1").stdout,
            "add net default: gateway 2001:db8::1\n"
        );
        let o = route(&mut k, ctx, "-n get -inet6 default");
        assert!(o.stdout.contains("gateway: 2001:db8::1"), "{}", o.stdout);
        assert_eq!(route(&mut k, ctx, "-n get default").code, 1, "no IPv4 default");
        assert_eq!(route(&mut k, ctx, "add -inet6 default fe80::1%lo0").code, 1, "one default per family");
        assert_eq!(route(&mut k, ctx, "change -inet6 default fe80::1%lo0").code, 0);
        assert!(route(&mut k, ctx, "-n get -inet6 default").stdout.contains("gateway: fe80::1%lo0"));
        assert_eq!(route(&mut k, ctx, "add default 2001:db8::1").code, 68, "an IPv6 gateway needs -inet6");
    }

    #[test]
    fn a_non_vnet_jail_may_not_change_routes() {
        let mut k = Kernel::demo();
        let jid = k.create_jail("plain", "/j/plain", false).unwrap();
        let ctx = k.ctx_in_jail(jid).unwrap();
        let o = route(&mut k, ctx, "add default 192.168.1.1");
        assert_eq!((o.code, o.stderr.as_str()), (1, "route: writing to routing socket: Operation not permitted\n"));
    }
}

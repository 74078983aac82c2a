//! `ping` (sbin/ping/ping.c, IPv4) over the reachability model of
//! `crate::kernel::reach`: `ping [-nq] [-c count] [-t timeout] [-s packetsize]
//! [-C pcp] [-W waittime] [-i wait] host`.
//!
//! Output as ping.c prints it (and as its ATF test `ping_c1_s56_t1` expects): `PING host
//! (addr): 56 data bytes`, one `64 bytes from addr: icmp_seq=N ttl=T time=X ms` per reply,
//! then `--- host ping statistics ---`, `N packets transmitted, M packets received, L%
//! packet loss` and, after a reply, `round-trip min/avg/max/stddev = …`. Exit 0 when some
//! reply came, 2 when none did (ping.8), 68 (EX_NOHOST) for a name that does not resolve,
//! 64 (EX_USAGE) for bad usage, 71 (EX_OSERR) when the raw socket is refused (a non-vnet
//! jail without `allow.raw_sockets`: kern_jail.c `prison_priv_check` grants
//! PRIV_NETINET_RAW to vnet jails). A send that fails warns `ping: sendto: <strerror>` for
//! each packet (No route to host, Network is down).
//!
//! Simulated time: one packet a second, a reply in a fixed 0.05 ms (plus 0.02 ms a router);
//! the TTL is 64 less one per router. A ping with neither `-c` nor `-t` would never end:
//! refused. Names other than `localhost` are not resolved (no DNS in the simulator).
//! IPv6 (`-6`, ping6) is not simulated.

use super::Proc;
use super::getopt::{Getopt, Opt};
use crate::Errno;
use crate::kernel::reach::Unreach;
use crate::kernel::{Ctx, Kernel};
use std::net::Ipv4Addr;
use vimage_base::Output;

const EX_USAGE: i32 = 64;
const EX_NOHOST: i32 = 68;
const EX_OSERR: i32 = 71;

/// ping.c `usage()` (its first form).
const USAGE: &str = "usage: ping [-4AaDdfHnoQqRrv] [-C pcp] [-c count] [-G sweepmaxsize]\n\t    [-g sweepminsize] [-h sweepincrsize] [-i wait] [-l preload]\n\t    [-M mask | time] [-m ttl] [-P policy] [-p pattern] [-S src_addr]\n\t    [-s packetsize] [-t timeout] [-W waittime] [-z tos] IPv4-host\n";

/// Runs `ping args` as process `ctx`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("ping");
    let (mut count, mut timeout): (Option<u64>, Option<u64>) = (None, None);
    let (mut quiet, mut datalen) = (false, 56u64);
    let mut g = Getopt::new(args, "46AaC:c:DdfG:g:Hh:I:i:l:LM:m:nop:P:QqRrS:s:T:t:vW:z:");
    for o in g.by_ref() {
        match o {
            Opt::Flag('6', _) => {
                let _ = p.errx(EX_USAGE, "IPv6 (ping6) is not simulated");
                return p.finish(EX_USAGE);
            }
            Opt::Flag('c', Some(a)) => match a.parse::<u64>() {
                Ok(n) if n > 0 => count = Some(n),
                _ => {
                    let _ = p.errx(EX_USAGE, &format!("invalid count of packets to transmit: `{a}'"));
                    return p.finish(EX_USAGE);
                }
            },
            Opt::Flag('t', Some(a)) => match a.parse::<u64>() {
                Ok(n) if n > 0 => timeout = Some(n),
                _ => {
                    let _ = p.errx(EX_USAGE, &format!("invalid timeout: `{a}'"));
                    return p.finish(EX_USAGE);
                }
            },
            Opt::Flag('s', Some(a)) => match a.parse::<u64>() {
                Ok(n) => datalen = n,
                _ => {
                    let _ = p.errx(EX_USAGE, &format!("invalid packet size: `{a}'"));
                    return p.finish(EX_USAGE);
                }
            },
            Opt::Flag('q', _) => quiet = true,
            Opt::Flag(_, _) => {}
            Opt::Bad(m) => {
                p.warnx(&m);
                p.stderr(USAGE);
                return p.finish(EX_USAGE);
            }
        }
    }
    let [target] = g.rest() else {
        p.stderr(USAGE);
        return p.finish(EX_USAGE);
    };
    let dst: Ipv4Addr = match target.as_str() {
        "localhost" => Ipv4Addr::LOCALHOST,
        t => match super::ifconfig_addr::inet_aton(t) {
            Some(a) => a,
            None if t.contains(':') => {
                let _ = p.errx(EX_USAGE, "IPv6 (ping6) is not simulated");
                return p.finish(EX_USAGE);
            }
            None => {
                let _ = p.errx(EX_NOHOST, &format!("cannot resolve {t}: Unknown host"));
                return p.finish(EX_NOHOST);
            }
        },
    };
    if count.is_none() && timeout.is_none() {
        p.stderr("fbsd-sim: ping without -c or -t would never end; give one\n");
        return p.finish(EX_USAGE);
    }
    if ctx.jailed() && !k.ctx_owns_vnet(ctx) && !k.jail_allows(ctx, "raw_sockets") {
        let _ = p.err(EX_OSERR, "ssend socket", Errno::EPERM);
        return p.finish(EX_OSERR);
    }
    // Packets go out once a second until -c are answered or -t seconds are up.
    let sent = match (count, timeout) {
        (Some(c), Some(t)) => c.min(t),
        (Some(c), None) => c,
        (None, Some(t)) => t,
        (None, None) => 0,
    };
    let result = k.ping_path(ctx.vnet, dst);
    let sent = match (&result, count) {
        (Ok(_), Some(c)) => c,
        _ => sent,
    };
    let addr = dst.to_string();
    p.out.push_str(&format!("PING {target} ({addr}): {datalen} data bytes\n"));
    let mut received = 0;
    let mut rtt = 0.0f64;
    match result {
        Ok((_, routers)) => {
            let ttl = 64u32.saturating_sub(u32::from(routers));
            rtt = 0.050 + 0.020 * f64::from(routers);
            for seq in 0..sent {
                if !quiet {
                    p.out.push_str(&format!(
                        "{} bytes from {addr}: icmp_seq={seq} ttl={ttl} time={rtt:.3} ms\n",
                        datalen + 8
                    ));
                }
                received += 1;
            }
        }
        Err(Unreach::NoRoute) => {
            for _ in 0..sent {
                p.warn("sendto", Errno::EHOSTUNREACH);
            }
        }
        Err(Unreach::IfDown) => {
            for _ in 0..sent {
                p.warn("sendto", Errno::ENETDOWN);
            }
        }
        Err(Unreach::Lost) => {}
    }
    p.out.push_str(&format!("\n--- {target} ping statistics ---\n"));
    let loss = if sent == 0 { 0.0 } else { (sent - received) as f64 * 100.0 / sent as f64 };
    p.out.push_str(&format!("{sent} packets transmitted, {received} packets received, {loss:.1}% packet loss\n"));
    if received > 0 {
        p.out.push_str(&format!("round-trip min/avg/max/stddev = {rtt:.3}/{rtt:.3}/{rtt:.3}/0.000 ms\n"));
    }
    p.finish(if received > 0 { 0 } else { 2 })
}

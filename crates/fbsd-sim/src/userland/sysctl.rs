//! `sysctl` (sbin/sysctl/sysctl.c): `name…`, `name=value`, `-n`, `-i`, `-q`, `-e`, `-N`,
//! `-a`; the exit status counts the names that failed.

use super::Proc;
use super::getopt::{Getopt, Opt};
use crate::kernel::{Ctx, Kernel, SysctlValue};
use chrono_free::ctime;
use vimage_base::Output;

const USAGE: &str = "usage: sysctl [-bdehiNnoqTWx] [-f filename] name[=value] ...\n       sysctl [-bdehNnoqTWx] -a\n";

#[derive(Default)]
struct Flags {
    n: bool,
    big_n: bool,
    i: bool,
    q: bool,
    e: bool,
}

fn value_text(v: &SysctlValue) -> String {
    match v {
        SysctlValue::Int(i) => i.to_string(),
        SysctlValue::Str(s) => s.clone(),
        SysctlValue::Timeval { sec, usec } => {
            format!("{{ sec = {sec}, usec = {usec} }} {}", ctime(*sec))
        }
    }
}

fn show(p: &mut Proc, f: &Flags, name: &str, v: &SysctlValue) {
    if f.big_n {
        p.out.push_str(name);
    } else {
        if !f.n {
            p.out.push_str(name);
            p.out.push_str(if f.e { "=" } else { ": " });
        }
        p.out.push_str(&value_text(v));
    }
}

/// Runs `sysctl args`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("sysctl");
    let mut f = Flags::default();
    let mut all = false;
    let mut g = Getopt::new(args, "Aabdef:hiNnoqTwWxX");
    for o in g.by_ref() {
        match o {
            Opt::Flag('a' | 'A' | 'X', _) => all = true,
            Opt::Flag('n', _) => f.n = true,
            Opt::Flag('N', _) => f.big_n = true,
            Opt::Flag('i', _) => f.i = true,
            Opt::Flag('q', _) => f.q = true,
            Opt::Flag('e', _) => f.e = true,
            Opt::Flag(_, _) => {}
            Opt::Bad(m) => {
                p.warnx(&m);
                p.stderr(USAGE);
                return p.finish(1);
            }
        }
    }
    let rest = g.rest();
    if f.n && f.big_n {
        p.stderr(USAGE);
        return p.finish(1);
    }
    if all && rest.is_empty() {
        for e in k.sysctl_all(ctx) {
            show(&mut p, &f, &e.name, &e.value);
            p.out.push('\n');
        }
        return p.finish(0);
    }
    if rest.is_empty() {
        p.stderr(USAGE);
        return p.finish(1);
    }
    let mut warncount = 0;
    for a in rest {
        warncount += parse(k, ctx, &f, a, &mut p);
    }
    p.finish(warncount)
}

/// One `name` or `name=value` (sysctl.c `parse`); returns 1 when it failed.
fn parse(k: &mut Kernel, ctx: Ctx, f: &Flags, arg: &str, p: &mut Proc) -> i32 {
    let (name, newval) = match arg.find(['=', ':']) {
        Some(i) => {
            let v = arg[i + 1..].trim_start();
            let v = match v.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &v[1..];
                    inner.strip_suffix(q).unwrap_or(inner)
                }
                _ => v,
            };
            (&arg[..i], Some(v))
        }
        None => (arg, None),
    };
    let name = name.trim_end();
    let entry = k.sysctl_get(ctx, name);
    let children = if entry.is_none() { k.sysctl_children(ctx, name) } else { Vec::new() };
    if entry.is_none() && children.is_empty() {
        if f.i {
            return 0;
        }
        if !f.q {
            p.warnx(&format!("unknown oid '{name}'"));
        }
        return 1;
    }
    let Some(entry) = entry else {
        if newval.is_some() {
            p.warnx(&format!("oid '{name}' isn't a leaf node"));
            return 1;
        }
        for c in children {
            show(p, f, &c.name, &c.value);
            p.out.push('\n');
        }
        return 0;
    };
    let Some(nv) = newval else {
        show(p, f, &entry.name, &entry.value);
        p.out.push('\n');
        return 0;
    };
    if !entry.writable {
        p.warnx(&format!("oid '{name}' is read only"));
        return 1;
    }
    if nv.is_empty() {
        p.warnx("empty numeric value");
        return 1;
    }
    let Some(v) = strtol(nv) else {
        p.warnx(&format!("invalid integer '{nv}'"));
        return 1;
    };
    show(p, f, &entry.name, &entry.value);
    if let Err(e) = k.sysctl_set(ctx, name, v) {
        p.out.push('\n');
        p.warn(arg, e);
        return 1;
    }
    p.out.push_str(" -> ");
    if let Some(after) = k.sysctl_get(ctx, name) {
        p.out.push_str(&value_text(&after.value));
    }
    p.out.push('\n');
    0
}

/// strtol(s, &end, 0) that must consume everything, truncated to int like sysctl does.
fn strtol(s: &str) -> Option<i64> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8).ok()?
    } else {
        t.parse::<i64>().ok()?
    };
    let v = if neg { -v } else { v };
    Some(i64::from(v as i32))
}

/// ctime(3) in UTC without pulling in a date crate.
mod chrono_free {
    /// `Sun Nov 23 06:40:00 2025`.
    pub fn ctime(t: i64) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400);
        let wd = DAYS[days.rem_euclid(7) as usize];
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{wd} {} {d:>2} {:02}:{:02}:{:02} {y}",
            MONTHS[(m - 1) as usize],
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sysctl(k: &mut Kernel, a: &[&str]) -> Output {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        main(k, Ctx::HOST, &a)
    }

    #[test]
    fn boottime_prints_like_s_timeval() {
        assert_eq!(ctime(1_763_880_000), "Sun Nov 23 06:40:00 2025");
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
        let mut k = Kernel::freebsd14();
        let o = sysctl(&mut k, &["kern.boottime"]);
        assert_eq!(o.stdout, "kern.boottime: { sec = 1763880000, usec = 0 } Sun Nov 23 06:40:00 2025\n");
    }

    #[test]
    fn unknown_oid_is_warned_counted_and_the_rest_still_printed() {
        let mut k = Kernel::freebsd14();
        let o = sysctl(&mut k, &["kern.nosuch", "kern.osreldate", "net.nosuch"]);
        assert_eq!(o.code, 2);
        assert_eq!(o.stdout, "kern.osreldate: 1402000\n");
        assert_eq!(o.stderr, "sysctl: unknown oid 'kern.nosuch'\nsysctl: unknown oid 'net.nosuch'\n");
        let o = sysctl(&mut k, &["-i", "kern.nosuch", "kern.features.vimage"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "kern.features.vimage: 1\n"));
        let o = sysctl(&mut k, &["-q", "kern.nosuch"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, ""));
        k.set_vimage(false);
        let o = sysctl(&mut k, &["-n", "kern.features.vimage"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "sysctl: unknown oid 'kern.features.vimage'\n"));
    }

    #[test]
    fn writes_print_old_and_new_and_change_state() {
        let mut k = Kernel::freebsd14();
        let o = sysctl(&mut k, &["net.inet.ip.forwarding=1"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "net.inet.ip.forwarding: 0 -> 1\n"));
        assert_eq!(k.host_sysctl("net.inet.ip.forwarding"), Some(1));
        let o = sysctl(&mut k, &["kern.osreldate=1"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "sysctl: oid 'kern.osreldate' is read only\n"));
        let o = sysctl(&mut k, &["net.inet.ip.forwarding=yes"]);
        assert_eq!(o.stderr, "sysctl: invalid integer 'yes'\n");
    }

    #[test]
    fn member_ifaddrs_exists_only_on_15() {
        let mut k = Kernel::freebsd14();
        let o = sysctl(&mut k, &["net.link.bridge.member_ifaddrs"]);
        assert_eq!(o.code, 1);
        k.set_osreldate(1_500_000);
        let o = sysctl(&mut k, &["net.link.bridge.member_ifaddrs"]);
        assert_eq!(o.stdout, "net.link.bridge.member_ifaddrs: 0\n");
    }

    /// `net.inet.ip.forwarding` is `VNET_DEFINE(int, ipforwarding)` (sys/netinet/ip_input.c,
    /// `SYSCTL_INT(… CTLFLAG_VNET | CTLFLAG_RW …)`): the host's and each vnet jail's own.
    #[test]
    fn ip_forwarding_is_per_vnet_ip_input_c() {
        let mut k = Kernel::demo();
        let jctx = k.ctx_in_jail(1).unwrap();
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = main(&mut k, jctx, &a(&["net.inet.ip.forwarding=1"]));
        assert_eq!((o.code, o.stdout.as_str()), (0, "net.inet.ip.forwarding: 0 -> 1\n"));
        assert_eq!(k.host_sysctl("net.inet.ip.forwarding"), Some(0), "the jail's own, not the host's");
        let o = sysctl(&mut k, &["net.inet6.ip6.forwarding=1"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "net.inet6.ip6.forwarding: 0 -> 1\n"));
        let o = main(&mut k, jctx, &a(&["-n", "net.inet6.ip6.forwarding"]));
        assert_eq!(o.stdout, "0\n");
    }
}

//! `route` (sbin/route/route.c): `route [-n] get default` only, for now.

use super::Proc;
use crate::host::Output;
use crate::sim::kernel::{Ctx, Kernel};

/// Runs `route args`. `get default` prints route.c's `print_getmsg` block; without a default
/// route: `route: route has not been found` (1).
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("route");
    let mut words: Vec<&str> = Vec::new();
    for a in args {
        match a.as_str() {
            "-n" | "-q" | "-v" | "-4" => {}
            w => words.push(w),
        }
    }
    match words.as_slice() {
        ["get", "default"] | ["get", "-inet", "default"] | ["get", "0.0.0.0"] | ["get", "0.0.0.0/0"] => {}
        ["get", ..]
        | ["add", ..]
        | ["delete", ..]
        | ["change", ..]
        | ["flush", ..]
        | ["monitor", ..]
        | ["show", ..] => {
            let _ = p.errx(1, "only `route -n get default` is simulated");
            return p.finish(1);
        }
        _ => {
            p.stderr("usage: route [-46dnqtv] command [[modifiers] args]\n");
            return p.finish(64);
        }
    }
    let Some(r) = k.vnet(ctx.vnet).and_then(|v| v.default_route.clone()) else {
        let _ = p.errx(1, "route has not been found");
        return p.finish(1);
    };
    let (ifname, mtu) = k.ifp(r.ifp).map(|i| (i.name.clone(), i.mtu)).unwrap_or_default();
    let o = &mut p.out;
    o.push_str("   route to: default\n");
    o.push_str("destination: default\n");
    o.push_str("       mask: default\n");
    o.push_str(&format!("    gateway: {}\n", r.gateway));
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

    #[test]
    fn get_default_prints_print_getmsg_block_route_c() {
        let mut k = Kernel::demo();
        let o = main(&mut k, Ctx::HOST, &["-n".into(), "get".into(), "default".into()]);
        assert_eq!(o.code, 0);
        assert_eq!(
            o.stdout,
            "   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.1.1\n        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n       0         0         0         0      1500         1         0 \n"
        );
        let ctx = k.ctx_in_jail(1).unwrap();
        let o = main(&mut k, ctx, &["-n".into(), "get".into(), "default".into()]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "route: route has not been found\n"));
    }
}

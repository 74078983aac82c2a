//! `dhclient IF` (sbin/dhclient): the interface must exist and be UP (dispatch.c
//! `discover_interfaces`: `error("%s: not found")`), a bpf device must open (bpf.c
//! `if_register_bpf`: `error("Can't find free bpf: %s", strerror(errno))`), then a DHCP server
//! must be reachable on the interface's Ethernet segment; the lease's address and router are
//! set as dhclient-script would. `error()` prints the message and `exiting.` and exits 1
//! (errwarn.c). Without an answer dhclient gives up and goes to the background, exit 0.
//!
//! The DHCPDISCOVER/OFFER/REQUEST/ACK/bound lines follow the OpenBSD-derived dhclient's
//! `note()` texts; their exact wording was not checked against FreeBSD's dhclient.c.

use super::Proc;
use super::getopt::{Getopt, Opt};
use crate::kernel::route::Gw;
use crate::kernel::{Ctx, IfAddr, Kernel};
use std::net::IpAddr;
use vimage_base::Output;

const USAGE: &str = "usage: dhclient [-bdnqu] [-c conffile] [-l leasefile] [-p pidfile] interface\n";

/// Runs `dhclient args` as a process in `ctx`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("dhclient");
    let mut g = Getopt::new(args, "bc:dl:np:qu");
    for o in g.by_ref() {
        if let Opt::Bad(m) = o {
            p.warnx(&m);
            p.stderr(USAGE);
            return p.finish(1);
        }
    }
    let rest = g.rest();
    if rest.len() != 1 {
        p.stderr(USAGE);
        return p.finish(1);
    }
    let ifname = rest[0].as_str();
    let fatal = |p: &mut Proc, msg: &str| {
        p.stderr(&format!("{msg}\nexiting.\n"));
    };
    let Some(id) = k.ifunit(ctx.vnet, ifname).filter(|id| k.ifp(*id).is_some_and(|i| i.up)) else {
        fatal(&mut p, &format!("{ifname}: not found"));
        return p.finish(1);
    };
    if let Err(e) = k.dev_open(ctx, "bpf") {
        fatal(&mut p, &format!("Can't find free bpf: {}", e.strerror()));
        return p.finish(1);
    }
    p.stderr(&format!("DHCPDISCOVER on {ifname} to 255.255.255.255 port 67 interval 3\n"));
    let mac = k.ifp(id).and_then(|i| i.mac).map(|m| m.to_string()).unwrap_or_default();
    let offer = k.dhcp_server_for(id).and_then(|srv| k.dhcp_offer(&srv, &mac).map(|a| (srv, a)));
    let Some((srv, addr)) = offer else {
        p.stderr("No DHCPOFFERS received.\nNo working leases in persistent database - sleeping.\n");
        return p.finish(0);
    };
    p.stderr(&format!(
        "DHCPOFFER from {r}\nDHCPREQUEST on {ifname} to 255.255.255.255 port 67\nDHCPACK from {r}\n",
        r = srv.router
    ));
    let has = k.ifp(id).is_some_and(|i| i.addrs.iter().any(|a| matches!(a, IfAddr::V4 { addr: x, .. } if *x == addr)));
    if !has && let Err(e) = k.if_add_addr(ctx, id, IfAddr::V4 { addr, prefix: srv.prefix, broadcast: None }) {
        fatal(&mut p, &format!("ifconfig: ioctl (SIOCAIFADDR): {}", e.strerror()));
        return p.finish(1);
    }
    let has_route = k.vnet(ctx.vnet).is_some_and(|v| v.default_route.is_some());
    if !has_route && let Err(e) = k.route_set_default(ctx, &Gw { addr: IpAddr::V4(srv.router), scope: None }, false) {
        fatal(&mut p, &format!("route: writing to routing socket: {}", e.strerror()));
        return p.finish(1);
    }
    p.stderr(&format!("bound to {addr} -- renewal in 43200 seconds.\n"));
    p.finish(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Errno;

    fn run(k: &mut Kernel, line: &str) -> Output {
        let a: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        super::super::run(k, Ctx::HOST, &a[0], &a[1..])
    }

    /// The demo host with web1's eth0 bridged to em0 the way vimage does it.
    fn bridged() -> Kernel {
        let mut k = Kernel::demo();
        for l in [
            "ifconfig bridge create addm em0 up",
            "ifconfig epair create up",
            "ifconfig bridge0 addm epair0a",
            "ifconfig epair0b vnet 1",
            "ifconfig -j 1 epair0b ether 02:00:00:00:00:01 name eth0 up",
        ] {
            assert_eq!(run(&mut k, l).code, 0, "{l}");
        }
        k
    }

    fn unhide_bpf(k: &mut Kernel) {
        for l in [
            "devfs rule -s 50 add include 1",
            "devfs rule -s 50 add include 5",
            "devfs rule -s 50 add path bpf* unhide",
            "devfs -m /usr/jails/jails/web1/dev ruleset 50",
            "devfs -m /usr/jails/jails/web1/dev rule -s 50 applyset",
        ] {
            assert_eq!(run(k, l).code, 0, "{l}");
        }
    }

    #[test]
    fn hidden_bpf_is_cant_find_free_bpf() {
        let mut k = bridged();
        let o = run(&mut k, "jexec 1 dhclient eth0");
        assert_eq!((o.code, o.stderr.as_str()), (1, "Can't find free bpf: No such file or directory\nexiting.\n"));
        assert!(k.jail_iface("web1", "eth0").unwrap().addrs.is_empty());
    }

    #[test]
    fn visible_bpf_and_a_bridged_up_interface_get_a_lease_and_a_route() {
        let mut k = bridged();
        unhide_bpf(&mut k);
        let o = run(&mut k, "jexec web1 dhclient eth0");
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stderr.ends_with("bound to 192.168.1.100 -- renewal in 43200 seconds.\n"), "{}", o.stderr);
        assert_eq!(k.jail_iface("web1", "eth0").unwrap().addrs, ["192.168.1.100/24"]);
        assert_eq!(k.snapshot().default_routes.get("web1").map(String::as_str), Some("192.168.1.1 eth0"));
        // Again: the same lease, nothing new.
        let o = run(&mut k, "jexec web1 dhclient eth0");
        assert_eq!(o.code, 0);
        assert_eq!(k.jail_iface("web1", "eth0").unwrap().addrs, ["192.168.1.100/24"]);
    }

    #[test]
    fn no_server_reachable_means_no_lease_but_exit_0() {
        for breakit in ["ifconfig epair0a down", "ifconfig bridge0 deletem em0", "ifconfig bridge0 down"] {
            let mut k = bridged();
            unhide_bpf(&mut k);
            assert_eq!(run(&mut k, breakit).code, 0);
            let o = run(&mut k, "jexec web1 dhclient eth0");
            assert_eq!(o.code, 0, "{breakit}");
            assert!(o.stderr.contains("No DHCPOFFERS received."), "{breakit}: {}", o.stderr);
            assert!(k.jail_iface("web1", "eth0").unwrap().addrs.is_empty(), "{breakit}");
        }
        let mut k = bridged();
        unhide_bpf(&mut k);
        k.remove_dhcp_server("em0");
        assert!(run(&mut k, "jexec web1 dhclient eth0").stderr.contains("No DHCPOFFERS"));
    }

    #[test]
    fn a_missing_or_down_interface_is_not_found() {
        let mut k = bridged();
        unhide_bpf(&mut k);
        let o = run(&mut k, "jexec web1 dhclient eth9");
        assert_eq!((o.code, o.stderr.as_str()), (1, "eth9: not found\nexiting.\n"));
        assert_eq!(run(&mut k, "ifconfig -j 1 eth0 down").code, 0);
        assert_eq!(run(&mut k, "jexec web1 dhclient eth0").code, 1);
        assert_eq!(run(&mut k, "jexec web1 dhclient").stderr, USAGE);
    }

    #[test]
    fn a_failing_address_change_is_reported() {
        let mut k = bridged();
        unhide_bpf(&mut k);
        k.fail_at(1, Errno::EIO);
        let o = run(&mut k, "jexec web1 dhclient eth0");
        assert_eq!(o.code, 1);
        assert!(o.stderr.contains("Input/output error\nexiting.\n"), "{}", o.stderr);
    }
}

//! route(8) of both builds: rtsock (13.x, sbin/route/route.c `rtmsg_rtsock`) and netlink
//! (14.x and later, sbin/route/route_netlink.c `rtmsg_nl_int`, `print_getmsg`).

use super::*;

fn route(k: &mut Kernel, ctx: Ctx, line: &str) -> Output {
    let a: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    main(k, ctx, &a)
}

fn ifconfig(k: &mut Kernel, ctx: Ctx, line: &str) {
    let a: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let o = super::super::ifconfig::main(k, ctx, &a);
    assert_eq!(o.code, 0, "ifconfig {line}: {}", o.stderr);
}

const TABLE: &str = " recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n       0         0         0         0      1500         1         0 \n";

#[test]
fn get_default_prints_print_getmsg_with_n_numeric_route_netlink_c() {
    let mut k = Kernel::demo();
    let o = route(&mut k, Ctx::HOST, "-n get default");
    assert_eq!(o.code, 0);
    let want = format!(
        "   route to: 0.0.0.0\ndestination: 0.0.0.0\n       mask: 0.0.0.0\n    gateway: 192.168.1.1\n        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n{TABLE}"
    );
    assert_eq!(o.stdout, want);
    // Without -n, routename() says "default" for the unspecified address.
    let o = route(&mut k, Ctx::HOST, "get default");
    assert!(o.stdout.starts_with("   route to: default\ndestination: default\n       mask: default\n"), "{}", o.stdout);
}

#[test]
fn a_failed_lookup_warns_and_exits_0_on_netlink_and_1_on_rtsock() {
    let mut k = Kernel::demo();
    let ctx = k.ctx_in_jail(1).unwrap();
    // 14.x: warn("route has not been found") after rtmsg() set errno = 0; rtmsg_nl_int returns 0.
    let o = route(&mut k, ctx, "-n get default");
    assert_eq!((o.code, o.stdout.as_str()), (0, ""));
    assert_eq!(o.stderr, "route: route has not been found: No error: 0\n");
    // 13.x: the routing-socket write fails ESRCH → warnx, and newroute exits with the error.
    k.set_osreldate(1_304_000);
    let o = route(&mut k, ctx, "-n get default");
    assert_eq!((o.code, o.stderr.as_str()), (1, "route: route has not been found\n"));
}

#[test]
fn get_finds_the_best_route_to_any_destination_default_connected_local() {
    let mut k = Kernel::demo();
    // Nothing more specific: the default route, reported for the address asked.
    let o = route(&mut k, Ctx::HOST, "-n get 10.99.0.1");
    assert!(
        o.stdout.starts_with(
            "   route to: 10.99.0.1\ndestination: 0.0.0.0\n       mask: 0.0.0.0\n    gateway: 192.168.1.1\n"
        ),
        "{}",
        o.stdout
    );
    // On em0's subnet: the interface route, no gateway.
    let o = route(&mut k, Ctx::HOST, "-n get 192.168.1.77");
    assert_eq!(
        o.stdout,
        format!(
            "   route to: 192.168.1.77\ndestination: 192.168.1.0\n       mask: 255.255.255.0\n        fib: 0\n  interface: em0\n      flags: <UP,DONE,PINNED>\n{TABLE}"
        )
    );
    // The host's own address: a host route through lo0 (no mask line).
    let o = route(&mut k, Ctx::HOST, "-n get 192.168.1.10");
    assert!(o.stdout.contains("destination: 192.168.1.10\n        fib: 0\n  interface: lo0\n"), "{}", o.stdout);
    // Without a default route, an off-link address is not found (exit 0 on 14.x).
    let ctx = k.ctx_in_jail(1).unwrap();
    let o = route(&mut k, ctx, "get 8.8.8.8");
    assert_eq!((o.code, o.stdout.as_str()), (0, ""));
    let o = route(&mut k, Ctx::HOST, "get no.such.host");
    assert_eq!((o.code, o.stderr.as_str()), (68, "route: bad address: no.such.host\n"));
}

#[test]
fn add_change_delete_default_in_a_vnet_jail_netlink_has_no_socket_warning() {
    let mut k = Kernel::demo();
    let ctx = k.ctx_in_jail(1).unwrap();
    let o = route(&mut k, ctx, "add default 10.0.0.1");
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (1, "add net default: gateway 10.0.0.1 fib 0: Network is unreachable\n", "")
    );
    ifconfig(&mut k, ctx, "lo0 inet 10.0.0.5/8 alias");
    let o = route(&mut k, ctx, "add default 10.0.0.1");
    assert_eq!((o.code, o.stdout.as_str()), (0, "add net default: gateway 10.0.0.1\n"));
    let o = route(&mut k, ctx, "add default 10.0.0.2");
    assert_eq!(o.stdout, "add net default: gateway 10.0.0.2 fib 0: route already in table\n");
    assert_eq!(o.stderr, "", "netlink: no 'writing to routing socket'");
    let o = route(&mut k, ctx, "-n get default");
    assert!(o.stdout.contains("gateway: 10.0.0.1") && o.stdout.contains("interface: lo0"), "{}", o.stdout);
    assert_eq!(route(&mut k, ctx, "change default 10.0.0.2").stdout, "change net default: gateway 10.0.0.2\n");
    assert_eq!(route(&mut k, ctx, "delete default").stdout, "delete net default\n");
    let o = route(&mut k, ctx, "delete default");
    assert_eq!((o.code, o.stdout.as_str()), (1, "delete net default fib 0: not in table\n"));
    assert_eq!(route(&mut k, Ctx::HOST, "-n get default").code, 0, "the host's route is another vnet's");
}

#[test]
fn rtsock_build_warns_writing_to_routing_socket_route_c_rtmsg_rtsock() {
    let mut k = Kernel::demo();
    k.set_osreldate(1_304_000);
    let ctx = k.ctx_in_jail(1).unwrap();
    let o = route(&mut k, ctx, "add default 10.0.0.1");
    assert_eq!(o.stdout, "add net default: gateway 10.0.0.1 fib 0: Network is unreachable\n");
    assert_eq!(o.stderr, "route: writing to routing socket: Network is unreachable\n");
    let jid = k.create_jail("plain", "/j/plain", false).unwrap();
    let pctx = k.ctx_in_jail(jid).unwrap();
    let o = route(&mut k, pctx, "add default 192.168.1.1");
    assert_eq!((o.code, o.stdout.as_str()), (1, ""), "EPERM is err(1) at once");
    assert_eq!(o.stderr, "route: writing to routing socket: Operation not permitted\n");
    // 14.x: EPERM is one more newroute failure line.
    k.set_osreldate(1_402_000);
    let o = route(&mut k, pctx, "add default 192.168.1.1");
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (1, "add net default: gateway 192.168.1.1 fib 0: Operation not permitted\n", "")
    );
}

#[test]
fn success_names_the_fib_only_with_several_fibs_route_c_newroute() {
    let mut k = Kernel::demo();
    k.set_fibs(4);
    let ctx = k.ctx_in_jail(1).unwrap();
    ifconfig(&mut k, ctx, "lo0 inet 10.0.0.5/8 alias");
    assert_eq!(route(&mut k, ctx, "add default 10.0.0.1").stdout, "add net default: gateway 10.0.0.1 fib 0\n");
}

#[test]
fn inet6_default_routes() {
    let mut k = Kernel::demo();
    let ctx = k.ctx_in_jail(1).unwrap();
    ifconfig(&mut k, ctx, "lo0 inet6 2001:db8::5/64");
    assert_eq!(route(&mut k, ctx, "add -inet6 default 2001:db8::1").stdout, "add net default: gateway 2001:db8::1\n");
    let o = route(&mut k, ctx, "-n get -inet6 default");
    assert!(o.stdout.contains("route to: ::\n") && o.stdout.contains("gateway: 2001:db8::1"), "{}", o.stdout);
    let o = route(&mut k, ctx, "-n get default");
    assert_eq!((o.code, o.stdout.as_str()), (0, ""), "no IPv4 default");
    assert_eq!(route(&mut k, ctx, "add -inet6 default fe80::1%lo0").code, 1, "one default per family");
    assert_eq!(route(&mut k, ctx, "change -inet6 default fe80::1%lo0").code, 0);
    assert!(route(&mut k, ctx, "-n get -inet6 default").stdout.contains("gateway: fe80::1%lo0"));
    assert_eq!(route(&mut k, ctx, "add default 2001:db8::1").code, 68, "an IPv6 gateway needs -inet6");
}

#[test]
fn j_runs_in_the_jail_from_15_and_is_an_illegal_option_before() {
    let mut k = Kernel::demo();
    let o = route(&mut k, Ctx::HOST, "-j 1 -n get default");
    assert_eq!(o.code, 64);
    assert!(o.stderr.starts_with("route: illegal option -- j\nroute: usage: route [-46dnqtv]"), "{}", o.stderr);
    k.set_osreldate(1_500_000);
    let jctx = k.ctx_in_jail(1).unwrap();
    // The jail's table has no default route; 15.x answers over netlink (see
    // a_failed_lookup_warns_and_exits_0_on_netlink_and_1_on_rtsock).
    let not_found = (0, "route: route has not been found: No error: 0\n");
    let o = route(&mut k, Ctx::HOST, "-j web1 -n get default");
    assert_eq!((o.code, o.stderr.as_str()), not_found, "the jail's table");
    let o = route(&mut k, Ctx::HOST, "-j nosuch get default");
    assert_eq!((o.code, o.stderr.as_str()), (1, "route: jail \"nosuch\" not found\n"));
    let o = route(&mut k, Ctx::HOST, "-n -j1 get default");
    assert_eq!((o.code, o.stderr.as_str()), not_found, "the jail's table again: {o:?}");
    assert!(k.vnet(jctx.vnet).is_some_and(|v| v.default_route.is_none()));
    assert!(route(&mut k, Ctx::HOST, "-n get default").stdout.contains("gateway: 192.168.1.1"), "the host's own");
}

//! Addresses and routes inside a jail: static addresses, SLAAC, DHCP, the default router.

use super::{Bindings, IfRef, InJail};
use crate::host::{Cmd, Program};
use crate::model::IfName;

/// The address part of `a/p`.
fn addr_only(cidr: &str) -> String {
    cidr.split('/').next().unwrap_or(cidr).to_string()
}

/// `jexec <jid> <program> <args>`: a command that exists only as itself inside the jail.
fn jexec(jid: u32, program: &str, tail: Vec<String>) -> Cmd {
    let mut args = vec![jid.to_string(), program.to_string()];
    args.extend(tail);
    Cmd::new(Program::Jexec, args)
}

/// `route -j <jid> <args>` (the host's route(8) in the jail) or `jexec <jid> route <args>`.
fn route_in_jail(jid: u32, route_j: bool, tail: Vec<String>) -> Cmd {
    if route_j {
        let mut args = vec!["-j".to_string(), jid.to_string()];
        args.extend(tail);
        Cmd::new(Program::Route, args)
    } else {
        jexec(jid, "route", tail)
    }
}

/// `ifconfig -j <jid> <iface> inet <a/p> alias` or `… inet6 -ifdisabled <a/p> alias`
pub(super) fn add(at: &InJail, iface: &IfRef, cidr: &str, v6: bool, b: &Bindings) -> Cmd {
    let iface = iface.display(b);
    let tail = if v6 {
        vec![iface, "inet6".into(), "-ifdisabled".into(), cidr.to_string(), "alias".into()]
    } else {
        vec![iface, "inet".into(), cidr.to_string(), "alias".into()]
    };
    at.ifconfig(tail)
}

/// `ifconfig -j <jid> <iface> inet[6] <a> -alias`
pub(super) fn del(at: &InJail, iface: &IfRef, cidr: &str, v6: bool, b: &Bindings) -> Cmd {
    let af = if v6 { "inet6" } else { "inet" };
    at.ifconfig(vec![iface.display(b), af.into(), addr_only(cidr), "-alias".into()])
}

/// `ifconfig -j <jid> <iface> inet6 -ifdisabled accept_rtadv`
pub(super) fn slaac(at: &InJail, iface: &IfName) -> Cmd {
    at.ifconfig(vec![iface.to_string(), "inet6".into(), "-ifdisabled".into(), "accept_rtadv".into()])
}

/// `jexec <jid> dhclient <iface>`
pub(super) fn dhclient(jid: u32, iface: &IfName) -> Cmd {
    jexec(jid, "dhclient", vec![iface.to_string()])
}

/// `route add|change [-inet6] default <gw>` in the jail.
pub(super) fn route_default(jid: u32, route_j: bool, v6: bool, gw: &str, replacing: bool) -> Cmd {
    let mut t = vec![if replacing { "change" } else { "add" }.to_string()];
    if v6 {
        t.push("-inet6".into());
    }
    t.extend(["default".to_string(), gw.to_string()]);
    route_in_jail(jid, route_j, t)
}

/// `route delete [-inet6] default` in the jail.
pub(super) fn route_delete(jid: u32, route_j: bool, v6: bool) -> Cmd {
    let mut t = vec!["delete".to_string()];
    if v6 {
        t.push("-inet6".into());
    }
    t.push("default".into());
    route_in_jail(jid, route_j, t)
}

/// True when an IPv6 change exited 0 without doing its job: ifconfig only warns when it
/// cannot change an interface's ND6 flags (af_inet6.c `setnd6flags`:
/// `warn("ioctl(SIOCSIFINFO_IN6)")`) and goes on.
pub(super) fn nd6_flags_refused(stderr: &str) -> bool {
    stderr.contains("SIOCSIFINFO_IN6")
}

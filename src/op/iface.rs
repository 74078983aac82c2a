//! Interfaces and bridges: creating epairs and if_bridges, moving interfaces into jails and
//! back, renaming them inside, taking over CBSD's epairs. Every command here is ifconfig(8)
//! (through `jexec` inside a jail before FreeBSD 14, see [`InJail`]).

use super::{Bindings, IfRef, InJail};
use crate::host::{Cmd, Output, Program};
use crate::model::vlan::format_vid_list;
use crate::model::{IfName, JailName, Mac};
use crate::naming::{GROUP, bridge_marker, epair_marker, vlan_marker};

/// `ifconfig <args>` on the host.
pub(super) fn ifconfig(args: Vec<String>) -> Cmd {
    Cmd::new(Program::Ifconfig, args)
}

/// `ifconfig bridge create description vimage:<uplink> group vimage addm <uplink> up`
pub(super) fn create_bridge(uplink: &str) -> Cmd {
    ifconfig(vec![
        "bridge".into(),
        "create".into(),
        "description".into(),
        bridge_marker(uplink),
        "group".into(),
        GROUP.into(),
        "addm".into(),
        uplink.to_string(),
        "up".into(),
    ])
}

/// `ifconfig bridge create description vimage:net:<name> group vimage up`: a private
/// network's bridge, with no physical member (it is host-only until pf NATs it).
pub(super) fn create_net_bridge(uplink: &str) -> Cmd {
    ifconfig(vec![
        "bridge".into(),
        "create".into(),
        "description".into(),
        bridge_marker(uplink),
        "group".into(),
        GROUP.into(),
        "up".into(),
    ])
}

/// `ifconfig <bridge> inet <a/p> alias` (`inet6 <a/p> alias`): the network's gateway address on
/// its bridge; `alias` so it never replaces an address someone else put there.
pub(super) fn bridge_addr(bridge: &IfRef, cidr: &str, v6: bool, b: &Bindings) -> Cmd {
    let af = if v6 { "inet6" } else { "inet" };
    ifconfig(vec![bridge.display(b), af.into(), cidr.to_string(), "alias".into()])
}

/// `ifconfig epair create description vimage:<jail>:<nic> group vimage mtu <mtu> up`
pub(super) fn create_epair(jail: &JailName, nic: &IfName, mtu: u32) -> Cmd {
    ifconfig(vec![
        "epair".into(),
        "create".into(),
        "description".into(),
        epair_marker(jail, nic),
        "group".into(),
        GROUP.into(),
        "mtu".into(),
        mtu.to_string(),
        "up".into(),
    ])
}

/// `ifconfig <parent>.<tag> create`
pub(super) fn create_vlan(name: &str) -> Cmd {
    ifconfig(vec![name.to_string(), "create".into()])
}

/// `ifconfig <vlan> description vimage:vlan/<vlan> group vimage up`
pub(super) fn mark_vlan(name: &str) -> Cmd {
    ifconfig(vec![name.to_string(), "description".into(), vlan_marker(name), "group".into(), GROUP.into(), "up".into()])
}

/// `ifconfig <bridge> vlanfilter`
pub(super) fn vlanfilter(bridge: &IfRef, b: &Bindings) -> Cmd {
    ifconfig(vec![bridge.display(b), "vlanfilter".into()])
}

/// `ifconfig <bridge> [ifuntagged <member> <N>] [iftagged <member> <LIST>]`
pub(super) fn member_vlans(bridge: &IfRef, member: &IfRef, untagged: Option<u16>, tagged: &[u16], b: &Bindings) -> Cmd {
    let mut a = vec![bridge.display(b)];
    if let Some(u) = untagged {
        a.extend(["ifuntagged".into(), member.display(b), u.to_string()]);
    }
    if !tagged.is_empty() {
        a.extend(["iftagged".into(), member.display(b), format_vid_list(tagged)]);
    }
    ifconfig(a)
}

/// `ifconfig <bridge> +iftagged|-iftagged <uplink> <LIST>`
pub(super) fn uplink_tagged(bridge: &IfRef, uplink: &str, vlans: &[u16], add: bool, b: &Bindings) -> Cmd {
    let word = if add { "+iftagged" } else { "-iftagged" };
    ifconfig(vec![bridge.display(b), word.into(), uplink.to_string(), format_vid_list(vlans)])
}

/// `ifconfig <bridge> addm <member>`
pub(super) fn add_member(bridge: &IfRef, member: &IfRef, b: &Bindings) -> Cmd {
    ifconfig(vec![bridge.display(b), "addm".into(), member.display(b)])
}

/// `ifconfig <iface> mtu <mtu> vnet <jid>`
pub(super) fn move_to_jail(iface: &IfRef, mtu: u32, jid: u32, b: &Bindings) -> Cmd {
    ifconfig(vec![iface.display(b), "mtu".into(), mtu.to_string(), "vnet".into(), jid.to_string()])
}

/// `ifconfig -j <jid> <iface> ether <mac> name <name> up`
pub(super) fn rename_in_jail(at: &InJail, iface: &IfRef, mac: &Mac, name: &IfName, b: &Bindings) -> Cmd {
    at.ifconfig(vec![iface.display(b), "ether".into(), mac.to_string(), "name".into(), name.to_string(), "up".into()])
}

/// `ifconfig -j <jid> <from> name <to>`
pub(super) fn rename_back_in_jail(at: &InJail, from: &IfName, to: &str) -> Cmd {
    at.ifconfig(vec![from.to_string(), "name".into(), to.to_string()])
}

/// `ifconfig -j <jid> <iface> up`
pub(super) fn up_in_jail(at: &InJail, iface: &str) -> Cmd {
    at.ifconfig(vec![iface.to_string(), "up".into()])
}

/// `ifconfig -j <jid> <iface> ether <mac> up`: always `-j` (a Linux userland has no
/// FreeBSD ifconfig for `jexec` to run, and such jails need 14.0+ anyway).
pub(super) fn configure_in_jail(jid: u32, iface: &IfRef, mac: &Mac, b: &Bindings) -> Cmd {
    ifconfig(vec!["-j".into(), jid.to_string(), iface.display(b), "ether".into(), mac.to_string(), "up".into()])
}

/// `ifconfig <iface> promisc` / `ifconfig <iface> -promisc`
pub(super) fn promisc(iface: &str, on: bool) -> Cmd {
    ifconfig(vec![iface.to_string(), if on { "promisc" } else { "-promisc" }.into()])
}

/// `ifconfig <bridge> FLAG <member> [FLAG <member> …]`
pub(super) fn member_flags(
    bridge: &IfRef,
    member: &IfRef,
    flags: &[crate::model::link::MemberFlag],
    b: &Bindings,
) -> Cmd {
    let m = member.display(b);
    let mut a = vec![bridge.display(b)];
    for f in flags {
        a.extend([f.to_string(), m.clone()]);
    }
    ifconfig(a)
}

/// The offloads `offload=off` turns off (sbin/ifconfig/ifconfig.c `cmds`: `txcsum`
/// IFCAP_TXCSUM, `txcsum6` IFCAP_TXCSUM_IPV6, `tso` IFCAP_TSO, `lro` IFCAP_LRO).
pub const OFFLOADS: [&str; 4] = ["txcsum", "txcsum6", "tso", "lro"];

/// `ifconfig <iface> -txcsum -txcsum6 -tso -lro` (or without the `-`)
pub(super) fn offload(iface: &IfRef, off: bool, b: &Bindings) -> Cmd {
    let mut a = vec![iface.display(b)];
    a.extend(OFFLOADS.iter().map(|w| if off { format!("-{w}") } else { w.to_string() }));
    ifconfig(a)
}

/// `ifconfig <iface> destroy`
pub(super) fn destroy(iface: &IfRef, b: &Bindings) -> Cmd {
    ifconfig(vec![iface.display(b), "destroy".into()])
}

/// `ifconfig <iface> group vimage`
pub(super) fn adopt(iface: &str) -> Cmd {
    ifconfig(vec![iface.to_string(), "group".into(), GROUP.into()])
}

/// `ifconfig <iface> [description <d>] -group vimage`
pub(super) fn unadopt(iface: &str, description: Option<&str>) -> Cmd {
    let mut a = vec![iface.to_string()];
    if let Some(d) = description {
        a.extend(["description".into(), d.to_string()]);
    }
    a.extend(["-group".into(), GROUP.into()]);
    ifconfig(a)
}

/// `ifconfig <iface> vnet <jid>`
pub(super) fn vnet(iface: &str, jid: u32) -> Cmd {
    ifconfig(vec![iface.to_string(), "vnet".into(), jid.to_string()])
}

/// `ifconfig <iface> -vnet <jid> [up]` (`Reclaim` is the same without `up`).
pub(super) fn unvnet(iface: &str, jid: u32, up: bool) -> Cmd {
    let mut a = vec![iface.to_string(), "-vnet".into(), jid.to_string()];
    if up {
        a.push("up".into());
    }
    ifconfig(a)
}

/// `ifconfig <iface> destroy` found no such interface (ifconfig.c `ifconfig_ioctl`:
/// "interface %s does not exist"): someone else destroyed it, or its epair's other end took
/// it along.
pub(super) fn destroy_gone(out: &Output) -> bool {
    super::gone::no_such_interface(out)
}

/// `ifconfig <iface> -vnet <jid>` found the jail gone (jail_getid: "jail … not found") or the
/// interface no longer in it (SIOCSIFRVNET ENXIO, "Device not configured").
pub(super) fn unvnet_gone(out: &Output) -> bool {
    super::gone::no_such_jail(out) || super::gone::not_in_jail(out)
}

/// The kernel's name for what `ifconfig bridge create` / `ifconfig epair create` printed,
/// checked against what that command can print (a garbled line must never become an argument
/// to `destroy`): `bridge<N>`, or `epair<N>a`.
pub(super) fn read_created(prefix: &str, stdout: &str) -> Option<String> {
    let name = stdout.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let digits = name.strip_prefix(prefix)?;
    let digits = if prefix == "epair" { digits.strip_suffix('a')? } else { digits };
    (!digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) && name.len() <= 15).then(|| name.to_string())
}

//! What a jail's userland changes in a plan, in one place. A FreeBSD userland gets the plan
//! vimage always made. A Linux userland (CBSD's Debian, Ubuntu … jails, under FreeBSD's Linux
//! ABI) has none of FreeBSD's programs, so everything is done from the host:
//! - a NIC keeps the name the kernel gave it (`epair7b`, `ngeth3`; the Linux ABI shows its
//!   programs names of its own, CBSD's doc: "If a jail is run as Linux-based, renaming will
//!   not happen") unless the admin named it (`ifname=`): `ifconfig -j <jid> IF ether MAC up`;
//! - static addresses with `ifconfig -j <jid> IF inet|inet6 … alias`, as for any jail;
//! - default routes with the host's `route -j <jid>` where route(8) has `-j` (15.0 on), else
//!   a note that names the route the jail's own network configuration must set;
//! - refused: `REALDHCP` and `SLAAC` (they need the jail's own DHCP client and IPv6
//!   configuration), and any Linux jail before FreeBSD 14.0, where the only way to configure
//!   a jail's interfaces is `jexec <jid> ifconfig`;
//! - no rc.conf: a Linux userland never reads one.

use crate::error::{Error, Kind, Result};
use crate::facts::HostView;
use crate::model::addr::{V4, V6};
use crate::model::{IfName, JailName, JailNet, Mac, NicSpec, Userland};
use crate::op::{IfRef, Op};

/// True when the jail runs a Linux userland.
pub(super) fn is_linux(v: &HostView) -> bool {
    v.userland.userland == Userland::Linux
}

/// True when `nic` keeps the kernel's name inside the jail: a Linux userland's NIC the admin
/// did not name.
pub(super) fn keeps_kernel_name(v: &HostView, nic: &NicSpec) -> bool {
    is_linux(v) && !nic.name_given
}

/// What a Linux userland's jail cannot have, refused before anything changes.
pub(super) fn check(net: &JailNet, v: &HostView) -> Result<()> {
    if !is_linux(v) {
        return Ok(());
    }
    let jail = &net.jail;
    if !v.kernel.has_ifconfig_j() {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            format!(
                "has a Linux userland ({}), and this FreeBSD (osreldate {}) has no `ifconfig -j`",
                v.userland.how, v.kernel.osreldate
            ),
        )
        .detail("before 14.0 vimage configures a jail's interfaces with `jexec <jid> ifconfig`, and a Linux userland")
        .detail("has no FreeBSD ifconfig (a moved interface arrives DOWN, without addresses: nothing else can")
        .detail("set it up from the host); FreeBSD 14.0 or later does it with `ifconfig -j`. If the jail does have")
        .detail(format!("FreeBSD's /sbin/ifconfig, say so: vimage set jname={jail} userland=freebsd")));
    }
    for nic in &net.nics {
        let name = &nic.name;
        if nic.addrs.v4 == V4::Dhcp {
            return Err(linux_refusal(
                jail,
                format!("{name}: ip4_addr=REALDHCP runs FreeBSD's dhclient inside the jail"),
                "its own DHCP client (the distribution's dhclient, dhcpcd or networkd) must run, from its own init",
            ));
        }
        if nic.addrs.v6 == V6::Slaac {
            return Err(linux_refusal(
                jail,
                format!("{name}: ip4_addr=SLAAC is FreeBSD's IPv6 autoconfiguration (rtsold, ifconfig_{name}_ipv6)"),
                "its own network configuration must do IPv6 autoconfiguration, from its own init",
            ));
        }
    }
    Ok(())
}

fn linux_refusal(jail: &JailName, what: String, instead: &str) -> Error {
    Error::jail(Kind::Data, jail, format!("{what}, and the jail has a Linux userland, which has no FreeBSD programs"))
        .detail(format!("the jail's {instead}; give vimage static addresses or none (ip4_addr=0)"))
}

/// The step that finishes a NIC's jail end once it is in the jail: renamed to `name` with
/// its MAC and UP (FreeBSD, or a name the admin chose), or only its MAC and UP under the
/// kernel's name (Linux). With it, the interface's name in the jail when that is not the
/// NIC's (for the record).
pub(super) struct JailEnd<'a> {
    /// The jail, for the op.
    pub jail: &'a JailName,
    /// The jail instance.
    pub jid: u32,
    /// The interface as it arrives in the jail (kernel's name, maybe still a slot).
    pub iface: IfRef,
    /// Its MAC.
    pub mac: Mac,
    /// The name a rename gives it.
    pub name: &'a IfName,
}

impl JailEnd<'_> {
    /// The op, and the in-jail name to record when it is not `name`.
    pub fn op(self, v: &HostView, nic: &NicSpec) -> (Op, Option<IfRef>) {
        let JailEnd { jail, jid, iface, mac, name } = self;
        if keeps_kernel_name(v, nic) {
            (Op::ConfigureInJail { jail: jail.clone(), jid, iface: iface.clone(), mac }, Some(iface))
        } else {
            let via_jexec = !v.kernel.has_ifconfig_j();
            let at = crate::op::InJail { jid, via_jexec };
            (Op::RenameInJail { jail: jail.clone(), at, iface, mac, name: name.clone() }, None)
        }
    }
}

/// How a default route gets into the jail: the jail's own route(8) through jexec (FreeBSD),
/// the host's with `-j` (Linux, when route has it), or not at all (`None`: a Linux userland
/// on a route(8) without `-j`; [`route_by_the_jail`] says what the jail must set).
pub(super) fn route_j(v: &HostView) -> Option<bool> {
    match (is_linux(v), v.route_j) {
        (false, _) => Some(false),
        (true, Some(true)) => Some(true),
        (true, _) => None,
    }
}

/// The note for a route vimage cannot set in a Linux userland (route(8) without `-j`).
pub(super) fn route_by_the_jail(v6: bool, gw: &str, iface: &str) -> String {
    let fam = if v6 { "IPv6" } else { "IPv4" };
    format!(
        "{fam} default route NOT set: this FreeBSD's route(8) has no -j (15.0 has it) and the jail's Linux userland \
         has no FreeBSD route; its own network configuration must set it: default via {gw} dev {iface}"
    )
}

/// The note for addresses and routes of a Linux userland: live only.
pub(super) fn no_rcconf_note() -> String {
    "no rc.conf is written (a Linux userland does not read one): the addresses and routes set now last until the \
     jail stops; for its next start vimage sets them again, or the jail's own configuration must"
        .into()
}

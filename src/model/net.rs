//! The desired network of one jail: its NICs (uplink, mode, in-jail name, MAC, addresses) and
//! the jail-wide addressing, as the resolver builds it and the planner reads it.

use super::addr::{Gateway, NicAddrs};
use super::names::{IfName, Invalid, JailName, Mac, default_name, ng_ifname};
use super::privnet::{NET_PREFIX, NetName};
use super::vlan::NicVlan;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a NIC's traffic leaves the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Uplink {
    /// The interface that holds the host's default route, found at plan time.
    Auto,
    /// A named host interface: a physical NIC, a VLAN, or a bridge to join directly.
    Named(IfName),
    /// A private network (`net:jails`, see [`super::privnet`]): vimage's host-only bridge for
    /// it, made on first use, with the network's gateway address on it.
    Net(NetName),
}

impl Uplink {
    /// `auto`, `0` and the empty string mean "the default-route interface", as in CBSD.
    pub fn parse(s: &str) -> Result<Uplink, Invalid> {
        match s {
            "" | "auto" | "0" => Ok(Uplink::Auto),
            other => match other.strip_prefix(NET_PREFIX) {
                Some(n) => NetName::parse(n).map(Uplink::Net),
                None => IfName::parse(other).map(Uplink::Named),
            },
        }
    }
}

impl fmt::Display for Uplink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uplink::Auto => f.write_str("auto"),
            Uplink::Named(n) => n.fmt(f),
            Uplink::Net(n) => write!(f, "{NET_PREFIX}{n}"),
        }
    }
}

/// How a NIC reaches the jail. The modes combine freely within one jail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NicMode {
    /// An epair(4) whose host end joins an if_bridge(4) with the uplink; jail end `eth<i>`.
    Epair {
        /// The host interface (or the default route's, `auto`) whose bridge the host end joins.
        uplink: Uplink,
    },
    /// An ng_eiface(4) on an ng_bridge(4) attached to the uplink's ng_ether(4) node; named
    /// `ng<i>_<jail>` in the jail (see [`ng_ifname`]).
    Netgraph {
        /// The host interface whose ng_ether node the ng_bridge hangs on.
        uplink: Uplink,
    },
    /// A physical interface moved into the jail as it is (the original vimage's `vnets`).
    Passthrough {
        /// The host's interface that is moved into the jail (and back on teardown).
        iface: IfName,
    },
}

impl NicMode {
    /// Which of the three modes this is, without its uplink or interface.
    pub fn kind(&self) -> ModeKind {
        match self {
            NicMode::Epair { .. } => ModeKind::Epair,
            NicMode::Netgraph { .. } => ModeKind::Netgraph,
            NicMode::Passthrough { .. } => ModeKind::Passthrough,
        }
    }

    /// The record's and the report's word for it ([`ModeKind::as_str`]).
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }
}

/// A NIC's mode as vimage's records, plans and reports name it: [`NicMode`] without its
/// uplink or interface. The one place each mode's word is spelled, so the state database,
/// the journal, `--json` and every message say the same (serde and, in `state`, SQLite store
/// it as exactly [`ModeKind::as_str`]'s text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModeKind {
    /// epair(4) + if_bridge(4).
    Epair,
    /// ng_eiface(4) on an ng_bridge(4).
    Netgraph,
    /// A host interface moved into the jail.
    Passthrough,
}

impl ModeKind {
    /// Every mode, in the order a jail's NICs are numbered.
    pub const ALL: [ModeKind; 3] = [ModeKind::Epair, ModeKind::Netgraph, ModeKind::Passthrough];

    /// `epair`, `netgraph` or `passthrough`: the word records and reports hold.
    pub fn as_str(self) -> &'static str {
        match self {
            ModeKind::Epair => "epair",
            ModeKind::Netgraph => "netgraph",
            ModeKind::Passthrough => "passthrough",
        }
    }

    /// Reads a word [`ModeKind::as_str`] wrote (a record, a stored setting), exactly: a word
    /// vimage never writes is refused, not guessed at.
    pub fn parse(s: &str) -> Result<ModeKind, Invalid> {
        ModeKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| Invalid(format!("unknown NIC mode {s:?}")))
    }

    /// Reads the `mode=` key's value (`vimage bridge`, the wizard): `epair`, `netgraph` or
    /// its short form `ng`. Passthrough is asked for with `vnets=`, never with `mode=`.
    pub fn parse_key(s: &str) -> Option<ModeKind> {
        match s {
            "ng" => Some(ModeKind::Netgraph),
            _ => ModeKind::parse(s).ok().filter(|k| *k != ModeKind::Passthrough),
        }
    }
}

impl fmt::Display for ModeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What runs inside a jail. It decides whether vimage may run FreeBSD's own tools in the jail
/// (`jexec <jid> dhclient`, `jexec <jid> route`), rename its interfaces (a Linux userland's
/// programs see the Linux ABI's names, not FreeBSD's) and write its `/etc/rc.conf` (a file
/// only FreeBSD's rc reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Userland {
    /// FreeBSD's userland: everything vimage does inside the jail works.
    FreeBsd,
    /// A Linux userland under FreeBSD's Linux ABI (CBSD's Debian, Ubuntu … jails): vimage
    /// configures it from the host only.
    Linux,
}

impl Userland {
    /// `freebsd` or `linux`, as `vimage set userland=` and `status` spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Userland::FreeBsd => "freebsd",
            Userland::Linux => "linux",
        }
    }

    /// Reads `freebsd` or `linux` (any case).
    pub fn parse(s: &str) -> Result<Userland, Invalid> {
        match s.to_ascii_lowercase().as_str() {
            "freebsd" => Ok(Userland::FreeBsd),
            "linux" => Ok(Userland::Linux),
            _ => Err(Invalid(format!("userland {s:?}: use freebsd or linux"))),
        }
    }
}

impl fmt::Display for Userland {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One interface the jail should have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicSpec {
    /// Position among the jail's NICs; part of the MAC hash and the records' key, so it must
    /// be stable: epair NICs first, then netgraph ones, then passed-through ones.
    pub index: u32,
    /// The name inside the jail (`eth0`, `ng0_web1`, `em1`); also how vimage's markers,
    /// records and `ip4_addr=eth0#…` name the NIC.
    pub name: IfName,
    /// The admin chose `name` (`ifname=`, `vimage set ifname=`, `vimage_NAME_ifnames`), so a
    /// Linux userland's NIC is renamed to it too; otherwise such a NIC keeps the name the
    /// kernel gave it (`epair7b`).
    #[serde(default)]
    pub name_given: bool,
    /// How it gets there.
    pub mode: NicMode,
    /// A MAC the admin or CBSD fixed; `None` lets vimage generate and remember one (unused for
    /// passthrough: a physical interface keeps its own).
    pub mac: Option<Mac>,
    /// Its addresses (from `ip4_addr`); empty: vimage leaves its addresses alone.
    #[serde(default)]
    pub addrs: NicAddrs,
    /// Its VLANs (`vlan=`, `vlan_untagged=`, `vlan_tagged=`); empty: none.
    #[serde(default)]
    pub vlan: NicVlan,
}

/// What, beyond its NICs, a jail's network needs: default routers, the devfs ruleset that lets
/// DHCP work, and where its rc.conf is. Kept apart from the NIC list so callers that only
/// wire interfaces (tests, `JailNet::epairs`) need not know about it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Addressing {
    /// CBSD's `ci_gw4`.
    pub gateway: Gateway,
    /// A devfs ruleset number the admin chose (`devfs_ruleset=`); `None` lets vimage pick one
    /// when a NIC uses DHCP.
    pub devfs_ruleset: Option<u16>,
    /// The jail's rc.conf, when not `<jail path>/etc/rc.conf` under `VIMAGE_ROOT`; a real
    /// path, used as given.
    pub rcconf: Option<std::path::PathBuf>,
}

impl NicSpec {
    /// The private network this NIC joins (`interface=net:jails`), if any.
    pub fn network(&self) -> Option<&NetName> {
        match self.uplink() {
            Some(Uplink::Net(n)) => Some(n),
            _ => None,
        }
    }

    /// The uplink of an epair or netgraph NIC.
    pub fn uplink(&self) -> Option<&Uplink> {
        match &self.mode {
            NicMode::Epair { uplink } | NicMode::Netgraph { uplink } => Some(uplink),
            NicMode::Passthrough { .. } => None,
        }
    }
}

/// The desired network of one jail: what every source of configuration (command line, CBSD
/// database, rc.conf) is turned into, so a single planner serves them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailNet {
    /// The jail whose network this is.
    pub jail: JailName,
    /// Its interfaces, in index order.
    pub nics: Vec<NicSpec>,
    /// Addresses, routers, devfs ruleset and rc.conf (`ip4_addr`, `ci_gw4`, ...).
    #[serde(default)]
    pub addressing: Addressing,
    /// Move passthrough interfaces even when that cuts the host off (`force=1`).
    #[serde(default)]
    pub force: bool,
    /// The jail's userland as the admin set it (`vimage set userland=`, `vimage_NAME_userland`);
    /// `None` lets vimage read it from the jail's `/bin/sh`.
    #[serde(default)]
    pub userland: Option<Userland>,
}

impl JailNet {
    /// The usual shape: NIC i is named `eth<i>` and bridged by epair to the i-th uplink.
    pub fn epairs(jail: JailName, uplinks: &[Uplink]) -> JailNet {
        let nics = uplinks
            .iter()
            .enumerate()
            .map(|(i, u)| NicSpec {
                index: i as u32,
                name: default_name(i),
                name_given: false,
                mode: NicMode::Epair { uplink: u.clone() },
                mac: None,
                addrs: Default::default(),
                vlan: NicVlan::default(),
            })
            .collect();
        JailNet { jail, nics, addressing: Addressing::default(), force: false, userland: None }
    }

    /// True when some NIC gets its address by DHCP, so the jail needs bpf in its /dev.
    pub fn wants_dhcp(&self) -> bool {
        self.nics.iter().any(|n| n.addrs.wants_dhcp())
    }

    /// True when vimage must set up its devfs ruleset for this jail.
    pub fn wants_devfs(&self) -> bool {
        self.wants_dhcp() || self.addressing.devfs_ruleset.is_some()
    }

    /// True when vimage manages some address, router or rc.conf line of this jail.
    pub fn manages_addresses(&self) -> bool {
        self.nics.iter().any(|n| !n.addrs.is_empty())
            || self.addressing.gateway != Gateway::Unmanaged
            || self.uses_networks()
    }

    /// True when some NIC joins a private network: it gets a pool address and the network's
    /// gateway as its router, so vimage manages its addresses.
    pub fn uses_networks(&self) -> bool {
        self.nics.iter().any(|n| n.network().is_some())
    }

    /// Appends one netgraph NIC per entry of `uplinks` (the original vimage's
    /// `vimage_NAME_bridges`), named `ng<i>_<jail>` with `i` counting netgraph NICs from 0.
    pub fn add_netgraph(&mut self, uplinks: &[Uplink]) {
        for (i, u) in uplinks.iter().enumerate() {
            let index = self.nics.len() as u32;
            let name = ng_ifname(&self.jail, i as u32, 0);
            self.nics.push(NicSpec {
                index,
                name,
                name_given: false,
                mode: NicMode::Netgraph { uplink: u.clone() },
                mac: None,
                addrs: Default::default(),
                vlan: NicVlan::default(),
            });
        }
    }

    /// Appends one passthrough NIC per physical interface (`vimage_NAME_vnets`); each keeps its
    /// name in the jail.
    pub fn add_passthrough(&mut self, ifaces: &[IfName]) {
        for f in ifaces {
            let index = self.nics.len() as u32;
            self.nics.push(NicSpec {
                index,
                name: f.clone(),
                name_given: false,
                mode: NicMode::Passthrough { iface: f.clone() },
                mac: None,
                addrs: Default::default(),
                vlan: NicVlan::default(),
            });
        }
    }
}

//! What the planner knows about the host: kernel facts, the jail, interfaces, and vimage's
//! records, gathered before any change (see [`gather`]).
//!
//! The planner reads a [`HostView`] and nothing else, so it can be tested with hand-built
//! views and never touches the kernel.

pub mod devfs;
pub mod gather;
pub mod pf;
pub mod privnet;
pub mod query;
pub mod rebuild;
pub mod userland;

use crate::model::{JailName, Mac};
use crate::parse::ifconfig::IfStatus;
use crate::state::{Attachment, BridgeRec, DevfsUser};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Kernel-wide facts from one `sysctl` call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelFacts {
    /// `kern.features.vimage` is present: jails can have their own network stack.
    pub vimage: bool,
    /// `kern.hostuuid`: the host identity in every generated MAC.
    pub hostuuid: String,
    /// `kern.osreldate`: selects `ifconfig -j` (14.0+) and 15.x bridge rules.
    pub osreldate: u32,
    /// `kern.boottime` seconds: records from another boot describe objects that are gone.
    pub boottime: i64,
    /// `net.link.bridge.member_ifaddrs` (FreeBSD 15+): may a bridge member hold an address.
    pub bridge_member_ifaddrs: Option<bool>,
}

impl KernelFacts {
    /// `ifconfig -j` exists from FreeBSD 14.0 on; older releases need `jexec J ifconfig`.
    pub fn has_ifconfig_j(&self) -> bool {
        self.osreldate >= 1_400_000
    }
}

/// A jail as `jls` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JailInfo {
    /// The jail instance's ID: ops address the jail by it, so a restarted jail is never mistaken
    /// for the planned one.
    pub jid: u32,
    /// The jail's name, which vimage's records and markers use.
    pub name: String,
    /// Has its own vnet (`vnet=new`).
    pub vnet: bool,
    /// The jail is being removed (`jls -d`): it counts as not running and gets no new NICs.
    pub dying: bool,
    /// Its root directory, where its /dev and rc.conf are.
    pub path: String,
    /// The `devfs_ruleset` jail parameter (0: none set).
    pub devfs_ruleset: u16,
}

impl JailInfo {
    /// The jail's devfs mount point, as `devfs -m` takes it.
    pub fn dev_mount(&self) -> String {
        format!("{}/dev", self.path.trim_end_matches('/'))
    }

    /// The ruleset the jail's /dev was mounted with: its `devfs_ruleset`, or jail(8)'s
    /// default for `mount.devfs`, 4, when the parameter is 0 (jail(8): "or a default of
    /// ruleset 4").
    pub fn effective_devfs_ruleset(&self) -> u16 {
        JailInfo::effective(self.devfs_ruleset)
    }

    /// The ruleset jail(8)'s mount.devfs gives a /dev for `devfs_ruleset` parameter `param`.
    pub fn effective(param: u16) -> u16 {
        if param == 0 { 4 } else { param }
    }
}

/// What vimage knows about devfs rulesets: the two rules files, the kernel's loaded sets and
/// its own records. Gathered only when a jail needs vimage's ruleset (or leaves it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevfsFacts {
    /// `/etc/defaults/devfs.rules` (`None`: unreadable, FreeBSD's stock numbers are assumed).
    pub defaults: Option<String>,
    /// `/etc/devfs.rules` (`None`: the file does not exist yet, or cannot be read).
    pub rules: Option<String>,
    /// Why `/etc/devfs.rules` cannot be read (not UTF-8 text, no permission), when it cannot:
    /// a setup that would edit it is refused, a teardown reports it after its kernel part.
    pub rules_error: Option<String>,
    /// `devfs rule showsets`.
    pub loaded: BTreeSet<u16>,
    /// `devfs rule -s N show`, for the loaded numbers vimage may own.
    pub shown: BTreeMap<u16, Vec<String>>,
    /// Every jail recorded as using vimage's ruleset.
    pub users: Vec<DevfsUser>,
}

/// The jail's rc.conf: where it is and what it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RcConfFacts {
    /// The file itself (under `VIMAGE_ROOT`, or the `rcconf=` path).
    pub path: PathBuf,
    /// How messages name it: the jail's view or the path given.
    pub shown: String,
    /// Its text; `None` when it does not exist yet.
    pub text: Option<String>,
}

/// A default route as `route -n get` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteFact {
    /// `gateway:` (an IPv6 link-local one with `%scope`).
    pub gateway: String,
    /// `interface:`, so a route through an interface being replaced counts as gone.
    pub interface: String,
}

/// Everything [`crate::plan`] needs to decide, for one jail.
#[derive(Debug, Clone, Default)]
pub struct HostView {
    /// Kernel-wide facts: release, host UUID, boot time.
    pub kernel: KernelFacts,
    /// The target jail, or `None` when jls does not know it.
    pub jail: Option<JailInfo>,
    /// Interfaces inside the jail's vnet (empty when it is not running or has no vnet).
    pub jail_ifaces: Vec<IfStatus>,
    /// Host interfaces vimage looked at: every interface outside group `vimage`, plus
    /// vimage's own ones that were queried by name or by a full scan.
    pub host_ifaces: BTreeMap<String, IfStatus>,
    /// The interface that holds the default route, when one was needed and exists.
    pub default_if: Option<String>,
    /// vimage's records of this jail's NICs, valid for this boot.
    pub attachments: Vec<Attachment>,
    /// Bridges vimage created or uses, valid for this boot.
    pub bridges: Vec<BridgeRec>,
    /// MACs stored for this jail's NICs, by NIC index.
    pub stored_macs: BTreeMap<u32, Mac>,
    /// MACs anyone else holds: host interfaces, the jail's own, and vimage's records of other
    /// jails (only the ones relevant to this plan's candidates are guaranteed present).
    pub taken_macs: BTreeMap<Mac, String>,
    /// vimage runs as a CBSD module (`workdir` is set), so CBSD is told the devfs ruleset.
    pub cbsd: bool,
    /// devfs facts, when the plan involves vimage's ruleset.
    pub devfs: Option<DevfsFacts>,
    /// The jail's rc.conf, when vimage manages its addresses.
    pub rcconf: Option<RcConfFacts>,
    /// The gateway of the host's default route (for `ci_gw4=auto`).
    pub host_gateway: Option<String>,
    /// The jail's IPv4 default route, when vimage manages its routers.
    pub jail_route4: Option<RouteFact>,
    /// The jail's IPv6 default route, when vimage manages its routers.
    pub jail_route6: Option<RouteFact>,
    /// Netgraph state of the uplinks that have no recorded vimage ng_bridge yet, by uplink
    /// (one `ngctl -f -` query each).
    pub ng_uplinks: BTreeMap<String, NgUplink>,
    /// `kldstat -q -m ng_ether`, asked only when an uplink has no ng_ether node: `Some(false)`
    /// lets the planner load the module itself (FreeBSD never loads it on demand).
    pub ng_ether_loaded: Option<bool>,
    /// The lowest free `link<N>` numbers of each recorded ng_bridge this plan uses, as many as
    /// it has NICs there (from the records, see [`crate::state::StateDb::ng_free_links`]).
    pub ng_free_links: BTreeMap<String, Vec<u32>>,
    /// Candidate netgraph node names of this jail that another jail's NIC already has, with
    /// that jail (from the records).
    pub ng_names_taken: BTreeMap<String, String>,
    /// Teardown: how many other jails' records use each bridge this jail's records name.
    pub bridge_users: BTreeMap<String, u64>,
    /// The jail's userland (FreeBSD unless its /bin/sh or the admin says Linux): whether
    /// vimage may run FreeBSD's tools inside it, rename its NICs and write its rc.conf.
    pub userland: userland::UserlandFact,
    /// Whether route(8) takes `-j` (FreeBSD 15.0 on), learned when a Linux-userland jail's
    /// routes were read with `route -j <jid>`; `None` when that was not needed.
    pub route_j: Option<bool>,
    /// CBSD's VPCs the NICs name as uplink (`vpc-NAME`, under CBSD only), by that uplink: the
    /// planner joins the VPC's bridge, or refuses when CBSD's VPC or its bridge is missing.
    pub vpcs: BTreeMap<String, crate::cbsd::vpc::VpcFact>,
    /// The private networks this jail's NICs join (`interface=net:NAME`), by name.
    pub networks: BTreeMap<String, privnet::NetFacts>,
    /// Addresses held on the host outside vimage's group (no pool gives one of them).
    pub host_addrs: BTreeSet<std::net::Ipv4Addr>,
    /// The jail's resolv.conf and the host's name servers, for a jail on a private network.
    pub resolv: Option<privnet::ResolvFacts>,
}

/// A peer across a hook, as `ngctl show` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgPeer {
    /// The peer node's name (`<unnamed>` as ngctl prints it), for messages.
    pub name: String,
    /// The peer's node type: tells vimage's own ng_bridge from a foreign user of the hook.
    pub type_name: String,
    /// The peer's node ID.
    pub id: u32,
    /// The peer's hook on the other side of this one.
    pub peer_hook: String,
}

/// An uplink's ng_ether node as one `ngctl -f -` query found it: `show NODE:`, then its
/// `getpromisc` and `getautosrc`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NgUplink {
    /// The node's name (the interface name with `.` and `:` as `_`).
    pub node: String,
    /// False when there is no such node (ng_ether not loaded, or not an Ethernet interface).
    pub exists: bool,
    /// Hook name → peer, for the hooks that are connected.
    pub hooks: BTreeMap<String, NgPeer>,
    /// `getpromisc`: the interface is in promiscuous mode for netgraph; recorded so it is restored
    /// when vimage's bridge goes.
    pub promisc: bool,
    /// `getautosrc`: ng_ether overwrites outgoing source MACs; recorded so it is restored when
    /// vimage's bridge goes.
    pub autosrc: bool,
}

impl HostView {
    /// The target jail name is needed for messages even when jls did not find it.
    pub fn jail_iface(&self, name: &str) -> Option<&IfStatus> {
        self.jail_ifaces.iter().find(|i| i.name == name)
    }

    /// A host interface by name, if vimage looked at it.
    pub fn host_iface(&self, name: &str) -> Option<&IfStatus> {
        self.host_ifaces.get(name)
    }

    /// True when `st` is a host-side epair end that carries jail `jail`'s marker (made by
    /// vimage, or CBSD's and taken over: [`crate::naming::epair_mark`]).
    pub fn is_ours_for(st: &IfStatus, jail: &JailName) -> bool {
        crate::naming::epair_mark(st).is_some_and(|m| m.jail() == jail.as_str())
    }
}

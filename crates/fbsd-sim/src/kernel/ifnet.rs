//! The ifnet: one network interface as the simulated kernel keeps it.

use super::ifcfg::{LaggCfg, MemberCfg, RtEntry, VlanCfg};
use super::types::{IfAddr, IfId, Mac, VnetId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `IFNAMSIZ` (net/if.h): names are at most 15 bytes plus the NUL.
pub const IFNAMSIZ: usize = 16;
/// `IF_MAXUNIT` (net/if.h): the largest unit number a cloner hands out.
pub const IF_MAXUNIT: u32 = 0x7fff;
/// `if_index` is 16 bits wide in `struct ifnet`.
pub const IF_MAXINDEX: u32 = 0xffff;

/// `IFF_*` bits (net/if.h) as printed in the `flags=` line.
pub mod iff {
    /// `IFF_UP`: administratively up.
    pub const UP: u32 = 0x1;
    /// `IFF_BROADCAST`: the broadcast address is valid.
    pub const BROADCAST: u32 = 0x2;
    /// `IFF_DEBUG`: `ifconfig debug`.
    pub const DEBUG: u32 = 0x4;
    /// `IFF_LOOPBACK`: lo(4).
    pub const LOOPBACK: u32 = 0x8;
    /// `IFF_DRV_RUNNING`: the driver is ready; set together with UP.
    pub const RUNNING: u32 = 0x40;
    /// `IFF_NOARP`: `ifconfig -arp`.
    pub const NOARP: u32 = 0x80;
    /// `IFF_PROMISC`: receives every frame (a bridge member, an ng_ether with `setpromisc 1`).
    pub const PROMISC: u32 = 0x100;
    /// `IFF_SIMPLEX`: does not hear its own transmissions.
    pub const SIMPLEX: u32 = 0x800;
    /// `IFF_LINK0`: driver-defined, `ifconfig link0`.
    pub const LINK0: u32 = 0x1000;
    /// `IFF_LINK1`: driver-defined, `ifconfig link1`.
    pub const LINK1: u32 = 0x2000;
    /// `IFF_LINK2`: driver-defined, `ifconfig link2`.
    pub const LINK2: u32 = 0x4000;
    /// `IFF_MULTICAST`: supports multicast.
    pub const MULTICAST: u32 = 0x8000;
    /// `IFF_PPROMISC`: promiscuous mode the admin asked for (`ifconfig promisc`).
    pub const PPROMISC: u32 = 0x20000;
    /// `IFF_MONITOR`: `ifconfig monitor`.
    pub const MONITOR: u32 = 0x40000;
    /// `IFF_STATICARP`: `ifconfig staticarp`.
    pub const STATICARP: u32 = 0x80000;
    /// `IFF_NETLINK_1`, printed `LOWER_UP` by ifconfig 14+: the link is up.
    pub const LOWER_UP: u32 = 0x100_0000;
    /// Bits `ifconfig` may set or clear with a keyword (everything but UP, which has its own
    /// operation because moves and address changes touch it too).
    pub const USER_SETTABLE: u32 = DEBUG | NOARP | LINK0 | LINK1 | LINK2 | PPROMISC | MONITOR | STATICARP;
}

/// `ND6_IFF_*` bits (netinet6/nd6.h) for the `nd6 options=` line.
pub mod nd6 {
    /// `ND6_IFF_PERFORMNUD`: neighbour unreachability detection.
    pub const PERFORMNUD: u32 = 0x1;
    /// `ND6_IFF_ACCEPT_RTADV`: accept router advertisements (SLAAC), which vimage turns on.
    pub const ACCEPT_RTADV: u32 = 0x2;
    /// `ND6_IFF_IFDISABLED`: IPv6 is off on the interface until `-ifdisabled`.
    pub const IFDISABLED: u32 = 0x8;
    /// `ND6_IFF_AUTO_LINKLOCAL`: a link-local address is configured automatically.
    pub const AUTO_LINKLOCAL: u32 = 0x20;
    /// `ND6_IFF_NO_RADR`: router advertisements install no default router.
    pub const NO_RADR: u32 = 0x40;
    /// `ND6_IFF_NO_DAD`: no duplicate address detection.
    pub const NO_DAD: u32 = 0x100;
}

/// What kind of device an ifnet is; decides which operations apply to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IfKind {
    /// lo(4).
    Loopback,
    /// A physical Ethernet NIC (em, igb, vtnet, …): not cloned, always at home in vnet0.
    Ether,
    /// One end of an epair(4); `peer` is the other end.
    Epair {
        /// The other end, destroyed together with this one.
        peer: IfId,
    },
    /// An if_bridge(4).
    Bridge(Bridge),
    /// The ifnet of an ng_eiface(4) node (`node`, in the graph of the ifnet's home vnet);
    /// `link` is LINK_STATE_UP while the node's `ether` hook is connected.
    Eiface {
        /// The ng_eiface node that owns this ifnet.
        node: u32,
        /// Link state: the node's `ether` hook is connected.
        link: bool,
    },
    /// A vlan(4) interface (IFT_L2VLAN).
    Vlan(VlanCfg),
    /// A lagg(4) interface (IFT_ETHER, `groups: lagg`).
    Lagg(LaggCfg),
}

/// Members of a bridge, keyed by the order they joined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bridge {
    /// seq → member. The newest member has the largest seq and is printed first
    /// (`CK_LIST_INSERT_HEAD` in if_bridge.c).
    pub members: BTreeMap<u64, IfId>,
    /// The sequence number the next member gets.
    pub next_seq: u64,
    /// Per-member settings (`struct bridge_iflist`: flags, PVID, VLAN set), by join seq; a
    /// member without an entry has the defaults of `bridge_ioctl_add`.
    #[serde(default)]
    pub cfg: BTreeMap<u64, MemberCfg>,
    /// `sc_flags` (15.x): IFBRF_VLANFILTER, IFBRF_DEFQINQ.
    #[serde(default)]
    pub flags: u32,
    /// `sc_defpvid` (15.x `defuntagged`): the PVID new members get.
    #[serde(default)]
    pub defpvid: u16,
    /// Span ports (`span IF`): copies of all traffic, not members.
    #[serde(default)]
    pub span: Vec<IfId>,
    /// Static address-cache entries (`static IF MAC [vlan N]`); learned ones are not modelled.
    #[serde(default)]
    pub rt: Vec<RtEntry>,
}

/// One interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ifnet {
    /// The current name (renames change it; the unit stays).
    pub name: String,
    /// Driver name (`if_dname`): epair, bridge, lo, em…; finds the cloner on destroy.
    pub dname: String,
    /// Cloner unit, held until destroy even when the interface is renamed.
    pub unit: Option<u32>,
    /// What device it is, which decides the operations that apply.
    pub kind: IfKind,
    /// Where the ifnet was created (`if_home_vnet`); it returns there when a jail dies.
    pub home: VnetId,
    /// The vnet it is in now (moved by `vnet`/`-vnet`).
    pub vnet: VnetId,
    /// `if_index`: from 14.x one global number kept across vnet moves (sys/net/if.c
    /// `ifindex_table`, `if_vmove` does not touch it); on 13.x a number of its current vnet's
    /// `V_ifindex_table`, taken anew by every move. Printed as bridge `port`, `scopeid`,
    /// ng_ether `getifindex`.
    pub index: u32,
    /// Position in its vnet's interface list (`V_ifnet`); larger is later.
    #[serde(default)]
    pub link_seq: u64,
    /// `IFF_UP` (with RUNNING), kept apart because moves and addresses change it.
    pub up: bool,
    /// Other `IFF_*` bits set with ifconfig keywords (debug, promisc, link0…).
    pub xflags: u32,
    /// `ifconfig metric`, printed on the flags line.
    pub metric: i32,
    /// The MTU (`ifconfig mtu`), which vimage copies from the uplink to each NIC.
    pub mtu: u32,
    /// The current link-level address (`ether` line), settable with `ether`.
    pub mac: Option<Mac>,
    /// The address the driver read at attach time (`hwaddr` line when it differs).
    pub hwaddr: Option<Mac>,
    /// `description`: where vimage writes its ownership marker.
    pub descr: Option<String>,
    /// Groups in the order joined (the implicit `all` is not stored).
    pub groups: Vec<String>,
    /// Protocol addresses, in the order they were added.
    pub addrs: Vec<IfAddr>,
    /// Capabilities enabled (`options=`) and those the driver supports.
    pub caps: u32,
    /// Capabilities the driver supports: only these can be enabled.
    pub caps_supported: u32,
    /// `ND6_IFF_*` bits ([`nd6`]): whether IPv6 is enabled and autoconfigured.
    pub nd6: u32,
    /// Bridge this ifnet is a member of, with its join sequence number there.
    pub bridge: Option<(IfId, u64)>,
    /// Its ng_ether node (`IFP2NG`), in the graph of the vnet the ifnet is in.
    #[serde(default)]
    pub ng_ether: Option<u32>,
    /// Promiscuous mode asked for by the ng_ether node (`setpromisc 1` → `ifpromisc`).
    #[serde(default)]
    pub ng_promisc: bool,
    /// The lagg(4) this interface is a port of (`if_lagg`).
    #[serde(default)]
    pub lagg: Option<IfId>,
    /// `ifconfig pcp N` (`if_pcp`, SIOCSLANPCP): the 802.1p priority of untagged frames.
    #[serde(default)]
    pub pcp: Option<u8>,
}

impl Ifnet {
    /// True for interfaces an if_bridge accepts as members (IFT_ETHER/L2VLAN/GIF).
    pub fn is_ethernet(&self) -> bool {
        matches!(
            self.kind,
            IfKind::Ether | IfKind::Epair { .. } | IfKind::Eiface { .. } | IfKind::Vlan(_) | IfKind::Lagg(_)
        )
    }

    /// True for IFT_ETHER interfaces (NICs, epair, ng_eiface, lagg): what ng_ether makes
    /// nodes for besides IFT_L2VLAN, and what a lagg takes as a port.
    pub fn is_ift_ether(&self) -> bool {
        matches!(self.kind, IfKind::Ether | IfKind::Epair { .. } | IfKind::Eiface { .. } | IfKind::Lagg(_))
    }

    /// True for interfaces with a 6-byte link-level address (SIOCSIFLLADDR applies).
    pub fn has_lladdr(&self) -> bool {
        self.mac.is_some()
    }

    /// The other end of an epair.
    pub fn peer(&self) -> Option<IfId> {
        match self.kind {
            IfKind::Epair { peer } => Some(peer),
            _ => None,
        }
    }

    /// The bridge state when this is a bridge.
    pub fn bridge_state(&self) -> Option<&Bridge> {
        match &self.kind {
            IfKind::Bridge(b) => Some(b),
            _ => None,
        }
    }

    /// Media speed in Mbit/s, for the bridge member path cost (bstp_calc_path_cost).
    pub fn speed_mbps(&self) -> Option<u64> {
        match self.kind {
            IfKind::Epair { .. } => Some(10_000),
            IfKind::Ether | IfKind::Eiface { .. } => Some(1_000),
            _ => None,
        }
    }

    /// Link state as the driver reports it (LOWER_UP), before aggregation over other
    /// interfaces (bridge members, a vlan's parent, lagg ports: the kernel table knows those).
    fn link_up(&self) -> bool {
        match self.kind {
            IfKind::Epair { .. } | IfKind::Ether => true,
            IfKind::Loopback => self.up,
            IfKind::Bridge(_) | IfKind::Vlan(_) | IfKind::Lagg(_) => false,
            IfKind::Eiface { link, .. } => link,
        }
    }

    /// `IFF_DRV_RUNNING` as ifconfig shows it: epair sets it at creation, a vlan while it has
    /// a parent (`vlan_config`), the others when UP.
    pub fn running(&self) -> bool {
        match &self.kind {
            IfKind::Epair { .. } => true,
            IfKind::Vlan(v) => v.parent.is_some(),
            _ => self.up,
        }
    }

    /// The `flags=` word; `agg_link` is the link of a bridge, vlan or lagg as the kernel
    /// derives it from the interfaces under it (only the kernel table can tell, so the caller
    /// passes it).
    pub fn flags(&self, agg_link: bool) -> u32 {
        let mut f = match self.kind {
            IfKind::Loopback => iff::LOOPBACK | iff::MULTICAST,
            _ => iff::BROADCAST | iff::SIMPLEX | iff::MULTICAST,
        };
        if self.up {
            f |= iff::UP;
        }
        if self.running() {
            f |= iff::RUNNING;
        }
        let link = match self.kind {
            IfKind::Bridge(_) | IfKind::Vlan(_) | IfKind::Lagg(_) => agg_link,
            _ => self.link_up(),
        };
        if link {
            f |= iff::LOWER_UP;
        }
        if self.bridge.is_some() || self.xflags & iff::PPROMISC != 0 || self.ng_promisc {
            f |= iff::PROMISC;
        }
        f | self.xflags
    }

    /// True when the driver reports link (members count for a bridge's own link).
    pub fn has_link(&self) -> bool {
        self.link_up()
    }
}

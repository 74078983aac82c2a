//! A network stack (vnet): its interface namespace, `if_index` space, cloner units, routes
//! and per-vnet sysctls. The host has vnet0; every `vnet=new` jail has its own.

use super::types::{IfId, NumAlloc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The default route of a vnet (`route add default GW`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRoute {
    /// The router.
    pub gateway: Ipv4Addr,
    /// The interface the router is reached through; the route goes with it.
    pub ifp: IfId,
}

/// The IPv6 default route of a vnet (`route add -inet6 default GW`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRoute6 {
    /// The router.
    pub gateway: Ipv6Addr,
    /// The interface named after `%` in a link-local gateway.
    pub scope: Option<String>,
    /// The interface the router is reached through; the route goes with it.
    pub ifp: IfId,
}

/// One network stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vnet {
    /// The jail that owns this vnet; `None` for the host.
    pub owner: Option<u32>,
    /// Name → ifnets with that name, in list order (`ifunit` walks `V_ifnet` and takes the
    /// first). More than one only after a jail's death returned an interface whose name was
    /// taken meanwhile (if.c does not check).
    pub names: HashMap<String, Vec<IfId>>,
    /// Link sequence → ifnet: the vnet's `V_ifnet` list. sys/net/if.c `if_link_ifnet` appends
    /// (`CK_STAILQ_INSERT_TAIL`), so a new or returning interface is listed last by `ifconfig`.
    pub by_link: BTreeMap<u64, IfId>,
    /// Hands out `if_index` values, lowest free first, on 13.x, where every vnet has its own
    /// `V_ifindex_table` (14.x has one global table: `Kernel`'s).
    pub index_alloc: NumAlloc,
    /// Cloner name (`epair`, `bridge`, `lo`) → unit allocator. Units are per vnet
    /// (`VNET_DEFINE_STATIC(struct if_clone *, epair_cloner)`).
    pub units: BTreeMap<String, NumAlloc>,
    /// The IPv4 default route, what `route -n get default` reports.
    pub default_route: Option<DefaultRoute>,
    #[serde(default)]
    /// The IPv6 default route.
    pub default_route6: Option<DefaultRoute6>,
    /// Interfaces created in this vnet (`if_home_vnet`), wherever they are now: they die
    /// with it.
    pub homed: BTreeSet<IfId>,
    /// Per-vnet integer sysctls (`net.inet.ip.forwarding`, `net.link.bridge.*`).
    pub sysctls: BTreeMap<String, i64>,
    /// This vnet's netgraph: nodes, names, IDs and hooks are per vnet (ng_base.c `V_ng_*`).
    #[serde(default)]
    pub netgraph: super::netgraph::Graph,
    /// Which interface a connected prefix (`net/len`) routes through: the first to get an
    /// address in it (in.c `in_addprefix` adds no second prefix route for another interface).
    #[serde(default)]
    pub prefix_owner: BTreeMap<String, super::types::IfId>,
    /// This vnet's pf (pf_ioctl.c keeps its status and rulesets per vnet).
    #[serde(default)]
    pub pf: super::pf::Pf,
}

impl Vnet {
    /// An empty stack; the caller attaches its lo0.
    pub fn new(owner: Option<u32>) -> Vnet {
        let mut sysctls = BTreeMap::new();
        for (k, v) in DEFAULT_VNET_SYSCTLS {
            sysctls.insert(k.to_string(), *v);
        }
        Vnet {
            owner,
            names: HashMap::new(),
            by_link: BTreeMap::new(),
            index_alloc: NumAlloc::starting_at(1),
            units: BTreeMap::new(),
            default_route: None,
            default_route6: None,
            homed: BTreeSet::new(),
            sysctls,
            netgraph: super::netgraph::Graph::default(),
            prefix_owner: BTreeMap::new(),
            pf: super::pf::Pf::default(),
        }
    }

    /// `ifunit()`: the first interface in list order with this name.
    pub fn lookup(&self, name: &str) -> Option<IfId> {
        self.names.get(name).and_then(|v| v.first().copied())
    }

    /// Adds `id` (at list position `seq`) under `name`, keeping list order.
    pub fn index_name(&mut self, name: &str, id: IfId, seq: u64, seq_of: impl Fn(IfId) -> u64) {
        let v = self.names.entry(name.to_string()).or_default();
        let pos = v.iter().position(|&o| seq_of(o) > seq).unwrap_or(v.len());
        v.insert(pos, id);
    }

    /// Removes `id` from under `name`.
    pub fn unindex_name(&mut self, name: &str, id: IfId) {
        if let Some(v) = self.names.get_mut(name) {
            v.retain(|&o| o != id);
            if v.is_empty() {
                self.names.remove(name);
            }
        }
    }
}

/// Per-vnet sysctls every stack starts with (defaults of FreeBSD 14; `net.link.bridge.*`
/// exist only while if_bridge is loaded, `member_ifaddrs` only on 15.x — the sysctl layer
/// hides them otherwise).
pub const DEFAULT_VNET_SYSCTLS: &[(&str, i64)] = &[
    ("net.inet.ip.forwarding", 0),
    ("net.inet6.ip6.forwarding", 0),
    ("net.link.bridge.allow_llz_overlap", 0),
    ("net.link.bridge.inherit_mac", 0),
    ("net.link.bridge.ipfw", 0),
    ("net.link.bridge.ipfw_arp", 0),
    ("net.link.bridge.log_stp", 0),
    ("net.link.bridge.member_ifaddrs", 0),
    ("net.link.bridge.pfil_bridge", 1),
    ("net.link.bridge.pfil_local_phys", 0),
    ("net.link.bridge.pfil_member", 1),
    ("net.link.bridge.pfil_onlyip", 1),
];

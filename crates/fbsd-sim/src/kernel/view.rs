//! Read-only views of the kernel for tests and the `fbsd-sim sim snapshot` command: one
//! interface ([`IfView`]) and the whole observable state ([`Snapshot`]).

use super::Kernel;
use super::cred::Ctx;
use super::types::{IfId, VnetId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An owned copy of one interface's observable state, so tests can assert on it without
/// borrowing the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IfView {
    /// Current name.
    pub name: String,
    /// IFF_UP.
    pub up: bool,
    /// MTU.
    pub mtu: u32,
    /// Link-level address, `xx:xx:xx:xx:xx:xx`.
    pub mac: Option<String>,
    /// `ifconfig … description` text.
    pub description: Option<String>,
    /// Interface groups in the order joined (`all` omitted).
    pub groups: Vec<String>,
    /// Bridge members by current name, newest first (empty unless a bridge).
    pub members: Vec<String>,
    /// `addr/prefix`, in the order the interface has them.
    pub addrs: Vec<String>,
    /// The other end of an epair, by its current name (wherever it is).
    pub peer: Option<String>,
    /// True when the interface was created in (or belongs to) the host's vnet.
    pub home_is_host: bool,
    /// The `IFF_*` bits set with ifconfig words (`promisc` is `IFF_PPROMISC`, 0x20000), apart
    /// from those the kernel derives (UP, RUNNING, a bridge member's PROMISC).
    #[serde(default)]
    pub xflags: u32,
    /// The capabilities enabled (`options=`, `IFCAP_*`: TXCSUM 0x2, TSO4 0x100, LRO 0x400, …).
    #[serde(default)]
    pub caps: u32,
}

/// One interface in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IfSnap {
    /// `host` or the name of the jail whose vnet holds it.
    pub vnet: String,
    /// Current name.
    pub name: String,
    /// `host` or the jail the interface was created in.
    pub home: String,
    /// IFF_UP.
    pub up: bool,
    /// MTU.
    pub mtu: u32,
    /// Link-level address.
    pub mac: Option<String>,
    /// Description text.
    pub description: Option<String>,
    /// Sorted: membership, not order, is state.
    pub groups: Vec<String>,
    /// Sorted member names.
    pub members: Vec<String>,
    /// `addr/prefix`, in the interface's order (the first IPv4 one is the primary).
    pub addrs: Vec<String>,
    /// Epair peer as (vnet label, name).
    pub peer: Option<(String, String)>,
    /// `IFF_*` bits set with ifconfig words ([`IfView::xflags`]): an admin's or vimage's
    /// `promisc` is state a teardown must give back.
    #[serde(default)]
    pub xflags: u32,
    /// Enabled capabilities ([`IfView::caps`]), which `-txcsum`, `-tso` … change.
    #[serde(default)]
    pub caps: u32,
}

/// One jail in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JailSnap {
    /// JID.
    pub jid: u32,
    /// Name.
    pub name: String,
    /// Root path.
    pub path: String,
    /// `host.hostname`.
    pub hostname: String,
    /// True for `vnet=new`.
    pub vnet: bool,
    /// The `persist` parameter.
    pub persist: bool,
    /// Removed but still referenced.
    pub dying: bool,
    /// The `devfs_ruleset` parameter (`jls devfs_ruleset`; `jail -m` changes it).
    #[serde(default)]
    pub devfs_ruleset: u16,
}

/// Everything observable about the machine, and nothing that is mere bookkeeping
/// (if_index, allocation cursors, op counters, logs): two snapshots are equal when no command
/// could tell the machines apart by their configuration. Lets rollback tests compare
/// before/after with one `assert_eq!`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Every interface of every vnet, sorted.
    pub interfaces: Vec<IfSnap>,
    /// Every jail, by JID.
    pub jails: Vec<JailSnap>,
    /// Loaded modules, sorted.
    pub modules: Vec<String>,
    /// `vnet label/oid` → value for per-vnet OIDs, plain OID for global ones.
    pub sysctls: BTreeMap<String, String>,
    /// vnet label → `gateway interface`.
    pub default_routes: BTreeMap<String, String>,
    /// vnet label → IPv6 `gateway interface`.
    pub default_routes6: BTreeMap<String, String>,
    /// Loaded devfs rulesets as `devfs rule -s N show` prints them (empty ones included: a
    /// mount or an include still refers to them).
    pub devfs_rulesets: BTreeMap<u16, Vec<String>>,
    /// devfs mounts: path → (active ruleset, visible device names).
    pub devfs_mounts: BTreeMap<String, (u16, Vec<String>)>,
    /// What the CBSD stand-in was told (`cbsd jset`): jail → key → value.
    pub cbsd: BTreeMap<String, BTreeMap<String, String>>,
    /// `options VIMAGE`.
    pub vimage: bool,
    /// `kern.osreldate`.
    pub osreldate: u32,
    /// Netgraph nodes of every vnet (IDs and ngctl's sockets left out), sorted.
    #[serde(default)]
    pub netgraph: Vec<super::netgraph::NodeSnap>,
}

impl Kernel {
    /// `host` or the owning jail's name.
    pub(crate) fn vnet_label(&self, v: VnetId) -> String {
        match self.vnet(v).and_then(|vn| vn.owner) {
            None => "host".to_string(),
            Some(j) => self.jail(j).map_or_else(|| format!("jail{j}"), |j| j.name.clone()),
        }
    }

    fn view(&self, id: IfId) -> Option<IfView> {
        let i = self.ifp(id)?;
        Some(IfView {
            name: i.name.clone(),
            up: i.up,
            mtu: i.mtu,
            mac: i.mac.map(|m| m.to_string()),
            description: i.descr.clone(),
            groups: i.groups.clone(),
            members: self.bridge_members(id).into_iter().filter_map(|m| self.ifp(m).map(|x| x.name.clone())).collect(),
            addrs: i.addrs.iter().map(|a| a.cidr()).collect(),
            peer: i.peer().and_then(|p| self.ifp(p)).map(|p| p.name.clone()),
            home_is_host: i.home == VnetId::HOST,
            xflags: i.xflags,
            caps: i.caps,
        })
    }

    /// An interface of the host vnet (the oldest one if a jail's death duplicated the name).
    pub fn host_iface(&self, name: &str) -> Option<IfView> {
        self.view(self.ifunit(VnetId::HOST, name)?)
    }

    /// An interface inside jail `jail`'s vnet (jail by name or JID).
    pub fn jail_iface(&self, jail: &str, name: &str) -> Option<IfView> {
        let v = self.jail_vnet_by_key(jail)?;
        self.view(self.ifunit(v, name)?)
    }

    fn names_in(&self, v: VnetId) -> Vec<String> {
        let mut n: Vec<String> =
            self.ifnets_in(v).into_iter().filter_map(|id| self.ifp(id).map(|i| i.name.clone())).collect();
        n.sort();
        n
    }

    /// Names in the host vnet, sorted (a duplicated name appears twice).
    pub fn host_ifnames(&self) -> Vec<String> {
        self.names_in(VnetId::HOST)
    }

    /// Names in a jail's vnet, sorted, lo0 included (the host's names for a non-vnet jail).
    pub fn jail_ifnames(&self, jail: &str) -> Vec<String> {
        self.jail_vnet_by_key(jail).map(|v| self.names_in(v)).unwrap_or_default()
    }

    /// The observable state; see [`Snapshot`].
    pub fn snapshot(&self) -> Snapshot {
        let mut interfaces = Vec::new();
        let mut sysctls = BTreeMap::new();
        let mut default_routes = BTreeMap::new();
        let mut default_routes6 = BTreeMap::new();
        for (&v, vn) in &self.vnets {
            let label = self.vnet_label(v);
            for &id in vn.by_link.values() {
                let Some(i) = self.ifp(id) else { continue };
                let mut groups = i.groups.clone();
                groups.sort();
                let mut members: Vec<String> =
                    self.bridge_members(id).into_iter().filter_map(|m| self.ifp(m).map(|x| x.name.clone())).collect();
                members.sort();
                interfaces.push(IfSnap {
                    vnet: label.clone(),
                    name: i.name.clone(),
                    home: self.vnet_label(i.home),
                    up: i.up,
                    mtu: i.mtu,
                    mac: i.mac.map(|m| m.to_string()),
                    description: i.descr.clone(),
                    groups,
                    members,
                    addrs: i.addrs.iter().map(|a| a.cidr()).collect(),
                    peer: i.peer().and_then(|p| self.ifp(p)).map(|p| (self.vnet_label(p.vnet), p.name.clone())),
                    xflags: i.xflags,
                    caps: i.caps,
                });
            }
            for (k, val) in &vn.sysctls {
                sysctls.insert(format!("{label}/{k}"), val.to_string());
            }
            if let Some(r) = &vn.default_route {
                let ifname = self.ifp(r.ifp).map(|i| i.name.clone()).unwrap_or_default();
                default_routes.insert(label.clone(), format!("{} {ifname}", r.gateway));
            }
            if let Some(r) = &vn.default_route6 {
                let ifname = self.ifp(r.ifp).map(|i| i.name.clone()).unwrap_or_default();
                let gw = match &r.scope {
                    Some(s) => format!("{}%{s}", r.gateway),
                    None => r.gateway.to_string(),
                };
                default_routes6.insert(label.clone(), format!("{gw} {ifname}"));
            }
        }
        interfaces.sort();
        for e in self.sysctl_all(Ctx::HOST) {
            if !e.name.starts_with("net.") {
                sysctls.insert(e.name.clone(), format!("{:?}", e.value));
            }
        }
        let jails = self
            .jails
            .values()
            .map(|j| JailSnap {
                jid: j.jid,
                name: j.name.clone(),
                path: j.path.clone(),
                hostname: j.hostname.clone(),
                vnet: j.vnet.is_some(),
                persist: j.persist,
                dying: j.dying,
                devfs_ruleset: j.devfs_ruleset,
            })
            .collect();
        Snapshot {
            interfaces,
            jails,
            modules: self.modules.names(),
            sysctls,
            default_routes,
            default_routes6,
            devfs_rulesets: self.devfs.sets.keys().filter_map(|n| Some((*n, self.devfs_show(*n)?))).collect(),
            devfs_mounts: self
                .devfs
                .mounts
                .iter()
                .map(|(p, m)| (p.clone(), (m.ruleset, self.devfs_visible(p).unwrap_or_default())))
                .collect(),
            cbsd: self.cbsd.clone(),
            vimage: self.vimage,
            osreldate: self.osreldate,
            netgraph: self.ng_snapshot(),
        }
    }
}

//! The simulated FreeBSD kernel: vnets, ifnets, jails, modules and sysctls, and the rules the
//! real kernel applies when they change.
//!
//! Every mutating operation goes through `Kernel::begin_op`, which counts it and applies the
//! fault plan of [`Kernel::fail_at`] before anything is touched, so a failed operation changes
//! nothing. Userland commands (`super::userland`) are built only on these operations.

mod boot;
mod bridge;
pub(crate) mod bridge_cfg;
mod clone;
mod config;
mod cred;
pub(crate) mod devfs;
mod dhcp;
pub(crate) mod ifcfg;
mod jail;
mod kld;
pub(crate) mod lagg;
pub(crate) mod netgraph;
pub(crate) mod pf;
pub(crate) mod reach;
pub(crate) mod route;
mod sysctl;
mod table;
pub(crate) mod types;
mod view;
pub(crate) mod vlan;
mod vmove;

pub(crate) mod ifnet;
pub(crate) mod vnet;

pub use boot::REBOOT_INTERVAL;
pub(crate) use config::DelAddr;
pub(crate) use cred::Ctx;
pub use dhcp::DhcpServer;
pub(crate) use jail::{ALLOW_PARAMS, Jail, JailSpec, JailUpdate};
pub use kld::AVAILABLE_MODULES;
pub(crate) use kld::module_name as kld_module_name;
pub use pf::{Pf, Ruleset};
pub(crate) use sysctl::SysctlValue;
pub(crate) use types::{IfAddr, IfId, Mac, VnetId};
pub use view::{IfSnap, IfView, JailSnap, Snapshot};

use crate::Errno;
use ifnet::Ifnet;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use vnet::Vnet;

/// The injected failure of [`Kernel::fail_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Fault {
    /// Value of the op counter at which the operation fails.
    at: u64,
    errno: Errno,
}

/// The whole state of the simulated machine's kernel.
///
/// Exists so tests and the `fbsd-sim` program share one model with FreeBSD's rules; it is
/// serialized whole to the `FBSD_SIM_STATE` file between `fbsd-sim` invocations.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kernel {
    ifnets: Vec<Option<Ifnet>>,
    free_slots: Vec<u32>,
    /// The global `ifindex_table` of 14.x and later (sys/net/if.c `ifindex_alloc`): lowest free
    /// index from 1, kept by an interface across vnet moves, freed by `if_free`.
    #[serde(default = "types::NumAlloc::from_one")]
    index_alloc: types::NumAlloc,
    /// Feeds [`ifnet::Ifnet::link_seq`]: the tail of every vnet's interface list.
    #[serde(default)]
    link_seq: u64,
    vnets: BTreeMap<VnetId, Vnet>,
    next_vnet: u32,
    jails: BTreeMap<u32, Jail>,
    jail_names: HashMap<String, u32>,
    last_jid: u32,
    modules: kld::Modules,
    osreldate: u32,
    vimage: bool,
    hostuuid: String,
    hostname: String,
    boottime: i64,
    /// Feeds the deterministic MAC generators (epair, `ether random`).
    mac_seq: u64,
    ops_done: u64,
    fault: Option<Fault>,
    /// devfs rulesets and mounts.
    #[serde(default)]
    devfs: devfs::Devfs,
    /// DHCP servers, by the host interface whose LAN they serve.
    #[serde(default)]
    dhcp: BTreeMap<String, DhcpServer>,
    /// Leases the DHCP servers gave, by client MAC.
    #[serde(default)]
    leases: BTreeMap<String, std::net::Ipv4Addr>,
    /// The CBSD stand-in's jail settings (`cbsd jset`), by jail and key.
    #[serde(default)]
    cbsd: BTreeMap<String, BTreeMap<String, String>>,
    /// Feeds simulated process IDs (`ngctl<pid>` socket node names).
    #[serde(default)]
    pid_seq: u32,
    /// `net.fibs` (a loader tunable): how many routing tables; route(8) names the FIB in its
    /// success messages only when there are several.
    #[serde(default = "one")]
    fibs: u32,
    /// The directory that stands for `/` (`FBSD_SIM_ROOT`, else `VIMAGE_ROOT`): where the
    /// simulated commands that read or write files (`sysrc`, `service`, `ngctl -f`) find
    /// them, and where `jexec` looks at a jail's files (its `/bin/sh`, the program it is asked
    /// to run) under the jail's `path`. Not part of the saved state; `None` means the machine
    /// has no files (every jail then has a FreeBSD userland).
    #[serde(skip)]
    root: Option<std::path::PathBuf>,
}

fn one() -> u32 {
    1
}

/// `kern.hostuuid` of the simulated host.
pub const HOSTUUID: &str = "3f1c2b7e-9a4d-11ef-8c2a-001b21aabbcc";
/// `kern.boottime` seconds of the simulated host (Sun Nov 23 06:40:00 2025 UTC).
pub const BOOTTIME: i64 = 1_763_880_000;

impl Kernel {
    /// A FreeBSD 14.2 host (osreldate 1402000) with VIMAGE, only lo0, fixed `kern.hostuuid`
    /// and `kern.boottime`, and every module of [`AVAILABLE_MODULES`] but pf loaded; the neutral
    /// starting point tests add NICs and jails to.
    pub fn freebsd14() -> Kernel {
        Kernel::freebsd14_with_nics(&[])
    }

    /// [`Kernel::freebsd14`] whose physical NICs (name, MAC, MTU; UP, as [`Kernel::add_ether`]
    /// makes them) attached at boot, before lo0: drivers attach at `SI_SUB_CONFIGURE`, and lo0
    /// is made later by `vnet_loif_init` at `SI_SUB_PSEUDO` (sys/net/if_loop.c), so the NICs
    /// come first in `ifconfig -l` and have the lowest `if_index` (lo0's scopeid is 0x2 on a
    /// one-NIC host).
    pub fn freebsd14_with_nics(nics: &[(&str, &str, u32)]) -> Kernel {
        let mut k = Kernel {
            ifnets: Vec::new(),
            free_slots: Vec::new(),
            index_alloc: types::NumAlloc::from_one(),
            link_seq: 0,
            vnets: BTreeMap::new(),
            next_vnet: 1,
            jails: BTreeMap::new(),
            jail_names: HashMap::new(),
            last_jid: 0,
            modules: kld::Modules::default(),
            osreldate: 1_402_000,
            vimage: true,
            hostuuid: HOSTUUID.to_string(),
            hostname: "fbsd14.example.org".to_string(),
            boottime: BOOTTIME,
            mac_seq: 0,
            ops_done: 0,
            fault: None,
            devfs: devfs::Devfs::default(),
            dhcp: BTreeMap::new(),
            leases: BTreeMap::new(),
            cbsd: BTreeMap::new(),
            pid_seq: 0,
            fibs: 1,
            root: None,
        };
        k.vnets.insert(VnetId::HOST, Vnet::new(None));
        for (m, _) in AVAILABLE_MODULES.iter().filter(|(m, _)| !kld::NOT_AT_BOOT.contains(m)) {
            k.modules.force_load(m);
        }
        for (name, mac, mtu) in nics {
            k.add_ether(name, mac, *mtu);
        }
        k.attach_loopback(VnetId::HOST, true);
        // rc.d/devfs at boot: /dev mounted, the stock rulesets loaded (devfs_load_rulesets=YES).
        k.devfs_mount("/dev", 0);
        k.load_devfs_rules(vimage_base::devfs_rules::STOCK_FILE);
        k
    }

    /// The demo/test host: [`Kernel::freebsd14_with_nics`] with em0 (00:1b:21:aa:bb:cc, UP,
    /// 192.168.1.10/24; `if_index` 1, lo0 2) with a DHCP server on its LAN (router
    /// 192.168.1.1, pool .100–.199), a default route via 192.168.1.1, and the running vnet
    /// jail `web1` (jid 1, devfs ruleset 5) that has only its own lo0. Starts with
    /// `ops_done() == 0`.
    pub fn demo() -> Kernel {
        let mut k = Kernel::freebsd14_with_nics(&[("em0", "00:1b:21:aa:bb:cc", 1500)]);
        k.add_inet("em0", "192.168.1.10/24");
        k.set_default_route("192.168.1.1", "em0");
        k.add_dhcp_server("em0", "192.168.1.1", 24, "192.168.1.100", "192.168.1.199");
        k.start_demo_jail();
        k.ops_done = 0;
        k
    }

    /// Counts one mutating operation and applies the fault plan. Called first by every
    /// operation that changes state, so an injected failure changes nothing.
    pub(crate) fn begin_op(&mut self) -> Result<(), Errno> {
        self.ops_done += 1;
        if let Some(f) = self.fault
            && f.at == self.ops_done
        {
            self.fault = None;
            return Err(f.errno);
        }
        Ok(())
    }

    /// Makes the `n`-th mutating operation from now (1 = the next one) fail with `errno`,
    /// then clears the plan; lets tests prove rollback after a failure at every step.
    pub fn fail_at(&mut self, n: u64, errno: Errno) {
        self.fault = Some(Fault { at: self.ops_done + n.max(1), errno });
    }

    /// Mutating kernel operations performed so far (failed ones included), so a test can
    /// count the operations of an action and then fail each of them in turn.
    pub fn ops_done(&self) -> u64 {
        self.ops_done
    }

    /// Turns VIMAGE off (or on): off removes `kern.features.vimage` and makes `vnet` an
    /// unknown jail parameter, for the "no VIMAGE" refusal paths.
    pub fn set_vimage(&mut self, on: bool) {
        self.vimage = on;
    }

    /// Unloads a module (and nothing else), for `doctor` tests of missing modules.
    pub fn unload_module(&mut self, name: &str) {
        if name == "ng_ether" {
            self.ng_ether_detach_all();
        }
        self.modules.force_unload(name);
        if name == "pf" {
            self.pf_unload_all();
        }
    }

    /// Loads a module without counting an operation (fixture setup).
    pub fn load_module(&mut self, name: &str) {
        self.modules.force_load(name);
        if name == "ng_ether" {
            self.ng_ether_attach_all();
        }
    }

    /// Names of the loaded modules, sorted.
    pub fn loaded_modules(&self) -> Vec<String> {
        self.modules.names()
    }

    /// Sets `kern.osreldate`: below 1400000 there is no `ifconfig -j`; from 1500000 the 15.x
    /// if_bridge rules (MTU sync, `member_ifaddrs`) apply, and route(8) has `-j`.
    pub fn set_osreldate(&mut self, v: u32) {
        let was_global = self.global_ifindex();
        self.osreldate = v;
        if was_global != self.global_ifindex() {
            self.renumber_ifindexes();
        }
    }

    /// Sets `net.fibs` (boot-time tunable; fixture).
    pub fn set_fibs(&mut self, n: u32) {
        self.fibs = n.max(1);
    }

    /// Names the directory that stands for `/` for the commands that use files.
    pub fn set_root(&mut self, root: Option<std::path::PathBuf>) {
        self.root = root;
    }

    /// The directory that stands for `/`, if any.
    pub(crate) fn root(&self) -> Option<&std::path::Path> {
        self.root.as_deref()
    }

    /// `net.fibs`.
    pub(crate) fn fibs(&self) -> u32 {
        self.fibs
    }

    /// `kern.osreldate`.
    pub fn osreldate(&self) -> u32 {
        self.osreldate
    }

    /// `kern.hostuuid`.
    pub fn hostuuid(&self) -> &str {
        &self.hostuuid
    }

    /// True when the kernel has `options VIMAGE`.
    pub fn vimage(&self) -> bool {
        self.vimage
    }

    /// True when if_bridge follows the 15.x rules.
    pub(crate) fn bridge_15(&self) -> bool {
        self.osreldate >= 1_500_000
    }

    /// The process ID of the next simulated process that needs one (deterministic).
    pub(crate) fn next_pid(&mut self) -> u32 {
        self.pid_seq = self.pid_seq.wrapping_add(1);
        4000 + self.pid_seq % 90_000
    }

    /// A fresh locally administered unicast MAC (`ifconfig X ether random`), deterministic
    /// so test runs repeat.
    pub(crate) fn random_mac(&mut self) -> Mac {
        let s = self.next_mac_seed("random");
        Mac([(s[0] & 0xfc) | 0x02, s[1], s[2], s[3], s[4], s[5]])
    }

    fn next_mac_seed(&mut self, what: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        self.mac_seq += 1;
        let mut h = Sha256::new();
        h.update(what.as_bytes());
        h.update(self.hostuuid.as_bytes());
        h.update(self.mac_seq.to_le_bytes());
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_ifindex;

#[cfg(test)]
mod tests_boot;

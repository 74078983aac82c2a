//! A reboot: what a FreeBSD kernel leaves of the machine when it comes up again, before any rc
//! script has run.
//!
//! Exists because records of an earlier boot must describe nothing to vimage (issue 14): after
//! a reboot another tool may own `bridge0` and `epair0a`, the very names vimage recorded, and
//! tests need a machine whose earlier objects are really gone, not a fresh demo host.
//!
//! What survives is what is not kernel state: the hardware, and the things the simulator keeps
//! outside the kernel's memory (the LAN's DHCP servers and their leases, the CBSD stand-in's
//! settings, the file root). What a boot does, read in FreeBSD's source:
//! - Physical NICs attach again (`ether_ifattach` from each driver's attach, SI_SUB_CONFIGURE):
//!   under their driver's name and unit (a rename is gone), with the MAC read from the
//!   hardware (`if_hw_addr`), down (`if_attach` does not set IFF_UP; rc.d/netif does), with no
//!   address, description or group (`if_attach_internal` adds only the implicit `all`), MTU
//!   ETHERMTU, in the order they were first attached, before lo0.
//! - lo0 comes from `vnet_loif_init` (sys/net/if_loop.c, SI_SUB_PSEUDO), down without
//!   addresses until rc.d/netif runs `ifconfig lo0 inet 127.0.0.1`.
//! - Cloned interfaces (epair, bridge, vlan, lagg), ng_eiface nodes, jails and their vnets,
//!   routes, devfs rulesets (a kernel table that rc.d/devfs loads from devfs.rules) and the
//!   per-vnet sysctls set at run time are memory only: gone. ng_ether nodes attach again with
//!   their interfaces while ng_ether is loaded (`ng_ether_attach` from `ether_ifattach`).
//! - devfs is mounted on /dev by the kernel itself (`vfs_mountroot_devfs`,
//!   sys/kern/vfs_mountroot.c), without a ruleset.
//! - `kern.boottime` is the new boot's time.
//!
//! The simulator models neither loader.conf nor /etc/hostid, so it keeps the loaded modules
//! (what loader.conf and rc.conf's `kld_list` load again), `kern.hostuuid` (what rc.d/hostid
//! sets again from /etc/hostid) and the hostname (rc.d/hostname), and says so here.

use super::Kernel;
use super::ifnet::IfKind;
use super::types::{IfId, NumAlloc, VnetId};
use super::vnet::Vnet;
use std::collections::{BTreeMap, HashMap};

/// How far [`Kernel::reboot`] moves `kern.boottime` on: one day, so the new value is always
/// later and tests repeat.
pub const REBOOT_INTERVAL: i64 = 86_400;

/// A physical NIC as the driver attaches it again: driver name and unit, hardware MAC, the
/// capabilities the driver offers and enables.
struct Hardware {
    dname: String,
    unit: Option<u32>,
    name: String,
    hwaddr: Option<super::Mac>,
    caps: u32,
    caps_supported: u32,
}

impl Kernel {
    /// Reboots the machine: the state the kernel leaves after it attached its devices, before
    /// any rc script ran (see the module documentation for what survives and why), with
    /// `kern.boottime` [`REBOOT_INTERVAL`] later. Not counted as an operation: a reboot is not
    /// something a command under test does. Run [`Kernel::run_rc_basics`] (and the test's own
    /// rc configuration) afterwards for a host as rc leaves it.
    pub fn reboot(&mut self) {
        self.reboot_at(self.boottime + REBOOT_INTERVAL);
    }

    /// [`Kernel::reboot`] with `kern.boottime` = `boottime` seconds.
    pub fn reboot_at(&mut self, boottime: i64) {
        // Physical NICs in the order they first attached: they were inserted before anything
        // else and their slots are never freed, so their IfId order is their attach order.
        let mut hw: Vec<(IfId, Hardware)> = self
            .ifnets
            .iter()
            .enumerate()
            .filter_map(|(slot, i)| i.as_ref().map(|i| (slot, i)))
            .filter(|(_, i)| i.kind == IfKind::Ether)
            .map(|(slot, i)| {
                let name = match i.unit {
                    Some(u) => format!("{}{u}", i.dname),
                    None => i.name.clone(),
                };
                let h = Hardware {
                    dname: i.dname.clone(),
                    unit: i.unit,
                    name,
                    hwaddr: i.hwaddr.or(i.mac),
                    caps: i.caps,
                    caps_supported: i.caps_supported,
                };
                (IfId(slot as u32), h)
            })
            .collect();
        hw.sort_by_key(|(id, _)| *id);
        self.ifnets = Vec::new();
        self.free_slots = Vec::new();
        self.index_alloc = NumAlloc::from_one();
        self.link_seq = 0;
        self.vnets = BTreeMap::new();
        self.vnets.insert(VnetId::HOST, Vnet::new(None));
        self.next_vnet = 1;
        self.jails = BTreeMap::new();
        self.jail_names = HashMap::new();
        self.last_jid = 0;
        self.devfs = super::devfs::Devfs::default();
        self.boottime = boottime;
        for (_, h) in hw {
            let mut e = Kernel::blank_ifnet(&h.name, &h.dname, IfKind::Ether, VnetId::HOST);
            e.unit = h.unit;
            e.mac = h.hwaddr;
            e.hwaddr = h.hwaddr;
            e.caps = h.caps;
            e.caps_supported = h.caps_supported;
            let _ = self.insert_ifnet(e, VnetId::HOST);
        }
        self.attach_loopback(VnetId::HOST, false);
        self.devfs_mount("/dev", 0);
    }

    /// What /etc/rc does on every host before any of the admin's settings: lo0 configured
    /// (rc.d/netif, `ifconfig_lo0="inet 127.0.0.1"` of /etc/defaults/rc.conf) and the stock
    /// devfs rulesets loaded (rc.d/devfs, `devfs_load_rulesets="YES"`). With it, a rebooted
    /// [`Kernel::freebsd14_with_nics`] host is as that constructor made it, except its NICs,
    /// which stay down until the test configures them (`add_inet`, as `ifconfig_em0` would).
    pub fn run_rc_basics(&mut self) {
        self.configure_loopback(VnetId::HOST);
        self.load_devfs_rules(vimage_base::devfs_rules::STOCK_FILE);
    }

    /// The rc configuration of [`Kernel::demo`]'s host, run after a reboot: the basics
    /// ([`Kernel::run_rc_basics`]), em0's address (`ifconfig_em0="inet 192.168.1.10/24"`),
    /// the default route (`defaultrouter`), and the jail web1 started again (`jail_enable`),
    /// with its own lo0 configured by its rc. web1's JID is whatever the kernel gives it (1 on
    /// a fresh boot).
    pub fn run_demo_rc(&mut self) {
        self.run_rc_basics();
        self.add_inet("em0", "192.168.1.10/24");
        self.set_default_route("192.168.1.1", "em0");
        self.start_demo_jail();
    }

    /// The demo host's jail web1 (hostname web1.example.org, its lo0 configured by its rc).
    pub(crate) fn start_demo_jail(&mut self) {
        if let Ok(jid) = self.create_jail("web1", "/usr/jails/jails/web1", true) {
            if let Some(j) = self.jails.get_mut(&jid) {
                j.hostname = "web1.example.org".to_string();
            }
            if let Some(vnet) = self.jails.get(&jid).and_then(|j| j.vnet) {
                self.configure_loopback(vnet);
            }
        }
    }

    /// `kern.boottime` seconds.
    pub fn boottime(&self) -> i64 {
        self.boottime
    }
}

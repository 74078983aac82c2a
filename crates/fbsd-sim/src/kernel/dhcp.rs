//! DHCP servers on the simulated LAN: a server sits behind a physical host interface and
//! answers any client whose frames reach that interface's Ethernet segment — through an
//! epair whose host end is UP and a member of an UP bridge that has that interface, UP, as a
//! member. Leases are remembered per MAC, so a restarted jail gets its address back.

use super::Kernel;
use super::cred::Ctx;
use super::types::{IfAddr, IfId};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// A DHCP server's pool on one LAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhcpServer {
    /// The router option it hands out (and the server's own address).
    pub router: Ipv4Addr,
    /// The LAN's prefix length, given with each lease.
    pub prefix: u8,
    /// First address of the pool.
    pub first: Ipv4Addr,
    /// Last address of the pool.
    pub last: Ipv4Addr,
}

impl Kernel {
    /// Puts a DHCP server on the LAN behind host interface `ifname` (fixture helper).
    pub fn add_dhcp_server(&mut self, ifname: &str, router: &str, prefix: u8, first: &str, last: &str) {
        let (Ok(router), Ok(first), Ok(last)) = (router.parse(), first.parse(), last.parse()) else {
            return;
        };
        self.dhcp.insert(ifname.to_string(), DhcpServer { router, prefix, first, last });
    }

    /// Removes the DHCP server behind `ifname` (fixture helper).
    pub fn remove_dhcp_server(&mut self, ifname: &str) {
        self.dhcp.remove(ifname);
    }

    /// The server a DHCPDISCOVER sent on `id` reaches, if any: the LAN of the first physical
    /// NIC the broadcast gets to (see `super::reach`), whose answer can come back to `id`.
    pub(crate) fn dhcp_server_for(&self, id: IfId) -> Option<DhcpServer> {
        self.lan_of(id).and_then(|nic| self.dhcp.get(&nic).cloned())
    }

    /// The address the server gives `mac`: its old lease, else the lowest free one of the pool
    /// (not leased, not on any interface of any vnet).
    pub(crate) fn dhcp_offer(&mut self, srv: &DhcpServer, mac: &str) -> Option<Ipv4Addr> {
        if let Some(a) = self.leases.get(mac) {
            return Some(*a);
        }
        let used = |k: &Kernel, a: Ipv4Addr| {
            k.leases.values().any(|l| *l == a)
                || k.ifnets
                    .iter()
                    .flatten()
                    .any(|i| i.addrs.iter().any(|x| matches!(x, IfAddr::V4 { addr, .. } if *addr == a)))
        };
        let (lo, hi) = (u32::from(srv.first), u32::from(srv.last));
        let a = (lo..=hi).map(Ipv4Addr::from).find(|a| *a != srv.router && !used(self, *a))?;
        self.leases.insert(mac.to_string(), a);
        Some(a)
    }

    /// `cbsd jset jname=J key=value` of the simulator's CBSD stand-in: records the value.
    pub(crate) fn cbsd_jset(&mut self, _ctx: Ctx, jail: &str, key: &str, value: &str) -> Result<(), crate::Errno> {
        self.begin_op()?;
        self.cbsd.entry(jail.to_string()).or_default().insert(key.to_string(), value.to_string());
        Ok(())
    }

    /// What the CBSD stand-in holds for `jail` and `key` (set by `cbsd jset`), for tests.
    pub fn cbsd_value(&self, jail: &str, key: &str) -> Option<String> {
        self.cbsd.get(jail).and_then(|m| m.get(key)).cloned()
    }
}

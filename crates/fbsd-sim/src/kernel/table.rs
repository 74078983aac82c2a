//! The ifnet table: slots, attaching to and detaching from a vnet (name index and
//! `if_index`), lookups, and the fixture helpers that add physical NICs and addresses.

use super::Kernel;
use super::ifnet::{IF_MAXINDEX, IfKind, Ifnet, nd6};
use super::types::{IfAddr, IfId, Mac, NumAlloc, VnetId};
use super::vnet::{DefaultRoute, Vnet};
use crate::Errno;

impl Kernel {
    /// The ifnet in slot `id`.
    pub(crate) fn ifp(&self, id: IfId) -> Option<&Ifnet> {
        self.ifnets.get(id.0 as usize).and_then(Option::as_ref)
    }

    /// The ifnet in slot `id`, mutably.
    pub(crate) fn ifp_mut(&mut self, id: IfId) -> Option<&mut Ifnet> {
        self.ifnets.get_mut(id.0 as usize).and_then(Option::as_mut)
    }

    /// The ifnet in slot `id`, or ENXIO (the interface went away).
    pub(crate) fn ifp_or_nxio(&self, id: IfId) -> Result<&Ifnet, Errno> {
        self.ifp(id).ok_or(Errno::ENXIO)
    }

    /// A vnet.
    pub(crate) fn vnet(&self, v: VnetId) -> Option<&Vnet> {
        self.vnets.get(&v)
    }

    /// A vnet, mutably.
    pub(crate) fn vnet_mut(&mut self, v: VnetId) -> Option<&mut Vnet> {
        self.vnets.get_mut(&v)
    }

    /// `ifunit()` in vnet `v`: O(1) by name.
    pub(crate) fn ifunit(&self, v: VnetId, name: &str) -> Option<IfId> {
        self.vnets.get(&v).and_then(|vn| vn.lookup(name))
    }

    /// Interfaces of vnet `v` in list order (how `ifconfig` lists them: sys/net/if.c
    /// `if_link_ifnet` appends, so the newest arrival is last).
    pub(crate) fn ifnets_in(&self, v: VnetId) -> Vec<IfId> {
        self.vnets.get(&v).map(|vn| vn.by_link.values().copied().collect()).unwrap_or_default()
    }

    /// True when `if_index` is one global table (14.x and later: sys/net/if.c
    /// `ifindex_table`); 13.x keeps one per vnet (`V_ifindex_table`).
    pub(crate) fn global_ifindex(&self) -> bool {
        self.osreldate >= 1_400_000
    }

    /// Stores a new ifnet (`if_alloc`, which takes its `if_index`) and attaches it to `vnet`.
    pub(crate) fn insert_ifnet(&mut self, mut ifp: Ifnet, vnet: VnetId) -> Result<IfId, Errno> {
        if !self.vnets.contains_key(&vnet) {
            return Err(Errno::ENXIO);
        }
        let index = if self.global_ifindex() {
            self.index_alloc.alloc_lowest(IF_MAXINDEX, |_| false).ok_or(Errno::ENOSPC)?
        } else {
            self.alloc_vnet_index(vnet)?
        };
        ifp.vnet = vnet;
        ifp.index = index;
        let id = match self.free_slots.pop() {
            Some(slot) => {
                if let Some(s) = self.ifnets.get_mut(slot as usize) {
                    *s = Some(ifp);
                }
                IfId(slot)
            }
            None => {
                self.ifnets.push(Some(ifp));
                IfId((self.ifnets.len() - 1) as u32)
            }
        };
        self.link_into_vnet(id);
        let home = self.ifp(id).map_or(vnet, |i| i.home);
        if let Some(vn) = self.vnets.get_mut(&home) {
            vn.homed.insert(id);
        }
        self.ng_ether_attach(id);
        Ok(id)
    }

    /// Gives every interface the `if_index` it would have had had the machine booted with the
    /// current release's table (one global table, or one per vnet), in list order, host first:
    /// lets a fixture switch releases after building interfaces.
    pub(crate) fn renumber_ifindexes(&mut self) {
        self.index_alloc = NumAlloc::from_one();
        let global = self.global_ifindex();
        let vnets: Vec<VnetId> = self.vnets.keys().copied().collect();
        for v in vnets {
            if let Some(vn) = self.vnets.get_mut(&v) {
                vn.index_alloc = NumAlloc::from_one();
            }
            for id in self.ifnets_in(v) {
                let n = if global {
                    self.index_alloc.alloc_lowest(IF_MAXINDEX, |_| false)
                } else {
                    self.alloc_vnet_index(v).ok()
                };
                if let (Some(n), Some(i)) = (n, self.ifp_mut(id)) {
                    i.index = n;
                }
            }
        }
    }

    fn alloc_vnet_index(&mut self, vnet: VnetId) -> Result<u32, Errno> {
        let vn = self.vnets.get_mut(&vnet).ok_or(Errno::ENXIO)?;
        vn.index_alloc.alloc_lowest(IF_MAXINDEX, |_| false).ok_or(Errno::ENOSPC)
    }

    /// `if_link_ifnet`: puts an ifnet whose `vnet` is set at the tail of that vnet's list.
    fn link_into_vnet(&mut self, id: IfId) {
        self.link_seq += 1;
        let seq = self.link_seq;
        let Some((name, vnet)) = self.ifp_mut(id).map(|i| {
            i.link_seq = seq;
            (i.name.clone(), i.vnet)
        }) else {
            return;
        };
        let ifnets = &self.ifnets;
        let seq_of = |o: IfId| ifnets.get(o.0 as usize).and_then(Option::as_ref).map_or(u64::MAX, |i| i.link_seq);
        if let Some(vn) = self.vnets.get_mut(&vnet) {
            vn.index_name(&name, id, seq, seq_of);
            vn.by_link.insert(seq, id);
        }
    }

    /// `if_unlink_ifnet`: takes an ifnet out of its vnet's list (before a move or a free);
    /// on 13.x its `if_index` goes back to that vnet's table too.
    pub(crate) fn unlink_from_vnet(&mut self, id: IfId) {
        let Some((name, vnet, index, seq)) = self.ifp(id).map(|i| (i.name.clone(), i.vnet, i.index, i.link_seq)) else {
            return;
        };
        let per_vnet = !self.global_ifindex();
        if let Some(vn) = self.vnets.get_mut(&vnet) {
            vn.unindex_name(&name, id);
            vn.by_link.remove(&seq);
            if per_vnet {
                vn.index_alloc.release(index);
            }
            if vn.default_route.as_ref().is_some_and(|r| r.ifp == id) {
                vn.default_route = None;
            }
            if vn.default_route6.as_ref().is_some_and(|r| r.ifp == id) {
                vn.default_route6 = None;
            }
        }
    }

    /// Attaches an unlinked ifnet to `vnet` (the end of a vnet move): at the tail of its list,
    /// keeping its `if_index` on 14.x, with a new one from `vnet`'s table on 13.x.
    pub(crate) fn relink_into(&mut self, id: IfId, vnet: VnetId) -> Result<(), Errno> {
        if !self.vnets.contains_key(&vnet) {
            return Err(Errno::ENXIO);
        }
        if !self.global_ifindex() {
            let index = self.alloc_vnet_index(vnet)?;
            if let Some(i) = self.ifp_mut(id) {
                i.index = index;
            }
        }
        if let Some(i) = self.ifp_mut(id) {
            i.vnet = vnet;
        }
        self.link_into_vnet(id);
        Ok(())
    }

    /// Renames in place, keeping the name index right.
    pub(crate) fn set_name_indexed(&mut self, id: IfId, new: &str) {
        self.unlink_name_only(id);
        if let Some(i) = self.ifp_mut(id) {
            i.name = new.to_string();
        }
        let Some((vnet, seq)) = self.ifp(id).map(|i| (i.vnet, i.link_seq)) else {
            return;
        };
        let ifnets = &self.ifnets;
        let seq_of = |o: IfId| ifnets.get(o.0 as usize).and_then(Option::as_ref).map_or(u64::MAX, |i| i.link_seq);
        if let Some(vn) = self.vnets.get_mut(&vnet) {
            vn.index_name(new, id, seq, seq_of);
        }
        self.ng_ether_renamed(id);
    }

    fn unlink_name_only(&mut self, id: IfId) {
        let Some((name, vnet)) = self.ifp(id).map(|i| (i.name.clone(), i.vnet)) else {
            return;
        };
        if let Some(vn) = self.vnets.get_mut(&vnet) {
            vn.unindex_name(&name, id);
        }
    }

    /// Frees an ifnet completely (after it left any bridge).
    pub(crate) fn free_ifnet(&mut self, id: IfId) {
        self.ng_ether_detach(id);
        self.unlink_from_vnet(id);
        if let Some(slot) = self.ifnets.get_mut(id.0 as usize)
            && let Some(old) = slot.take()
        {
            self.free_slots.push(id.0);
            if self.global_ifindex() {
                // if_free → ifindex_free_locked: the global index is free again.
                self.index_alloc.release(old.index);
            }
            if let Some(vn) = self.vnets.get_mut(&old.home) {
                vn.homed.remove(&id);
            }
        }
    }

    /// A blank ifnet of the given kind, not yet attached.
    pub(crate) fn blank_ifnet(name: &str, dname: &str, kind: IfKind, home: VnetId) -> Ifnet {
        Ifnet {
            name: name.to_string(),
            dname: dname.to_string(),
            unit: None,
            kind,
            home,
            vnet: home,
            index: 0,
            link_seq: 0,
            up: false,
            xflags: 0,
            metric: 0,
            mtu: 1500,
            mac: None,
            hwaddr: None,
            descr: None,
            groups: Vec::new(),
            addrs: Vec::new(),
            caps: 0,
            caps_supported: 0,
            nd6: nd6::PERFORMNUD | nd6::IFDISABLED | nd6::AUTO_LINKLOCAL,
            bridge: None,
            ng_ether: None,
            ng_promisc: false,
            lagg: None,
            pcp: None,
        }
    }

    /// Creates a vnet's lo0 (unit 0 of the `lo` cloner), UP with its addresses when `up`.
    pub(crate) fn attach_loopback(&mut self, vnet: VnetId, up: bool) -> Option<IfId> {
        let mut lo = Kernel::blank_ifnet("lo0", "lo", IfKind::Loopback, vnet);
        lo.unit = Some(0);
        lo.mtu = 16384;
        lo.groups.push("lo".to_string());
        lo.caps = 0x68_0003;
        lo.caps_supported = 0x68_0003;
        lo.nd6 = nd6::PERFORMNUD | nd6::AUTO_LINKLOCAL;
        let id = self.insert_ifnet(lo, vnet).ok()?;
        if let Some(vn) = self.vnet_mut(vnet) {
            vn.units.entry("lo".to_string()).or_default().take_specific(0);
        }
        if up {
            self.configure_loopback(vnet);
        }
        Some(id)
    }

    /// What rc does to lo0: UP with 127.0.0.1/8, ::1/128 and fe80::1/64.
    pub(crate) fn configure_loopback(&mut self, vnet: VnetId) {
        let Some(id) = self.ifunit(vnet, "lo0") else {
            return;
        };
        if let Some(lo) = self.ifp_mut(id) {
            lo.up = true;
            lo.addrs = vec![
                IfAddr::V4 { addr: [127, 0, 0, 1].into(), prefix: 8, broadcast: None },
                IfAddr::V6 { addr: std::net::Ipv6Addr::LOCALHOST, prefix: 128 },
                IfAddr::V6 { addr: [0xfe80, 0, 0, 0, 0, 0, 0, 1].into(), prefix: 64 },
            ];
        }
    }

    /// Adds a physical NIC to the host vnet: driver name = `name` minus its trailing digits,
    /// UP, no groups beyond `all` — what a server's NIC looks like before vimage runs.
    /// Malformed MACs or duplicate names are ignored (fixture helper; nothing is counted).
    pub fn add_ether(&mut self, name: &str, mac: &str, mtu: u32) {
        let Some(mac) = Mac::parse(mac) else { return };
        if name.is_empty() || name.len() >= super::ifnet::IFNAMSIZ || self.ifunit(VnetId::HOST, name).is_some() {
            return;
        }
        let dname = name.trim_end_matches(|c: char| c.is_ascii_digit());
        let unit = name[dname.len()..].parse().ok();
        let mut e = Kernel::blank_ifnet(name, dname, IfKind::Ether, VnetId::HOST);
        e.unit = unit;
        e.mtu = mtu;
        e.mac = Some(mac);
        e.hwaddr = Some(mac);
        e.up = true;
        // RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,VLAN_HWCSUM,LRO,WOL_MAGIC,VLAN_HWFILTER,NOMAP
        e.caps = 0x401_249b;
        e.caps_supported = 0x401_259b;
        let _ = self.insert_ifnet(e, VnetId::HOST);
    }

    /// Adds an address (`a.b.c.d/len` or an IPv6 `addr/len`) to a host interface without
    /// counting an operation (fixture helper); the interface comes UP as with ifconfig.
    pub fn add_inet(&mut self, ifname: &str, cidr: &str) {
        let Some(id) = self.ifunit(VnetId::HOST, ifname) else {
            return;
        };
        let Some(addr) = parse_cidr(cidr) else { return };
        if let Some(i) = self.ifp_mut(id) {
            i.addrs.retain(|a| !same_addr(a, &addr));
            i.addrs.push(addr);
            i.up = true;
        }
    }

    /// Sets the host's default route (fixture helper, no operation counted).
    pub fn set_default_route(&mut self, gateway: &str, ifname: &str) {
        let (Ok(gw), Some(id)) = (gateway.parse(), self.ifunit(VnetId::HOST, ifname)) else {
            return;
        };
        if let Some(vn) = self.vnet_mut(VnetId::HOST) {
            vn.default_route = Some(DefaultRoute { gateway: gw, ifp: id });
        }
    }
}

/// True when two addresses are the same address (mask and broadcast aside).
pub(crate) fn same_addr(a: &IfAddr, b: &IfAddr) -> bool {
    match (a, b) {
        (IfAddr::V4 { addr: x, .. }, IfAddr::V4 { addr: y, .. }) => x == y,
        (IfAddr::V6 { addr: x, .. }, IfAddr::V6 { addr: y, .. }) => x == y,
        _ => false,
    }
}

/// `addr/len` → address with its broadcast (fixture syntax).
pub(crate) fn parse_cidr(s: &str) -> Option<IfAddr> {
    let (a, p) = s.split_once('/')?;
    let prefix: u8 = p.parse().ok()?;
    if let Ok(v4) = a.parse::<std::net::Ipv4Addr>() {
        (prefix <= 32).then(|| IfAddr::V4 { addr: v4, prefix, broadcast: IfAddr::v4_broadcast(v4, prefix) })
    } else {
        let v6 = a.parse::<std::net::Ipv6Addr>().ok()?;
        (prefix <= 128).then_some(IfAddr::V6 { addr: v6, prefix })
    }
}

//! Small value types of the simulated kernel: identifiers, MAC and interface addresses, and
//! the lowest-free number allocators behind interface units and `if_index`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Slot of an ifnet in the kernel's table. Stable for the ifnet's life (unlike its name, its
/// vnet or its `if_index`), so bridges and epairs can point at each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IfId(pub u32);

/// A network stack. `VnetId::HOST` is the host's (vnet0); every `vnet=new` jail gets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VnetId(pub u32);

impl VnetId {
    /// The host's own network stack.
    pub const HOST: VnetId = VnetId(0);
}

/// A 48-bit link-level address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Parses `xx:xx:xx:xx:xx:xx` (one or two hex digits per octet, like ether_aton(3)).
    pub fn parse(s: &str) -> Option<Mac> {
        let mut out = [0u8; 6];
        let mut n = 0;
        for part in s.split(':') {
            if n == 6 || part.is_empty() || part.len() > 2 {
                return None;
            }
            out[n] = u8::from_str_radix(part, 16).ok()?;
            n += 1;
        }
        (n == 6).then_some(Mac(out))
    }
}

/// Lower-case, two digits per octet, as ether_ntoa(3) prints on FreeBSD.
impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

/// One protocol address on an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IfAddr {
    /// An IPv4 address.
    V4 {
        /// The address.
        addr: Ipv4Addr,
        /// The prefix length, printed as a hex `netmask`.
        prefix: u8,
        /// The broadcast address, when the interface has one.
        broadcast: Option<Ipv4Addr>,
    },
    /// An IPv6 address.
    V6 {
        /// The address.
        addr: Ipv6Addr,
        /// The `prefixlen`.
        prefix: u8,
    },
}

impl IfAddr {
    /// `addr/prefix`, the form the simulator's state views use.
    pub fn cidr(&self) -> String {
        match self {
            IfAddr::V4 { addr, prefix, .. } => format!("{addr}/{prefix}"),
            IfAddr::V6 { addr, prefix } => format!("{addr}/{prefix}"),
        }
    }

    /// True for IPv4.
    pub fn is_v4(&self) -> bool {
        matches!(self, IfAddr::V4 { .. })
    }

    /// The IPv4 netmask of a prefix length.
    pub fn v4_mask(prefix: u8) -> u32 {
        if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) }
    }

    /// The broadcast address FreeBSD's in.c derives (none for /31 and /32).
    pub fn v4_broadcast(addr: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
        if prefix >= 31 {
            return None;
        }
        Some(Ipv4Addr::from(u32::from(addr) | !IfAddr::v4_mask(prefix)))
    }
}

/// Lowest-free allocator of small numbers (cloner units, `if_index`), O(log n) per call.
///
/// Numbers below `next` that were released sit in `free`; allocation takes the smallest one,
/// the kernel's `alloc_unr` behaviour that makes `epair0` come back after a destroy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumAlloc {
    free: BTreeSet<u32>,
    next: u32,
}

impl NumAlloc {
    /// An allocator whose first number is `first`.
    pub fn starting_at(first: u32) -> NumAlloc {
        NumAlloc { free: BTreeSet::new(), next: first }
    }

    /// An allocator whose first number is 1 (`if_index` 0 means "no interface").
    pub fn from_one() -> NumAlloc {
        NumAlloc::starting_at(1)
    }

    /// True when `n` is currently handed out.
    pub fn in_use(&self, n: u32) -> bool {
        n < self.next && !self.free.contains(&n)
    }

    /// The lowest number not handed out, without taking it (O(log n)).
    pub fn lowest_free(&self) -> u32 {
        self.free.first().copied().unwrap_or(self.next)
    }

    /// Takes the lowest free number that `skip` does not reject and that is `<= max`.
    pub fn alloc_lowest(&mut self, max: u32, skip: impl Fn(u32) -> bool) -> Option<u32> {
        let mut found = None;
        for &n in self.free.iter() {
            if n > max {
                break;
            }
            if !skip(n) {
                found = Some(n);
                break;
            }
        }
        if let Some(n) = found {
            self.free.remove(&n);
            return Some(n);
        }
        let mut n = self.next;
        while n <= max && skip(n) {
            n = n.checked_add(1)?;
        }
        if n > max {
            return None;
        }
        self.take_specific(n);
        Some(n)
    }

    /// Takes exactly `n`; false when it is in use.
    pub fn take_specific(&mut self, n: u32) -> bool {
        if self.in_use(n) {
            return false;
        }
        if n < self.next {
            self.free.remove(&n);
        } else {
            for k in self.next..n {
                self.free.insert(k);
            }
            self.next = n.saturating_add(1);
        }
        true
    }

    /// Gives `n` back.
    pub fn release(&mut self, n: u32) {
        if !self.in_use(n) {
            return;
        }
        if n + 1 == self.next {
            self.next = n;
            while self.next > 0 && self.free.remove(&(self.next - 1)) {
                self.next -= 1;
            }
        } else {
            self.free.insert(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_hands_out_lowest_free_first() {
        let mut a = NumAlloc::default();
        assert_eq!(a.alloc_lowest(10, |_| false), Some(0));
        assert_eq!(a.alloc_lowest(10, |_| false), Some(1));
        assert_eq!(a.alloc_lowest(10, |_| false), Some(2));
        a.release(1);
        assert_eq!(a.alloc_lowest(10, |_| false), Some(1));
        assert_eq!(a.alloc_lowest(10, |n| n == 3), Some(4));
        assert!(a.take_specific(7));
        assert!(!a.take_specific(7));
        assert_eq!(a.alloc_lowest(10, |_| false), Some(3));
        assert_eq!(a.alloc_lowest(10, |_| false), Some(5));
        a.release(7);
        a.release(6);
        assert_eq!(a.alloc_lowest(10, |_| false), Some(6));
        assert_eq!(a.alloc_lowest(6, |_| false), None);
    }

    #[test]
    fn mac_parses_and_prints_like_ether_aton() {
        let m = Mac::parse("0:1b:21:AA:bb:c").unwrap();
        assert_eq!(m.to_string(), "00:1b:21:aa:bb:0c");
        assert!(Mac::parse("00:11:22:33:44").is_none());
        assert!(Mac::parse("00:11:22:33:44:55:66").is_none());
        assert!(Mac::parse("00:11:22:33:44:zz").is_none());
    }

    #[test]
    fn broadcast_follows_the_prefix() {
        let a: Ipv4Addr = "192.168.1.10".parse().unwrap();
        assert_eq!(IfAddr::v4_broadcast(a, 24), Some("192.168.1.255".parse().unwrap()));
        assert_eq!(IfAddr::v4_broadcast(a, 32), None);
        assert_eq!(IfAddr::v4_mask(24), 0xffff_ff00);
        assert_eq!(IfAddr::v4_mask(0), 0);
    }
}

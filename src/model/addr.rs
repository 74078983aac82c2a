//! CBSD's `ip4_addr` and `ci_gw4` values, parsed into what each NIC of a vnet jail should get.
//!
//! Pure, so every form CBSD stores (reference/cbsd.md §3.2) has a table test, and so a
//! property test can prove no input makes it panic. The forms:
//!
//! | item | meaning |
//! |---|---|
//! | `0` (alone) or empty | leave the jail's addresses alone |
//! | `10.0.0.5/24`, `10.0.0.5` | static IPv4 (`/24` when no prefix, as CBSD's jstart does) |
//! | `2001:db8::5/64`, `2001:db8::5` | static IPv6 (`/64` when no prefix) |
//! | `REALDHCP` | real DHCP: `dhclient` in the jail, `ifconfig_eth0="DHCP"` |
//! | `SLAAC` | IPv6 autoconfiguration (`inet6 -ifdisabled accept_rtadv`) — a vimage extension |
//! | `DHCP`, `DHCPv6` | CBSD's own address pool: CBSD replaces them at `jstart`; refused here |
//! | `nic#item` | the item for NIC `nic` (a jail NIC name like `eth1`, or its host uplink) |
//!
//! Items are separated by commas (blanks are ignored around them); CBSD's `|` separator for
//! `nic|ip` is accepted as `#`. Items without `nic#` go to the first NIC.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IPv4 address with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cidr4 {
    /// The address.
    pub addr: Ipv4Addr,
    /// Its prefix length.
    pub prefix: u8,
}

/// An IPv6 address with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cidr6 {
    /// The address.
    pub addr: Ipv6Addr,
    /// Its prefix length.
    pub prefix: u8,
}

impl Cidr4 {
    /// True when `ip` lies in this address's subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix.min(32))) };
        u32::from(ip) & mask == u32::from(self.addr) & mask
    }
}

impl Cidr6 {
    /// True when `ip` lies in this address's subnet.
    pub fn contains(&self, ip: Ipv6Addr) -> bool {
        let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix.min(128))) };
        u128::from(ip) & mask == u128::from(self.addr) & mask
    }
}

impl fmt::Display for Cidr4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl fmt::Display for Cidr6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// How a NIC gets its IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum V4 {
    /// No IPv4 configuration.
    #[default]
    None,
    /// `dhclient` (CBSD's `REALDHCP`).
    Dhcp,
    /// These addresses; the first is the primary, the rest are aliases.
    Static(Vec<Cidr4>),
}

/// How a NIC gets its IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum V6 {
    /// No IPv6 configuration.
    #[default]
    None,
    /// Router advertisements (SLAAC).
    Slaac,
    /// These addresses; the first is the primary, the rest are aliases.
    Static(Vec<Cidr6>),
}

/// Addressing of one NIC.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NicAddrs {
    /// IPv4.
    pub v4: V4,
    /// IPv6.
    pub v6: V6,
}

impl NicAddrs {
    /// True when neither family is configured.
    pub fn is_empty(&self) -> bool {
        self.v4 == V4::None && self.v6 == V6::None
    }

    /// True for `REALDHCP`: the jail needs bpf.
    pub fn wants_dhcp(&self) -> bool {
        self.v4 == V4::Dhcp
    }

    /// Adds `other`'s addresses (the same NIC named twice: by name and by uplink), with the
    /// same rules as items of one list: DHCP and static IPv4 do not mix, nor SLAAC and
    /// static IPv6, nor the same address twice.
    pub fn merge(&mut self, other: NicAddrs) -> Result<(), ParseError> {
        self.v4 = match (std::mem::take(&mut self.v4), other.v4) {
            (V4::None, x) | (x, V4::None) => x,
            (V4::Dhcp, V4::Dhcp) => V4::Dhcp,
            (V4::Static(mut a), V4::Static(b)) => {
                for c in b {
                    if a.iter().any(|x| x.addr == c.addr) {
                        return Err(format!("ip4_addr gives {} twice", c.addr));
                    }
                    a.push(c);
                }
                V4::Static(a)
            }
            _ => return Err("a NIC gets its IPv4 address by DHCP or statically, not both".into()),
        };
        self.v6 = match (std::mem::take(&mut self.v6), other.v6) {
            (V6::None, x) | (x, V6::None) => x,
            (V6::Slaac, V6::Slaac) => V6::Slaac,
            (V6::Static(mut a), V6::Static(b)) => {
                for c in b {
                    if a.iter().any(|x| x.addr == c.addr) {
                        return Err(format!("ip4_addr gives {} twice", c.addr));
                    }
                    a.push(c);
                }
                V6::Static(a)
            }
            _ => return Err("a NIC gets its IPv6 address by SLAAC or statically, not both".into()),
        };
        Ok(())
    }
}

/// Which NIC an `ip4_addr` item is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    /// No `nic#` prefix: the first NIC.
    First,
    /// `nic#…`: a jail NIC name (`eth1`) or a host uplink (`em1`), resolved by the caller.
    Named(String),
}

/// A parsed `ip4_addr`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ip4Addr {
    /// Empty for `0`: leave the jail alone.
    pub nics: Vec<(Target, NicAddrs)>,
}

impl Ip4Addr {
    /// True for `0` / empty: vimage touches no address of this jail.
    pub fn leave_alone(&self) -> bool {
        self.nics.is_empty()
    }
}

/// Why a value was refused; shown to the admin as is.
pub type ParseError = String;

fn item_error(item: &str, why: &str) -> ParseError {
    format!("ip4_addr item {item:?}: {why}")
}

/// Parses CBSD's `ip4_addr`. Never panics.
pub fn parse_ip4_addr(s: &str) -> Result<Ip4Addr, ParseError> {
    let s = s.trim();
    if s.is_empty() || s == "0" {
        return Ok(Ip4Addr::default());
    }
    let mut out: Vec<(Target, NicAddrs)> = Vec::new();
    for raw in s.split(',') {
        let item = raw.trim();
        if item.is_empty() {
            continue;
        }
        let (target, what) = match item.split_once(['#', '|']) {
            Some((nic, rest)) => {
                let nic = nic.trim();
                if nic.is_empty() || nic == "0" {
                    return Err(item_error(item, "names no NIC before '#'"));
                }
                if !nic.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) || nic.len() > 15 {
                    return Err(item_error(item, "the NIC before '#' is not an interface name"));
                }
                (Target::Named(nic.to_string()), rest.trim())
            }
            None => (Target::First, item),
        };
        if what == "0" {
            return Err(item_error(item, "'0' (leave alone) cannot be combined with other items"));
        }
        let idx = match out.iter().position(|(t, _)| *t == target) {
            Some(i) => i,
            None => {
                out.push((target, NicAddrs::default()));
                out.len() - 1
            }
        };
        add_item(&mut out[idx].1, item, what)?;
    }
    if out.is_empty() {
        return Ok(Ip4Addr::default());
    }
    Ok(Ip4Addr { nics: out })
}

fn add_item(n: &mut NicAddrs, item: &str, what: &str) -> Result<(), ParseError> {
    match what.to_ascii_uppercase().as_str() {
        "REALDHCP" => {
            return match &n.v4 {
                V4::None | V4::Dhcp => {
                    n.v4 = V4::Dhcp;
                    Ok(())
                }
                V4::Static(_) => Err(item_error(item, "a NIC gets its IPv4 address by DHCP or statically, not both")),
            };
        }
        "SLAAC" => {
            return match &n.v6 {
                V6::None | V6::Slaac => {
                    n.v6 = V6::Slaac;
                    Ok(())
                }
                V6::Static(_) => Err(item_error(item, "a NIC gets its IPv6 address by SLAAC or statically, not both")),
            };
        }
        "DHCP" | "DHCPV6" => {
            return Err(item_error(
                item,
                "is CBSD's own address pool, which CBSD resolves to an address at jstart; \
                 give that address, or REALDHCP for real DHCP",
            ));
        }
        _ => {}
    }
    let (a, len) = match what.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (what, None),
    };
    let ip: IpAddr = a.parse().map_err(|_| item_error(item, "is not an IPv4 or IPv6 address"))?;
    let prefix = match len {
        None => None,
        Some(l) if !l.is_empty() && l.len() <= 3 && l.bytes().all(|b| b.is_ascii_digit()) => {
            Some(l.parse::<u8>().map_err(|_| item_error(item, "bad prefix length"))?)
        }
        Some(_) => return Err(item_error(item, "bad prefix length")),
    };
    match ip {
        IpAddr::V4(v4) => {
            let prefix = prefix.unwrap_or(24);
            if prefix > 32 {
                return Err(item_error(item, "IPv4 prefix length is at most 32"));
            }
            if v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast() || v4.is_loopback() {
                return Err(item_error(item, "cannot be an interface address"));
            }
            let c = Cidr4 { addr: v4, prefix };
            match &mut n.v4 {
                V4::None => n.v4 = V4::Static(vec![c]),
                V4::Static(v) if v.iter().any(|x| x.addr == v4) => {
                    return Err(item_error(item, "is given twice"));
                }
                V4::Static(v) => v.push(c),
                V4::Dhcp => {
                    return Err(item_error(item, "a NIC gets its IPv4 address by DHCP or statically, not both"));
                }
            }
        }
        IpAddr::V6(v6) => {
            let prefix = prefix.unwrap_or(64);
            if prefix > 128 {
                return Err(item_error(item, "IPv6 prefix length is at most 128"));
            }
            if v6.is_unspecified() || v6.is_multicast() || v6.is_loopback() {
                return Err(item_error(item, "cannot be an interface address"));
            }
            let c = Cidr6 { addr: v6, prefix };
            match &mut n.v6 {
                V6::None => n.v6 = V6::Static(vec![c]),
                V6::Static(v) if v.iter().any(|x| x.addr == v6) => {
                    return Err(item_error(item, "is given twice"));
                }
                V6::Static(v) => v.push(c),
                V6::Slaac => {
                    return Err(item_error(item, "a NIC gets its IPv6 address by SLAAC or statically, not both"));
                }
            }
        }
    }
    Ok(())
}

/// CBSD's `ci_gw4`: the jail's default router(s).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Gateway {
    /// `0` or empty: vimage does not manage the default router.
    #[default]
    Unmanaged,
    /// `auto`: the router of the LAN the jail is bridged to (the bridge's own address in the
    /// jail's subnet, else the host's default gateway when it is in the jail's subnet).
    Auto,
    /// Explicit routers: at most one IPv4 and one IPv6 (a link-local one may carry `%nic`).
    Fixed {
        /// The IPv4 router (`defaultrouter`).
        v4: Option<Ipv4Addr>,
        /// The IPv6 router (`ipv6_defaultrouter`).
        v6: Option<Gw6>,
    },
}

/// An IPv6 router, optionally link-local with the jail NIC it is reached through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gw6 {
    /// The router.
    pub addr: Ipv6Addr,
    /// `eth0` in `fe80::1%eth0`.
    pub scope: Option<String>,
}

impl fmt::Display for Gw6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scope {
            Some(s) => write!(f, "{}%{s}", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

/// True for fe80::/10.
pub fn is_link_local6(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// Parses `ci_gw4`. Never panics.
pub fn parse_ci_gw4(s: &str) -> Result<Gateway, ParseError> {
    let s = s.trim();
    if s.is_empty() || s == "0" {
        return Ok(Gateway::Unmanaged);
    }
    if s.eq_ignore_ascii_case("auto") {
        return Ok(Gateway::Auto);
    }
    let (mut v4, mut v6) = (None, None);
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let bad = |why: &str| format!("ci_gw4 item {item:?}: {why}");
        let (a, scope) = match item.split_once('%') {
            Some((a, sc)) => (a, Some(sc)),
            None => (item, None),
        };
        match a.parse::<IpAddr>().map_err(|_| bad("is not an IPv4 or IPv6 address, 0 or auto"))? {
            IpAddr::V4(x) => {
                if scope.is_some() {
                    return Err(bad("an IPv4 router has no %scope"));
                }
                if x.is_unspecified() || x.is_multicast() || x.is_broadcast() || x.is_loopback() {
                    return Err(bad("cannot be a router"));
                }
                if v4.replace(x).is_some() {
                    return Err(bad("gives a second IPv4 router"));
                }
            }
            IpAddr::V6(x) => {
                if x.is_unspecified() || x.is_multicast() || x.is_loopback() {
                    return Err(bad("cannot be a router"));
                }
                let scope = match scope {
                    None => None,
                    Some(sc) if is_link_local6(&x) && super::names::IfName::parse(sc).is_ok() => Some(sc.to_string()),
                    Some(_) if !is_link_local6(&x) => return Err(bad("only a link-local (fe80::) router takes %nic")),
                    Some(_) => return Err(bad("the part after % is not an interface name")),
                };
                if v6.replace(Gw6 { addr: x, scope }).is_some() {
                    return Err(bad("gives a second IPv6 router"));
                }
            }
        }
    }
    if v4.is_none() && v6.is_none() {
        return Ok(Gateway::Unmanaged);
    }
    Ok(Gateway::Fixed { v4, v6 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c4(s: &str) -> Cidr4 {
        let (a, p) = s.split_once('/').unwrap();
        Cidr4 { addr: a.parse().unwrap(), prefix: p.parse().unwrap() }
    }

    fn c6(s: &str) -> Cidr6 {
        let (a, p) = s.split_once('/').unwrap();
        Cidr6 { addr: a.parse().unwrap(), prefix: p.parse().unwrap() }
    }

    fn first(v4: V4, v6: V6) -> Ip4Addr {
        Ip4Addr { nics: vec![(Target::First, NicAddrs { v4, v6 })] }
    }

    #[test]
    fn every_cbsd_form() {
        let table: Vec<(&str, Ip4Addr)> = vec![
            ("0", Ip4Addr::default()),
            ("", Ip4Addr::default()),
            ("  ", Ip4Addr::default()),
            ("10.0.0.5/24", first(V4::Static(vec![c4("10.0.0.5/24")]), V6::None)),
            ("10.0.0.5", first(V4::Static(vec![c4("10.0.0.5/24")]), V6::None)),
            ("10.0.0.5/32", first(V4::Static(vec![c4("10.0.0.5/32")]), V6::None)),
            ("2001:db8::5", first(V4::None, V6::Static(vec![c6("2001:db8::5/64")]))),
            ("2001:db8::5/112", first(V4::None, V6::Static(vec![c6("2001:db8::5/112")]))),
            (
                "10.0.0.5/24, 10.0.0.6/24,2001:db8::5/64",
                first(V4::Static(vec![c4("10.0.0.5/24"), c4("10.0.0.6/24")]), V6::Static(vec![c6("2001:db8::5/64")])),
            ),
            ("REALDHCP", first(V4::Dhcp, V6::None)),
            ("realdhcp", first(V4::Dhcp, V6::None)),
            ("REALDHCP,SLAAC", first(V4::Dhcp, V6::Slaac)),
            ("REALDHCP,2001:db8::5", first(V4::Dhcp, V6::Static(vec![c6("2001:db8::5/64")]))),
            (
                "eth1#10.1.0.5/16,10.0.0.5",
                Ip4Addr {
                    nics: vec![
                        (
                            Target::Named("eth1".into()),
                            NicAddrs { v4: V4::Static(vec![c4("10.1.0.5/16")]), v6: V6::None },
                        ),
                        (Target::First, NicAddrs { v4: V4::Static(vec![c4("10.0.0.5/24")]), v6: V6::None }),
                    ],
                },
            ),
            (
                "em1|REALDHCP",
                Ip4Addr { nics: vec![(Target::Named("em1".into()), NicAddrs { v4: V4::Dhcp, v6: V6::None })] },
            ),
        ];
        for (input, want) in table {
            assert_eq!(parse_ip4_addr(input), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn refusals_say_why() {
        for (input, why) in [
            ("DHCP", "CBSD's own address pool"),
            ("DHCPv6", "CBSD's own address pool"),
            ("REALDHCP,10.0.0.5", "not both"),
            ("10.0.0.5,REALDHCP", "not both"),
            ("SLAAC,2001:db8::1", "not both"),
            ("10.0.0.5/33", "at most 32"),
            ("2001:db8::1/129", "at most 128"),
            ("10.0.0.5/x", "bad prefix"),
            ("10.0.0.5/", "bad prefix"),
            ("10.0.0", "not an IPv4"),
            ("hostname.example", "not an IPv4"),
            ("#10.0.0.5", "names no NIC"),
            ("e;th0#10.0.0.5", "not an interface name"),
            ("10.0.0.5,0", "cannot be combined"),
            ("10.0.0.5,10.0.0.5/16", "twice"),
            ("224.0.0.1", "cannot be an interface"),
            ("127.0.0.1", "cannot be an interface"),
            ("::", "cannot be an interface"),
        ] {
            let e = parse_ip4_addr(input).unwrap_err();
            assert!(e.contains(why), "{input:?}: {e}");
        }
    }

    #[test]
    fn one_nic_named_twice_merges() {
        let mut a = NicAddrs { v4: V4::Static(vec![c4("10.0.0.5/24")]), v6: V6::None };
        a.merge(NicAddrs { v4: V4::Static(vec![c4("10.0.0.6/24")]), v6: V6::Slaac }).unwrap();
        assert_eq!(a, NicAddrs { v4: V4::Static(vec![c4("10.0.0.5/24"), c4("10.0.0.6/24")]), v6: V6::Slaac });
        assert!(a.clone().merge(NicAddrs { v4: V4::Dhcp, v6: V6::None }).is_err());
        assert!(a.clone().merge(NicAddrs { v4: V4::Static(vec![c4("10.0.0.5/16")]), v6: V6::None }).is_err());
        assert!(a.merge(NicAddrs { v4: V4::None, v6: V6::Static(vec![c6("2001:db8::1/64")]) }).is_err());
    }

    #[test]
    fn ci_gw4_forms() {
        assert_eq!(parse_ci_gw4("0"), Ok(Gateway::Unmanaged));
        assert_eq!(parse_ci_gw4(""), Ok(Gateway::Unmanaged));
        assert_eq!(parse_ci_gw4("auto"), Ok(Gateway::Auto));
        assert_eq!(parse_ci_gw4("AUTO"), Ok(Gateway::Auto));
        assert_eq!(parse_ci_gw4("10.0.0.1"), Ok(Gateway::Fixed { v4: Some("10.0.0.1".parse().unwrap()), v6: None }));
        assert_eq!(
            parse_ci_gw4("10.0.0.1, fe80::1%eth0"),
            Ok(Gateway::Fixed {
                v4: Some("10.0.0.1".parse().unwrap()),
                v6: Some(Gw6 { addr: "fe80::1".parse().unwrap(), scope: Some("eth0".into()) })
            })
        );
        for bad in ["10.0.0.1,10.0.0.2", "x", "10.0.0.1%eth0", "2001:db8::1%eth0", "fe80::1%e;th", "255.255.255.255"] {
            assert!(parse_ci_gw4(bad).is_err(), "{bad}");
        }
        assert_eq!(Gw6 { addr: "fe80::1".parse().unwrap(), scope: Some("eth0".into()) }.to_string(), "fe80::1%eth0");
    }

    #[test]
    fn subnets_contain_their_neighbours() {
        assert!(c4("10.0.0.5/24").contains("10.0.0.1".parse().unwrap()));
        assert!(!c4("10.0.0.5/24").contains("10.0.1.1".parse().unwrap()));
        assert!(c4("10.0.0.5/0").contains("1.2.3.4".parse().unwrap()));
        assert!(c6("2001:db8::5/64").contains("2001:db8::1".parse().unwrap()));
        assert!(!c6("2001:db8::5/64").contains("2001:db9::1".parse().unwrap()));
        assert!(is_link_local6(&"fe80::1".parse().unwrap()));
        assert!(!is_link_local6(&"2001:db8::1".parse().unwrap()));
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,60}") {
            let _ = parse_ip4_addr(&s);
            let _ = parse_ci_gw4(&s);
        }

        #[test]
        fn never_panics_on_near_miss_text(s in "[0-9a-fA-F:./#|,% REALDHCPSLAAC]{0,40}") {
            if let Ok(p) = parse_ip4_addr(&s) {
                for (_, n) in &p.nics {
                    prop_assert!(!n.is_empty());
                }
            }
            let _ = parse_ci_gw4(&s);
        }
    }
}

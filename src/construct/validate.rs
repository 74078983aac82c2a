//! Validation of each answer the jail-creation wizard takes, one function per question.
//!
//! The same functions check a `key=value` on the command line and a line typed into the
//! wizard, so both paths accept exactly the same values. Every value that passes ends up
//! inside double quotes in a jconf that sh sources, so each accepts only characters that are
//! inert there (no `"`, `$`, `` ` ``, `\`, `#`, newline).

use super::{Addressing, Cidr, Hostname, Mode};
use crate::model::{Invalid, ModeKind, Uplink};
use std::net::IpAddr;

/// Most NICs one jail may get from the wizard: enough for any real use, small enough to type.
pub const MAX_NICS: usize = 8;

/// `epair` or `netgraph` (any case).
pub fn mode(s: &str) -> Result<Mode, Invalid> {
    let word = s.trim().to_ascii_lowercase();
    match ModeKind::parse_key(&word) {
        Some(ModeKind::Epair) => Ok(Mode::Epair),
        Some(ModeKind::Netgraph) => Ok(Mode::Netgraph),
        Some(ModeKind::Passthrough) | None => Err(Invalid(format!("mode {word:?} is not epair or netgraph"))),
    }
}

/// A host name: dot-separated labels of letters, digits and `-` (RFC 1123), each 1–63 bytes
/// and not starting or ending with `-`; at most 253 bytes in all.
pub fn hostname(s: &str) -> Result<Hostname, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Invalid("host name is empty".into()));
    }
    if s.len() > 253 {
        return Err(Invalid(format!("host name is {} bytes; at most 253 are allowed", s.len())));
    }
    for label in s.split('.') {
        if label.is_empty() {
            return Err(Invalid(format!("host name {s:?} has an empty label (two dots, or a dot at an end)")));
        }
        if label.len() > 63 {
            return Err(Invalid(format!("host name label {label:?} is {} bytes; at most 63", label.len())));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(Invalid(format!("host name {s:?} contains {c:?}; allowed are letters, digits, - and .")));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Invalid(format!("host name label {label:?} starts or ends with -")));
        }
    }
    Ok(Hostname(s.to_string()))
}

/// One uplink: a host interface name or `auto` (the default-route interface).
pub fn uplink(s: &str) -> Result<Uplink, Invalid> {
    match s.trim() {
        "" => Err(Invalid("uplink is empty (give an interface name, or auto)".into())),
        t => Uplink::parse(t),
    }
}

/// A list of uplinks, blank- or comma-separated, 1 to [`MAX_NICS`] of them. The same uplink
/// may appear more than once (two NICs on one LAN).
pub fn uplinks(s: &str) -> Result<Vec<Uplink>, Invalid> {
    let items: Vec<&str> = s.split([',', ' ', '\t']).filter(|w| !w.is_empty()).collect();
    if items.is_empty() {
        return Err(Invalid("no uplink given (give interface names, or auto)".into()));
    }
    if items.len() > MAX_NICS {
        return Err(Invalid(format!("{} uplinks given; at most {MAX_NICS} NICs per jail", items.len())));
    }
    items.into_iter().map(uplink).collect()
}

/// An address with its prefix length, `10.0.0.5/24` or `2001:db8::5/64`. Refuses addresses a
/// jail's NIC cannot carry: unspecified, loopback, multicast, and (IPv4 up to /30) the
/// network or broadcast address of its own subnet.
pub fn cidr(s: &str) -> Result<Cidr, Invalid> {
    let s = s.trim();
    let (a, p) = s.split_once('/').ok_or_else(|| {
        Invalid(format!("{s:?} has no prefix length; write it as address/prefix, e.g. 192.0.2.10/24"))
    })?;
    let addr: IpAddr = a.parse().map_err(|_| Invalid(format!("{a:?} is not an IPv4 or IPv6 address")))?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = p
        .parse()
        .ok()
        .filter(|n| (1..=max).contains(n) && !p.starts_with('+') && !(p.len() > 1 && p.starts_with('0')))
        .ok_or_else(|| Invalid(format!("prefix length {p:?} of {a} is not a number from 1 to {max}")))?;
    usable(addr)?;
    if let IpAddr::V4(v4) = addr
        && prefix <= 30
    {
        let host_bits = u32::from(v4) & (u32::MAX >> prefix);
        if host_bits == 0 {
            return Err(Invalid(format!("{s} is the network address of its subnet, not a host's")));
        }
        if host_bits == u32::MAX >> prefix {
            return Err(Invalid(format!("{s} is the broadcast address of its subnet, not a host's")));
        }
    }
    Ok(Cidr { addr, prefix })
}

/// A router's address (no prefix): a host address, not unspecified, loopback or multicast.
pub fn router(s: &str) -> Result<IpAddr, Invalid> {
    let s = s.trim();
    let addr: IpAddr = s.parse().map_err(|_| Invalid(format!("router {s:?} is not an IPv4 or IPv6 address")))?;
    usable(addr)?;
    Ok(addr)
}

fn usable(addr: IpAddr) -> Result<(), Invalid> {
    let why = if addr.is_unspecified() {
        "is the unspecified address"
    } else if addr.is_loopback() {
        "is a loopback address"
    } else if addr.is_multicast() {
        "is a multicast address"
    } else if matches!(addr, IpAddr::V4(v) if v.is_broadcast()) {
        "is the broadcast address"
    } else {
        return Ok(());
    };
    Err(Invalid(format!("{addr} {why}; a jail's NIC needs a unicast host address")))
}

/// `ip4_addr`, as CBSD spells it: `REALDHCP` (also `dhcp`, any case) for dhclient inside the
/// jail, or comma-separated addresses with prefix, at most one IPv4 and one IPv6.
pub fn ip4_addr(s: &str) -> Result<Addressing, Invalid> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("realdhcp") || t.eq_ignore_ascii_case("dhcp") {
        return Ok(Addressing::Dhcp);
    }
    let addrs: Vec<Cidr> = t.split(',').map(str::trim).filter(|w| !w.is_empty()).map(cidr).collect::<Result<_, _>>()?;
    if addrs.is_empty() {
        return Err(Invalid("no address given (REALDHCP, or address/prefix[,address/prefix])".into()));
    }
    for v4 in [true, false] {
        if addrs.iter().filter(|c| c.addr.is_ipv4() == v4).count() > 1 {
            let fam = if v4 { "IPv4" } else { "IPv6" };
            return Err(Invalid(format!("more than one {fam} address given; the wizard sets one per family")));
        }
    }
    Ok(Addressing::Static { addrs, routers: Vec::new() })
}

/// `ci_gw4`, CBSD's default-router list: `0` (none) or comma-separated router addresses, at
/// most one per family, each of a family that has an address and inside that address's
/// subnet (FreeBSD's defaultrouter must be on a connected network). With DHCP it must be 0.
pub fn routers(s: &str, addressing: &Addressing) -> Result<Vec<IpAddr>, Invalid> {
    let t = s.trim();
    if t.is_empty() || t == "0" {
        return Ok(Vec::new());
    }
    let Addressing::Static { addrs, .. } = addressing else {
        return Err(Invalid("ci_gw4 must be 0 with DHCP (the DHCP server supplies the router)".into()));
    };
    let rs: Vec<IpAddr> =
        t.split(',').map(str::trim).filter(|w| !w.is_empty()).map(router).collect::<Result<_, _>>()?;
    for r in &rs {
        if rs.iter().filter(|o| o.is_ipv4() == r.is_ipv4()).count() > 1 {
            return Err(Invalid("more than one router of the same family given".into()));
        }
        let Some(net) = addrs.iter().find(|c| c.addr.is_ipv4() == r.is_ipv4()) else {
            let fam = if r.is_ipv4() { "IPv4" } else { "IPv6" };
            return Err(Invalid(format!("router {r} is {fam}, but the jail has no {fam} address")));
        };
        if !net.contains(*r) {
            return Err(Invalid(format!("router {r} is not inside {net}: the jail could not reach it")));
        }
        if net.addr == *r {
            return Err(Invalid(format!("router {r} is the jail's own address")));
        }
    }
    Ok(rs)
}

/// A devfs ruleset number, 1–65535. 0 is refused: it means no ruleset, i.e. every device of
/// the host visible in the jail.
pub fn devfs_ruleset(s: &str) -> Result<u16, Invalid> {
    let t = s.trim();
    match t.parse::<u16>() {
        Ok(0) => Err(Invalid("devfs ruleset 0 would show the jail every device of the host; use 5 or higher".into())),
        Ok(n) if !t.starts_with('+') => Ok(n),
        _ => Err(Invalid(format!("devfs ruleset {t:?} is not a number from 1 to 65535"))),
    }
}

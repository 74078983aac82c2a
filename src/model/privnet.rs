//! Private jail networks (`vimage net`): a host-only if_bridge with a gateway address and an
//! IPv4 address pool. Pure: the names, the CIDR rules and the pool's choice of the lowest free
//! address live here, so the CLI, rc.conf's `vimage_net_*`, the planner and `status` apply one
//! set of rules, each with its table test.

use super::addr::{Cidr4, Cidr6};
use super::names::{IfName, Invalid};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The prefix of an uplink that names a network instead of an interface (`net:jails`).
pub const NET_PREFIX: &str = "net:";

/// Longest network name: the bridge's description `vimage:net:<name>` and the pf anchor
/// `vimage/<name>` have room for far more; 32 keeps messages and `ifconfig` lines readable.
pub const NET_NAME_MAX: usize = 32;

/// A network's name. It becomes part of an rc.conf variable (`vimage_net_<name>_cidr`, so only
/// what sh(1) takes in a variable name: letters, digits, `_`, not starting with a digit), of the
/// bridge's description (`vimage:net:<name>`, no `:` so the marker reads back) and of a pf
/// anchor path (`vimage/<name>`, no `/`, sbin/pfctl/parse.y takes the anchor as one string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NetName(String);

impl NetName {
    /// Checks `s` against the rules above; the error says which rule it broke.
    pub fn parse(s: &str) -> Result<NetName, Invalid> {
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if s.is_empty() || s.len() > NET_NAME_MAX || !first_ok || !rest_ok {
            return Err(Invalid(format!(
                "network name {s:?}: use 1 to {NET_NAME_MAX} letters, digits and _, starting with a letter \
                 (it becomes part of rc.conf variables, the bridge's description and a pf anchor name)"
            )));
        }
        Ok(NetName(s.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The uplink word a NIC uses to join it (`net:jails`), which is also what the records
    /// and the bridge's marker (`vimage:net:jails`) hold as its uplink.
    pub fn uplink(&self) -> String {
        format!("{NET_PREFIX}{}", self.0)
    }
}

impl TryFrom<String> for NetName {
    type Error = Invalid;
    fn try_from(s: String) -> Result<NetName, Invalid> {
        NetName::parse(&s)
    }
}

impl From<NetName> for String {
    fn from(n: NetName) -> String {
        n.0
    }
}

impl fmt::Display for NetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What NAT the network wants (`nat=`). Parsed and stored now; pf rules come in a later step.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Nat {
    /// `auto` (the default): NAT out of the interface that holds the default route.
    #[default]
    Auto,
    /// `nat=IF`: NAT out of this interface.
    Iface(IfName),
    /// `nat=0`: no NAT; the network stays host-only (or routed by the admin).
    Off,
}

impl Nat {
    /// Reads `auto`, `0`/`no`/`off`, or an interface name.
    pub fn parse(s: &str) -> Result<Nat, Invalid> {
        match s {
            "" | "auto" | "1" | "yes" => Ok(Nat::Auto),
            "0" | "no" | "off" | "none" => Ok(Nat::Off),
            other => IfName::parse(other).map(Nat::Iface).map_err(|e| Invalid(format!("nat={other:?}: {e}"))),
        }
    }

    /// True unless `nat=0`.
    pub fn is_on(&self) -> bool {
        *self != Nat::Off
    }
}

impl fmt::Display for Nat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Nat::Auto => f.write_str("auto"),
            Nat::Iface(i) => i.fmt(f),
            Nat::Off => f.write_str("0"),
        }
    }
}

/// Where a network's definition comes from; rc.conf's are read-only from vimage's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetSource {
    /// `vimage net create` (vimage's database).
    Db,
    /// `vimage_net_list` in the host's rc.conf (the standalone service).
    RcConf,
}

/// One private network, validated: every field is consistent with the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetDef {
    /// Its name (`jails`).
    pub name: NetName,
    /// The IPv4 network (host bits zero): `10.77.0.0/24`.
    pub cidr: Cidr4,
    /// The host's address on the bridge and the jails' default router.
    pub gateway: Ipv4Addr,
    /// NAT wanted (`nat=`).
    pub nat: Nat,
    /// An IPv6 network; the bridge then gets its first host address too.
    pub cidr6: Option<Cidr6>,
    /// Members are isolated from each other (if_bridge `private`), still reaching the gateway.
    pub private: bool,
    /// Where the definition lives.
    pub source: NetSource,
}

/// The text form of a network's definition, as `net create` or rc.conf give it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetInput<'a> {
    /// `name=`.
    pub name: &'a str,
    /// `cidr=`.
    pub cidr: &'a str,
    /// `gateway=` (empty: the first host address).
    pub gateway: &'a str,
    /// `nat=` (empty: auto).
    pub nat: &'a str,
    /// `cidr6=` (empty: none).
    pub cidr6: &'a str,
    /// `private=` already read as a flag.
    pub private: bool,
}

fn mask4(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) }
}

fn mask6(prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix.min(128))) }
}

/// Reads `a.b.c.d/p` as a network: the prefix is required (a pool without one is a guess) and
/// the host bits must be zero (`10.77.0.5/24` is refused with the network it probably means).
pub fn parse_cidr4(s: &str) -> Result<Cidr4, Invalid> {
    let bad = || Invalid(format!("cidr={s:?} is not an IPv4 network like 10.77.0.0/24"));
    let (a, p) = s.split_once('/').ok_or_else(bad)?;
    let addr: Ipv4Addr = a.parse().map_err(|_| bad())?;
    let prefix: u8 = p.parse().map_err(|_| bad())?;
    if !(8..=30).contains(&prefix) {
        return Err(Invalid(format!(
            "cidr={s:?}: the prefix must be 8 to 30 (a gateway and at least one jail need room)"
        )));
    }
    let net = Ipv4Addr::from(u32::from(addr) & mask4(prefix));
    if net != addr {
        return Err(Invalid(format!("cidr={s:?} has host bits set; the network is {net}/{prefix}")));
    }
    Ok(Cidr4 { addr, prefix })
}

/// Reads an IPv6 network the same way (prefix 16 to 126, host bits zero).
pub fn parse_cidr6(s: &str) -> Result<Cidr6, Invalid> {
    let bad = || Invalid(format!("cidr6={s:?} is not an IPv6 network like fd00:77::/64"));
    let (a, p) = s.split_once('/').ok_or_else(bad)?;
    let addr: Ipv6Addr = a.parse().map_err(|_| bad())?;
    let prefix: u8 = p.parse().map_err(|_| bad())?;
    if !(16..=126).contains(&prefix) {
        return Err(Invalid(format!("cidr6={s:?}: the prefix must be 16 to 126")));
    }
    let net = Ipv6Addr::from(u128::from(addr) & mask6(prefix));
    if net != addr {
        return Err(Invalid(format!("cidr6={s:?} has host bits set; the network is {net}/{prefix}")));
    }
    Ok(Cidr6 { addr, prefix })
}

/// The broadcast address of an IPv4 network.
pub fn broadcast(c: &Cidr4) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(c.addr) | !mask4(c.prefix))
}

/// True when the two networks share an address.
pub fn overlaps(a: &Cidr4, b: &Cidr4) -> bool {
    let p = a.prefix.min(b.prefix);
    u32::from(a.addr) & mask4(p) == u32::from(b.addr) & mask4(p)
}

impl NetDef {
    /// Validates a definition given as text: the CIDR, the gateway inside it and neither its
    /// network nor its broadcast address (default: the first host address), NAT, IPv6.
    pub fn from_input(i: &NetInput<'_>, source: NetSource) -> Result<NetDef, Invalid> {
        let name = NetName::parse(i.name)?;
        let cidr = parse_cidr4(i.cidr)?;
        let gateway = if i.gateway.is_empty() {
            Ipv4Addr::from(u32::from(cidr.addr) + 1)
        } else {
            let g: Ipv4Addr =
                i.gateway.parse().map_err(|_| Invalid(format!("gateway={:?} is not an IPv4 address", i.gateway)))?;
            if !cidr.contains(g) {
                return Err(Invalid(format!("gateway={g} is outside cidr={cidr}")));
            }
            if g == cidr.addr || g == broadcast(&cidr) {
                return Err(Invalid(format!(
                    "gateway={g} is the {} address of {cidr}; give a host address",
                    if g == cidr.addr { "network" } else { "broadcast" }
                )));
            }
            g
        };
        let nat = Nat::parse(i.nat)?;
        let cidr6 = if i.cidr6.is_empty() { None } else { Some(parse_cidr6(i.cidr6)?) };
        Ok(NetDef { name, cidr, gateway, nat, cidr6, private: i.private, source })
    }

    /// The gateway with the network's prefix, as it goes on the bridge (`10.77.0.1/24`).
    pub fn gateway_cidr(&self) -> Cidr4 {
        Cidr4 { addr: self.gateway, prefix: self.cidr.prefix }
    }

    /// The bridge's IPv6 address: the network's first host address (`fd00:77::1/64`).
    pub fn gateway6_cidr(&self) -> Option<Cidr6> {
        self.cidr6.map(|c| Cidr6 { addr: Ipv6Addr::from(u128::from(c.addr) + 1), prefix: c.prefix })
    }

    /// How many addresses the pool hands out: the network's hosts less the gateway.
    pub fn pool_size(&self) -> u64 {
        let hosts = (1u64 << (32 - u32::from(self.cidr.prefix))) - 2;
        hosts - 1
    }

    /// True when `a` may be given to a jail: inside the network and not its network,
    /// broadcast or gateway address.
    pub fn assignable(&self, a: Ipv4Addr) -> bool {
        self.cidr.contains(a) && a != self.cidr.addr && a != broadcast(&self.cidr) && a != self.gateway
    }

    /// The lowest assignable address not in `used` (addresses on the host, other jails'
    /// leases); `None` when the pool is exhausted. Walks at most `used.len() + 2` addresses
    /// past the first, however large the network.
    pub fn lowest_free(&self, used: &BTreeSet<Ipv4Addr>) -> Option<Ipv4Addr> {
        let first = u32::from(self.cidr.addr) + 1;
        let last = u32::from(broadcast(&self.cidr)) - 1;
        (first..=last).map(Ipv4Addr::from).find(|a| self.assignable(*a) && !used.contains(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(cidr: &str, gw: &str) -> Result<NetDef, Invalid> {
        NetDef::from_input(&NetInput { name: "jails", cidr, gateway: gw, ..Default::default() }, NetSource::Db)
    }

    #[test]
    fn names_fit_rc_conf_variables_bridge_markers_and_pf_anchors() {
        for ok in ["jails", "j", "net_1", "A2"] {
            assert!(NetName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1net", "a-b", "a:b", "a/b", "a b", "_x", "wéb", &"a".repeat(33)] {
            assert!(NetName::parse(bad).unwrap_err().0.contains("network name"), "{bad:?}");
        }
        assert_eq!(NetName::parse("jails").unwrap().uplink(), "net:jails");
    }

    #[test]
    fn the_gateway_defaults_to_the_first_host_and_must_be_a_host_inside() {
        let d = def("10.77.0.0/24", "").unwrap();
        assert_eq!((d.gateway, d.gateway_cidr().to_string()), (Ipv4Addr::new(10, 77, 0, 1), "10.77.0.1/24".into()));
        assert_eq!(d.nat, Nat::Auto);
        assert_eq!(def("10.77.0.0/24", "10.77.0.254").unwrap().gateway, Ipv4Addr::new(10, 77, 0, 254));
        for (gw, why) in [
            ("10.78.0.1", "outside"),
            ("10.77.0.0", "network address"),
            ("10.77.0.255", "broadcast address"),
            ("x", "not an IPv4"),
        ] {
            assert!(def("10.77.0.0/24", gw).unwrap_err().0.contains(why), "{gw}");
        }
        for (cidr, why) in [
            ("10.77.0.5/24", "host bits set; the network is 10.77.0.0/24"),
            ("10.77.0.0", "not an IPv4 network"),
            ("10.77.0.0/31", "prefix must be 8 to 30"),
            ("300.0.0.0/24", "not an IPv4 network"),
        ] {
            assert!(def(cidr, "").unwrap_err().0.contains(why), "{cidr}");
        }
    }

    #[test]
    fn the_pool_gives_the_lowest_free_never_network_broadcast_or_gateway() {
        let d = def("10.77.0.0/29", "10.77.0.2").unwrap();
        assert_eq!(d.pool_size(), 5);
        let mut used = BTreeSet::new();
        let mut got = Vec::new();
        while let Some(a) = d.lowest_free(&used) {
            used.insert(a);
            got.push(a.to_string());
        }
        assert_eq!(got, ["10.77.0.1", "10.77.0.3", "10.77.0.4", "10.77.0.5", "10.77.0.6"]);
        assert!(!d.assignable(Ipv4Addr::new(10, 77, 0, 7)) && !d.assignable(Ipv4Addr::new(10, 77, 0, 2)));
    }

    #[test]
    fn overlap_nat_and_ipv6() {
        let a = parse_cidr4("10.77.0.0/16").unwrap();
        assert!(overlaps(&a, &parse_cidr4("10.77.5.0/24").unwrap()));
        assert!(!overlaps(&a, &parse_cidr4("10.78.0.0/24").unwrap()));
        assert_eq!(Nat::parse("0").unwrap(), Nat::Off);
        assert_eq!(Nat::parse("em0").unwrap().to_string(), "em0");
        assert!(Nat::parse("a:b").is_err());
        let d = NetDef::from_input(
            &NetInput { name: "j", cidr: "10.1.0.0/24", cidr6: "fd00:77::/64", ..Default::default() },
            NetSource::Db,
        )
        .unwrap();
        assert_eq!(d.gateway6_cidr().unwrap().to_string(), "fd00:77::1/64");
        assert!(parse_cidr6("fd00:77::1/64").unwrap_err().0.contains("host bits"));
    }
}

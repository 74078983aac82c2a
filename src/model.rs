//! Validated names and the desired network of one jail.
//!
//! Every value that reaches an argv or a file passes through one of these newtypes first, so
//! the planner never has to wonder whether a jail name holds a shell metacharacter or an
//! interface name fits in IFNAMSIZ.

use serde::{Deserialize, Serialize};
use std::fmt;

/// FreeBSD's IFNAMSIZ is 16 including the NUL: 15 visible bytes (sys/net/if.h).
pub const IFNAMSIZ_VISIBLE: usize = 15;

/// Why a name or value was refused; the text is shown to the admin as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// A jail name as CBSD and jail(8) accept it.
///
/// CBSD's `validate_jname` allows `^[a-zA-Z0-9_@%:][-a-zA-Z0-9_@%:]*$`; jail(8) additionally
/// refuses names that are all digits (they would be read as a JID) and names with a dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JailName(String);

impl JailName {
    /// Checks `s` against the rules above; the error names the offending character.
    pub fn parse(s: &str) -> Result<JailName, Invalid> {
        if s.is_empty() {
            return Err(Invalid("jail name is empty".into()));
        }
        if s.len() > 64 {
            return Err(Invalid(format!(
                "jail name '{}…' is {} bytes long; vimage accepts at most 64",
                s.chars().take(20).collect::<String>(),
                s.len()
            )));
        }
        for (i, c) in s.chars().enumerate() {
            let ok = c.is_ascii_alphanumeric() || "_@%:".contains(c) || (i > 0 && c == '-');
            if !ok {
                return Err(Invalid(format!(
                    "jail name {:?} contains {:?}; allowed are letters, digits and _ @ % : (and - after the first character)",
                    s, c
                )));
            }
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid(format!("jail name {s:?} is all digits; FreeBSD would take it for a JID")));
        }
        Ok(JailName(s.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for JailName {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        JailName::parse(&s)
    }
}

impl From<JailName> for String {
    fn from(j: JailName) -> String {
        j.0
    }
}

impl fmt::Display for JailName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A network interface name that the kernel will accept: 1–15 bytes, letters, digits, `_`,
/// `-` and `.` (if_rename only limits length, but anything else breaks rc.conf variable names
/// and our own description markers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IfName(String);

impl IfName {
    /// Validates an interface name; the error says which rule broke.
    pub fn parse(s: &str) -> Result<IfName, Invalid> {
        if s.is_empty() {
            return Err(Invalid("interface name is empty".into()));
        }
        if s.len() > IFNAMSIZ_VISIBLE {
            return Err(Invalid(format!(
                "interface name {s:?} is {} bytes; FreeBSD allows at most {IFNAMSIZ_VISIBLE} (IFNAMSIZ)",
                s.len()
            )));
        }
        if !s.as_bytes()[0].is_ascii_alphabetic() {
            return Err(Invalid(format!("interface name {s:?} must start with a letter")));
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || "_-.".contains(*c))) {
            return Err(Invalid(format!("interface name {s:?} contains {c:?}")));
        }
        Ok(IfName(s.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IfName {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        IfName::parse(&s)
    }
}

impl From<IfName> for String {
    fn from(n: IfName) -> String {
        n.0
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Ethernet address. vimage only ever assigns unicast addresses; [`Mac::parse`] accepts
/// any well-formed one so that existing host MACs can be read and compared.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Parses `xx:xx:xx:xx:xx:xx` (also `-` separated, any case).
    pub fn parse(s: &str) -> Result<Mac, Invalid> {
        let parts: Vec<&str> = s.split([':', '-']).collect();
        let bad = || Invalid(format!("{s:?} is not a MAC address (want xx:xx:xx:xx:xx:xx)"));
        if parts.len() != 6 {
            return Err(bad());
        }
        let mut out = [0u8; 6];
        for (o, p) in out.iter_mut().zip(&parts) {
            if p.is_empty() || p.len() > 2 {
                return Err(bad());
            }
            *o = u8::from_str_radix(p, 16).map_err(|_| bad())?;
        }
        Ok(Mac(out))
    }

    /// Parses an address that vimage will assign to an interface: it must be unicast and not
    /// all zeros (the kernel refuses multicast for SIOCSIFLLADDR; zero is ng_eiface's unset).
    pub fn parse_assignable(s: &str) -> Result<Mac, Invalid> {
        let m = Mac::parse(s)?;
        if m.is_multicast() {
            return Err(Invalid(format!("{m} is a multicast address; an interface needs a unicast one")));
        }
        if m.0 == [0; 6] {
            return Err(Invalid("00:00:00:00:00:00 cannot be assigned".into()));
        }
        Ok(m)
    }

    /// Bit 0 of the first octet: group address.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }

    /// Bit 1 of the first octet: locally administered (not from a vendor's OUI).
    pub fn is_local(&self) -> bool {
        self.0[0] & 2 == 2
    }
}

impl TryFrom<String> for Mac {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Mac::parse(&s)
    }
}

impl From<Mac> for String {
    fn from(m: Mac) -> String {
        m.to_string()
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Where a NIC's traffic leaves the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Uplink {
    /// The interface that holds the host's default route, found at plan time.
    Auto,
    /// A named host interface: a physical NIC, a VLAN, or a bridge to join directly.
    Named(IfName),
}

impl Uplink {
    /// `auto`, `0` and the empty string mean "the default-route interface", as in CBSD.
    pub fn parse(s: &str) -> Result<Uplink, Invalid> {
        match s {
            "" | "auto" | "0" => Ok(Uplink::Auto),
            other => IfName::parse(other).map(Uplink::Named),
        }
    }
}

impl fmt::Display for Uplink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uplink::Auto => f.write_str("auto"),
            Uplink::Named(n) => n.fmt(f),
        }
    }
}

/// One interface the jail should have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicSpec {
    /// Position among the jail's NICs; part of the MAC hash, so it must be stable.
    pub index: u32,
    /// The name inside the jail (`eth0`, …).
    pub name: IfName,
    /// Where it is bridged to.
    pub uplink: Uplink,
    /// A MAC the admin or CBSD fixed; `None` lets vimage generate and remember one.
    pub mac: Option<Mac>,
    /// Its addresses (from `ip4_addr`); empty: vimage leaves its addresses alone.
    #[serde(default)]
    pub addrs: crate::addr::NicAddrs,
}

/// What, beyond its NICs, a jail's network needs: default routers, the devfs ruleset that lets
/// DHCP work, and where its rc.conf is. Kept apart from the NIC list so callers that only
/// wire interfaces (tests, `JailNet::epairs`) need not know about it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Addressing {
    /// CBSD's `ci_gw4`.
    pub gateway: crate::addr::Gateway,
    /// A devfs ruleset number the admin chose (`devfs_ruleset=`); `None` lets vimage pick one
    /// when a NIC uses DHCP.
    pub devfs_ruleset: Option<u16>,
    /// The jail's rc.conf, when not `<jail path>/etc/rc.conf` under `VIMAGE_ROOT`; a real
    /// path, used as given.
    pub rcconf: Option<std::path::PathBuf>,
}

/// The desired network of one jail: what every source of configuration (command line, CBSD
/// database, rc.conf) is turned into, so a single planner serves them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailNet {
    pub jail: JailName,
    pub nics: Vec<NicSpec>,
    #[serde(default)]
    pub addressing: Addressing,
}

impl JailNet {
    /// The usual shape: NIC i is named `eth<i>` and bridged to the i-th uplink.
    pub fn epairs(jail: JailName, uplinks: &[Uplink]) -> JailNet {
        let nics = uplinks
            .iter()
            .enumerate()
            .map(|(i, u)| NicSpec {
                index: i as u32,
                name: IfName(format!("eth{i}")),
                uplink: u.clone(),
                mac: None,
                addrs: Default::default(),
            })
            .collect();
        JailNet { jail, nics, addressing: Addressing::default() }
    }

    /// True when some NIC gets its address by DHCP, so the jail needs bpf in its /dev.
    pub fn wants_dhcp(&self) -> bool {
        self.nics.iter().any(|n| n.addrs.wants_dhcp())
    }

    /// True when vimage must set up its devfs ruleset for this jail.
    pub fn wants_devfs(&self) -> bool {
        self.wants_dhcp() || self.addressing.devfs_ruleset.is_some()
    }

    /// True when vimage manages some address, router or rc.conf line of this jail.
    pub fn manages_addresses(&self) -> bool {
        self.nics.iter().any(|n| !n.addrs.is_empty()) || self.addressing.gateway != crate::addr::Gateway::Unmanaged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jail_names_follow_cbsd_and_jail8_rules() {
        for ok in ["web1", "a", "web-1", "x_y", "j@h", "100%", "a:b", "1web"] {
            assert!(JailName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-web", "web 1", "web;reboot", "web.1", "$(id)", "wéb", "123", "a/b", "a\nb"] {
            assert!(JailName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(JailName::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn interface_names_are_limited_to_15_bytes_ifnamsiz() {
        assert!(IfName::parse("eth0").is_ok());
        assert!(IfName::parse("abcdefghijklmno").is_ok());
        let e = IfName::parse("abcdefghijklmnop").unwrap_err();
        assert!(e.0.contains("16 bytes"), "{e}");
        for bad in ["", "0eth", "eth 0", "eth:0", "ethé"] {
            assert!(IfName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn macs_parse_print_and_classify() {
        let m = Mac::parse("02:AB:cd:0:1:ff").unwrap();
        assert_eq!(m.to_string(), "02:ab:cd:00:01:ff");
        assert!(m.is_local() && !m.is_multicast());
        assert!(Mac::parse("02:ab:cd:00:01").is_err());
        assert!(Mac::parse("02:ab:cd:00:01:fff").is_err());
        assert!(Mac::parse_assignable("01:00:5e:00:00:01").is_err());
        assert!(Mac::parse_assignable("00:00:00:00:00:00").is_err());
        assert_eq!(Mac::parse("58-9c-fc-00-00-01").unwrap().to_string(), "58:9c:fc:00:00:01");
    }

    #[test]
    fn uplink_auto_spellings() {
        assert_eq!(Uplink::parse("auto").unwrap(), Uplink::Auto);
        assert_eq!(Uplink::parse("0").unwrap(), Uplink::Auto);
        assert_eq!(Uplink::parse("em0").unwrap(), Uplink::Named(IfName::parse("em0").unwrap()));
    }
}

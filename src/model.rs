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

/// How a NIC reaches the jail. The modes combine freely within one jail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NicMode {
    /// An epair(4) whose host end joins an if_bridge(4) with the uplink; jail end `eth<i>`.
    Epair {
        /// The host interface (or the default route's, `auto`) whose bridge the host end joins.
        uplink: Uplink,
    },
    /// An ng_eiface(4) on an ng_bridge(4) attached to the uplink's ng_ether(4) node; named
    /// `ng<i>_<jail>` in the jail (see [`ng_ifname`]).
    Netgraph {
        /// The host interface whose ng_ether node the ng_bridge hangs on.
        uplink: Uplink,
    },
    /// A physical interface moved into the jail as it is (the original vimage's `vnets`).
    Passthrough {
        /// The host's interface that is moved into the jail (and back on teardown).
        iface: IfName,
    },
}

impl NicMode {
    /// The record's and the report's word for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            NicMode::Epair { .. } => "epair",
            NicMode::Netgraph { .. } => "netgraph",
            NicMode::Passthrough { .. } => "passthrough",
        }
    }
}

/// What runs inside a jail. It decides whether vimage may run FreeBSD's own tools in the jail
/// (`jexec <jid> dhclient`, `jexec <jid> route`), rename its interfaces (a Linux userland's
/// programs see the Linux ABI's names, not FreeBSD's) and write its `/etc/rc.conf` (a file
/// only FreeBSD's rc reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Userland {
    /// FreeBSD's userland: everything vimage does inside the jail works.
    FreeBsd,
    /// A Linux userland under FreeBSD's Linux ABI (CBSD's Debian, Ubuntu … jails): vimage
    /// configures it from the host only.
    Linux,
}

impl Userland {
    /// `freebsd` or `linux`, as `vimage set userland=` and `status` spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Userland::FreeBsd => "freebsd",
            Userland::Linux => "linux",
        }
    }

    /// Reads `freebsd` or `linux` (any case).
    pub fn parse(s: &str) -> Result<Userland, Invalid> {
        match s.to_ascii_lowercase().as_str() {
            "freebsd" => Ok(Userland::FreeBsd),
            "linux" => Ok(Userland::Linux),
            _ => Err(Invalid(format!("userland {s:?}: use freebsd or linux"))),
        }
    }
}

impl fmt::Display for Userland {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One interface the jail should have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicSpec {
    /// Position among the jail's NICs; part of the MAC hash and the records' key, so it must
    /// be stable: epair NICs first, then netgraph ones, then passed-through ones.
    pub index: u32,
    /// The name inside the jail (`eth0`, `ng0_web1`, `em1`); also how vimage's markers,
    /// records and `ip4_addr=eth0#…` name the NIC.
    pub name: IfName,
    /// The admin chose `name` (`ifname=`, `vimage set ifname=`, `vimage_NAME_ifnames`), so a
    /// Linux userland's NIC is renamed to it too; otherwise such a NIC keeps the name the
    /// kernel gave it (`epair7b`).
    #[serde(default)]
    pub name_given: bool,
    /// How it gets there.
    pub mode: NicMode,
    /// A MAC the admin or CBSD fixed; `None` lets vimage generate and remember one (unused for
    /// passthrough: a physical interface keeps its own).
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

impl NicSpec {
    /// The uplink of an epair or netgraph NIC.
    pub fn uplink(&self) -> Option<&Uplink> {
        match &self.mode {
            NicMode::Epair { uplink } | NicMode::Netgraph { uplink } => Some(uplink),
            NicMode::Passthrough { .. } => None,
        }
    }
}

/// The desired network of one jail: what every source of configuration (command line, CBSD
/// database, rc.conf) is turned into, so a single planner serves them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailNet {
    /// The jail whose network this is.
    pub jail: JailName,
    /// Its interfaces, in index order.
    pub nics: Vec<NicSpec>,
    /// Addresses, routers, devfs ruleset and rc.conf (`ip4_addr`, `ci_gw4`, ...).
    #[serde(default)]
    pub addressing: Addressing,
    /// Move passthrough interfaces even when that cuts the host off (`force=1`).
    #[serde(default)]
    pub force: bool,
    /// The jail's userland as the admin set it (`vimage set userland=`, `vimage_NAME_userland`);
    /// `None` lets vimage read it from the jail's `/bin/sh`.
    #[serde(default)]
    pub userland: Option<Userland>,
}

impl JailNet {
    /// The usual shape: NIC i is named `eth<i>` and bridged by epair to the i-th uplink.
    pub fn epairs(jail: JailName, uplinks: &[Uplink]) -> JailNet {
        let nics = uplinks
            .iter()
            .enumerate()
            .map(|(i, u)| NicSpec {
                index: i as u32,
                name: IfName(format!("eth{i}")),
                name_given: false,
                mode: NicMode::Epair { uplink: u.clone() },
                mac: None,
                addrs: Default::default(),
            })
            .collect();
        JailNet { jail, nics, addressing: Addressing::default(), force: false, userland: None }
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

    /// Appends one netgraph NIC per entry of `uplinks` (the original vimage's
    /// `vimage_NAME_bridges`), named `ng<i>_<jail>` with `i` counting netgraph NICs from 0.
    pub fn add_netgraph(&mut self, uplinks: &[Uplink]) {
        for (i, u) in uplinks.iter().enumerate() {
            let index = self.nics.len() as u32;
            let name = ng_ifname(&self.jail, i as u32, 0);
            self.nics.push(NicSpec {
                index,
                name,
                name_given: false,
                mode: NicMode::Netgraph { uplink: u.clone() },
                mac: None,
                addrs: Default::default(),
            });
        }
    }

    /// Appends one passthrough NIC per physical interface (`vimage_NAME_vnets`); each keeps its
    /// name in the jail.
    pub fn add_passthrough(&mut self, ifaces: &[IfName]) {
        for f in ifaces {
            let index = self.nics.len() as u32;
            self.nics.push(NicSpec {
                index,
                name: f.clone(),
                name_given: false,
                mode: NicMode::Passthrough { iface: f.clone() },
                mac: None,
                addrs: Default::default(),
            });
        }
    }
}

/// The name of netgraph NIC `i` of `jail` inside the jail, which is also its ng_eiface node's
/// name in the host's netgraph (where all jails' nodes share one namespace).
///
/// The rule (documented in the README): `ng<i>_<jail>` when that fits in 15 bytes (IFNAMSIZ)
/// and the jail name has only letters, digits, `_` and `-`. Otherwise the jail part is
/// shortened: `ng<i>_<stem>_<hhhh>`, where `<stem>` is the start of the jail name with other
/// characters turned into `_`, cut so the whole name is 15 bytes, and `<hhhh>` is the first 4
/// hex digits of SHA-256 of the jail name — so two long names that share a start still differ.
/// `attempt` > 0 (a collision with another jail's node name in vimage's records) adds
/// `attempt` to the hash input and always takes the hashed form; the planner tries 1, 2, …
/// until the name is free. Deterministic: the same jail gets the same name on every start.
pub fn ng_ifname(jail: &JailName, i: u32, attempt: u32) -> IfName {
    use sha2::{Digest, Sha256};
    let prefix = format!("ng{i}_");
    let plain = format!("{prefix}{jail}");
    let simple = jail.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if attempt == 0 && simple && plain.len() <= IFNAMSIZ_VISIBLE {
        return IfName(plain);
    }
    let mut h = Sha256::new();
    h.update(jail.as_str().as_bytes());
    if attempt > 0 {
        h.update([0]);
        h.update(attempt.to_le_bytes());
    }
    let d = h.finalize();
    let room = IFNAMSIZ_VISIBLE.saturating_sub(prefix.len() + 5);
    let stem: String = jail
        .as_str()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(room)
        .collect();
    IfName(format!("{prefix}{stem}_{:02x}{:02x}", d[0], d[1]))
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
    fn netgraph_names_fit_ifnamsiz_and_shortened_ones_carry_a_hash() {
        let j = |s: &str| JailName::parse(s).unwrap();
        assert_eq!(ng_ifname(&j("web1"), 0, 0).as_str(), "ng0_web1");
        assert_eq!(ng_ifname(&j("abcdefghijk"), 0, 0).as_str(), "ng0_abcdefghijk", "exactly 15 bytes");
        let long = ng_ifname(&j("webfrontend-prod"), 0, 0);
        assert_eq!(long.as_str().len(), 15);
        assert!(long.as_str().starts_with("ng0_webfro_"), "{long}");
        let other = ng_ifname(&j("webfrontend-test"), 0, 0);
        assert_ne!(long, other, "same start, different hash");
        assert_eq!(ng_ifname(&j("webfrontend-prod"), 0, 0), long, "deterministic");
        let retry = ng_ifname(&j("webfrontend-prod"), 0, 1);
        assert!(retry.as_str().starts_with("ng0_webfro_") && retry != long);
        // Characters interfaces and node names do not take become `_`, and then a hash is due.
        let odd = ng_ifname(&j("a:b"), 0, 0);
        assert!(odd.as_str().starts_with("ng0_a_b_") && odd.as_str().len() == 12, "{odd}");
        assert_ne!(odd, ng_ifname(&j("a_b"), 0, 0));
        // A plain name that collides is hashed on the next attempt.
        assert!(ng_ifname(&j("web1"), 0, 1).as_str().starts_with("ng0_web1_"));
        assert_eq!(ng_ifname(&j("x"), 123, 3).as_str().len(), 12);
    }

    #[test]
    fn mixed_jailnets_number_nics_in_mode_order() {
        let mut n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::Auto]);
        let em0 = Uplink::parse("em0").unwrap();
        n.add_netgraph(&[em0.clone(), em0]);
        n.add_passthrough(&[IfName::parse("em2").unwrap()]);
        let names: Vec<(&str, u32, &str)> =
            n.nics.iter().map(|x| (x.name.as_str(), x.index, x.mode.as_str())).collect();
        assert_eq!(
            names,
            [("eth0", 0, "epair"), ("ng0_web1", 1, "netgraph"), ("ng1_web1", 2, "netgraph"), ("em2", 3, "passthrough")]
        );
    }

    #[test]
    fn userlands_parse_and_print_as_set_and_status_spell_them() {
        assert_eq!(Userland::parse("Linux").unwrap(), Userland::Linux);
        assert_eq!(Userland::parse("freebsd").unwrap().to_string(), "freebsd");
        assert!(Userland::parse("debian").unwrap_err().0.contains("freebsd or linux"));
        assert_eq!(serde_json::to_string(&Userland::FreeBsd).unwrap(), "\"freebsd\"");
    }

    #[test]
    fn uplink_auto_spellings() {
        assert_eq!(Uplink::parse("auto").unwrap(), Uplink::Auto);
        assert_eq!(Uplink::parse("0").unwrap(), Uplink::Auto);
        assert_eq!(Uplink::parse("em0").unwrap(), Uplink::Named(IfName::parse("em0").unwrap()));
    }
}

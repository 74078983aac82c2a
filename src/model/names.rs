//! Validated names: a jail, an interface, a MAC. Every value that reaches an argv or a file
//! passes through one of these newtypes first, so nothing downstream has to wonder whether a
//! jail name holds a shell metacharacter or an interface name fits in IFNAMSIZ. Lowest floor of
//! the model: the address parsers (`model::addr`) and the network (`model::net`) build on it.

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

/// The in-jail name of epair NIC `i` when no source names it: `eth<i>`, as CBSD's jstart and
/// the original vimage named them. The one place this default is spelled.
pub fn default_name(i: usize) -> IfName {
    IfName(format!("eth{i}"))
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

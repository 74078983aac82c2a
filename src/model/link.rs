//! Per-NIC link settings of an epair NIC (issue 14, "Per-NIC settings"): its MTU, the
//! if_bridge member flags of its host end and whether its checksum/segmentation offloads are
//! turned off. Kept in one struct ([`NicLink`], one field of `NicSpec`) so a source that says
//! nothing about them leaves the NIC exactly as before.

use super::names::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The link settings of one NIC; the default is "as vimage always did": the bridge's MTU,
/// if_bridge's default member flags, the driver's offloads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NicLink {
    /// The jail end's MTU (`mtu=`, CBSD 15.x `nic_mtu`); `None`: the bridge's. The host end
    /// always carries the bridge's MTU, which if_bridge requires of a member.
    #[serde(default)]
    pub mtu: Option<u32>,
    /// if_bridge member flags of the host end (`flags=private`, CBSD 15.x `nic_flags`).
    #[serde(default)]
    pub flags: Vec<MemberFlag>,
    /// `offload=off`: TXCSUM, TXCSUM6, TSO and LRO off on both epair ends.
    #[serde(default)]
    pub offload_off: bool,
}

impl NicLink {
    /// True when nothing differs from the defaults.
    pub fn is_default(&self) -> bool {
        *self == NicLink::default()
    }
}

/// One per-member flag command of sbin/ifconfig/ifbridge.c (`ifconfig bridge0 WORD member`,
/// `BRDGSIFFLGS` through `do_bridgeflag`), on (`private`) or off (`-private`). `span` is not
/// one: `span IF` adds a span port (`BRDGADDS`), not a flag of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberFlag {
    /// The flag's word without its `-` (`private`).
    pub word: FlagWord,
    /// `private` (true) or `-private` (false).
    pub on: bool,
}

/// The flag words of ifbridge.c's `bridge_cmds` that set an `IFBIF_*` bit of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlagWord {
    /// IFBIF_PRIVATE: no traffic with other private members.
    Private,
    /// IFBIF_STP: spanning tree on this member.
    Stp,
    /// IFBIF_BSTP_EDGE: an edge port.
    Edge,
    /// IFBIF_BSTP_AUTOEDGE: edge detected automatically.
    Autoedge,
    /// IFBIF_BSTP_PTP: a point-to-point link.
    Ptp,
    /// IFBIF_BSTP_AUTOPTP: point-to-point detected automatically.
    Autoptp,
    /// IFBIF_LEARNING: learn source MACs.
    Learn,
    /// IFBIF_DISCOVER: flood frames for unknown destinations.
    Discover,
    /// IFBIF_STICKY: learnt addresses stay (static).
    Sticky,
}

impl FlagWord {
    /// Every flag word, in ifbridge.c's order of `bridge_cmds`.
    pub const ALL: [FlagWord; 9] = [
        FlagWord::Discover,
        FlagWord::Learn,
        FlagWord::Sticky,
        FlagWord::Stp,
        FlagWord::Edge,
        FlagWord::Autoedge,
        FlagWord::Ptp,
        FlagWord::Autoptp,
        FlagWord::Private,
    ];

    /// ifconfig's word.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagWord::Private => "private",
            FlagWord::Stp => "stp",
            FlagWord::Edge => "edge",
            FlagWord::Autoedge => "autoedge",
            FlagWord::Ptp => "ptp",
            FlagWord::Autoptp => "autoptp",
            FlagWord::Learn => "learn",
            FlagWord::Discover => "discover",
            FlagWord::Sticky => "sticky",
        }
    }
}

impl MemberFlag {
    /// Reads `private` or `-private`; anything else is refused with the list of known words.
    pub fn parse(s: &str) -> Result<MemberFlag, Invalid> {
        let (on, w) = match s.strip_prefix('-') {
            Some(w) => (false, w),
            None => (true, s),
        };
        FlagWord::ALL.into_iter().find(|f| f.as_str() == w).map(|word| MemberFlag { word, on }).ok_or_else(|| {
            let known: Vec<&str> = FlagWord::ALL.iter().map(|f| f.as_str()).collect();
            Invalid(format!(
                "unknown bridge member flag {s:?}: use {} (or -flag to clear one; ifconfig(8) bridge parameters)",
                known.join(", ")
            ))
        })
    }

    /// Reads a list (`private,sticky`, `private -learn`); empty and `0` (CBSD's "none") give
    /// no flags.
    pub fn parse_list(s: &str) -> Result<Vec<MemberFlag>, Invalid> {
        s.split([',', ' ', '\t', '+']).filter(|w| !w.is_empty() && *w != "0").map(MemberFlag::parse).collect()
    }

    /// The flag that undoes this one (`private` → `-private`).
    pub fn inverse(self) -> MemberFlag {
        MemberFlag { on: !self.on, ..self }
    }
}

impl fmt::Display for MemberFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.on {
            f.write_str("-")?;
        }
        f.write_str(self.word.as_str())
    }
}

/// Reads `offload=`: `off` (turn TXCSUM, TXCSUM6, TSO, LRO off) or `on` (leave the driver's).
pub fn parse_offload(s: &str) -> Result<bool, Invalid> {
    match s.to_ascii_lowercase().as_str() {
        "off" | "0" | "no" => Ok(true),
        "on" | "1" | "yes" | "" => Ok(false),
        _ => Err(Invalid(format!("offload={s}: use offload=off or offload=on"))),
    }
}

/// Reads `mtu=` / `nic_mtu`: 72 to 65535, ifconfig's and if_epair's bounds (if.c
/// `ifhwioctl` SIOCSIFMTU: `IF_MINMTU` 72, `IF_MAXMTU` 65535).
pub fn parse_mtu(s: &str) -> Result<u32, Invalid> {
    s.parse::<u32>()
        .ok()
        .filter(|m| (72..=65535).contains(m))
        .ok_or_else(|| Invalid(format!("mtu={s}: give a number from 72 to 65535")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_flags_are_ifbridge_c_per_member_words_and_others_are_refused_with_the_list() {
        let l = MemberFlag::parse_list("private,-learn sticky").unwrap();
        assert_eq!(l.iter().map(|f| f.to_string()).collect::<Vec<_>>(), ["private", "-learn", "sticky"]);
        assert_eq!(l[0].inverse().to_string(), "-private");
        assert!(MemberFlag::parse_list("0").unwrap().is_empty());
        let e = MemberFlag::parse("span").unwrap_err().0;
        assert!(e.contains("\"span\"") && e.contains("private") && e.contains("autoptp"), "{e}");
        assert!(MemberFlag::parse("frob").is_err());
    }

    #[test]
    fn mtu_and_offload_values() {
        assert_eq!(parse_mtu("9000").unwrap(), 9000);
        assert!(parse_mtu("71").is_err() && parse_mtu("65536").is_err() && parse_mtu("x").is_err());
        assert!(parse_offload("off").unwrap() && !parse_offload("on").unwrap());
        assert!(parse_offload("maybe").is_err());
    }
}

//! A NIC's VLANs: the `vlan=` uplink VLAN (a vlan(4) interface `<uplink>.<tag>`), and on
//! FreeBSD 15 the bridge VLAN filtering keys `vlan_untagged=` / `vlan_tagged=` (CBSD 15.x's
//! jailnic `nic_vlan_untagged` / `nic_vlan_tagged`).
//!
//! Kept apart from [`super::NicSpec`]'s other fields as one value, so every source fills it
//! the same way and a NIC without VLANs is simply [`NicVlan::default`].

use super::names::Invalid;
use serde::{Deserialize, Serialize};

/// The highest 802.1Q VLAN ID a port or a vlan(4) takes: IDs are 12 bits and 4095 is
/// reserved (if_bridge.c `DOT1Q_VID_MAX` 4094; ifbridge.c `get_vlan_id` refuses 0 and 4095).
pub const VID_MAX: u16 = 4094;

/// What a NIC says about VLANs. All empty: the NIC is on its uplink as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicVlan {
    /// `vlan=N`: the uplink is the vlan(4) interface `<uplink>.N` (created by vimage when
    /// missing, and destroyed with its last jail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    /// `vlan_untagged=N`: on FreeBSD 15 the host end is the bridge's untagged member of VLAN
    /// N (`ifuntagged`); before 15 the uplink becomes `<uplink>.N`, as `vlan=N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untagged: Option<u16>,
    /// `vlan_tagged=N,M`: on FreeBSD 15 the host end carries these VLANs tagged
    /// (`iftagged`); refused before 15 (a vlan(4) uplink carries one VLAN, untagged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tagged: Vec<u16>,
}

impl NicVlan {
    /// True when the NIC asks for nothing VLAN-related.
    pub fn is_empty(&self) -> bool {
        self.vlan.is_none() && self.untagged.is_none() && self.tagged.is_empty()
    }

    /// True when the NIC needs FreeBSD 15's bridge VLAN filtering on 15.x.
    pub fn filters(&self) -> bool {
        self.untagged.is_some() || !self.tagged.is_empty()
    }
}

/// One VLAN ID, 1-4094.
pub fn parse_vid(s: &str) -> Result<u16, Invalid> {
    match s.trim().parse::<u16>() {
        Ok(v) if (1..=VID_MAX).contains(&v) => Ok(v),
        _ => Err(Invalid(format!("VLAN {s:?}: give a VLAN ID from 1 to {VID_MAX}"))),
    }
}

/// A VLAN list as CBSD's `nic_vlan_tagged` and `vlan_tagged=` write it: IDs and ranges
/// (`100,200-202`), comma separated; sorted, without repeats. An empty string (or CBSD's `0`)
/// is the empty list.
pub fn parse_vid_list(s: &str) -> Result<Vec<u16>, Invalid> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "0" && s.trim() == "0" {
            continue;
        }
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse_vid(a)?, parse_vid(b)?);
                if a > b {
                    return Err(Invalid(format!("VLAN range {part:?}: the first ID is above the last")));
                }
                out.extend(a..=b);
            }
            None => out.push(parse_vid(part)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The list as `iftagged` takes it (`100,200-202`, ifbridge.c `parse_vlans`).
pub fn format_vid_list(v: &[u16]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    parts.join(",")
}

/// The vlan(4) interface vimage uses for VLAN `tag` on `parent`: `<parent>.<tag>`, the form
/// `ifconfig <name> create` makes by name (ifvlan.c `vlan_parse_ethervid`: the parent is
/// everything before the last `.`, and must exist).
pub fn vlan_ifname(parent: &str, tag: u16) -> String {
    format!("{parent}.{tag}")
}

/// Reads `<parent>.<tag>` as ifconfig's `vlan_parse_ethervid` does: split at the LAST `.`
/// (strrchr; so `em0.100.5` is VLAN 5 on `em0.100`, as FreeBSD's own if_bridge_test.sh
/// `vlan_qinq` creates them), the rest all decimal digits. `None` for any other name.
pub fn split_vlan_ifname(name: &str) -> Option<(&str, u16)> {
    let (parent, tag) = name.rsplit_once('.')?;
    if parent.is_empty() || tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_digit()) || tag.len() > 4 {
        return None;
    }
    Some((parent, tag.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vids_and_lists_parse_as_ifbridge_c_parse_vlans_takes_them() {
        assert_eq!(parse_vid("100").unwrap(), 100);
        for bad in ["0", "4095", "-1", "x", ""] {
            assert!(parse_vid(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_vid_list("200,100-102,101").unwrap(), [100, 101, 102, 200]);
        assert_eq!(parse_vid_list("").unwrap(), Vec::<u16>::new());
        assert_eq!(parse_vid_list("0").unwrap(), Vec::<u16>::new(), "CBSD's 0: none");
        assert!(parse_vid_list("5-3").is_err());
        assert!(parse_vid_list("1,4095").is_err());
        assert_eq!(format_vid_list(&[100, 101, 102, 200, 300, 301]), "100-102,200,300-301");
    }

    #[test]
    fn vlan_names_split_at_the_last_dot_as_ifvlan_c_vlan_parse_ethervid() {
        assert_eq!(vlan_ifname("em0", 100), "em0.100");
        assert_eq!(split_vlan_ifname("em0.100"), Some(("em0", 100)));
        assert_eq!(split_vlan_ifname("em0.100.5"), Some(("em0.100", 5)), "Q-in-Q: VLAN 5 on em0.100");
        assert_eq!(split_vlan_ifname("em0.1x"), None);
        assert_eq!(split_vlan_ifname("em0."), None);
        assert_eq!(split_vlan_ifname("em0"), None);
        assert_eq!(split_vlan_ifname(".5"), None);
    }
}

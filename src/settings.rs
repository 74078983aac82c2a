//! Per-jail settings CBSD has no column for, kept in vimage's own database (`vimage set`):
//! which uplinks and names a jail's NICs get when the command line does not say, and (with
//! netgraph and passthrough) the mode and its interface lists. Validated on the way in, so a
//! stored setting is always usable.

use crate::error::{Error, Kind, Result};
use crate::model::{IfName, JailName, ModeKind, Uplink, Userland};
use std::collections::BTreeMap;

/// Keys `vimage set` stores, with what they mean (for errors and `--help`).
pub const KEYS: &[(&str, &str)] = &[
    ("interface", "uplink of each epair NIC, comma or blank separated (auto = default route)"),
    ("ifname", "names of the epair NICs inside the jail"),
    ("mode", "epair (default) or netgraph"),
    ("bridges", "netgraph uplinks, one ng<i>_<jail> interface each (netgraph mode)"),
    ("vnets", "physical interfaces passed through into the jail"),
    ("userland", "freebsd or linux: what runs in the jail (default: read from its /bin/sh)"),
    ("vlan", "VLAN of each epair NIC's uplink, comma or blank separated (0 = none)"),
    ("vlan_untagged", "FreeBSD 15: untagged VLAN of each NIC on a VLAN-filtering bridge (0 = none)"),
    ("vlan_tagged", "FreeBSD 15: tagged VLANs of each NIC (N,M,A-B), blank separated per NIC"),
    ("mtu", "MTU of the jail ends of the epair NICs, at most the bridge's"),
    ("flags", "bridge member flags of the epairs' host ends (private, sticky, -learn, ...)"),
    ("offload", "off: -txcsum -txcsum6 -tso -lro on both ends of each epair"),
];

fn list(v: &str) -> Vec<String> {
    v.split([',', ' ', '\t']).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Checks one setting and returns it in its stored (normalised) form; `""` clears it.
pub fn validate(jail: &JailName, key: &str, value: &str) -> Result<String> {
    let bad = |why: String| Error::jail(Kind::Data, jail, format!("{key}={value:?}: {why}"));
    if value.is_empty() {
        return Ok(String::new());
    }
    match key {
        "interface" => {
            let v = list(value);
            for u in &v {
                Uplink::parse(u).map_err(|e| bad(e.0))?;
            }
            Ok(v.join(" "))
        }
        "ifname" | "bridges" | "vnets" => {
            let v = list(value);
            for n in &v {
                IfName::parse(n).map_err(|e| bad(e.0))?;
            }
            Ok(v.join(" "))
        }
        "vlan" | "vlan_untagged" => {
            let v = list(value);
            for n in v.iter().filter(|n| *n != "0") {
                crate::model::vlan::parse_vid(n).map_err(|e| bad(e.0))?;
            }
            Ok(v.join(" "))
        }
        "vlan_tagged" => {
            let v: Vec<String> = value.split_whitespace().map(str::to_string).collect();
            let mut out = Vec::with_capacity(v.len());
            for l in &v {
                let ids = crate::model::vlan::parse_vid_list(l).map_err(|e| bad(e.0))?;
                out.push(if ids.is_empty() { "0".to_string() } else { crate::model::vlan::format_vid_list(&ids) });
            }
            Ok(out.join(" "))
        }
        "userland" => Userland::parse(value).map(|u| u.as_str().to_string()).map_err(|e| bad(e.0)),
        "mtu" => crate::model::link::parse_mtu(value).map(|m| m.to_string()).map_err(|e| bad(e.0)),
        "flags" => crate::model::link::MemberFlag::parse_list(value)
            .map(|l| l.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(" "))
            .map_err(|e| bad(e.0)),
        "offload" => crate::model::link::parse_offload(value)
            .map(|off| if off { "off" } else { "on" }.to_string())
            .map_err(|e| bad(e.0)),
        "mode" => match ModeKind::parse(value) {
            Ok(m @ (ModeKind::Epair | ModeKind::Netgraph)) => Ok(m.as_str().to_string()),
            _ => Err(bad("mode is epair or netgraph".into())),
        },
        _ => Err(Error::jail(Kind::Usage, jail, format!("unknown setting {key}"))),
    }
}

/// A jail's stored settings, read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JailSettings {
    /// Setting name ([`KEYS`]) to its stored, normalised value.
    pub map: BTreeMap<String, String>,
}

impl JailSettings {
    /// A stored list setting, split.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.map.get(key).map(|v| list(v)).unwrap_or_default()
    }

    /// The jail's userland as `vimage set userland=` stored it (validated on the way in).
    pub fn userland(&self) -> Option<Userland> {
        self.map.get("userland").and_then(|v| Userland::parse(v).ok())
    }

    /// Whether the CBSD integration (hooks, exec_poststart) was installed by `vimage set`.
    pub fn cbsd_enabled(&self) -> bool {
        self.map.get("cbsd").is_some_and(|v| v == "1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j() -> JailName {
        JailName::parse("web1").unwrap()
    }

    #[test]
    fn validates_and_normalises() {
        assert_eq!(validate(&j(), "interface", "em0,auto").unwrap(), "em0 auto");
        assert_eq!(validate(&j(), "bridges", "em0  em0").unwrap(), "em0 em0");
        assert_eq!(validate(&j(), "mode", "netgraph").unwrap(), "netgraph");
        assert_eq!(validate(&j(), "mode", "").unwrap(), "");
        assert_eq!(validate(&j(), "mode", "vlan").unwrap_err().exit_code(), 65);
        assert_eq!(validate(&j(), "ifname", "averyveryverylongname").unwrap_err().exit_code(), 65);
        assert_eq!(validate(&j(), "interface", "em0;reboot").unwrap_err().exit_code(), 65);
        assert_eq!(validate(&j(), "bogus", "1").unwrap_err().exit_code(), 64);
        assert_eq!(validate(&j(), "userland", "Linux").unwrap(), "linux");
        assert_eq!(validate(&j(), "userland", "debian").unwrap_err().exit_code(), 65);
    }
}

//! `vimage set`'s stored settings as a [`Partial`]: per-NIC uplinks and in-jail names (which
//! override CBSD's rows position by position, or shape the default list), the mode, the
//! netgraph uplinks, the passed-through interfaces and the userland.

use super::{Mode, NicName, NicPartial, Partial};
use crate::error::{Error, Kind, Result};
use crate::model::{IfName, JailName, ModeKind, Uplink};
use crate::settings::JailSettings;

/// What `set` says about `jail`'s network. Stored values were validated on the way in; one
/// that no longer parses (a hand-edited database) is a `Data` error naming the jail.
pub fn partial(jail: &JailName, set: &JailSettings) -> Result<Partial> {
    let bad = |e: crate::model::Invalid| Error::jail(Kind::Data, jail, e.0);
    let uplinks = set.list("interface").iter().map(|u| Uplink::parse(u).map_err(bad)).collect::<Result<Vec<_>>>()?;
    let names = set.list("ifname").iter().map(|n| IfName::parse(n).map_err(bad)).collect::<Result<Vec<_>>>()?;
    let mut per_nic = vec![NicPartial::default(); uplinks.len().max(names.len())];
    for (nic, u) in per_nic.iter_mut().zip(uplinks) {
        nic.uplink = Some(u);
    }
    for (nic, n) in per_nic.iter_mut().zip(names) {
        nic.name = Some(NicName::Chosen(n));
    }
    let get = |k: &str| set.map.get(k).map(String::as_str);
    let vlans = super::VlanKeys::parse(jail, get("vlan"), get("vlan_untagged"), get("vlan_tagged"), "vimage set ")?;
    let bridges = set.list("bridges").iter().map(|u| Uplink::parse(u).map_err(bad)).collect::<Result<Vec<_>>>()?;
    let vnets = set.list("vnets").iter().map(|v| IfName::parse(v).map_err(bad)).collect::<Result<Vec<_>>>()?;
    // mtu, flags, offload: for every epair NIC (validated when stored).
    let link = super::LinkPartial {
        mtu: set.map.get("mtu").map(|m| crate::model::link::parse_mtu(m).map_err(bad)).transpose()?,
        flags: set.map.get("flags").map(|f| crate::model::link::MemberFlag::parse_list(f).map_err(bad)).transpose()?,
        offload_off: set.map.get("offload").map(|o| crate::model::link::parse_offload(o).map_err(bad)).transpose()?,
    };
    Ok(Partial {
        link,
        per_nic,
        mode: set.map.get("mode").map(|m| if m == ModeKind::Netgraph.as_str() { Mode::Netgraph } else { Mode::Epair }),
        bridges: (!bridges.is_empty()).then_some(bridges),
        vnets: (!vnets.is_empty()).then_some(vnets),
        userland: set.userland(),
        vlans,
        ..Partial::default()
    })
}

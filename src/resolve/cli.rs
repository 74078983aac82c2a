//! The command line's keys as a [`Partial`], parsed once. `bridge` fills [`Keys`] from its
//! parsed arguments; from here on every value is typed.
//!
//! `interface=`, `ifname=` and `mac=` give one NIC per uplink (or per name) in the mode
//! `mode=` says (epair by default; one NIC on the default-route interface when none is listed
//! and nothing else is asked for); `bridges=` adds a netgraph NIC per entry (an uplink may
//! repeat: `bridges="em0 em0"`), `vnets=` a passed-through interface per entry. NICs are
//! numbered in that order: the `interface=` ones, then `bridges=`, then `vnets=` (the number
//! is part of each generated MAC, so keep the order). `ip4_addr=`, `ci_gw4=`,
//! `devfs_ruleset=` and `rcconf=` give addressing, key by key.

use super::{LinkPartial, Mode, NicName, NicPartial, Partial};
use crate::error::{Error, Kind, Result};
use crate::model::addr::{parse_ci_gw4, parse_ip4_addr};
use crate::model::link::{MemberFlag, parse_mtu, parse_offload};
use crate::model::{IfName, JailName, Mac, ModeKind, Uplink};
use std::path::PathBuf;

/// The raw values of the keys `bridge` takes (`None`: the key was not given).
#[derive(Debug, Clone, Copy, Default)]
pub struct Keys<'a> {
    /// `interface=`: uplinks, one NIC each.
    pub interface: Option<&'a str>,
    /// `ifname=`: in-jail names of the epair NICs.
    pub ifname: Option<&'a str>,
    /// `mac=`: fixed MACs, NIC by NIC.
    pub mac: Option<&'a str>,
    /// `mode=`: epair (default) or netgraph.
    pub mode: Option<&'a str>,
    /// `bridges=`: netgraph uplinks.
    pub bridges: Option<&'a str>,
    /// `vnets=`: physical interfaces passed through.
    pub vnets: Option<&'a str>,
    /// `vlan=`: each NIC's uplink VLAN (one value: every NIC).
    pub vlan: Option<&'a str>,
    /// `vlan_untagged=`: each NIC's untagged VLAN (FreeBSD 15 filtering; one value: every NIC).
    pub vlan_untagged: Option<&'a str>,
    /// `vlan_tagged=`: each NIC's tagged VLANs, lists separated by blanks (one: every NIC).
    pub vlan_tagged: Option<&'a str>,
    /// `ip4_addr=`.
    pub ip4_addr: Option<&'a str>,
    /// `ci_gw4=`.
    pub ci_gw4: Option<&'a str>,
    /// `devfs_ruleset=`.
    pub devfs_ruleset: Option<&'a str>,
    /// `rcconf=`.
    pub rcconf: Option<&'a str>,
    /// `force=1`.
    pub force: bool,
    /// `mtu=`: the jail ends' MTU (every epair NIC).
    pub mtu: Option<&'a str>,
    /// `flags=`: bridge member flags of the host ends (`private`, ...).
    pub flags: Option<&'a str>,
    /// `offload=off`: TXCSUM, TXCSUM6, TSO and LRO off on the epairs.
    pub offload: Option<&'a str>,
}

impl Keys<'_> {
    /// True when a key about the NICs is given: then the command line lists the jail's NICs
    /// and nothing stored is read for them.
    pub fn lists_nics(&self) -> bool {
        [self.interface, self.ifname, self.mac, self.mode, self.bridges, self.vnets].iter().any(Option::is_some)
    }
}

fn list(v: Option<&str>) -> Vec<String> {
    v.unwrap_or_default().split([',', ' ', '\t']).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Parses the keys once: usage errors (64) for keys that contradict each other, data errors
/// (65) for values that can never work.
pub fn partial(jail: &JailName, k: &Keys<'_>) -> Result<Partial> {
    let mut p = if k.lists_nics() { nics(jail, k)? } else { Partial::default() };
    vlans(jail, k, &mut p)?;
    addressing(jail, k, &mut p)?;
    p.link = link(jail, k)?;
    if p.mode == Some(Mode::Netgraph) && p.link != LinkPartial::default() {
        return Err(Error::jail(
            Kind::Usage,
            jail,
            "mtu=, flags= and offload= apply to epair NICs (their host ends are if_bridge members); not to mode=netgraph",
        ));
    }
    p.force = Some(k.force);
    // When the keys list the NICs, nothing stored can change them: an `ip4_addr=` that names
    // none of them is refused now, before anything is read or locked.
    if p.list.is_some() && p.ip4.is_some() {
        super::layer(jail, &[(super::Source::CommandLine, &p)])?;
    }
    Ok(p)
}

fn nics(jail: &JailName, k: &Keys<'_>) -> Result<Partial> {
    let bad = |e: crate::model::Invalid| Error::jail(Kind::Data, jail, e.0);
    let usage = |m: String| Error::jail(Kind::Usage, jail, m);
    let word = k.mode.unwrap_or(ModeKind::Epair.as_str());
    let mode = match ModeKind::parse_key(word) {
        Some(ModeKind::Epair) => Mode::Epair,
        Some(ModeKind::Netgraph) => Mode::Netgraph,
        Some(ModeKind::Passthrough) | None => {
            return Err(usage(format!("mode={word}: use mode=epair or mode=netgraph")));
        }
    };
    let uplinks = list(k.interface);
    let names = list(k.ifname);
    let macs = list(k.mac);
    let bridges = list(k.bridges);
    let vnets = list(k.vnets);
    if mode == Mode::Netgraph && !names.is_empty() {
        return Err(usage("ifname= names epair NICs; netgraph NICs are always ng<i>_<jail>".into()));
    }
    // interface= decides how many NICs there are when it is given: a name or MAC more than
    // it has uplinks would silently make a second NIC on the first uplink.
    if !uplinks.is_empty() && (names.len() > uplinks.len() || macs.len() > uplinks.len()) {
        let (key, more) = if names.len() > uplinks.len() { ("ifname", names.len()) } else { ("mac", macs.len()) };
        return Err(usage(format!(
            "{key}= lists {more} NICs but interface= only {}: give one uplink per NIC (e.g. interface={})",
            uplinks.len(),
            vec![uplinks[0].as_str(); more].join(",")
        )));
    }
    let listed = uplinks.len().max(names.len()).max(macs.len());
    let n = if listed == 0 && (!bridges.is_empty() || !vnets.is_empty()) { 0 } else { listed.max(1) };
    if uplinks.len() > 1 && uplinks.len() != n
        || names.len() > 1 && names.len() != n
        || macs.len() > 1 && macs.len() != n
    {
        return Err(usage(format!(
            "interface=, ifname= and mac= list {}, {} and {} NICs; give one value or one per NIC",
            uplinks.len(),
            names.len(),
            macs.len()
        )));
    }
    // One uplink serves every NIC; names and MACs go NIC by NIC.
    let pick = |i: usize| uplinks.get(i).or(if uplinks.len() == 1 { uplinks.first() } else { None });
    let mac = |m: &String| Mac::parse_assignable(m).map_err(bad);
    let mut nics = Vec::with_capacity(n);
    for i in 0..n {
        let uplink = pick(i).map(|u| Uplink::parse(u)).transpose().map_err(bad)?;
        nics.push(NicPartial { uplink, ..NicPartial::default() });
        if mode == Mode::Epair {
            nics[i].name = names.get(i).map(|s| IfName::parse(s).map_err(bad)).transpose()?.map(NicName::Chosen);
            nics[i].mac = macs.get(i).map(mac).transpose()?;
        }
    }
    let bridges = bridges.iter().map(|b| Uplink::parse(b).map_err(bad)).collect::<Result<Vec<_>>>()?;
    if mode == Mode::Netgraph {
        for (nic, m) in nics.iter_mut().zip(&macs) {
            nic.mac = Some(mac(m)?);
        }
    }
    let vnets = vnets.iter().map(|v| IfName::parse(v).map_err(bad)).collect::<Result<Vec<_>>>()?;
    Ok(Partial { list: Some(nics), mode: Some(mode), bridges: Some(bridges), vnets: Some(vnets), ..Partial::default() })
}

/// `vlan=`, `vlan_untagged=` and `vlan_tagged=`, NIC by NIC (one value serves every NIC):
/// into the listed NICs when the command line lists them, else as position-by-position
/// overrides of the stored NICs (so `vlan=100` on a CBSD jail keeps CBSD's rows). They do not
/// list NICs themselves.
fn vlans(jail: &JailName, k: &Keys<'_>, p: &mut Partial) -> Result<()> {
    let per = super::VlanKeys::parse(jail, k.vlan, k.vlan_untagged, k.vlan_tagged, "")?;
    match p.list.as_mut() {
        Some(nics) => {
            for (i, nic) in nics.iter_mut().enumerate() {
                nic.vlan = nic.vlan.under(&per.at(i));
            }
        }
        None => p.vlans = per,
    }
    Ok(())
}

/// `mtu=`, `flags=` and `offload=`: for every epair NIC, over what a stored source says of it.
fn link(jail: &JailName, k: &Keys<'_>) -> Result<LinkPartial> {
    let bad = |e: crate::model::Invalid| Error::jail(Kind::Data, jail, e.0);
    Ok(LinkPartial {
        mtu: k.mtu.map(parse_mtu).transpose().map_err(bad)?,
        flags: k.flags.map(MemberFlag::parse_list).transpose().map_err(bad)?,
        offload_off: k.offload.map(parse_offload).transpose().map_err(bad)?,
    })
}

/// `ip4_addr=`, `ci_gw4=`, `devfs_ruleset=` and `rcconf=`: each one given overrides what a
/// stored source says, the others keep it.
fn addressing(jail: &JailName, k: &Keys<'_>, p: &mut Partial) -> Result<()> {
    let data = |m: String| Error::jail(Kind::Data, jail, m);
    let rcconf = k.rcconf.map(|v| (!v.is_empty()).then(|| PathBuf::from(v)));
    if rcconf.as_ref().is_some_and(|r| r.as_ref().is_some_and(|p| !p.is_absolute())) {
        return Err(Error::jail(Kind::Usage, jail, "rcconf= must be an absolute path"));
    }
    p.ip4 = k.ip4_addr.map(parse_ip4_addr).transpose().map_err(data)?;
    p.gateway = k.ci_gw4.map(parse_ci_gw4).transpose().map_err(data)?;
    p.devfs_ruleset = match k.devfs_ruleset {
        None => None,
        Some("") => Some(None),
        Some(v) => Some(Some(
            v.parse::<u16>().map_err(|_| data(format!("devfs_ruleset={v}: not a ruleset number (1-65535)")))?,
        )),
    };
    p.rcconf = rcconf;
    Ok(())
}

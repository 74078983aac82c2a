//! One way from a jail's configuration to its [`JailNet`]: every source (the command line,
//! `vimage set` settings, CBSD's rows, rc.conf `vimage_NAME_*`) yields a typed [`Partial`],
//! and [`layer`] combines them by the one precedence and builds the network once, with the
//! one `eth<i>` default ([`default_name`]).
//!
//! The precedence, here and nowhere else — command line > `vimage set` > CBSD > rc.conf >
//! default:
//! 1. The NIC list comes from the highest source that lists NICs: the command line when it
//!    gives any NIC key (`interface=`, `ifname=`, `mac=`, `mode=`, `bridges=`, `vnets=`),
//!    else CBSD's `jailnic` rows, else rc.conf (the service's own run). Without one, the
//!    default list: one NIC on the default route's interface, or as `vimage set` shapes it
//!    (one NIC per stored uplink; none when it stores only bridges/vnets).
//! 2. Sources above the one that lists the NICs override them position by position (uplink,
//!    in-jail name) and set their mode, bridges and vnets (`vimage set` over CBSD's rows).
//!    Sources below it say nothing about NICs or addresses: [`resolve`] does not even read
//!    CBSD when the command line lists the NICs.
//! 3. Addresses, router, devfs ruleset, rc.conf path: key by key, the highest source at or
//!    above the one that lists the NICs (the command line's `ip4_addr=` over CBSD's).
//! 4. Userland: the highest source that gives one, whichever lists the NICs.
//! 5. `force=1`: the command line's.
//!
//! The sources live with what they read: [`cli`] (the command line's keys), [`settings`]
//! (`vimage set`), `cbsd::to_jailnet` (CBSD's rows) and `rcd` (rc.conf); they import this
//! module, never the other way round, and `desired` gathers the stored ones for `bridge`.

pub mod cli;
pub mod settings;

use crate::error::{Error, Kind, Result};
use crate::model::addr::{Gateway, Ip4Addr, NicAddrs, Target};
use crate::model::link::{MemberFlag, NicLink};
use crate::model::vlan::NicVlan;
use crate::model::{Addressing, IfName, JailName, JailNet, Mac, NicMode, NicSpec, Uplink, Userland};
use std::path::PathBuf;

/// Which source a jail's NIC list came from, so the admin can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `interface=`/`ifname=`/`mac=` given on this invocation: they win over everything stored.
    CommandLine,
    /// CBSD's `jailnic` rows for the jail (with `vimage set` overrides).
    Cbsd,
    /// vimage's own per-jail settings (`vimage set`), for jails CBSD does not describe.
    Settings,
    /// The standalone service's rc.conf (`vimage_NAME_epairs`, `_bridges`, `_vnets`).
    RcConf,
    /// Nothing configured: one `eth0` on the default route's interface.
    Default,
}

/// How a source names a NIC inside the jail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NicName {
    /// The admin chose it (`ifname=`, `vimage set ifname=`, `vimage_NAME_ifnames`): a Linux
    /// userland's NIC is renamed to it too ([`NicSpec::name_given`]).
    Chosen(IfName),
    /// The source's own naming (a CBSD 15.x row's `name`): not the admin's choice.
    Assigned(IfName),
}

impl NicName {
    fn name(&self) -> &IfName {
        match self {
            NicName::Chosen(n) | NicName::Assigned(n) => n,
        }
    }
}

/// What one source says about one epair or netgraph NIC; `None`: it does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NicPartial {
    /// Where its traffic leaves the host (default: the default route's interface).
    pub uplink: Option<Uplink>,
    /// Its name inside the jail (default: [`default_name`]; netgraph NICs are always named
    /// `ng<i>_<jail>`).
    pub name: Option<NicName>,
    /// A MAC fixed by the admin or CBSD (default: vimage generates one).
    pub mac: Option<Mac>,
    /// Its VLAN keys (`vlan=`, `vlan_untagged=`, `vlan_tagged=`, CBSD 15.x's
    /// `nic_vlan_untagged`/`nic_vlan_tagged`), key by key: a source above overrides each key
    /// it gives, position by position, like the uplink.
    pub vlan: VlanPartial,
    /// Its MTU, member flags and offloads (CBSD 15.x `nic_mtu`, `nic_flags`).
    pub link: LinkPartial,
}

/// What one source says about a NIC's VLANs; `None`: it does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VlanPartial {
    /// `vlan=`: `Some(None)` says "no uplink VLAN".
    pub vlan: Option<Option<u16>>,
    /// `vlan_untagged=`: `Some(None)` says "none".
    pub untagged: Option<Option<u16>>,
    /// `vlan_tagged=`: `Some(vec![])` says "none".
    pub tagged: Option<Vec<u16>>,
}

impl VlanPartial {
    /// True when the source says nothing about VLANs.
    pub fn is_empty(&self) -> bool {
        self.vlan.is_none() && self.untagged.is_none() && self.tagged.is_none()
    }

    /// `self` with every key `over` gives replaced by `over`'s.
    pub fn under(&self, over: &VlanPartial) -> VlanPartial {
        VlanPartial {
            vlan: over.vlan.or(self.vlan),
            untagged: over.untagged.or(self.untagged),
            tagged: over.tagged.clone().or_else(|| self.tagged.clone()),
        }
    }

    /// The NIC's VLANs as the model holds them.
    pub fn build(&self) -> NicVlan {
        NicVlan {
            vlan: self.vlan.flatten(),
            untagged: self.untagged.flatten(),
            tagged: self.tagged.clone().unwrap_or_default(),
        }
    }
}

/// The VLAN keys of one source, NIC by NIC (`vlan=`, `vlan_untagged=`, `vlan_tagged=` and
/// their `vimage set` forms): a key with one value serves every NIC, with several it goes
/// position by position. `0` (or `-`) says "none" for that NIC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VlanKeys {
    vlan: Option<Vec<Option<u16>>>,
    untagged: Option<Vec<Option<u16>>>,
    tagged: Option<Vec<Vec<u16>>>,
}

impl VlanKeys {
    /// Parses the three keys (`None`: not given); `vlan_tagged`'s per-NIC lists are separated
    /// by blanks, its IDs by commas. `from` is added to errors (where the values are stored).
    pub fn parse(
        jail: &JailName,
        vlan: Option<&str>,
        untagged: Option<&str>,
        tagged: Option<&str>,
        from: &str,
    ) -> Result<VlanKeys> {
        use crate::model::vlan::{parse_vid, parse_vid_list};
        let bad = |key: &str, e: crate::model::Invalid| Error::jail(Kind::Data, jail, format!("{from}{key}=: {}", e.0));
        let one = |key: &str, v: Option<&str>| -> Result<Option<Vec<Option<u16>>>> {
            let Some(v) = v.filter(|v| !v.trim().is_empty()) else { return Ok(None) };
            v.split([',', ' ', '\t'])
                .filter(|s| !s.is_empty())
                .map(|w| if w == "0" || w == "-" { Ok(None) } else { parse_vid(w).map(Some).map_err(|e| bad(key, e)) })
                .collect::<Result<Vec<_>>>()
                .map(Some)
        };
        let tagged =
            match tagged.filter(|v| !v.trim().is_empty()) {
                None => None,
                Some(v) => Some(
                    v.split_whitespace()
                        .map(|l| {
                            if l == "-" { Ok(Vec::new()) } else { parse_vid_list(l).map_err(|e| bad("vlan_tagged", e)) }
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
            };
        Ok(VlanKeys { vlan: one("vlan", vlan)?, untagged: one("vlan_untagged", untagged)?, tagged })
    }

    /// True when none of the keys is given.
    pub fn is_empty(&self) -> bool {
        self.vlan.is_none() && self.untagged.is_none() && self.tagged.is_none()
    }

    /// How many NICs the keys name (a key of one value names one).
    pub fn len(&self) -> usize {
        let l = |n: Option<usize>| n.unwrap_or(0);
        l(self.vlan.as_ref().map(Vec::len))
            .max(l(self.untagged.as_ref().map(Vec::len)))
            .max(l(self.tagged.as_ref().map(Vec::len)))
    }

    /// What the keys say about NIC `i`.
    pub fn at(&self, i: usize) -> VlanPartial {
        fn pick<T: Clone>(v: &Option<Vec<T>>, i: usize) -> Option<T> {
            let v = v.as_ref()?;
            if v.len() == 1 { v.first().cloned() } else { v.get(i).cloned() }
        }
        VlanPartial { vlan: pick(&self.vlan, i), untagged: pick(&self.untagged, i), tagged: pick(&self.tagged, i) }
    }
}

/// What one source says about a NIC's link settings ([`NicLink`]), field by field; `None`:
/// it does not say. Layered like the other per-NIC keys: the highest source that says wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkPartial {
    /// `mtu=` / `nic_mtu`.
    pub mtu: Option<u32>,
    /// `flags=` / `nic_flags`.
    pub flags: Option<Vec<MemberFlag>>,
    /// `offload=off` (true) or `offload=on`.
    pub offload_off: Option<bool>,
}

impl LinkPartial {
    /// This source's values, and `lower`'s where this one says nothing.
    fn or(self, lower: &LinkPartial) -> LinkPartial {
        LinkPartial {
            mtu: self.mtu.or(lower.mtu),
            flags: self.flags.or_else(|| lower.flags.clone()),
            offload_off: self.offload_off.or(lower.offload_off),
        }
    }

    /// The NIC's settings: what was said, the defaults elsewhere.
    fn build(&self) -> NicLink {
        NicLink {
            mtu: self.mtu,
            flags: self.flags.clone().unwrap_or_default(),
            offload_off: self.offload_off.unwrap_or(false),
        }
    }
}

/// The mode of the listed NICs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// epair(4) + if_bridge(4), the default.
    Epair,
    /// ng_eiface(4) on an ng_bridge(4).
    Netgraph,
}

/// What one source says about a jail's network: every field `None` (or empty) where the
/// source says nothing, so [`layer`] can tell "not said" from "said: nothing".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partial {
    /// The jail's epair-or-netgraph NICs when this source lists them (the command line with
    /// a NIC key, CBSD's rows, rc.conf's `_epairs`).
    pub list: Option<Vec<NicPartial>>,
    /// Position by position, keys for the NICs another source lists (`vimage set
    /// interface=`, `ifname=`).
    pub per_nic: Vec<NicPartial>,
    /// The mode of the listed NICs.
    pub mode: Option<Mode>,
    /// Netgraph uplinks, one `ng<i>_<jail>` NIC each, after the listed NICs.
    pub bridges: Option<Vec<Uplink>>,
    /// Physical interfaces passed through, after the netgraph NICs.
    pub vnets: Option<Vec<IfName>>,
    /// `ip4_addr`: which NIC gets which addresses.
    pub ip4: Option<Ip4Addr>,
    /// `ci_gw4`: the default routers.
    pub gateway: Option<Gateway>,
    /// `devfs_ruleset`: `Some(None)` says "vimage picks".
    pub devfs_ruleset: Option<Option<u16>>,
    /// The jail's rc.conf: `Some(None)` says "the one under the jail's path".
    pub rcconf: Option<Option<PathBuf>>,
    /// What runs in the jail.
    pub userland: Option<Userland>,
    /// `force=1`: move passthrough interfaces even when that cuts the host off.
    pub force: Option<bool>,
    /// VLAN keys for the NICs another source lists (`vlan=` on the command line without NIC
    /// keys, `vimage set vlan=`), with the one-value-serves-every-NIC rule of [`VlanKeys`].
    pub vlans: VlanKeys,
    /// Link settings for every epair NIC of the jail (`mtu=`, `flags=`, `offload=` on the
    /// command line), under the NIC-by-NIC ones of the same source.
    pub link: LinkPartial,
    /// A line added to any error about this source's addressing values, naming where they
    /// are (CBSD's columns).
    pub blame: Option<&'static str>,
}

impl Partial {
    /// True when this source says anything about the jail's NICs (not only its addresses
    /// or userland): then it is the source the admin is told about.
    pub fn says_nics(&self) -> bool {
        self.list.is_some()
            || self.per_nic.iter().any(|n| n.uplink.is_some() || n.name.is_some())
            || self.mode.is_some()
            || self.bridges.is_some()
            || self.vnets.is_some()
    }
}

/// The sources kept on the host (CBSD's databases, rc.conf files), which [`resolve`] reads
/// only when the precedence leaves them something to decide.
pub trait Stored {
    /// CBSD's rows and addressing columns for `jail`; `None` when CBSD does not describe the
    /// jail's NICs (no workdir, no `jails` row, no `jailnic` rows).
    fn cbsd(&mut self, jail: &JailName) -> Result<Option<Partial>>;
    /// rc.conf's `vimage_NAME_userland` for `jail`.
    fn rcconf(&mut self, jail: &JailName) -> Result<Partial>;
}

/// The network `vimage bridge` gives `jail`: the command line's `cli`, then `vimage set`'s
/// `set`, then what `stored` holds, each read only when a higher source leaves it something
/// to decide (the module doc's rules), layered by [`layer`].
pub fn resolve(
    jail: &JailName,
    cli: &Partial,
    set: &crate::settings::JailSettings,
    stored: &mut dyn Stored,
) -> Result<(JailNet, Source)> {
    let (settings, cbsd) = if cli.list.is_some() {
        // Only the userland of what is stored can matter.
        (Partial { userland: set.userland(), ..Partial::default() }, None)
    } else {
        let cbsd = stored.cbsd(jail)?;
        (settings::partial(jail, set)?, cbsd)
    };
    let mut layers = vec![(Source::CommandLine, cli), (Source::Settings, &settings)];
    if let Some(c) = &cbsd {
        layers.push((Source::Cbsd, c));
    }
    let rcconf = if layers.iter().any(|(_, p)| p.userland.is_some()) { None } else { Some(stored.rcconf(jail)?) };
    if let Some(r) = &rcconf {
        layers.push((Source::RcConf, r));
    }
    layer(jail, &layers)
}

/// The in-jail name of epair NIC `i` when no source names it (`eth<i>`); it lives in the
/// model, so `JailNet::epairs` and the resolver share the one spelling.
pub use crate::model::default_name;

/// Builds the network of `jail` from its sources, highest precedence first (`(source,
/// partial)` pairs; a source that was not read is simply absent), by the rules in the module
/// doc. Returns the network and the source its NIC list came from.
pub fn layer(jail: &JailName, layers: &[(Source, &Partial)]) -> Result<(JailNet, Source)> {
    // 1. Who lists the NICs; everything above it may override, everything below is ignored.
    let base = layers.iter().position(|(_, p)| p.list.is_some());
    let (above, at_or_above) = match base {
        Some(b) => (&layers[..b], &layers[..=b]),
        None => (layers, layers),
    };
    let mode = at_or_above.iter().find_map(|(_, p)| p.mode).unwrap_or(Mode::Epair);
    let bridges = at_or_above.iter().find_map(|(_, p)| p.bridges.clone()).unwrap_or_default();
    let vnets = at_or_above.iter().find_map(|(_, p)| p.vnets.clone()).unwrap_or_default();
    let uplink_at = |i: usize| above.iter().find_map(|(_, p)| p.per_nic.get(i)?.uplink.clone());
    let name_at = |i: usize| above.iter().find_map(|(_, p)| p.per_nic.get(i)?.name.clone());
    // VLAN keys: lowest first, each source above replacing the keys it gives.
    let vlan_at = |i: usize, base: &VlanPartial| {
        above.iter().rev().fold(base.clone(), |acc, (_, p)| {
            let acc = p.per_nic.get(i).map_or(acc.clone(), |n| acc.under(&n.vlan));
            acc.under(&p.vlans.at(i))
        })
    };
    let (source, mut list) = match base {
        Some(b) => (layers[b].0, layers[b].1.list.clone().unwrap_or_default()),
        None => {
            let uplinks = (0..).take_while(|&i| uplink_at(i).is_some()).count();
            let named = above.iter().any(|(_, p)| p.per_nic.iter().any(|n| n.name.is_some()));
            // `vlan=100,200` alone asks for two NICs (one value serves every NIC).
            let vlans = above.iter().map(|(_, p)| p.vlans.len()).max().unwrap_or(0);
            let count = match uplinks {
                0 if !named && vlans == 0 && (!bridges.is_empty() || !vnets.is_empty()) => 0,
                0 => vlans.max(1),
                n => n.max(vlans),
            };
            let source = above.iter().find(|(_, p)| p.says_nics()).map_or(Source::Default, |(s, _)| *s);
            (source, vec![NicPartial::default(); count])
        }
    };
    // 2. Position by position, the keys of the sources above; link settings field by field,
    // the NIC's own before the jail-wide ones of each source.
    let link_at = |i: usize, own: &LinkPartial| {
        let mut acc = LinkPartial::default();
        for (_, p) in above {
            acc = acc.or(&p.per_nic.get(i).map(|n| n.link.clone()).unwrap_or_default()).or(&p.link);
        }
        let base_link = base.map(|b| layers[b].1.link.clone()).unwrap_or_default();
        acc.or(own).or(&base_link)
    };
    for (i, nic) in list.iter_mut().enumerate() {
        nic.uplink = uplink_at(i).or(nic.uplink.take());
        nic.name = name_at(i).or(nic.name.take());
        nic.vlan = vlan_at(i, &nic.vlan);
        nic.link = link_at(i, &nic.link);
    }
    let userland = layers.iter().find_map(|(_, p)| p.userland);
    let force = layers.iter().find_map(|(_, p)| p.force).unwrap_or(false);
    let mut net = build(jail, &list, mode, &bridges, &vnets);
    net.userland = userland;
    net.force = force;
    // 3. Addressing, key by key: lowest first, each source replacing what it gives (so a
    // stored `ip4_addr` that names no NIC is refused even when the command line overrides it).
    for (_, p) in at_or_above.iter().rev() {
        let blame = |e: Error| match p.blame {
            Some(b) => e.detail(b),
            None => e,
        };
        if let Some(ip) = &p.ip4 {
            let addrs = place_ip4(&net, ip).map_err(blame)?;
            for (nic, a) in net.nics.iter_mut().zip(addrs) {
                nic.addrs = a;
            }
        }
        if let Some(g) = &p.gateway {
            net.addressing.gateway = g.clone();
        }
        if let Some(r) = p.devfs_ruleset {
            net.addressing.devfs_ruleset = r;
        }
        if let Some(r) = &p.rcconf {
            net.addressing.rcconf = r.clone();
        }
    }
    Ok((net, source))
}

/// The one builder: the listed NICs in `mode` (epair: named as listed or [`default_name`];
/// netgraph: `ng<i>_<jail>`, keeping uplinks and MACs), then one netgraph NIC per bridge, then
/// the passed-through interfaces, numbered in that order (the number is part of each
/// generated MAC, so the order is fixed).
pub fn build(jail: &JailName, list: &[NicPartial], mode: Mode, bridges: &[Uplink], vnets: &[IfName]) -> JailNet {
    let mut net = JailNet {
        jail: jail.clone(),
        nics: Vec::with_capacity(list.len() + bridges.len() + vnets.len()),
        addressing: Addressing::default(),
        force: false,
        userland: None,
    };
    let uplink = |n: &NicPartial| n.uplink.clone().unwrap_or(Uplink::Auto);
    match mode {
        Mode::Epair => {
            for (i, n) in list.iter().enumerate() {
                net.nics.push(NicSpec {
                    index: i as u32,
                    name: n.name.as_ref().map_or_else(|| default_name(i), |x| x.name().clone()),
                    name_given: matches!(n.name, Some(NicName::Chosen(_))),
                    mode: NicMode::Epair { uplink: uplink(n) },
                    mac: n.mac,
                    addrs: NicAddrs::default(),
                    vlan: n.vlan.build(),
                    link: n.link.build(),
                });
            }
            net.add_netgraph(bridges);
        }
        Mode::Netgraph => {
            let ups: Vec<Uplink> = list.iter().map(uplink).chain(bridges.iter().cloned()).collect();
            net.add_netgraph(&ups);
            for (nic, n) in net.nics.iter_mut().zip(list) {
                nic.mac = n.mac;
                nic.vlan = n.vlan.build();
            }
        }
    }
    net.add_passthrough(vnets);
    net
}

/// Each NIC's addresses from `ip4_addr` (`nic#ip` by in-jail name, or by uplink when only one
/// NIC has it; no prefix: the first NIC).
fn place_ip4(net: &JailNet, ip: &Ip4Addr) -> Result<Vec<NicAddrs>> {
    let data = |m: String| Error::jail(Kind::Data, &net.jail, m);
    let nics = &net.nics;
    let mut out = vec![NicAddrs::default(); nics.len()];
    for (target, addrs) in &ip.nics {
        let i = match target {
            Target::First => 0,
            Target::Named(n) => nics
                .iter()
                .position(|x| x.name.as_str() == n)
                .or_else(|| {
                    let by_uplink: Vec<usize> = nics
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| matches!(x.uplink(), Some(Uplink::Named(u)) if u.as_str() == n))
                        .map(|(i, _)| i)
                        .collect();
                    (by_uplink.len() == 1).then(|| by_uplink[0])
                })
                .ok_or_else(|| {
                    data(format!(
                        "ip4_addr names NIC {n}, but the jail's NICs are {} (uplinks {})",
                        nics.iter().map(|x| x.name.to_string()).collect::<Vec<_>>().join(", "),
                        nics.iter().filter_map(|x| x.uplink()).map(|u| u.to_string()).collect::<Vec<_>>().join(", ")
                    ))
                })?,
        };
        let Some(slot) = out.get_mut(i) else {
            return Err(data(format!(
                "ip4_addr names NIC {}, but the jail has no NICs",
                nics.first().map_or("eth0".to_string(), |x| x.name.to_string())
            )));
        };
        slot.merge(addrs.clone()).map_err(|e| data(format!("NIC {}: {e}", nics[i].name)))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

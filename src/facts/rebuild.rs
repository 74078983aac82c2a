//! Rebuilding vimage's records from the kernel's markers alone, when there are none to go by:
//! the database was lost (deleted, or moved aside because it was damaged) or is new.
//!
//! DESIGN §1: "The markers alone are enough to rebuild vimage's records if its database is
//! lost." Every object is recognised by one call to a marker function of [`crate::naming`]
//! ([`epair_owner`], [`vimage_bridge_uplink`], [`ng_nic_ordinal`], [`ng_orphan_jail`],
//! [`ng_eiface_link`]), so a new kind of marker needs no change here. MACs are read back from
//! the interfaces in the jails and stored, so the next start gives each NIC the MAC it has
//! now; a NIC's index (part of its MAC's hash, and its record's key) is the one whose
//! generated MAC it carries, else the one its name says (`eth<N>`; netgraph NICs count after
//! the epairs, as the planner numbers them). A Linux userland's NIC is found in its jail under
//! the kernel's name (the peer of the host end), which its record keeps as `jail_if`.
//!
//! It costs `ifconfig -a -G vimage`, one `jls`, one `ifconfig -j` per running vnet jail and,
//! only when netgraph NICs are found, one `ngctl -f -` batch of `show` lines.
//!
//! What no marker says, and so is not rebuilt: passthrough NICs (a physical interface carries
//! no marker: it comes back to the host when its jail stops), the uplink's ng_ether flags
//! from before vimage's first netgraph jail on it (a fresh node's, promisc 0 and autosrc 0,
//! are restored), which jails use vimage's devfs ruleset, `vimage set` settings,
//! and the MACs of NICs that are not in a running jail.

use super::query::{all_jails, group, jail_ifaces, ngctl_lines};
use super::{JailInfo, KernelFacts};
use crate::error::Result;
use crate::host::Host;
use crate::mac;
use crate::model::{JailName, Mac, Userland};
use crate::naming::bridge_node;
use crate::naming::{epair_owner, epair_peer, ng_eiface_link, ng_nic_ordinal, ng_orphan_jail, vimage_bridge_uplink};
use crate::parse::ifconfig::IfStatus;
use crate::parse::ngctl::{self, HookRow, NodeLine};
use crate::paths::Paths;
use crate::state::{Attachment, BridgeRec};
use std::collections::{BTreeMap, BTreeSet};

/// What the markers say vimage made, as records.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// One per NIC found: epairs in running jails, netgraph NICs in running jails or back on
    /// the host after their jail went (so `gc` can remove them).
    pub attachments: Vec<Attachment>,
    /// vimage's if_bridges and ng_bridges, and other tools' if_bridges its epairs hang on.
    pub bridges: Vec<BridgeRec>,
    /// The MACs read back, by jail and NIC index.
    pub macs: Vec<(String, u32, Mac)>,
    /// For the admin: what was rebuilt, and what could not be.
    pub notes: Vec<String>,
}

/// How far from the index its name suggests a NIC's MAC is looked for among the generated
/// candidates (a NIC renamed with `ifname=` still has its index's MAC).
const INDEX_SEARCH: u32 = 8;

/// A NIC found by its marker, before its index is decided.
struct Found {
    att: Attachment,
    mac: Option<Mac>,
    /// The index its name suggests.
    expected: Option<u32>,
}

/// Reads every marker; `ours` is `ifconfig -a -g vimage`, already listed by the caller.
///
/// Without `ifconfig -j` (13.x) a jail's interfaces are listed by running its own `ifconfig`;
/// a Linux userland's would be Linux's (or none), so such a jail is not listed: vimage refuses
/// to attach NICs to it on those releases, so it has none of vimage's.
pub fn rebuild(host: &mut dyn Host, k: &KernelFacts, ours: &[IfStatus], paths: &Paths) -> Result<Rebuilt> {
    let mut out = Rebuilt::default();
    let others = group(host, false)?;
    // Without VIMAGE there are no vnet jails (and jls knows no `vnet` parameter).
    let jails = if k.vimage { all_jails(host)? } else { Vec::new() };
    let running: BTreeMap<&str, &JailInfo> =
        jails.iter().filter(|j| !j.dying && j.vnet).map(|j| (j.name.as_str(), j)).collect();
    let mut in_jail: BTreeMap<&str, Vec<IfStatus>> = BTreeMap::new();
    for (name, info) in &running {
        if !k.has_ifconfig_j()
            && let Ok(jail) = JailName::parse(name)
            && super::userland::of_jail(paths, None, &jail, &info.path).userland == Userland::Linux
        {
            continue;
        }
        match jail_ifaces(host, k, info.jid) {
            Ok(ifs) => {
                in_jail.insert(name, ifs);
            }
            // It may have stopped since jls listed it; its NICs are then orphans gc finds.
            Err(e) => out.notes.push(format!("jail {name}: its interfaces could not be listed: {}", e.message)),
        }
    }
    for s in ours {
        if let Some(u) = vimage_bridge_uplink(s) {
            out.bridges.push(BridgeRec::if_bridge(&s.name, &u, true, k.boottime));
        }
    }
    let all: Vec<&IfStatus> = ours.iter().chain(&others).collect();
    let mut found: BTreeMap<String, Vec<Found>> = BTreeMap::new();
    epairs(k, ours, &all, &running, &in_jail, &mut out, &mut found);
    netgraph(host, k, &others, &running, &in_jail, &mut out, &mut found)?;
    let mut jails_found = 0;
    for (jail, mut nics) in found {
        let Ok(name) = JailName::parse(&jail) else { continue };
        assign_indices(&k.hostuuid, &name, &mut nics);
        jails_found += 1;
        for f in nics {
            if let Some(m) = f.mac {
                out.macs.push((jail.clone(), f.att.nic, m));
            }
            out.attachments.push(f.att);
        }
    }
    if !out.attachments.is_empty() || !out.bridges.is_empty() {
        out.notes.insert(
            0,
            format!(
                "records rebuilt from the kernel's markers: {} NIC(s) of {jails_found} jail(s), {} bridge(s)",
                out.attachments.len(),
                out.bridges.len()
            ),
        );
    }
    Ok(out)
}

/// Epair host ends carrying a marker whose jail runs. One whose jail is gone needs no record:
/// its marker alone makes it an orphan `gc` removes. One whose NIC is missing from the running
/// jail was made for an earlier start of it (JID 0 here), so it is replaced or removed too.
fn epairs(
    k: &KernelFacts,
    ours: &[IfStatus],
    all: &[&IfStatus],
    running: &BTreeMap<&str, &JailInfo>,
    in_jail: &BTreeMap<&str, Vec<IfStatus>>,
    out: &mut Rebuilt,
    found: &mut BTreeMap<String, Vec<Found>>,
) {
    for s in ours {
        let Some((jail, nic)) = epair_owner(s) else { continue };
        let Some(info) = running.get(jail.as_str()) else { continue };
        // A Linux userland's NIC keeps the kernel's name, the peer of the host end (`epair3b`).
        let peer = epair_peer(&s.name);
        let ifs = in_jail.get(jail.as_str());
        let by_name = ifs.and_then(|ifs| ifs.iter().find(|i| i.name == nic));
        let by_peer = ifs.and_then(|ifs| ifs.iter().find(|i| i.name == peer)).filter(|_| by_name.is_none());
        let iface = by_name.or(by_peer);
        let bridge = all.iter().find(|b| b.is_bridge() && b.members.contains(&s.name));
        let uplink = bridge.map(|b| uplink_of(b, all));
        if let (Some(b), Some(u)) = (bridge, &uplink)
            && !out.bridges.iter().any(|r| r.name == b.name)
        {
            out.bridges.push(BridgeRec::if_bridge(&b.name, u, false, k.boottime));
        }
        let mac = iface.and_then(|i| i.mac.as_deref()).and_then(|m| Mac::parse(m).ok());
        let jid = if iface.is_some() { info.jid } else { 0 };
        let mut att = Attachment::basic(&jail, 0, &nic, crate::model::ModeKind::Epair, &s.name, jid, k.boottime);
        att.bridge = bridge.map(|b| b.name.clone());
        att.uplink = uplink;
        att.mac = mac.map(|m| m.to_string());
        att.jail_if = by_peer.map(|i| i.name.clone());
        let expected = nic.strip_prefix("eth").and_then(|n| n.parse().ok());
        found.entry(jail).or_default().push(Found { att, mac, expected });
    }
}

/// The uplink an epair on bridge `b` reaches the network through, as the planner would have
/// named it: vimage's bridge says it in its marker; another tool's bridge is the uplink itself
/// when it holds the host's address (the epair joined it directly), else the member its
/// description names (CBSD's), else its first member that is not an epair of vimage's.
fn uplink_of(b: &IfStatus, all: &[&IfStatus]) -> String {
    if let Some(u) = vimage_bridge_uplink(b) {
        return u;
    }
    if !b.inet.is_empty() || b.inet6.iter().any(|a| !a.starts_with("fe80:")) {
        return b.name.clone();
    }
    if let Some(d) = b.description.as_deref().filter(|d| b.members.iter().any(|m| m == d)) {
        return d.to_string();
    }
    let ours = |m: &str| all.iter().any(|s| s.name == m && epair_owner(s).is_some());
    b.members.iter().find(|m| !ours(m)).cloned().unwrap_or_else(|| b.name.clone())
}

/// Netgraph NICs: interfaces in running jails named by vimage's rule, and eifaces back on the
/// host whose name says their jail is gone; each confirmed by its node, whose `ether` hook is
/// on a `link<N>` of a vimage ng_bridge (one `ngctl -f -` batch).
fn netgraph(
    host: &mut dyn Host,
    k: &KernelFacts,
    others: &[IfStatus],
    running: &BTreeMap<&str, &JailInfo>,
    in_jail: &BTreeMap<&str, Vec<IfStatus>>,
    out: &mut Rebuilt,
    found: &mut BTreeMap<String, Vec<Found>>,
) -> Result<()> {
    // (jail, interface, ordinal, MAC, JID); JID 0 for an eiface back on the host.
    let mut cands: Vec<(String, String, u32, Option<Mac>, u32)> = Vec::new();
    for (jail, ifs) in in_jail {
        let Ok(name) = JailName::parse(jail) else { continue };
        let jid = running.get(jail).map_or(0, |i| i.jid);
        for i in ifs {
            if let Some(o) = ng_nic_ordinal(&name, &i.name) {
                let mac = i.mac.as_deref().and_then(|m| Mac::parse(m).ok());
                cands.push((jail.to_string(), i.name.clone(), o, mac, jid));
            }
        }
    }
    let mut unknown = Vec::new();
    for s in others {
        match ng_orphan_jail(&s.name) {
            Some((jail, o)) if !running.contains_key(jail.as_str()) => {
                cands.push((jail.to_string(), s.name.clone(), o, None, 0));
            }
            Some(_) => {}
            None if looks_netgraph(&s.name) => unknown.push(s.name.clone()),
            None => {}
        }
    }
    if cands.is_empty() && unknown.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = cands.iter().map(|c| c.1.clone()).chain(unknown.iter().cloned()).collect();
    let shown = show_nodes(host, &names)?;
    let uplink_of = |bridge: &str| others.iter().find(|s| !s.is_bridge() && bridge_node(&s.name) == bridge);
    for name in &unknown {
        if let Some((b, _)) = shown.get(name).and_then(|(n, h)| ng_eiface_link(n, h)) {
            out.notes.push(format!(
                "{name}: an eiface on vimage's netgraph bridge {b} whose name does not say its jail; left alone"
            ));
        }
    }
    for (jail, ifname, ordinal, mac, jid) in cands {
        let Some((node, hooks)) = shown.get(&ifname) else { continue };
        let Some((bridge, link)) = ng_eiface_link(node, hooks) else { continue };
        let Some(up) = uplink_of(&bridge) else {
            out.notes
                .push(format!("{ifname}: on netgraph bridge {bridge}, whose uplink is not on the host; left alone"));
            continue;
        };
        if !out.bridges.iter().any(|b| b.name == bridge) {
            out.bridges.push(BridgeRec {
                kind: crate::state::BridgeKind::Netgraph,
                // A fresh node's flags, promisc 0 and autosrc 0 (14.x sys/netgraph/ng_ether.c
                // ng_ether_attach: M_ZERO, autoSrcAddr never set): what the uplink had before,
                // unless someone had changed them, which nothing recorded.
                ng_promisc: Some(false),
                ng_autosrc: Some(false),
                ..BridgeRec::if_bridge(&bridge, &up.name, true, k.boottime)
            });
            out.notes.push(format!(
                "{bridge}: when it goes, {} gets ng_ether's default flags (promisc 0, autosrc 0): no marker says \
                 what they were before",
                up.name
            ));
        }
        let mut att = Attachment::basic(&jail, 0, &ifname, crate::model::ModeKind::Netgraph, &ifname, jid, k.boottime);
        att.bridge = Some(bridge);
        att.uplink = Some(up.name.clone());
        att.mac = mac.map(|m| m.to_string());
        att.ng_node = Some(node.id);
        att.ng_link = Some(link);
        let wanted = format!("ng{ordinal}_{jail}");
        att.wanted_name = (wanted != ifname).then_some(wanted);
        let list = found.entry(jail).or_default();
        let epairs = list.iter().filter(|f| f.att.mode == crate::model::ModeKind::Epair).count() as u32;
        list.push(Found { att, mac, expected: Some(epairs + ordinal) });
    }
    Ok(())
}

/// `ng<digits>_…`: the shape of every name vimage gives a netgraph NIC.
fn looks_netgraph(name: &str) -> bool {
    name.strip_prefix("ng").is_some_and(|r| {
        let d = r.bytes().take_while(u8::is_ascii_digit).count();
        d > 0 && r.as_bytes().get(d) == Some(&b'_')
    })
}

/// `ngctl show NAME:` of each name, in one batch (see [`super::gather::ngctl_lines`]).
fn show_nodes(host: &mut dyn Host, names: &[String]) -> Result<BTreeMap<String, (NodeLine, Vec<HookRow>)>> {
    let lines: Vec<String> =
        names.iter().filter(|n| crate::naming::safe_node_name(n)).map(|n| format!("show {n}:")).collect();
    let mut shown = BTreeMap::new();
    for (_, done, out) in ngctl_lines(host, &lines)? {
        for part in split_shows(&out.stdout).into_iter().take(done) {
            if let Some((node, hooks)) = ngctl::parse_show(part)
                && let Some(n) = node.name.clone()
            {
                shown.insert(n, (node, hooks));
            }
        }
    }
    Ok(shown)
}

/// Splits the output of several `show` commands at each node line.
fn split_shows(stdout: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in stdout.split_inclusive('\n') {
        if ngctl::node_line(line).is_some() {
            starts.push(at);
        }
        at += line.len();
    }
    starts.iter().enumerate().map(|(i, &s)| &stdout[s..starts.get(i + 1).copied().unwrap_or(stdout.len())]).collect()
}

/// Gives each NIC of one jail its index: the one whose generated MAC it carries (searched
/// from the index its name suggests), else the one its name suggests, else the lowest free.
fn assign_indices(hostuuid: &str, jail: &JailName, nics: &mut [Found]) {
    let mut used: BTreeSet<u32> = BTreeSet::new();
    let mut decided: Vec<Option<u32>> = vec![None; nics.len()];
    for (f, d) in nics.iter().zip(decided.iter_mut()) {
        let Some(m) = f.mac else { continue };
        let near = f.expected.unwrap_or(0);
        let tries = std::iter::once(near).chain(near.saturating_sub(INDEX_SEARCH)..near + INDEX_SEARCH);
        let hit = tries.filter(|i| !used.contains(i)).find(|&i| mac::candidates(hostuuid, jail, i).any(|c| c == m));
        if let Some(i) = hit {
            used.insert(i);
            *d = Some(i);
        }
    }
    for (f, d) in nics.iter().zip(decided.iter_mut()) {
        if d.is_none() {
            let i = f
                .expected
                .filter(|i| !used.contains(i))
                .unwrap_or_else(|| (0..).find(|i| !used.contains(i)).unwrap_or(0));
            used.insert(i);
            *d = Some(i);
        }
    }
    for (f, d) in nics.iter_mut().zip(decided) {
        f.att.nic = d.unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epair(name: &str, mac: Option<Mac>, expected: Option<u32>) -> Found {
        let att = Attachment::basic("web1", 0, name, crate::model::ModeKind::Epair, "epair0a", 1, 7);
        Found { att, mac, expected }
    }

    #[test]
    fn an_index_comes_from_the_generated_mac_first_then_the_name() {
        let j = JailName::parse("web1").unwrap();
        // eth0 was renamed (ifname=lan0) but carries index 1's second candidate; eth1 has an
        // admin's MAC, so its name decides; `lan` has neither and takes the lowest free.
        let mut nics = [
            epair("lan0", Some(mac::candidate("u", &j, 1, 1)), None),
            epair("eth1", Some(Mac::parse("02:00:00:00:00:01").unwrap()), Some(1)),
            epair("lan", None, None),
            epair("eth0", Some(mac::candidate("u", &j, 0, 0)), Some(0)),
        ];
        assign_indices("u", &j, &mut nics);
        let got: Vec<(&str, u32)> = nics.iter().map(|f| (f.att.nic_name.as_str(), f.att.nic)).collect();
        assert_eq!(got, [("lan0", 1), ("eth1", 2), ("lan", 3), ("eth0", 0)]);
    }

    #[test]
    fn the_output_of_several_shows_splits_per_node() {
        let out = "  Name: ng0_web1        Type: eiface          ID: 00000005   Num hooks: 1
  Local hook      Peer name       Peer type    Peer ID         Peer hook      
  ----------      ---------       ---------    -------         ---------      
  ether           vimage_em0      bridge       00000004        link2          
  Name: ng1_web1        Type: eiface          ID: 00000006   Num hooks: 0
";
        let parts = split_shows(out);
        assert_eq!(parts.len(), 2);
        let (n, h) = ngctl::parse_show(parts[0]).unwrap();
        assert_eq!(ng_eiface_link(&n, &h), Some(("vimage_em0".to_string(), 2)));
        let (n, h) = ngctl::parse_show(parts[1]).unwrap();
        assert_eq!((n.id, ng_eiface_link(&n, &h)), (6, None), "an eiface on no bridge is not vimage's");
        assert!(looks_netgraph("ng0_x") && !looks_netgraph("ngeth0") && !looks_netgraph("ng_x"));
    }
}

//! The inventory: one pure judgement of everything vimage has records of or made, from one
//! gathered view (the running jails, the scan of group `vimage`, the records, the netgraph
//! nodes that answered). `status` reports it and `gc` removes by it, so the two can never
//! disagree on what is live, stale, gone or orphaned.
//!
//! An object is only ever an orphan if it carries vimage's marker (an epair CBSD made and
//! vimage took over is one too, but gc only takes vimage's group off it); a marked host end whose
//! jail is running and has an interface of that NIC's name, but which vimage has no record
//! of (records lost), is reported and left alone: it may be carrying that jail's traffic.

use crate::facts::JailInfo;
use crate::model::ModeKind;
use crate::naming::{GROUP, bridge_marker, epair_mark, parse_cbsd_epair_descr, parse_epair_marker};
use crate::parse::ifconfig::IfStatus;
use crate::state::{Attachment, BridgeRec};
use serde::Serialize;
use std::collections::BTreeMap;

/// What one gathering saw: the six inputs every judgement is made from. Borrowed, so the
/// same gathered facts serve `status` and `gc` (and tests build it from literals).
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// `kern.boottime`: records of another boot describe nothing.
    pub boottime: i64,
    /// Every jail `jls -d` lists (dying ones are not running).
    pub jails: &'a [JailInfo],
    /// Every interface in group `vimage`.
    pub scan: &'a [IfStatus],
    /// vimage's NIC records.
    pub atts: &'a [Attachment],
    /// vimage's bridge records.
    pub bridges: &'a [BridgeRec],
    /// The netgraph node IDs (of this boot's netgraph records) that answered, with their
    /// interface's name now: a netgraph NIC lives in its jail, out of the host's interface
    /// list, so only its node tells whether the record still describes something.
    pub ng_alive: &'a BTreeMap<u32, String>,
}

impl<'a> Seen<'a> {
    /// The view of one gathering ([`crate::facts::gather::inventory`]) in boot `boottime`.
    pub fn of(f: &'a crate::facts::gather::InventoryFacts, boottime: i64) -> Seen<'a> {
        Seen { boottime, jails: &f.jails, scan: &f.scan, atts: &f.atts, bridges: &f.bridges, ng_alive: &f.ng_alive }
    }
}

/// What a NIC record describes now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NicState {
    /// In the kernel, in the running jail instance it was given to.
    Up,
    /// It exists, but the jail restarted or stopped without unbridge.
    Stale,
    /// Recorded, no longer in the kernel.
    Gone,
}

impl NicState {
    /// The word `status` prints (docs/json.md).
    pub fn as_str(self) -> &'static str {
        match self {
            NicState::Up => "up",
            NicState::Stale => "stale",
            NicState::Gone => "gone",
        }
    }
}

/// The judgement of one NIC record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NicVerdict {
    /// What it describes now.
    pub state: NicState,
    /// The record describes no object vimage should keep it for: `gc` forgets it. A stale
    /// eiface is not dead (only `unbridge` may shut it down), a stale epair is.
    pub dead: bool,
}

/// The judgement of one bridge record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeVerdict {
    /// The kernel still has it, as far as can be told (an ng_bridge is not listed: it is
    /// known to exist while one of its NICs' nodes answers; a bridge vimage does not own is
    /// taken to exist).
    pub exists: bool,
    /// ng_bridge: the NIC records on it (indexes into [`Seen::atts`]).
    pub users: Vec<usize>,
    /// An owned bridge whose record describes nothing (if_bridge: not in the scan; ng_bridge:
    /// of another boot): `gc` forgets the record.
    pub dead: bool,
    /// A vimage ng_bridge no NIC record names: reported, left alone (no unbridge can account
    /// for its links).
    pub unused: bool,
}

/// One thing gc would remove or has left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphan {
    /// The interface's name.
    pub object: String,
    /// Its vimage description, which proves vimage made it.
    pub marker: String,
    /// The jail the marker names; `None` for a bridge, which belongs to no jail.
    pub jail: Option<String>,
    /// Why it counts as an orphan (or is left alone), for the admin.
    pub reason: String,
    /// False for objects reported but deliberately left alone.
    pub removable: bool,
}

/// The marker of a netgraph NIC orphan: its node ID, which (within one boot) proves it is the
/// eiface vimage made; such an orphan is removed by the jail's unbridge plan, not by a
/// `destroy` of its name.
pub const NG_MARKER: &str = "netgraph node";

impl Orphan {
    /// Whether this is a netgraph NIC (see [`NG_MARKER`]).
    pub fn is_netgraph_nic(&self) -> bool {
        self.marker.starts_with(NG_MARKER)
    }

    /// Whether this is an epair of CBSD's that vimage took over (its marker is CBSD's
    /// description `<jail>-eth<N>`): gc only takes vimage's group off it, never destroys it.
    pub fn is_cbsd_epair(&self) -> bool {
        parse_epair_marker(&self.marker).is_none() && parse_cbsd_epair_descr(&self.marker).is_some()
    }

    /// The orphan `status` reports for an ng_bridge no record uses ([`BridgeVerdict::unused`]).
    pub fn unused_ng_bridge(b: &BridgeRec) -> Orphan {
        Orphan {
            object: b.name.clone(),
            marker: "netgraph node name".into(),
            jail: None,
            reason: format!("vimage's netgraph bridge for {} has no jail left in the records", b.uplink),
            // No NIC of it is recorded, so no unbridge can account for its links.
            removable: false,
        }
    }
}

/// The whole judgement, aligned with [`Seen`]'s records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// One verdict per NIC record, in [`Seen::atts`]' order.
    pub nics: Vec<NicVerdict>,
    /// One verdict per bridge record, in [`Seen::bridges`]' order.
    pub bridges: Vec<BridgeVerdict>,
    /// Marked objects no running jail accounts for: host ends (in scan order), then vimage's
    /// if_bridges left with no jail, then netgraph NICs of jails gone or restarted.
    pub orphans: Vec<Orphan>,
}

/// Judges everything [`Seen`] holds. Pure: no host, no database.
pub fn judge(seen: &Seen<'_>) -> Inventory {
    let running: BTreeMap<&str, &JailInfo> =
        seen.jails.iter().filter(|j| !j.dying).map(|j| (j.name.as_str(), j)).collect();
    let by_name: BTreeMap<&str, &IfStatus> = seen.scan.iter().map(|s| (s.name.as_str(), s)).collect();
    let boottime = seen.boottime;
    let alive = |a: &Attachment| a.ng_node.is_some_and(|id| seen.ng_alive.contains_key(&id));
    let nics = seen
        .atts
        .iter()
        .map(|a| {
            let live = running.get(a.jail.as_str()).is_some_and(|i| i.jid == a.jid) && a.boottime == boottime;
            let exists = match a.mode {
                // The eiface outlives its jail (it comes back to the host when the vnet goes).
                ModeKind::Netgraph => alive(a) && a.boottime == boottime,
                // The kernel gives a passed-through interface back when the jail dies.
                ModeKind::Passthrough => live,
                ModeKind::Epair => by_name
                    .get(a.host_if.as_str())
                    .and_then(|s| epair_mark(s))
                    .is_some_and(|m| m.is_nic(&a.jail, a.nic, &a.nic_name)),
            };
            let state = match (exists, live) {
                (true, true) => NicState::Up,
                (true, false) => NicState::Stale,
                (false, _) => NicState::Gone,
            };
            // Only `unbridge` may shut an eiface down: its record stays while the node answers.
            let dead = !exists || (!live && a.mode != ModeKind::Netgraph);
            NicVerdict { state, dead }
        })
        .collect();
    let bridges = seen
        .bridges
        .iter()
        .map(|b| {
            if b.is_netgraph() {
                let users: Vec<usize> =
                    (0..seen.atts.len()).filter(|&i| seen.atts[i].bridge.as_deref() == Some(b.name.as_str())).collect();
                BridgeVerdict {
                    exists: users.iter().any(|&i| alive(&seen.atts[i])),
                    unused: users.is_empty(),
                    users,
                    // Its record goes with the boot (the planner re-creates a bridge whose node
                    // vanished within the boot).
                    dead: b.owned && b.boottime != boottime,
                }
            } else {
                let listed = by_name.contains_key(b.name.as_str());
                BridgeVerdict { exists: listed || !b.owned, users: Vec::new(), dead: b.owned && !listed, unused: false }
            }
        })
        .collect();
    Inventory { nics, bridges, orphans: orphans(seen, &running) }
}

/// What the reason of a stale epair host end adds about its other end: when a jail dies
/// without unbridge, the kernel moves the epair's jail end back to the host under the name it
/// had in the jail (sys/net/if.c `vnet_if_return` keeps `if_xname`; nothing checks for a
/// clash), so the host may show an `eth0`; destroying the host end destroys it too
/// (if_epair.c `epair_clone_destroy` takes both ends).
fn jail_end_home(rec: Option<&Attachment>) -> String {
    match rec {
        Some(r) if r.mode == ModeKind::Epair => format!(
            "; its jail end {} is back on the host under that name once that jail's vnet is gone, and is destroyed with it",
            r.in_jail()
        ),
        _ => String::new(),
    }
}

/// The orphans of [`judge`]: every marked object no running jail accounts for.
fn orphans(seen: &Seen<'_>, running: &BTreeMap<&str, &JailInfo>) -> Vec<Orphan> {
    let (boottime, atts) = (seen.boottime, seen.atts);
    let mut out = Vec::new();
    // Host ends first: a bridge is an orphan once every member but its uplink is one.
    for s in seen.scan.iter().filter(|s| !s.is_bridge()) {
        let Some(marker) = s.description.clone() else { continue };
        let Some(mark) = epair_mark(s) else { continue };
        let jail = mark.jail().to_string();
        let rec = atts.iter().find(|a| a.host_if == s.name && mark.is_nic(&a.jail, a.nic, &a.nic_name));
        if mark.is_adopted() {
            // CBSD's epair with vimage's group still on it: gc takes the group off (never
            // destroys it); CBSD's jstop or jcleanup removes the epair.
            let reason = match (running.get(jail.as_str()), rec) {
                (Some(i), Some(r)) if r.jid == i.jid && r.boottime == boottime => continue,
                (Some(_), None) => {
                    let why =
                        "CBSD's epair in group vimage without a vimage record; left alone because the jail is running";
                    out.push(Orphan {
                        object: s.name.clone(),
                        marker,
                        jail: Some(jail),
                        reason: why.into(),
                        removable: false,
                    });
                    continue;
                }
                (None, _) => format!("CBSD's epair, taken over by vimage for jail {jail}, which is not running"),
                (Some(i), Some(r)) => {
                    format!(
                        "CBSD's epair, taken over for an earlier start of jail {jail} (jid {}, now {})",
                        r.jid, i.jid
                    )
                }
            };
            let reason = format!("{reason}; vimage's group comes off, CBSD destroys its own epair");
            out.push(Orphan { object: s.name.clone(), marker, jail: Some(jail), reason, removable: true });
            continue;
        }
        let (reason, removable) = match (running.get(jail.as_str()), rec) {
            (None, _) => (format!("jail {jail} is not running{}", jail_end_home(rec)), true),
            (Some(i), Some(r)) if r.jid != i.jid || r.boottime != boottime => (
                format!(
                    "made for an earlier start of jail {jail} (jid {}, now {}){}",
                    r.jid,
                    i.jid,
                    jail_end_home(rec)
                ),
                true,
            ),
            (Some(_), Some(_)) => continue,
            (Some(_), None) => (
                "no vimage record (an interrupted run, or lost records); left alone because the jail is running".into(),
                false,
            ),
        };
        out.push(Orphan { object: s.name.clone(), marker, jail: Some(jail), reason, removable });
    }
    let going: Vec<String> = out.iter().filter(|o| o.removable).map(|o| o.object.clone()).collect();
    for s in seen.scan.iter().filter(|s| s.is_bridge() && s.in_group(GROUP)) {
        let Some(marker) = s.description.clone() else { continue };
        let Some(uplink) = marker.strip_prefix("vimage:") else { continue };
        if marker == bridge_marker(uplink) && s.members.iter().all(|m| m == uplink || going.contains(m)) {
            out.push(Orphan {
                object: s.name.clone(),
                marker: marker.clone(),
                jail: None,
                reason: format!("vimage's bridge for {uplink} has no jail left"),
                removable: true,
            });
        }
    }
    // vlan(4) uplinks vimage created that no bridge (left) and no netgraph bridge record uses:
    // after the bridges, so gc destroys them after the bridges on them.
    let going: Vec<String> = out.iter().filter(|o| o.removable).map(|o| o.object.clone()).collect();
    for s in seen.scan.iter().filter(|s| crate::naming::is_own_vlan(s)) {
        let bridged =
            seen.scan.iter().any(|b| b.is_bridge() && !going.contains(&b.name) && b.members.contains(&s.name));
        let ng = seen.bridges.iter().any(|r| r.uplink == s.name && r.is_netgraph());
        if !bridged && !ng {
            out.push(Orphan {
                object: s.name.clone(),
                marker: s.description.clone().unwrap_or_default(),
                jail: None,
                reason: format!(
                    "the vlan(4) vimage created on {} has no bridge of vimage's left",
                    s.vlan.as_ref().and_then(|(_, p)| p.clone()).unwrap_or_else(|| "its parent".into())
                ),
                removable: true,
            });
        }
    }
    // Netgraph NICs of jails that are gone or were restarted: the eiface is back on the host
    // (under its in-jail name) and still hooked to the ng_bridge.
    for a in atts.iter().filter(|a| a.mode == ModeKind::Netgraph && a.boottime == boottime) {
        let Some(id) = a.ng_node.filter(|id| seen.ng_alive.contains_key(id)) else { continue };
        let reason = match running.get(a.jail.as_str()) {
            Some(i) if i.jid == a.jid => continue,
            Some(i) => format!("made for an earlier start of jail {} (jid {}, now {})", a.jail, a.jid, i.jid),
            None => format!("jail {} is not running", a.jail),
        };
        let now = seen.ng_alive.get(&id).cloned().unwrap_or_else(|| a.host_if.clone());
        // sys/net/if.c vnet_if_return: the ifnet goes home under the name it had in the jail.
        let reason = format!(
            "{reason}; its interface {now} is back on the host once that jail's vnet is gone, and goes with the node"
        );
        out.push(Orphan {
            object: now,
            marker: format!("{NG_MARKER} [{id:x}]"),
            jail: Some(a.jail.clone()),
            reason,
            removable: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ifconfig::parse_status;

    fn att(jail: &str, mode: &str, host_if: &str, jid: u32, boottime: i64) -> Attachment {
        Attachment {
            jail: jail.into(),
            nic: 0,
            nic_name: "eth0".into(),
            mode: ModeKind::parse(mode).unwrap(),
            host_if: host_if.into(),
            bridge: None,
            uplink: Some("em0".into()),
            mac: None,
            jid,
            boottime,
            ng_node: None,
            ng_link: None,
            wanted_name: None,
            was_up: None,
            jail_if: None,
        }
    }

    fn jail(name: &str, jid: u32) -> JailInfo {
        JailInfo { jid, name: name.into(), vnet: true, dying: false, path: String::new(), devfs_ruleset: 0 }
    }

    /// One verdict per record: status's state and gc's "dead" come from the same judgement,
    /// so a stale epair is both shown stale and forgotten, a stale eiface shown and kept.
    #[test]
    fn status_state_and_gc_death_are_one_judgement() {
        let scan = parse_status(
            "epair0a: flags=8843<UP> metric 0 mtu 1500\n\tdescription: vimage:web1:eth0\n\tgroups: epair vimage\n\
             epair1a: flags=8843<UP> metric 0 mtu 1500\n\tdescription: vimage:web2:eth0\n\tgroups: epair vimage\n",
        );
        let mut ng = att("web3", "netgraph", "ng0_web3", 3, 7);
        ng.ng_node = Some(0x21);
        ng.bridge = Some("vimage_em0".into());
        let atts = [
            att("web1", "epair", "epair0a", 1, 7),
            att("web2", "epair", "epair1a", 4, 7),
            att("web9", "epair", "epair9a", 9, 7),
            ng,
            att("web1", "passthrough", "em2", 1, 7),
        ];
        let mut ngb = BridgeRec::if_bridge("vimage_em0", "em0", true, 7);
        ngb.kind = crate::state::BridgeKind::Netgraph;
        let bridges =
            [ngb, BridgeRec::if_bridge("bridge5", "em1", true, 7), BridgeRec::if_bridge("br", "em1", false, 7)];
        let alive = BTreeMap::from([(0x21, "ng0_web3".to_string())]);
        let jails = [jail("web1", 1), jail("web2", 5)];
        let seen = Seen { boottime: 7, jails: &jails, scan: &scan, atts: &atts, bridges: &bridges, ng_alive: &alive };
        let inv = judge(&seen);
        let got: Vec<(&str, bool)> = inv.nics.iter().map(|v| (v.state.as_str(), v.dead)).collect();
        assert_eq!(got, [("up", false), ("stale", true), ("gone", true), ("stale", false), ("up", false)]);
        let b: Vec<(bool, bool, bool)> = inv.bridges.iter().map(|v| (v.exists, v.dead, v.unused)).collect();
        assert_eq!(b, [(true, false, false), (false, true, false), (true, false, false)]);
        assert_eq!(inv.bridges[0].users, [3]);
        let o: Vec<(&str, bool)> = inv.orphans.iter().map(|o| (o.object.as_str(), o.removable)).collect();
        assert_eq!(o, [("epair1a", true), ("ng0_web3", true)]);
    }
}

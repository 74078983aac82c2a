//! Planning `vimage bridge`: one epair per NIC, its host end on a bridge with the uplink, its
//! jail end moved into the jail and renamed there.
//!
//! Per NIC the plan is at most four commands (five for the first jail on an uplink):
//! ```text
//! ifconfig bridge create description vimage:em0 group vimage addm em0 up      (first jail only)
//! ifconfig epair create description vimage:web1:eth0 group vimage mtu 1500 up
//! ifconfig $bridge addm $eth0_a
//! ifconfig $eth0_b mtu 1500 vnet <jid>
//! ifconfig -j <jid> $eth0_b ether 02:… name eth0 up
//! ```

use super::op::{IfRef, Op, Slot, parse_epair_marker};
use super::{Effect, Plan, Step, Verb};
use crate::error::{Error, Kind, Result};
use crate::facts::{HostView, JailInfo};
use crate::mac;
use crate::model::{IfName, JailName, JailNet, Mac, NicSpec, Uplink};
use crate::parse::ifconfig::IfStatus;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Plans the changes that give `net.jail` the NICs in `net`, or refuses with the reason.
pub fn plan_bridge(net: &JailNet, v: &HostView) -> Result<Plan> {
    let jail = &net.jail;
    let info = check_jail(jail, v)?;
    check_nics(jail, &net.nics)?;
    let mut p = Planner {
        jail,
        info,
        v,
        plan: Plan::new(jail.clone(), Verb::Bridge),
        new_bridges: BTreeMap::new(),
        macs: HashSet::new(),
    };
    if net.wants_devfs() {
        super::devfs::plan_use(&mut p.plan, jail, info, v, net.addressing.devfs_ruleset)?;
    }
    let mut states = BTreeMap::new();
    for nic in &net.nics {
        let (created, bridge) = p.nic(nic)?;
        let bridge = bridge.and_then(|b| v.host_iface(&b));
        states.insert(nic.name.to_string(), super::addr::NicState { created, bridge });
    }
    super::addr::plan_addresses(&mut p.plan, net, info, v, &states)?;
    Ok(p.plan)
}

/// Refusals that concern the jail as a whole.
fn check_jail<'a>(jail: &JailName, v: &'a HostView) -> Result<&'a JailInfo> {
    if !v.kernel.vimage {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            "this kernel has no VIMAGE (sysctl kern.features.vimage is missing), so jails cannot have their own network stack",
        )
        .detail("GENERIC has had options VIMAGE since FreeBSD 12.0; boot a kernel built with it"));
    }
    let Some(info) = v.jail.as_ref() else {
        return Err(Error::jail(Kind::Unavailable, jail, "is not running: jls knows no jail of that name")
            .detail("vimage configures the network of a running vnet jail; start it first"));
    };
    if info.dying {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            format!("is dying (jid {}); wait until `jls -d` no longer lists it", info.jid),
        ));
    }
    if !info.vnet {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            format!("runs without its own network stack (jid {}, vnet=inherit)", info.jid),
        )
        .detail("restart it with the jail parameter vnet (CBSD: vnet=1) to give it one"));
    }
    Ok(info)
}

/// Refusals that concern the NIC list.
fn check_nics(jail: &JailName, nics: &[NicSpec]) -> Result<()> {
    if nics.is_empty() {
        return Err(Error::jail(Kind::Data, jail, "has no NICs to configure"));
    }
    let mut names = BTreeSet::new();
    let mut idx = BTreeSet::new();
    for n in nics {
        if !names.insert(n.name.as_str()) {
            return Err(Error::jail(Kind::Data, jail, format!("names two NICs {}", n.name)));
        }
        if !idx.insert(n.index) {
            return Err(Error::jail(Kind::Data, jail, format!("has two NICs with index {}", n.index)));
        }
    }
    Ok(())
}

struct Planner<'a> {
    jail: &'a JailName,
    info: &'a JailInfo,
    v: &'a HostView,
    plan: Plan,
    /// Bridges this plan creates, by uplink, so a second NIC on the same uplink reuses it.
    new_bridges: BTreeMap<String, IfRef>,
    /// MACs this plan hands out, so two NICs of one jail never share one.
    macs: HashSet<Mac>,
}

impl Planner<'_> {
    fn err(&self, kind: Kind, msg: impl Into<String>) -> Error {
        Error::jail(kind, self.jail, msg)
    }

    /// Plans one NIC; says whether this plan creates it (so it has no address yet) and, when
    /// known by name, the bridge its host end is on.
    fn nic(&mut self, nic: &NicSpec) -> Result<(bool, Option<String>)> {
        let uplink = self.resolve_uplink(nic)?;
        let up = self.v.host_iface(&uplink).ok_or_else(|| {
            self.err(Kind::Unavailable, format!("{}: uplink {uplink} does not exist on the host", nic.name))
        })?;
        if up.mtu == 0 {
            return Err(self.err(Kind::Os, format!("{}: cannot read the MTU of uplink {uplink}", nic.name)));
        }
        let mac = self.decide_mac(nic)?;
        let rec = self.v.attachments.iter().find(|a| a.nic == nic.index);
        let in_jail = self.v.jail_iface(nic.name.as_str());
        let live = rec.is_some_and(|r| {
            r.jid == self.info.jid
                && r.boottime == self.v.kernel.boottime
                && in_jail.is_some_and(|i| i.mac.as_deref() == r.mac.as_deref())
        });
        if let Some(rec) = rec.filter(|_| live) {
            let same =
                rec.uplink.as_deref() == Some(uplink.as_str()) && rec.mac.as_deref() == Some(mac.to_string().as_str());
            if same {
                self.plan.notes.push(format!(
                    "{}: already bridged: host end {} on {} (uplink {uplink}), MAC {mac}; nothing to change",
                    nic.name,
                    rec.host_if,
                    rec.bridge.as_deref().unwrap_or("?"),
                ));
                return Ok((false, rec.bridge.clone()));
            }
        } else if let Some(i) = in_jail {
            // Not ours: a restarted jail's old jail end went back to the host, so an interface
            // of this name in the running jail was made by someone else.
            return Err(self
                .err(
                    Kind::Data,
                    format!(
                        "already has an interface named {} that vimage did not create (MAC {})",
                        nic.name,
                        i.mac.as_deref().unwrap_or("none")
                    ),
                )
                .detail("remove it or give this NIC another name"));
        }
        if let Some(rec) = rec {
            self.remove_stale(nic, rec, live);
        }
        if let Some((a, b)) = self.adoptable(nic) {
            let bridge = self.adopt(nic, &a, &b, uplink, up.mtu, mac);
            return Ok((true, Some(bridge).filter(|b| b != "-")));
        }
        let bridge = self.choose_bridge(&uplink, up)?;
        let slot = Slot(format!("{}_a", nic.name));
        let mtu = up.mtu;
        let jid = self.info.jid;
        self.push(Op::CreateEpair { slot: slot.clone(), jail: self.jail.clone(), nic: nic.name.clone(), mtu });
        self.push(Op::AddMember { bridge: bridge.clone(), member: IfRef::Created(slot.clone()) });
        self.push(Op::MoveToJail { iface: IfRef::Peer(slot.clone()), mtu, jail: self.jail.clone(), jid });
        self.push(Op::RenameInJail {
            jail: self.jail.clone(),
            jid,
            iface: IfRef::Peer(slot.clone()),
            mac,
            name: nic.name.clone(),
            via_jexec: !self.v.kernel.has_ifconfig_j(),
        });
        let bridge_name = match &bridge {
            IfRef::Name(n) => Some(n.clone()),
            _ => None,
        };
        self.plan.effects.push(Effect::Attach {
            nic: nic.index,
            nic_name: nic.name.to_string(),
            host_if: IfRef::Created(slot),
            bridge,
            uplink,
            mac,
            jid,
        });
        if self.v.stored_macs.get(&nic.index) != Some(&mac) {
            self.plan.effects.push(Effect::Mac { nic: nic.index, mac });
        }
        Ok((true, bridge_name))
    }

    fn push(&mut self, op: Op) {
        self.plan.steps.push(Step::new(op));
    }

    /// An epair CBSD's `jstart` made for this NIC and has not moved into the jail yet: its
    /// host end carries CBSD's description `<jail>-eth<N>` (sudoexec/jstart) and its jail
    /// end is still on the host. vimage takes it over instead of making a second one.
    fn adoptable(&self, nic: &NicSpec) -> Option<(String, String)> {
        let want = format!("{}-eth{}", self.jail, nic.index);
        let a = self.v.host_ifaces.values().find(|s| {
            s.description.as_deref() == Some(want.as_str())
                && s.name
                    .strip_prefix("epair")
                    .and_then(|r| r.strip_suffix('a'))
                    .is_some_and(|u| !u.is_empty() && u.bytes().all(|c| c.is_ascii_digit()))
        })?;
        let b = super::op::epair_peer(&a.name);
        self.v.host_ifaces.contains_key(&b).then(|| (a.name.clone(), b))
    }

    /// Takes over CBSD's epair: mark the host end as vimage's, move the jail end in, rename
    /// it there. Each step's undo gives it back as CBSD left it (nothing of CBSD's is ever
    /// destroyed by a rollback).
    fn adopt(&mut self, nic: &NicSpec, a: &str, b: &str, uplink: String, mtu: u32, mac: Mac) -> String {
        let jid = self.info.jid;
        let via_jexec = !self.v.kernel.has_ifconfig_j();
        let cbsd_descr = format!("{}-eth{}", self.jail, nic.index);
        self.plan.steps.push(Step {
            op: Op::Adopt { iface: a.to_string(), jail: self.jail.clone(), nic: nic.name.clone() },
            undo: Some(Op::Unadopt { iface: a.to_string(), description: cbsd_descr }),
            effects: Vec::new(),
        });
        self.plan.steps.push(Step {
            op: Op::MoveToJail { iface: IfRef::name(b), mtu, jail: self.jail.clone(), jid },
            undo: Some(Op::Reclaim { iface: b.to_string(), jid }),
            effects: Vec::new(),
        });
        self.plan.steps.push(Step {
            op: Op::RenameInJail {
                jail: self.jail.clone(),
                jid,
                iface: IfRef::name(b),
                mac,
                name: nic.name.clone(),
                via_jexec,
            },
            undo: Some(Op::RenameBackInJail { jid, from: nic.name.clone(), to: b.to_string(), via_jexec }),
            effects: Vec::new(),
        });
        let bridge = self
            .v
            .host_ifaces
            .values()
            .find(|s| s.is_bridge() && s.members.iter().any(|m| m == a))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| "-".into());
        self.plan.notes.push(format!(
            "{}: taking over {a}/{b}, which CBSD's jstart made for this NIC (so there is no second epair); \
             {b} moves in as {}",
            nic.name, nic.name
        ));
        self.plan.effects.push(Effect::Attach {
            nic: nic.index,
            nic_name: nic.name.to_string(),
            host_if: IfRef::name(a),
            bridge: IfRef::Name(bridge.clone()),
            uplink,
            mac,
            jid,
        });
        if self.v.stored_macs.get(&nic.index) != Some(&mac) {
            self.plan.effects.push(Effect::Mac { nic: nic.index, mac });
        }
        bridge
    }

    fn resolve_uplink(&self, nic: &NicSpec) -> Result<String> {
        match &nic.uplink {
            Uplink::Named(n) => Ok(n.to_string()),
            Uplink::Auto => self.v.default_if.clone().ok_or_else(|| {
                self.err(
                    Kind::Unavailable,
                    format!("{}: the host has no default route to take the uplink from", nic.name),
                )
                .detail("name the uplink explicitly, e.g. interface=em0")
            }),
        }
    }

    /// The NIC's MAC: fixed by the admin, else stored, else a new unique one.
    fn decide_mac(&mut self, nic: &NicSpec) -> Result<Mac> {
        // CBSD sets the jail end of the epair it made to nic_hwaddr: holding it is not a clash.
        let adopted_end = self.adoptable(nic).map(|(_, b)| format!("interface {b}"));
        let own = |m: &Mac| {
            self.v.attachments.iter().any(|a| a.nic == nic.index && a.mac.as_deref() == Some(m.to_string().as_str()))
                || adopted_end.is_some() && self.v.taken_macs.get(m) == adopted_end.as_ref()
        };
        let fixed = nic.mac.or_else(|| self.v.stored_macs.get(&nic.index).copied());
        let mac = match fixed {
            Some(m) => {
                if let Some(owner) = self.v.taken_macs.get(&m).filter(|_| !own(&m)) {
                    return Err(self
                        .err(Kind::Data, format!("{}: MAC {m} is already used by {owner}", nic.name))
                        .detail("choose another MAC, or let vimage generate one"));
                }
                m
            }
            None => {
                let mut taken: HashSet<Mac> = self.v.taken_macs.keys().copied().collect();
                taken.extend(self.macs.iter().copied());
                mac::choose(&self.v.kernel.hostuuid, self.jail, nic.index, &taken).ok_or_else(|| {
                    self.err(
                        Kind::Internal,
                        format!("{}: {} MAC candidates were all taken", nic.name, mac::MAX_CANDIDATES),
                    )
                })?
            }
        };
        if !self.macs.insert(mac) {
            return Err(self.err(Kind::Data, format!("{}: MAC {mac} is given to two NICs of this jail", nic.name)));
        }
        Ok(mac)
    }

    /// Destroys the host end of an attachment that no longer serves this jail instance (the
    /// jail was restarted without `unbridge`, or the NIC's uplink or MAC changed), after
    /// checking that it still carries this NIC's marker.
    fn remove_stale(&mut self, nic: &NicSpec, rec: &crate::state::Attachment, live: bool) {
        let ours = self.v.host_iface(&rec.host_if).is_some_and(|st| {
            st.description.as_deref().and_then(parse_epair_marker)
                == Some((self.jail.to_string(), rec.nic_name.clone()))
        });
        if ours {
            self.push(Op::Destroy { iface: IfRef::name(&rec.host_if) });
            let why = if live { "its uplink or MAC changed" } else { "left from an earlier start of the jail" };
            self.plan.notes.push(format!("{}: replacing {} ({why})", nic.name, rec.host_if));
        }
        self.plan.effects.push(Effect::Detach { nic: rec.nic });
    }

    /// The bridge this NIC joins: the uplink itself if it is a bridge, an existing bridge
    /// that has the uplink as member (CBSD's counts), vimage's recorded one, or a new one.
    fn choose_bridge(&mut self, uplink: &str, up: &IfStatus) -> Result<IfRef> {
        if up.is_bridge() {
            self.note_bridge(
                IfRef::name(uplink),
                uplink,
                up.in_group(super::op::GROUP),
                "the uplink is itself a bridge",
            );
            return Ok(IfRef::name(uplink));
        }
        let existing = self
            .v
            .host_ifaces
            .values()
            .filter(|i| i.is_bridge())
            .find(|i| i.members.iter().any(|m| m == uplink))
            .or_else(|| {
                self.v.host_ifaces.values().filter(|i| i.is_bridge()).find(|i| i.description.as_deref() == Some(uplink))
            });
        if let Some(b) = existing {
            let owned = b.in_group(super::op::GROUP);
            let why = if owned {
                "vimage's bridge for this uplink"
            } else {
                "an existing bridge with this uplink; vimage will never change or remove it"
            };
            self.note_bridge(IfRef::name(&b.name), uplink, owned, why);
            return Ok(IfRef::name(&b.name));
        }
        if let Some(r) = self.v.bridges.iter().find(|b| b.uplink == uplink) {
            return Ok(IfRef::name(&r.name));
        }
        if let Some(r) = self.new_bridges.get(uplink) {
            return Ok(r.clone());
        }
        self.check_can_bridge(uplink, up)?;
        let slot = Slot(format!("bridge_{uplink}"));
        self.push(Op::CreateBridge { slot: slot.clone(), uplink: uplink.to_string() });
        let r = IfRef::Created(slot);
        self.plan.effects.push(Effect::Bridge { name: r.clone(), uplink: uplink.to_string(), owned: true });
        self.plan.notes.push(format!("creating a bridge for uplink {uplink}"));
        self.new_bridges.insert(uplink.to_string(), r.clone());
        Ok(r)
    }

    /// Says which existing bridge is used and why, once per bridge, and records it.
    fn note_bridge(&mut self, name: IfRef, uplink: &str, owned: bool, why: &str) {
        let n = name.display(&Default::default());
        let line = format!("using {n} for uplink {uplink}: {why}");
        if !self.plan.notes.contains(&line) {
            self.plan.notes.push(line);
            self.plan.effects.push(Effect::Bridge { name, uplink: uplink.to_string(), owned });
        }
    }

    /// FreeBSD 15 refuses to make an interface that holds an IP address a bridge member
    /// (net.link.bridge.member_ifaddrs=0, if_bridge(4) in 15.0). Refuse before changing
    /// anything, with the two ways out.
    fn check_can_bridge(&self, uplink: &str, up: &IfStatus) -> Result<()> {
        let has_addr = !up.inet.is_empty() || up.inet6.iter().any(|a| !a.starts_with("fe80:"));
        if self.v.kernel.osreldate >= 1_500_000 && has_addr && self.v.kernel.bridge_member_ifaddrs == Some(false) {
            return Err(self
                .err(
                    Kind::Unavailable,
                    format!("uplink {uplink} holds an IP address, and FreeBSD 15 refuses to make such an interface a bridge member"),
                )
                .detail("move the host's address from the uplink to a bridge and give interface=<that bridge>,")
                .detail("or allow it with: sysctl net.link.bridge.member_ifaddrs=1"));
        }
        Ok(())
    }
}

/// The NIC list most callers mean: `eth0…` on the given uplinks.
pub fn default_nics(jail: &JailName, uplinks: &[Uplink], names: &[IfName]) -> JailNet {
    let mut net = JailNet::epairs(jail.clone(), uplinks);
    for (nic, name) in net.nics.iter_mut().zip(names) {
        nic.name = name.clone();
    }
    net
}

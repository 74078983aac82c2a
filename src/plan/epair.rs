//! Planning an epair NIC: its host end on an if_bridge with the uplink, its jail end moved into
//! the jail and renamed there.
//!
//! Per NIC the plan is at most four commands (five for the first jail on an uplink):
//! ```text
//! ifconfig bridge create description vimage:em0 group vimage addm em0 up      (first jail only)
//! ifconfig epair create description vimage:web1:eth0 group vimage mtu 1500 up
//! ifconfig $bridge addm $eth0_a
//! ifconfig $eth0_b mtu 1500 vnet <jid>
//! ifconfig -j <jid> $eth0_b ether 02:… name eth0 up
//! ```
//! A CBSD jail's NIC takes over the epair CBSD's jstart made for it instead (see
//! [`Planner::adoptable`]; CBSD's description `web1-eth0` stays on the host end):
//! ```text
//! ifconfig epair1a group vimage
//! ifconfig epair1b mtu 1500 vnet <jid>                 (unless CBSD's move loop ran first)
//! ifconfig -j <jid> epair1b ether 02:… name eth0 up
//! ```
//! A Linux userland's NIC keeps the kernel's name: the last step is
//! `ifconfig -j <jid> $eth0_b ether 02:… up` (see [`super::userland`]).

use super::planner::{Planner, Prelude};
use super::userland::JailEnd;
use super::{Effect, NicFx, Step};
use crate::error::{Kind, Result};
use crate::model::{Mac, NicMode, NicSpec};
use crate::naming::{bridge_marker, cbsd_epair_descr, epair_peer, is_epair_a_end};
use crate::op::{IfRef, Op, Slot};
use crate::parse::ifconfig::IfStatus;

/// True for a vtnet(4) interface (`vtnet0`): the driver name, then only the unit's digits.
pub(super) fn is_vtnet(name: &str) -> bool {
    name.strip_prefix("vtnet").is_some_and(|u| !u.is_empty() && u.bytes().all(|c| c.is_ascii_digit()))
}

/// CBSD's epair for a NIC, as [`Planner::adoptable`] found it.
pub(super) struct Adoptable {
    /// Its host end (`epair<unit>a`, described `<jail>-eth<N>` by CBSD).
    pub a: String,
    /// Its jail end's name now: `epair<unit>b` on the host, or `eth<N>` inside the jail.
    pub b: String,
    /// CBSD's move loop already moved the jail end in.
    pub in_jail: bool,
}

impl<'a> Planner<'a> {
    /// Plans one epair NIC.
    pub fn epair_nic(&mut self, nic: &NicSpec) -> Result<()> {
        if let Some(name) = nic.network() {
            return self.network_nic(nic, name);
        }
        // A missing vlan(4) uplink vimage creates (just before its bridge, below).
        let want = self.resolve_uplink(nic)?;
        let fresh = self.vlan_to_create(nic, &want)?;
        let (uplink, up): (String, &IfStatus) = match &fresh {
            Some(st) => (want, st),
            None => {
                let (uplink, up) = self.existing_uplink(nic)?;
                self.behind_own_bridge(nic, uplink, up)?
            }
        };
        let mac = self.decide_mac(nic)?;
        let in_jail = self.name_in_jail(nic);
        if let Prelude::InPlace = self.prelude(nic, in_jail.as_deref(), Some(&uplink), Some(mac))? {
            return Ok(());
        }
        if let Some(ad) = self.adoptable(nic) {
            return self.adopt(nic, &ad, &uplink, up.mtu, mac);
        }
        if fresh.is_some() {
            self.create_vlan(&uplink);
        }
        let bridge = self.choose_bridge(&uplink, up)?;
        self.prepare_vlan_bridge(nic, &bridge, &uplink)?;
        let slot = Slot(format!("{}_a", nic.name));
        // The host end carries the bridge's MTU before `addm` (if_bridge.c bridge_ioctl_add:
        // up to 14.x a member whose MTU differs is EINVAL; the first member, the uplink, set
        // it); the jail end the NIC's own, at most that.
        let mtu = self.bridge_mtu(&bridge, up);
        let jail_mtu = self.jail_mtu(nic, &uplink, mtu)?;
        let jid = self.info.jid;
        self.push(Op::CreateEpair { slot: slot.clone(), jail: self.jail.clone(), nic: nic.name.clone(), mtu });
        if nic.link.offload_off {
            self.push(Op::Offload { iface: IfRef::Created(slot.clone()), off: true });
            self.push(Op::Offload { iface: IfRef::Peer(slot.clone()), off: true });
        }
        self.push(Op::AddMember { bridge: bridge.clone(), member: IfRef::Created(slot.clone()) });
        self.member_vlans(nic, &bridge, IfRef::Created(slot.clone()));
        if !nic.link.flags.is_empty() {
            let flags = nic.link.flags.clone();
            self.push(Op::MemberFlags { bridge: bridge.clone(), member: IfRef::Created(slot.clone()), flags });
        }
        self.push(Op::MoveToJail { iface: IfRef::Peer(slot.clone()), mtu: jail_mtu, jail: self.jail.clone(), jid });
        let end = JailEnd { jail: self.jail, jid, iface: IfRef::Peer(slot.clone()), mac, name: &nic.name };
        let (end, jail_if) = end.op(self.v, nic);
        self.push(end);
        let mut fx = NicFx::epair(nic.index, nic.name.as_str(), IfRef::Created(slot), bridge, &uplink, mac, jid);
        fx.jail_if = jail_if;
        self.plan.effects.push(Effect::Attach(fx));
        self.store_mac(nic, mac);
        Ok(())
    }

    /// The epair CBSD's `jstart` made for this NIC, which vimage takes over instead of making
    /// a second one: its host end `epair<unit>a` carries CBSD's description `<jail>-eth<N>`
    /// (sudoexec/jstart l.601). Its jail end is still on the host when vimage runs from
    /// jail(8)'s `exec.poststart` (before CBSD's move loop), or already in the jail as `eth<N>`
    /// when CBSD's move loop ran first (`vimage bridge` by hand on a jail CBSD started, or
    /// after `vimage unbridge`, which gives CBSD's epair back but leaves it in the jail).
    pub(super) fn adoptable(&self, nic: &NicSpec) -> Option<Adoptable> {
        if !matches!(nic.mode, NicMode::Epair { .. }) {
            return None;
        }
        let want = cbsd_epair_descr(self.jail, nic.index);
        let a = self
            .v
            .host_ifaces
            .values()
            .find(|s| s.description.as_deref() == Some(want.as_str()) && is_epair_a_end(&s.name))?;
        let b = epair_peer(&a.name);
        if self.v.host_ifaces.contains_key(&b) {
            return Some(Adoptable { a: a.name.clone(), b, in_jail: false });
        }
        // CBSD's move loop: `ifconfig epairNb name ethN && ifconfig ethN vnet <jail>` (l.855).
        let moved = format!("eth{}", nic.index);
        self.v.jail_iface(&moved).map(|_| Adoptable { a: a.name.clone(), b: moved, in_jail: true })
    }

    /// Takes over CBSD's epair: group `vimage` on the host end (CBSD's description stays, so
    /// CBSD's jstop finds and destroys it), the jail end moved in if it is still on the host,
    /// then its MAC, name and UP set inside the jail. Each step's undo gives it back as CBSD
    /// left it (a rollback never destroys anything of CBSD's). Refused when CBSD put it on a
    /// bridge that does not reach the NIC's uplink: vimage does not rewire CBSD's epairs.
    fn adopt(&mut self, nic: &NicSpec, ad: &Adoptable, uplink: &str, mtu: u32, mac: Mac) -> Result<()> {
        let jid = self.info.jid;
        let a = ad.a.as_str();
        let bridge = self.v.host_ifaces.values().find(|s| s.is_bridge() && s.members.iter().any(|m| m == a));
        let Some(bridge) = bridge.filter(|b| b.name == uplink || b.members.iter().any(|m| m == uplink)) else {
            let on = bridge.map_or_else(|| "no bridge".to_string(), |b| format!("bridge {}", b.name));
            return Err(self
                .err(
                    Kind::Data,
                    format!(
                        "{}: CBSD's jstart put its epair {a} on {on}, which does not reach uplink {uplink}",
                        nic.name
                    ),
                )
                .detail("make CBSD's jailnic nic_parent and vimage's interface= name the same uplink"));
        };
        let bridge_mtu = bridge.mtu;
        let bridge = bridge.name.clone();
        // CBSD's epair keeps CBSD's MTU (its jstart set it, `nic_mtu` in 15.x) unless the NIC
        // asks for one: vimage no longer overwrites it with the uplink's.
        let cbsd_mtu = self.v.host_iface(&ad.b).map(|b| b.mtu).filter(|m| *m != 0).unwrap_or(mtu);
        let mtu = match nic.link.mtu {
            Some(_) => self.jail_mtu(nic, uplink, bridge_mtu)?,
            None => cbsd_mtu,
        };
        self.plan.steps.push(Step {
            op: Op::Adopt { iface: a.to_string(), jail: self.jail.clone(), nic: nic.name.clone() },
            undo: Some(Op::Unadopt { iface: a.to_string(), description: None }),
            effects: Vec::new(),
        });
        if !nic.link.flags.is_empty() {
            // CBSD's epair outlives vimage's hold on it: the step's undo clears the flags again.
            let (b, m) = (IfRef::name(&bridge), IfRef::name(a));
            let flags = nic.link.flags.clone();
            let inverse = flags.iter().map(|f| f.inverse()).collect();
            self.plan.steps.push(Step {
                op: Op::MemberFlags { bridge: b.clone(), member: m.clone(), flags },
                undo: Some(Op::MemberFlags { bridge: b, member: m, flags: inverse }),
                effects: Vec::new(),
            });
        }
        if nic.link.offload_off {
            // Not turned back on when vimage lets go: which of them CBSD's epair had is not
            // known here, and CBSD's jstop destroys the epair anyway.
            self.plan.steps.push(Step {
                op: Op::Offload { iface: IfRef::name(a), off: true },
                undo: None,
                effects: Vec::new(),
            });
            if !ad.in_jail {
                self.plan.steps.push(Step {
                    op: Op::Offload { iface: IfRef::name(&ad.b), off: true },
                    undo: None,
                    effects: Vec::new(),
                });
            }
        }
        if !ad.in_jail {
            self.plan.steps.push(Step {
                op: Op::MoveToJail { iface: IfRef::name(&ad.b), mtu, jail: self.jail.clone(), jid },
                undo: Some(Op::Reclaim { iface: ad.b.clone(), jid }),
                effects: Vec::new(),
            });
        }
        let end = JailEnd { jail: self.jail, jid, iface: IfRef::name(&ad.b), mac, name: &nic.name };
        let (end, jail_if) = end.op(self.v, nic);
        // A rename inside the jail is given back; a Linux NIC keeps CBSD's name and only got its
        // MAC (CBSD's own, from the jailnic row) and UP, which CBSD's jstop undoes with the epair.
        let undo = match &end {
            Op::RenameInJail { at, .. } => {
                Some(Op::RenameBackInJail { at: *at, from: nic.name.clone(), to: ad.b.clone() })
            }
            _ => None,
        };
        self.plan.steps.push(Step { op: end, undo, effects: Vec::new() });
        let b = &ad.b;
        let becomes = match &jail_if {
            Some(_) => format!("{b} (keeping its name: a Linux userland)"),
            None => nic.name.to_string(),
        };
        self.plan.notes.push(if ad.in_jail {
            format!(
                "{}: taking over {a}, which CBSD's jstart made for this NIC and moved in as {b}; \
                 CBSD's jstop destroys it as usual",
                nic.name
            )
        } else {
            format!(
                "{}: taking over {a}/{b}, which CBSD's jstart made for this NIC (so there is no second epair); \
                 {b} moves in as {becomes}, and CBSD's jstop destroys it as usual",
                nic.name
            )
        });
        let mut fx = NicFx::epair(nic.index, nic.name.as_str(), IfRef::name(a), IfRef::Name(bridge), uplink, mac, jid);
        fx.jail_if = jail_if;
        self.plan.effects.push(Effect::Attach(fx));
        self.store_mac(nic, mac);
        Ok(())
    }

    /// The MTU of the bridge a NIC joins: an existing bridge's own, else (a bridge this run
    /// makes, whose first member is the uplink) the uplink's.
    fn bridge_mtu(&self, bridge: &IfRef, up: &IfStatus) -> u32 {
        match bridge {
            IfRef::Name(n) => self.v.host_iface(n).map(|b| b.mtu).filter(|m| *m != 0).unwrap_or(up.mtu),
            _ => up.mtu,
        }
    }

    /// The jail end's MTU: the NIC's `mtu=` (CBSD's `nic_mtu`) when given, else the bridge's.
    /// One above the bridge's (so above what the uplink carries) is refused before any change,
    /// naming both values: frames that size could never leave the host.
    fn jail_mtu(&self, nic: &NicSpec, uplink: &str, bridge_mtu: u32) -> Result<u32> {
        match nic.link.mtu {
            Some(m) if m > bridge_mtu => Err(self
                .err(
                    Kind::Data,
                    format!(
                        "{}: mtu={m} is above the MTU {bridge_mtu} of its bridge on uplink {uplink}, which the host end must carry (if_bridge refuses a member whose MTU differs)",
                        nic.name
                    ),
                )
                .about(crate::error::Object::uplink(uplink))
                .detail(format!("give mtu={bridge_mtu} or less, or raise the uplink's first: ifconfig {uplink} mtu {m}"))),
            Some(m) => Ok(m),
            None => Ok(bridge_mtu),
        }
    }

    /// `interface=bridge0` where bridge0 is vimage's own bridge for em0 is a NIC on em0: it
    /// joins bridge0 and is recorded with uplink em0, so the bridge's record keeps its uplink
    /// (the next jail on em0 finds it instead of trying a second bridge, which BRDGADD em0
    /// refuses with EBUSY) and the bridge still goes with its last jail. Any other uplink is
    /// returned as it is.
    fn behind_own_bridge(&mut self, nic: &NicSpec, uplink: String, up: &'a IfStatus) -> Result<(String, &'a IfStatus)> {
        if !up.is_bridge() || !up.in_group(crate::naming::GROUP) {
            return Ok((uplink, up));
        }
        let marked = up.description.as_deref().and_then(|d| d.strip_prefix("vimage:"));
        let recorded = self.v.bridges.iter().find(|b| b.name == uplink && !b.is_netgraph()).map(|b| b.uplink.as_str());
        let Some(real) = marked.filter(|u| up.description.as_deref() == Some(bridge_marker(u).as_str())).or(recorded)
        else {
            return Ok((uplink, up));
        };
        let st = self.v.host_iface(real).ok_or_else(|| {
            self.err(
                Kind::Unavailable,
                format!("{}: {uplink} is vimage's bridge for {real}, and {real} does not exist on the host", nic.name),
            )
            .about(crate::error::Object::uplink(real))
        })?;
        self.plan.notes.push(format!(
            "{}: interface={uplink} is vimage's own bridge for {real}: the NIC joins it as a NIC on {real}",
            nic.name
        ));
        Ok((real.to_string(), st))
    }

    /// The bridge this NIC joins: the uplink itself if it is a bridge (its host end becomes a
    /// member; the bridge is never made a member of another one, which if_bridge refuses
    /// anyway, and a bridge vimage did not create is never changed or removed), an existing
    /// bridge that has the uplink as member (CBSD's counts), vimage's recorded one, or a new
    /// one.
    fn choose_bridge(&mut self, uplink: &str, up: &IfStatus) -> Result<IfRef> {
        if up.is_bridge() {
            let owned = up.in_group(crate::naming::GROUP);
            let why = if owned {
                "the uplink is itself a bridge (vimage's)"
            } else {
                "the uplink is itself a bridge; vimage will never change or remove it"
            };
            self.note_bridge(IfRef::name(uplink), uplink, owned, why);
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
            let owned = b.in_group(crate::naming::GROUP);
            let why = if owned {
                "vimage's bridge for this uplink"
            } else {
                "an existing bridge with this uplink; vimage will never change or remove it"
            };
            self.note_bridge(IfRef::name(&b.name), uplink, owned, why);
            return Ok(IfRef::name(&b.name));
        }
        if let Some(r) = self.v.bridges.iter().find(|b| b.uplink == uplink && !b.is_netgraph()) {
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
        self.vtnet_promisc(uplink, up, &r);
        self.new_bridges.insert(uplink.to_string(), r.clone());
        Ok(r)
    }

    /// A vtnet(4) uplink (a VM's virtio NIC) gets `ifconfig vtnetN promisc` as vimage makes its
    /// bridge: without it the host's virtio backend drops frames for the jails' MACs (FreeBSD
    /// PR 254343; CBSD's subr/vnet.subr forces it on 13.0+). The bridge's own IFF_PROMISC
    /// (if_bridge.c `bridge_ioctl_add` → `ifpromisc`) is not enough there. Skipped when the
    /// admin already set it (PPROMISC in its flags): then vimage never clears it either.
    fn vtnet_promisc(&mut self, uplink: &str, up: &IfStatus, bridge: &IfRef) {
        if !is_vtnet(uplink) || up.has_flag("PPROMISC") {
            return;
        }
        self.push(Op::Promisc { iface: uplink.to_string(), on: true });
        self.plan.effects.push(Effect::UplinkPromisc { bridge: bridge.clone() });
        self.plan.notes.push(format!(
            "{uplink} is a vtnet(4) NIC: setting promisc on it (FreeBSD PR 254343), cleared again when its bridge goes"
        ));
    }

    /// Says which existing bridge is used and why, once per bridge, and records it unless a
    /// record of it exists: an admin's bridge with em0 as member may be named as uplink
    /// `bridge0` by one jail and reached through `em0` by another, and its record must not
    /// change with each of them.
    fn note_bridge(&mut self, name: IfRef, uplink: &str, owned: bool, why: &str) {
        let n = name.display(&Default::default());
        let line = format!("using {n} for uplink {uplink}: {why}");
        if !self.plan.notes.contains(&line) {
            self.plan.notes.push(line);
            let recorded = self.v.bridges.iter().any(|b| b.name == n && !b.is_netgraph());
            if !recorded {
                self.plan.effects.push(Effect::Bridge { name, uplink: uplink.to_string(), owned });
            }
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

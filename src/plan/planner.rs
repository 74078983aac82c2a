//! The planner's working state for one jail while `vimage bridge` is planned, and the steps
//! every mode shares (what to do with a NIC vimage already set up, the uplink, the MAC, stale
//! records). Each mode's module ([`super::epair`], [`super::netgraph`], [`super::passthrough`])
//! adds its own methods; [`super::bridge`] drives them. Sits below all four, so none of them
//! imports another.

use super::{Effect, Plan, Step};
use crate::error::{Error, Kind, Result};
use crate::facts::{HostView, JailInfo};
use crate::mac;
use crate::model::{JailName, Mac, ModeKind, NicSpec, Uplink};
use crate::naming::epair_mark;
use crate::op::ngscript::NgLine;
use crate::op::{IfRef, Op};
use crate::parse::ifconfig::IfStatus;
use crate::state::Attachment;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The planner's working state for one jail; each mode's module adds its methods.
pub(super) struct Planner<'a> {
    pub jail: &'a JailName,
    pub info: &'a JailInfo,
    pub v: &'a HostView,
    pub plan: Plan,
    /// if_bridges this plan creates, by uplink, so a second NIC on the same uplink reuses it.
    pub new_bridges: BTreeMap<String, IfRef>,
    /// MACs this plan hands out, so two NICs of one jail never share one.
    pub macs: HashSet<Mac>,
    /// The netgraph batch being assembled.
    pub ng: NgPlan,
    /// Removals of what stale records left; they run before everything else.
    pub stale: Vec<Step>,
    /// `force=1`: pass interfaces through despite the conflicts passthrough refuses.
    pub force: bool,
    /// The VLAN steps planned so far (see the `vlan` module).
    pub vlans: VlanPlan,
}

/// What to do with a NIC, given vimage's record of it and the jail's interfaces.
pub(super) enum Prelude {
    /// It is there as wanted: nothing to do (a note says so).
    InPlace,
    /// Set it up (a stale record, if any, has been dealt with).
    Proceed,
}

impl<'a> Planner<'a> {
    pub fn err(&self, kind: Kind, msg: impl Into<String>) -> Error {
        Error::jail(kind, self.jail, msg)
    }

    /// The name the NIC has (or will have) in the jail, when it is known before the kernel
    /// picks one: its own name, or for a NIC that keeps the kernel's name (a Linux userland)
    /// the one its record says it got.
    pub fn name_in_jail(&self, nic: &NicSpec) -> Option<String> {
        if !super::userland::keeps_kernel_name(self.v, nic) {
            return Some(nic.name.to_string());
        }
        self.v.attachments.iter().find(|a| a.nic == nic.index).map(|a| a.in_jail().to_string())
    }

    /// The checks every mode shares. A record of this NIC for the running jail instance, with
    /// the interface present in the jail under `name` with the recorded MAC, means it is in
    /// place (if mode, uplink and MAC are still what is wanted) or must be replaced. An
    /// interface named `name` in the jail without such a record was made by someone else:
    /// refused. A record from an earlier jail instance is stale: what it left is removed.
    /// `name` is `None` for a NIC that will keep a name the kernel has yet to choose.
    pub fn prelude(
        &mut self,
        nic: &NicSpec,
        name: Option<&str>,
        uplink: Option<&str>,
        mac: Option<Mac>,
    ) -> Result<Prelude> {
        let rec = self.v.attachments.iter().find(|a| a.nic == nic.index);
        let in_jail = name.and_then(|n| self.v.jail_iface(n));
        let live = rec.is_some_and(|r| {
            r.jid == self.info.jid
                && r.boottime == self.v.kernel.boottime
                && Some(r.in_jail()) == name
                && in_jail.is_some_and(|i| i.mac.as_deref() == r.mac.as_deref())
        });
        let name = name.unwrap_or(nic.name.as_str());
        if let Some(rec) = rec.filter(|_| live) {
            let same = rec.mode == nic.mode.kind()
                && rec.uplink.as_deref() == uplink
                && mac.is_none_or(|m| rec.mac.as_deref() == Some(m.to_string().as_str()));
            if same {
                let how = match rec.mode {
                    ModeKind::Passthrough => "already passed through; nothing to change".to_string(),
                    mode => format!(
                        "already bridged: {} {} on {} (uplink {}), MAC {}; nothing to change",
                        if mode == ModeKind::Netgraph { "netgraph node" } else { "host end" },
                        rec.host_if,
                        rec.bridge.as_deref().unwrap_or("?"),
                        rec.uplink.as_deref().unwrap_or("?"),
                        rec.mac.as_deref().unwrap_or("?")
                    ),
                };
                self.plan.notes.push(format!("{name}: {how}"));
                return Ok(Prelude::InPlace);
            }
        } else if let Some(i) = in_jail.filter(|_| !self.adoptable(nic).is_some_and(|ad| ad.in_jail && ad.b == name)) {
            // Not ours: a restarted jail's old interface went back to the host, so an
            // interface of this name in the running jail was made by someone else (unless it
            // is the epair CBSD made for this NIC and moved in itself: that one is taken over).
            return Err(self
                .err(
                    Kind::Data,
                    format!(
                        "already has an interface named {name} that vimage did not create (MAC {})",
                        i.mac.as_deref().unwrap_or("none")
                    ),
                )
                .detail("remove it or give this NIC another name"));
        }
        if let Some(rec) = rec {
            self.remove_stale(rec, live);
        }
        Ok(Prelude::Proceed)
    }

    pub fn push(&mut self, op: Op) {
        self.plan.steps.push(Step::new(op));
    }

    /// The uplink's name: as given, or the default-route interface; with the NIC's VLAN
    /// applied (`vlan=100` on em0 is em0.100, [`Planner::vlan_applied`]).
    pub fn resolve_uplink(&self, nic: &NicSpec) -> Result<String> {
        let given = self.given_uplink(nic)?;
        self.vlan_applied(nic, given)
    }

    /// The uplink's name as given, or the default-route interface.
    fn given_uplink(&self, nic: &NicSpec) -> Result<String> {
        match nic.uplink().unwrap_or(&Uplink::Auto) {
            Uplink::Named(n) => Ok(n.to_string()),
            Uplink::Net(n) => Err(self
                .err(
                    Kind::Data,
                    format!("{}: interface=net:{n} takes an epair NIC; netgraph NICs cannot join a network", nic.name),
                )
                .about(crate::error::Object::network(n))),
            Uplink::Auto => self.v.default_if.clone().ok_or_else(|| {
                self.err(
                    Kind::Unavailable,
                    format!("{}: the host has no default route to take the uplink from", nic.name),
                )
                .about(crate::error::Object::uplink("auto"))
                .detail("name the uplink explicitly, e.g. interface=em0")
            }),
        }
    }

    /// The NIC's uplink and its status, refusing an uplink that is missing or whose MTU cannot
    /// be read (every NIC copies the uplink's MTU, so planning cannot go on without it).
    pub fn existing_uplink(&mut self, nic: &NicSpec) -> Result<(String, &'a IfStatus)> {
        let uplink = self.resolve_uplink(nic)?;
        let uplink = self.vpc_bridge(nic, uplink)?;
        if self.v.host_iface(&uplink).is_none() {
            // A missing `<parent>.<tag>` that vimage would not create says why.
            self.vlan_to_create(nic, &uplink)?;
        }
        let up = self.v.host_iface(&uplink).ok_or_else(|| {
            self.err(Kind::Unavailable, format!("{}: uplink {uplink} does not exist on the host", nic.name))
                .about(crate::error::Object::uplink(&uplink))
        })?;
        if up.mtu == 0 {
            return Err(self
                .err(Kind::Os, format!("{}: cannot read the MTU of uplink {uplink}", nic.name))
                .about(crate::error::Object::uplink(&uplink)));
        }
        // if_bridge.c bridge_ioctl_add takes only IFT_ETHER and IFT_L2VLAN members (and gif,
        // which carries no Ethernet of its own); ifconfig prints an `ether` line exactly for
        // those and for bridges. Anything else (lo0, tun, wg, gif) is refused here, before any
        // command runs, rather than by BRDGADD after the bridge was made.
        if up.mac.is_none() && !up.is_bridge() {
            return Err(self
                .err(
                    Kind::Data,
                    format!(
                        "{}: uplink {uplink} is not an Ethernet interface (ifconfig shows no ether address), so it cannot be bridged",
                        nic.name
                    ),
                )
                .about(crate::error::Object::uplink(&uplink))
                .detail("give an Ethernet NIC, a VLAN or a bridge as interface= (e.g. the interface of the default route)"));
        }
        self.refuse_lagg_port(nic, &uplink)?;
        Ok((uplink, up))
    }

    /// CBSD's `nic_parent=vpc-NAME` (see [`crate::cbsd::vpc`]): the VPC's bridge, which the
    /// NIC joins as the uplink; refused when CBSD's VPC or its bridge is missing, with CBSD's
    /// commands that make them. An interface really named so, or an uplink outside CBSD, is
    /// returned as it is.
    fn vpc_bridge(&mut self, nic: &NicSpec, uplink: String) -> Result<String> {
        let (Some(fact), Some(name)) = (self.v.vpcs.get(&uplink), crate::cbsd::vpc::vpc_name(&uplink)) else {
            return Ok(uplink);
        };
        if self.v.host_iface(&uplink).is_some() {
            return Ok(uplink);
        }
        let about = crate::error::Object::uplink(&uplink);
        if !matches!(nic.mode, crate::model::NicMode::Epair { .. }) {
            // ng_ether.c attaches nodes to IFT_ETHER and IFT_L2VLAN interfaces only: an
            // if_bridge has none for an ng_bridge to hang on.
            return Err(self
                .err(
                    Kind::Data,
                    format!(
                        "{}: {uplink} is CBSD VPC {name}, an if_bridge, which netgraph mode cannot join (an ng_bridge \
                         hangs on an Ethernet interface's ng_ether node; a bridge has none)",
                        nic.name
                    ),
                )
                .about(about)
                .detail("give this NIC mode=epair: its host end then joins the VPC's bridge"));
        }
        if !fact.readable {
            let mut e = self
                .err(
                    Kind::Unavailable,
                    format!(
                        "{}: nic_parent {uplink} names CBSD VPC {name}, which does not exist on this node: {} is not \
                         readable (CBSD's jstart refuses it too: \"VPC not exist\")",
                        nic.name,
                        fact.db.display()
                    ),
                )
                .about(about)
                .detail("create the VPC with CBSD:");
            for c in crate::cbsd::vpc::create_fix(name) {
                e = e.detail(c);
            }
            return Err(e);
        }
        let found = self.v.host_ifaces.values().find(|b| crate::cbsd::vpc::is_vpc_bridge(b, &uplink));
        let Some(b) = found else {
            let mut e = self
                .err(
                    Kind::Unavailable,
                    format!(
                        "{}: CBSD VPC {name} has no bridge on this host (no bridge described {uplink}); vimage joins \
                         a VPC's bridge but never creates it",
                        nic.name
                    ),
                )
                .about(about)
                .detail("make it with CBSD, after its vxlan tunnels:");
            for c in crate::cbsd::vpc::bridge_fix(name) {
                e = e.detail(c);
            }
            return Err(e);
        };
        self.plan.notes.push(format!(
            "{}: nic_parent {uplink} is CBSD VPC {name}: joining its bridge {} (CBSD's; vimage never changes or \
             removes it)",
            nic.name, b.name
        ));
        Ok(b.name.clone())
    }

    /// A lagg(4) port is refused as uplink before any change: if_lagg.c `lagg_port_create`
    /// makes its `if_type` IFT_IEEE8023ADLAG, so if_bridge.c `bridge_ioctl_add` refuses it
    /// (EINVAL, `BRDGADD em0: Invalid argument`), and if_ethersubr.c `ether_input_internal`
    /// hands its frames to the lagg before ng_ether sees them. The lagg is the uplink to give.
    fn refuse_lagg_port(&self, nic: &NicSpec, uplink: &str) -> Result<()> {
        let Some(lagg) = self.v.host_ifaces.values().find(|i| i.lagg_ports.iter().any(|p| p == uplink)) else {
            return Ok(());
        };
        Err(self
            .err(
                Kind::Data,
                format!(
                    "{}: uplink {uplink} is a port of {}, and a lagg(4) port cannot be bridged (if_bridge refuses it: BRDGADD {uplink}: Invalid argument)",
                    nic.name, lagg.name
                ),
            )
            .about(crate::error::Object::uplink(uplink))
            .detail(format!("use the lagg itself: interface={}", lagg.name)))
    }

    /// The NIC's MAC: fixed by the admin, else stored, else a new unique one.
    pub fn decide_mac(&mut self, nic: &NicSpec) -> Result<Mac> {
        // CBSD sets the jail end of the epair it made to nic_hwaddr: holding it is not a clash.
        let adopted_end = self.adoptable(nic).map(|ad| format!("interface {}", ad.b));
        let own = |m: &Mac| {
            self.v.attachments.iter().any(|a| a.nic == nic.index && a.mac.as_deref() == Some(m.to_string().as_str()))
                || adopted_end.is_some() && self.v.taken_macs.get(m) == adopted_end.as_ref()
        };
        let fixed = nic.mac.or_else(|| self.v.stored_macs.get(&nic.index).copied());
        let mac = match mac::decide(
            &self.v.kernel.hostuuid,
            self.jail,
            nic.index,
            fixed,
            &self.v.taken_macs,
            &own,
            &self.macs,
        ) {
            Ok(m) => m,
            Err(mac::Refused::Held { mac: m, by: owner }) => {
                return Err(self
                    .err(Kind::Data, format!("{}: MAC {m} is already used by {owner}", nic.name))
                    .detail("choose another MAC, or let vimage generate one"));
            }
            Err(mac::Refused::Exhausted) => {
                return Err(self.err(
                    Kind::Internal,
                    format!("{}: {} MAC candidates were all taken", nic.name, mac::MAX_CANDIDATES),
                ));
            }
        };
        if !self.macs.insert(mac) {
            return Err(self.err(Kind::Data, format!("{}: MAC {mac} is given to two NICs of this jail", nic.name)));
        }
        Ok(mac)
    }

    /// Removes what a record left that no longer serves this jail instance (the jail was
    /// restarted without `unbridge`, or the NIC's mode, uplink or MAC changed): an epair by its
    /// host end after checking its marker, an eiface node by its ID (same boot only: IDs are
    /// not reused while the kernel runs). A passed-through interface went back to the host
    /// when the old jail died, so there is nothing to run.
    fn remove_stale(&mut self, rec: &Attachment, live: bool) {
        let why = if live { "its mode, uplink or MAC changed" } else { "left from an earlier start of the jail" };
        match rec.mode {
            ModeKind::Netgraph => {
                if let (Some(id), true) = (rec.ng_node, rec.boottime == self.v.kernel.boottime) {
                    self.stale.push(Step::new(Op::NgShutdown { id, name: rec.host_if.clone() }));
                    self.plan.notes.push(format!("{}: replacing netgraph node {} ({why})", rec.nic_name, rec.host_if));
                }
            }
            ModeKind::Passthrough => {
                if live {
                    let op = Op::Unvnet { iface: rec.host_if.clone(), jid: rec.jid, up: rec.was_up == Some(true) };
                    self.stale.push(Step::new(op));
                }
            }
            ModeKind::Epair => {
                let mark = self
                    .v
                    .host_iface(&rec.host_if)
                    .and_then(epair_mark)
                    .filter(|m| m.is_nic(self.jail.as_str(), rec.nic, &rec.nic_name));
                match mark {
                    // CBSD's epair: never destroyed, only given back.
                    Some(m) if m.is_adopted() => {
                        let op = Op::Unadopt { iface: rec.host_if.clone(), description: None };
                        self.stale.push(Step::new(op));
                        self.plan.notes.push(format!("{}: giving {} back to CBSD ({why})", rec.nic_name, rec.host_if));
                    }
                    Some(_) => {
                        self.stale.push(Step::new(Op::Destroy { iface: IfRef::name(&rec.host_if) }));
                        self.plan.notes.push(format!("{}: replacing {} ({why})", rec.nic_name, rec.host_if));
                    }
                    None => {}
                }
            }
        }
        self.plan.effects.push(Effect::Detach { nic: rec.nic });
    }

    /// Remembers a NIC's MAC for good, unless it is already stored.
    pub fn store_mac(&mut self, nic: &NicSpec, mac: Mac) {
        if self.v.stored_macs.get(&nic.index) != Some(&mac) {
            self.plan.effects.push(Effect::Mac { nic: nic.index, mac });
        }
    }
}

/// The netgraph part of a plan while it is assembled.
#[derive(Debug, Default)]
pub struct NgPlan {
    /// The batch's lines.
    pub lines: Vec<NgLine>,
    /// Each NIC's move and rename, run after the batch.
    pub after: Vec<Step>,
    /// Bridges this plan creates, by uplink.
    pub new_bridges: BTreeMap<String, String>,
    /// Links this plan hands out, by bridge.
    pub taken: BTreeMap<String, BTreeSet<u32>>,
    /// Node names this plan gives.
    pub names: BTreeSet<String>,
    /// ng_ether is not loaded: the plan loads it before the batch.
    pub load_ether: bool,
}

/// What this plan does about VLANs so far (the `vlan` module's working state), so two NICs on one VLAN or one bridge agree.
#[derive(Debug, Default)]
pub struct VlanPlan {
    /// vlan(4) interfaces this plan creates.
    pub created: BTreeSet<String>,
    /// Bridges (as shown) whose `vlanfilter` this plan turns on.
    pub filtering: BTreeSet<String>,
    /// VLANs this plan puts on each bridge's uplink member, by bridge (as shown).
    pub uplink_tagged: BTreeMap<String, BTreeSet<u16>>,
}
